import type { Container, CosmosClient, OperationInput, PartitionKeyDefinition } from '@azure/cosmos';
import { backoffDelay, sleep } from '../../core/backoff.js';
import {
  COSMOS_MAX_DOCUMENT_BYTES,
  cosmosIdProblem,
  partitionKeyOf,
  type Doc,
  type PartitionKeyValue,
} from '../../core/documents.js';
import { AuthenticationError, DocferryError, TargetSchemaError } from '../../core/errors.js';
import { describePartitionKey, samePartitionKey, type CollectionScope, type ResolvedPartitionKey } from '../../core/layout.js';
import { redactUri } from '../../core/secrets.js';
import { MappingError, toCosmosDocument } from '../../core/type-mapping.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, WriteMode, WriteResult } from '../types.js';
import { createCosmosClient, describeCosmosError, isRetryableStatus, statusOf, type CosmosConnection } from './connection.js';

export interface CosmosSinkOptions {
  /** Documents may hold BSON values (from MongoDB or Extended JSON) that need the type mapping. */
  bsonInput?: boolean;
  /** Rounds of re-sending operations the SDK gave up on (after its own retries). */
  maxRetryRounds?: number;
}

function pkDefinition(pk: ResolvedPartitionKey): PartitionKeyDefinition {
  return { paths: pk.paths, kind: pk.kind as PartitionKeyDefinition['kind'], version: pk.version };
}

function livePartitionKey(def: PartitionKeyDefinition | undefined): ResolvedPartitionKey | undefined {
  if (!def) return undefined;
  return { paths: def.paths, kind: (def.kind as ResolvedPartitionKey['kind']) ?? 'Hash', version: (def.version as 1 | 2) ?? 1 };
}

/**
 * Writes to Cosmos DB containers through the SDK's bulk path. With an account key, missing
 * databases and containers are created from the layout; with an Entra ID token (data-plane
 * RBAC) they must exist, because the data plane cannot create them.
 */
export class CosmosSink implements SinkStore {
  readonly kind = 'cosmos' as const;
  private readonly client: CosmosClient;

  constructor(
    private readonly conn: CosmosConnection,
    private readonly options: CosmosSinkOptions = {},
  ) {
    this.client = createCosmosClient(conn);
  }

  describe(): string {
    return redactUri(this.conn.endpoint);
  }

  private get canCreate(): boolean {
    return Boolean(this.conn.key);
  }

  async prepareAll(scopes: CollectionScope[]): Promise<void> {
    const missing: string[] = [];
    const mismatched: string[] = [];
    for (const scope of scopes) {
      const name = `${scope.database}.${scope.collection}`;
      let live: ResolvedPartitionKey | undefined;
      try {
        if (this.canCreate) {
          const { database } = await this.client.databases.createIfNotExists({ id: scope.database });
          const c = scope.container;
          const { resource } = await database.containers.createIfNotExists({
            id: scope.collection,
            partitionKey: pkDefinition(scope.partitionKey),
            ...(c?.indexingPolicy ? { indexingPolicy: c.indexingPolicy } : {}),
            ...(c?.uniqueKeys ? { uniqueKeyPolicy: { uniqueKeys: c.uniqueKeys.map((paths) => ({ paths })) } } : {}),
            ...(c?.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}),
          });
          live = livePartitionKey(resource?.partitionKey);
        } else {
          const { resource } = await this.client.database(scope.database).container(scope.collection).read();
          live = livePartitionKey(resource?.partitionKey);
          if (!resource) missing.push(name);
        }
      } catch (err) {
        if (statusOf(err) === 404) {
          missing.push(name);
          continue;
        }
        throw describeCosmosError(err, this.conn.endpoint, `checking container ${name}`);
      }
      if (live && !samePartitionKey(live, scope.partitionKey)) {
        mismatched.push(`${name}: the container is partitioned by ${describePartitionKey(live)}, the layout says ${describePartitionKey(scope.partitionKey)}`);
      }
    }
    if (missing.length > 0) {
      throw new TargetSchemaError(
        `These containers do not exist in ${this.describe()}: ${missing.join(', ')}. ` +
          'With --use-rbac docferry authenticates with a data-plane token, which cannot create databases or containers: ' +
          'provision them first (the pulumi/target program, or `az cosmosdb sql container create`) with the partition keys of the layout. Nothing was written.',
      );
    }
    if (mismatched.length > 0) {
      throw new TargetSchemaError(
        `Partition keys differ from the layout; nothing was written:\n  - ${mismatched.join('\n  - ')}\n` +
          'A container\'s partition key cannot be changed: import into a new container, or pass the layout that matches with --layout.',
      );
    }
  }

  async open(scope: CollectionScope): Promise<CollectionSink> {
    const container = this.client.database(scope.database).container(scope.collection);
    return new CosmosCollectionSink(container, scope, this.conn.endpoint, this.options);
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}

