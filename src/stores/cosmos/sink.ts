import type { Container, CosmosClient, OperationInput, OperationResponse, PartitionKeyDefinition, RequestOptions } from '@azure/cosmos';
import { backoffDelay, sleep } from '../../core/backoff.js';
import {
  COSMOS_MAX_DOCUMENT_BYTES,
  COSMOS_SYSTEM_PROPERTIES,
  cosmosIdProblem,
  partitionKeyOf,
  stripSystemProperties,
  type Doc,
  type PartitionKeyValue,
} from '../../core/documents.js';
import { DocferryError, TargetSchemaError } from '../../core/errors.js';
import { describePartitionKey, samePartitionKey, type CollectionScope, type ResolvedPartitionKey } from '../../core/layout.js';
import { redactUri } from '../../core/secrets.js';
import type { Permit, RuController } from '../../core/ru-controller.js';
import { MappingError, hasEdgeNumbers, idToString, jsonEdgeProblem, toCosmosDocument } from '../../core/type-mapping.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, WriteMode, WriteResult } from '../types.js';
import { ThrottleObserver, createCosmosClient, describeCosmosError, type CosmosConnection, type CosmosErrorContext } from './connection.js';
import { isRetryableStatus, statusOf } from './status.js';
import { RuBudgets, requestOptionsFor, type CosmosRuOptions } from './ru-budget.js';

export interface CosmosSinkOptions {
  /** Documents may hold BSON values (from MongoDB or Extended JSON) that need the type mapping. */
  bsonInput?: boolean;
  /** Rounds of re-sending operations that failed with a transient error (timeouts, 503, 410...). */
  maxRetryRounds?: number;
  /** RU budget and request priority. */
  ru?: CosmosRuOptions;
  /**
   * Top-level `_rid _self _etag _attachments _ts` in a document, which Cosmos DB sets itself on every
   * write. `drop`: they are Cosmos DB's own metadata (the documents came from Cosmos DB), so they
   * are left out. `reject`: they are the application's fields (the documents came from MongoDB),
   * whose values Cosmos DB would overwrite, so the document is rejected. Default: `reject` for
   * BSON input, else `drop`.
   */
  systemProperties?: 'drop' | 'reject';
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
  private readonly budgets: RuBudgets;
  private readonly throttles = new ThrottleObserver();

  constructor(
    private readonly conn: CosmosConnection,
    private readonly options: CosmosSinkOptions = {},
  ) {
    this.client = createCosmosClient(conn, this.throttles);
    this.budgets = new RuBudgets(this.client, conn.endpoint, options.ru);
  }

  describe(): string {
    return redactUri(this.conn.endpoint);
  }

  private get canCreate(): boolean {
    return Boolean(this.conn.key);
  }

  /** For error advice: a sink writes, signed with a key or an Entra ID token. */
  private get errorContext(): CosmosErrorContext {
    return { auth: this.conn.key ? 'key' : 'rbac', access: 'write' };
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
        throw describeCosmosError(err, this.conn.endpoint, `checking container ${name}`, this.errorContext);
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
    await this.budgets.prepare(scopes);
  }