class CosmosCollectionSink implements CollectionSink {
  private readonly counters: Required<SinkStats> = { requestCharge: 0, throttled: 0, requests: 0 };

  constructor(
    private readonly container: Container,
    private readonly scope: CollectionScope,
    private readonly endpoint: string,
    private readonly options: CosmosSinkOptions,
  ) {}

  prepare(input: Doc): SinkItem | string {
    let doc: Doc;
    if (this.options.bsonInput) {
      try {
        doc = toCosmosDocument(input);
      } catch (err) {
        return err instanceof MappingError ? `cannot convert for Cosmos DB at ${err.message}` : String(err);
      }
    } else if (input.id === undefined && input._id !== undefined && input._id !== null) {
      doc = { ...input, id: String(input._id) };
    } else {
      doc = input;
    }
    const idProblem = cosmosIdProblem(doc.id);
    if (idProblem) return doc.id === undefined ? 'document has neither id nor _id' : idProblem;
    const pk = partitionKeyOf(doc, this.scope.partitionKey);
    if (!pk.ok) return pk.reason;
    const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    if (bytes > COSMOS_MAX_DOCUMENT_BYTES) return `document is ${bytes} bytes; Cosmos DB items are limited to 2 MB (${COSMOS_MAX_DOCUMENT_BYTES} bytes)`;
    return { doc, id: doc.id as string, partitionKey: pk.value as PartitionKeyValue | PartitionKeyValue[] };
  }

  async write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(batch.length);
    const operationType = mode === 'upsert' ? 'Upsert' : 'Create';
    let pending = batch.map((_, i) => i);
    const maxRounds = this.options.maxRetryRounds ?? 8;
    for (let round = 0; pending.length > 0; round++) {
      const ops = pending.map(
        (i) => ({ operationType, partitionKey: batch[i]!.partitionKey, resourceBody: batch[i]!.doc }) as OperationInput,
      );
      let retry: number[] = [];
      let serverAskedMs = 0;
      let lastProblem = '';
      try {
        const response = await this.container.items.executeBulkOperations(ops);
        this.counters.requests++;
        response.forEach((r, k) => {
          const i = pending[k]!;
          const code = r.response?.statusCode ?? statusOf(r.error);
          this.counters.requestCharge += r.response?.requestCharge ?? 0;
          if (code !== undefined && code >= 200 && code < 300) results[i] = { status: 'written' };
          else if (code === 409 && mode === 'merge') results[i] = { status: 'skipped' };
          else if (code === 401 || code === 403) throw describeCosmosError(r.error ?? { code }, this.endpoint, `writing to ${this.name}`);
          else if (isRetryableStatus(code)) {
            if (code === 429) this.counters.throttled++;
            serverAskedMs = Math.max(serverAskedMs, r.error?.retryAfterInMs ?? 0);
            lastProblem = `HTTP ${code ?? 'error'}${r.error?.message ? `: ${r.error.message.split('\n')[0]}` : ''}`;
            retry.push(i);
          } else {
            results[i] = { status: 'rejected', reason: `Cosmos DB refused the document (HTTP ${code}): ${(r.error?.message ?? '').split('\n')[0]!.slice(0, 300)}` };
          }
        });
      } catch (err) {
        if (err instanceof AuthenticationError || err instanceof DocferryError) throw err;
        const code = statusOf(err);
        if (code === 401 || code === 403 || !isRetryableStatus(code)) throw describeCosmosError(err, this.endpoint, `writing to ${this.name}`);
        if (code === 429) this.counters.throttled++;
        serverAskedMs = (err as { retryAfterInMs?: number }).retryAfterInMs ?? 0;
        lastProblem = `${(err as Error).message?.split('\n')[0] ?? String(err)}`;
        retry = pending;
      }
      if (retry.length === 0) break;
      if (round + 1 >= maxRounds) {
        throw new DocferryError(
          `Cosmos DB kept failing ${retry.length} writes to ${this.name} after ${maxRounds} rounds of retries (last: ${lastProblem}). ` +
            'Nothing was lost: re-run the import (upsert is idempotent), lower --concurrency, or raise the container\'s RU/s.',
        );
      }
      await sleep(backoffDelay(round, { serverAskedMs }));
      pending = retry;
    }
    return results;
  }

  private get name(): string {
    return `${this.scope.database}.${this.scope.collection}`;
  }

  async finish(): Promise<void> {}
  async abort(): Promise<void> {}

  stats(): SinkStats {
    return { ...this.counters };
  }
}