  async open(scope: CollectionScope): Promise<CollectionSink> {
    const container = this.client.database(scope.database).container(scope.collection);
    return new CosmosCollectionSink(container, scope, this.conn.endpoint, this.options, await this.budgets.controllerFor(scope), this.throttles, this.errorContext);
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}

/** The SDK's bulk call sends at most 100 operations per partition range in one request. */
const MAX_OPS_PER_REQUEST = 100;
/** Below the SDK's 220,201-byte split point, so one call is one HTTP request per partition range. */
const MAX_REQUEST_BYTES = 200 * 1024;
/** Rounds of re-sending throttled operations; each waits for the RU controller, so this is minutes. */
const MAX_THROTTLE_ROUNDS = 60;

interface CosmosItem extends SinkItem {
  /** Serialized size, measured once in prepare: the RU estimate and request packing use it. */
  bytes?: number;
}

/** Per-operation fields the service sends that the SDK's OperationResponse type leaves out. */
type BulkOperationResult = OperationResponse & { subStatusCode?: number; retryAfterMilliseconds?: number; message?: string };

/** The HTTP status behind a failed bulk call: the SDK wraps it in a plain Error, its diagnostics keep it. */
function failedBulkStatus(err: unknown): { status?: number; charge: number } {
  const direct = statusOf(err);
  const stats = (err as { diagnostics?: { clientSideRequestStatistics?: { gatewayStatistics?: { statusCode?: number; requestCharge?: number }[] } } })
    .diagnostics?.clientSideRequestStatistics?.gatewayStatistics ?? [];
  const charge = stats.reduce((sum, g) => sum + (g.requestCharge ?? 0), 0);
  const last = [...stats].reverse().find((g) => typeof g.statusCode === 'number' && g.statusCode >= 400);
  const status = direct ?? last?.statusCode;
  return { ...(status !== undefined ? { status } : {}), charge };
}

interface GroupOutcome {
  throttled: number[];
  failed: number[];
  problem?: string;
  serverAskedMs?: number;
}

/**
 * Writes one collection with the SDK's bulk request (non-atomic batch per partition range), in
 * requests of at most 100 operations that an RU controller admits: it keeps the consumption at
 * the budget and the 429s few, raising the number of requests in flight while there is room.
 * `executeBulkOperations` is not used: it waits a fixed 1 s before flushing a partial batch, so
 * every call took at least a second, however few documents it carried (docs/BENCHMARKS.md).
 */
class CosmosCollectionSink implements CollectionSink {
  private readonly counters = { requestCharge: 0, throttled: 0, requests: 0 };
  private readonly requestOptions: RequestOptions;

  constructor(
    private readonly container: Container,
    private readonly scope: CollectionScope,
    private readonly endpoint: string,
    private readonly options: CosmosSinkOptions,
    private readonly controller: RuController,
    private readonly throttles: ThrottleObserver,
    private readonly errorContext: CosmosErrorContext = {},
  ) {
    // Prefer: return=minimal: the service does not send every written document back.
    this.requestOptions = { ...requestOptionsFor(options.ru ?? {}), contentResponseOnWriteEnabled: false };
  }

  prepare(input: Doc): SinkItem | string {
    let doc: Doc;
    try {
      doc = this.options.bsonInput
        ? toCosmosDocument(input)
        : input.id === undefined && input._id !== undefined
          ? // The documented _id -> id rules (an embedded document is its JSON text, not "[object Object]").
            { ...input, id: idToString(input._id) }
          : input;
      // A json/plain line with an integer beyond 2^53 or a -0 (src/core/codec.ts): no exact JSON double.
      if (!this.options.bsonInput && hasEdgeNumbers(input)) {
        const problem = jsonEdgeProblem(input);
        if (problem) throw problem;
      }
    } catch (err) {
      return err instanceof MappingError ? `cannot convert for Cosmos DB at ${err.message}` : String(err);
    }
    const idProblem = cosmosIdProblem(doc.id);
    if (idProblem) return doc.id === undefined ? 'document has neither id nor _id' : idProblem;
    const system = COSMOS_SYSTEM_PROPERTIES.find((k) => Object.hasOwn(doc, k));
    if (system !== undefined) {
      if ((this.options.systemProperties ?? (this.options.bsonInput ? 'reject' : 'drop')) === 'reject') {
        const value = JSON.stringify(doc[system]) ?? String(doc[system]);
        return (
          `field "${system}" is a Cosmos DB system property (${COSMOS_SYSTEM_PROPERTIES.join(' ')}): Cosmos DB sets it on every write, ` +
          `so this document's value (${value.length > 40 ? `${value.slice(0, 37)}...` : value}) would be lost. Rename the field, in the source or in this rejects entry, and import the document again.`
        );
      }
      doc = stripSystemProperties(doc);
    }
    const pk = partitionKeyOf(doc, this.scope.partitionKey);
    if (!pk.ok) return pk.reason;
    const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    if (bytes > COSMOS_MAX_DOCUMENT_BYTES) return `document is ${bytes} bytes; Cosmos DB items are limited to 2 MB (${COSMOS_MAX_DOCUMENT_BYTES} bytes)`;
    const item: CosmosItem = { doc, id: doc.id as string, partitionKey: pk.value as PartitionKeyValue | PartitionKeyValue[], bytes };
    return item;
  }

  async write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(batch.length);
    let pending = batch.map((_, i) => i);
    const maxErrorRounds = this.options.maxRetryRounds ?? 8;
    let errorRounds = 0;
    let throttleRounds = 0;
    while (pending.length > 0) {
      const outcomes = await this.sendAll(batch, pending, mode, results);
      const throttled = outcomes.flatMap((o) => o.throttled);
      const failed = outcomes.flatMap((o) => o.failed);
      if (throttled.length + failed.length === 0) break;
      if (failed.length > 0) {
        const last = outcomes.find((o) => o.problem)?.problem ?? 'unknown error';
        if (++errorRounds >= maxErrorRounds) {
          throw new DocferryError(
            `Cosmos DB kept failing ${failed.length} writes to ${this.name} after ${maxErrorRounds} rounds of retries (last: ${last}). ` +
              'Nothing was lost: re-run the import (upsert is idempotent), lower --concurrency, or raise the container\'s RU/s.',
          );
        }
        const serverAskedMs = Math.max(0, ...outcomes.map((o) => o.serverAskedMs ?? 0));
        await sleep(backoffDelay(errorRounds - 1, { serverAskedMs }));
      } else if (++throttleRounds >= MAX_THROTTLE_ROUNDS) {
        // The controller already waited before every round; this is a container that never has room.
        throw new DocferryError(
          `Cosmos DB throttled ${throttled.length} writes to ${this.name} in ${MAX_THROTTLE_ROUNDS} rounds in a row (HTTP 429). ` +
            'Nothing was lost: raise the container\'s RU/s (docferry throughput raise), or run when the application is quieter, then re-run the import.',
        );
      }
      pending = [...throttled, ...failed].sort((a, b) => a - b);
    }
    return results;
  }

  /**
   * Sends the operations as requests of at most 100 operations and about 200 KB, each built
   * when the controller admits it, at the size its current rate can pace: a request bigger than
   * the container's whole second (100 large documents into a 400 RU/s container) could only
   * overdraw and be throttled.
   */
  private async sendAll(batch: SinkItem[], indexes: number[], mode: WriteMode, results: WriteResult[]): Promise<GroupOutcome[]> {
    let cursor = 0;
    const take = (maxRu: number) => {
      if (cursor >= indexes.length) return undefined;
      const maxBytes = Math.min(MAX_REQUEST_BYTES, maxRu / Math.max(this.controller.estimate(1), Number.MIN_VALUE));
      const group: number[] = [];
      let bytes = 0;
      while (cursor < indexes.length) {
        const size = (batch[indexes[cursor]!] as CosmosItem).bytes ?? 1024;
        if (group.length > 0 && (group.length >= MAX_OPS_PER_REQUEST || bytes + size > maxBytes)) break;
        group.push(indexes[cursor++]!);
        bytes += size;
      }
      return { estimate: this.controller.estimate(bytes), bytes, value: group };
    };
    const outcomes: GroupOutcome[] = [];
    const senders = Math.ceil(indexes.length / MAX_OPS_PER_REQUEST);
    await Promise.all(
      Array.from({ length: senders }, async () => {
        for (;;) {
          const granted = await this.controller.acquireFor(take);
          if (!granted) return;
          outcomes.push(await this.send(batch, granted.value, granted.permit, mode, results));
        }
      }),
    );
    return outcomes;
  }

  private async send(batch: SinkItem[], group: number[], permit: Permit, mode: WriteMode, results: WriteResult[]): Promise<GroupOutcome> {
    const operationType = mode === 'upsert' ? 'Upsert' : 'Create';
    const ops = group.map((i) => ({ operationType, partitionKey: batch[i]!.partitionKey, resourceBody: batch[i]!.doc }) as OperationInput);
    const outcome: GroupOutcome = { throttled: [], failed: [] };
    let charge = 0;
    let retryAfterMs: number | undefined;
    try {
      let response: BulkOperationResult[];
      try {
        response = await this.container.items.bulk(ops, { continueOnError: true }, this.requestOptions);
      } catch (err) {
        const { status, charge: spent } = failedBulkStatus(err);
        charge += spent;
        if (status === 401 || status === 403) throw describeCosmosError({ ...(err as object), code: status, message: (err as Error).message }, this.endpoint, `writing to ${this.name}`, this.errorContext);
        if (!isRetryableStatus(status)) throw describeCosmosError(Object.assign(err as object, { code: status }), this.endpoint, `writing to ${this.name}`, this.errorContext);
        if (status === 429) {
          this.counters.throttled += group.length;
          outcome.throttled = group;
          retryAfterMs = this.throttles.recentRetryAfterMs();
        } else {
          outcome.failed = group;
          outcome.problem = `HTTP ${status ?? 'error'}: ${((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 300)}`;
        }
        return outcome;
      } finally {
        this.counters.requests++;
      }
      for (let k = 0; k < group.length; k++) {
        const i = group[k]!;
        const r = response[k];
        const code = r?.statusCode;
        charge += r?.requestCharge ?? 0;
        if (code !== undefined && code >= 200 && code < 300) results[i] = { status: 'written' };
        else if (code === 409 && mode === 'merge') results[i] = { status: 'skipped' };
        else if (code === 401 || code === 403) throw describeCosmosError({ code, substatus: r?.subStatusCode, message: r?.message ?? '' }, this.endpoint, `writing to ${this.name}`, this.errorContext);
        else if (code === 429) {
          this.counters.throttled++;
          retryAfterMs = Math.max(retryAfterMs ?? 0, r?.retryAfterMilliseconds ?? 0);
          outcome.throttled.push(i);
        } else if (isRetryableStatus(code)) {
          outcome.failed.push(i);
          outcome.problem = `HTTP ${code ?? 'error'}${r?.subStatusCode ? `.${r.subStatusCode}` : ''}`;
        } else {
          const detail = r?.message ?? (r?.resourceBody as { message?: string } | undefined)?.message ?? '';
          results[i] = { status: 'rejected', reason: `Cosmos DB refused the document (HTTP ${code}${r?.subStatusCode ? `.${r.subStatusCode}` : ''})${detail ? `: ${String(detail).split('\n')[0]!.slice(0, 300)}` : ''}` };
        }
      }
      if (outcome.throttled.length > 0 && retryAfterMs) outcome.serverAskedMs = retryAfterMs;
      return outcome;
    } finally {
      this.counters.requestCharge += charge;
      this.controller.complete(permit, {
        charge,
        throttled: outcome.throttled.length > 0,
        ...(retryAfterMs !== undefined && retryAfterMs > 0 ? { retryAfterMs } : {}),
      });
    }
  }

  private get name(): string {
    return `${this.scope.database}.${this.scope.collection}`;
  }

  async finish(): Promise<void> {}
  async abort(): Promise<void> {}

  stats(): SinkStats {
    const ru = this.controller.snapshot();
    return { ...this.counters, ruPerSecond: Math.round(ru.ruPerSecond), ...(ru.budget !== undefined ? { ruBudget: ru.budget } : {}) };
  }
}
