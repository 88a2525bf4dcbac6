import type { SchemaOutcome, TargetSchema } from '../../core/layout.js';
import { checkCosmosSchema } from './schema.js';
import type { Container, ContainerDefinition, CosmosClient, OperationInput, PartitionKeyDefinition, RequestOptions } from '@azure/cosmos';
import { sleep } from '../../core/backoff.js';
import { addRetries, retryTotal, type RetryCounts, type RetryKind } from '../../core/retry-kinds.js';
import type { Doc } from '../../core/documents.js';
import { TargetSchemaError } from '../../core/errors.js';
import { describePartitionKey, samePartitionKey, type CollectionScope, type ResolvedPartitionKey } from '../../core/layout.js';
import { redactUri } from '../../core/secrets.js';
import type { Permit, RuController } from '../../core/ru-controller.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, TargetDeletes, WriteMode, WriteResult } from '../types.js';
import { CosmosDeletes } from './deletes.js';
import { ThrottleObserver, createCosmosClient, describeCosmosError, type CosmosConnection, type CosmosErrorContext } from './connection.js';
import { statusOf } from './status.js';
import { classifyOperations, classifyRequestFailure, type BulkOperationResult, type GroupOutcome } from './bulk-results.js';
import { RequestPacker } from './packing.js';
import { prepareForCosmos, type CosmosItem } from './prepare.js';
import { CosmosRetryRounds } from './retry.js';
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

  applySchema(scope: CollectionScope, schema: TargetSchema): Promise<SchemaOutcome> {
    return checkCosmosSchema(this.client.database(scope.database).container(scope.collection), `${scope.database}.${scope.collection}`, schema);
  }

  async prepareAll(scopes: CollectionScope[]): Promise<void> {
    const missing: string[] = [];
    const mismatched: string[] = [];
    for (const scope of scopes) {
      const name = `${scope.database}.${scope.collection}`;
      let live: ResolvedPartitionKey | undefined;
      try {
        if (this.canCreate) {
          const { database } = await againOnConflict(() => this.client.databases.createIfNotExists({ id: scope.database }));
          // The layout's properties, else the carried (or translated) ones; without a schema (--no-indexes) the layout's alone.
          const c = scope.schema?.cosmos ?? scope.container;
          const { resource } = await againOnConflict(() =>
            database.containers.createIfNotExists({
              id: scope.collection,
              partitionKey: pkDefinition(scope.partitionKey),
              ...(c?.indexingPolicy ? { indexingPolicy: c.indexingPolicy as ContainerDefinition['indexingPolicy'] } : {}),
              ...(c?.uniqueKeys ? { uniqueKeyPolicy: { uniqueKeys: c.uniqueKeys.map((paths) => ({ paths })) } } : {}),
              ...(c?.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}),
            }),
          );
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

  deletes(): TargetDeletes {
    return new CosmosDeletes(this.client, this.conn.endpoint, this.errorContext);
  }

  async close(): Promise<void> {
    this.budgets.close();
    this.client.dispose();
  }
}

/**
 * Writes one collection with the SDK's bulk request (non-atomic batch per partition range), in
 * requests of at most 100 operations that an RU controller admits: it keeps the consumption at
 * the budget and the 429s few, raising the number of requests in flight while there is room.
 * `executeBulkOperations` is not used: it waits a fixed 1 s before flushing a partial batch, so
 * every call took at least a second, however few documents it carried (docs/BENCHMARKS.md).
 * The parts: prepare.ts (document -> item), packing.ts (requests within the limits),
 * bulk-results.ts (what became of each operation), retry.ts (rounds of sending again).
 */
class CosmosCollectionSink implements CollectionSink {
  private readonly counters = { requestCharge: 0, throttled: 0, requests: 0 };
  /** Operations sent again after a transient failure other than 429, by kind. */
  private readonly retries: RetryCounts = {};
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
    return prepareForCosmos(input, this.scope.partitionKey, this.options);
  }

  async write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(batch.length);
    const rounds = new CosmosRetryRounds(this.name, this.options.maxRetryRounds ?? 8);
    let pending = batch.map((_, i) => i);
    for (;;) {
      const outcomes = await this.sendAll(batch, pending, mode, results);
      const again = rounds.next(outcomes);
      if (!again) return results;
      for (const o of outcomes) for (const [kind, n] of Object.entries(o.failedKinds ?? {})) addRetries(this.retries, kind as RetryKind, n);
      if (again.waitMs > 0) await sleep(again.waitMs);
      pending = again.pending;
    }
  }

  /**
   * Sends the operations as requests of at most 100 operations and about 200 KB, each built
   * when the controller admits it, at the size its current rate can pace: a request bigger than
   * the container's whole second (100 large documents into a 400 RU/s container) could only
   * overdraw and be throttled.
   */
  private async sendAll(batch: SinkItem[], indexes: number[], mode: WriteMode, results: WriteResult[]): Promise<GroupOutcome[]> {
    const packer = new RequestPacker(indexes, (i) => (batch[i] as CosmosItem).bytes);
    const take = (maxRu: number) => {
      const packed = packer.next(maxRu / Math.max(this.controller.estimate(1), Number.MIN_VALUE));
      return packed && { estimate: this.controller.estimate(packed.bytes), bytes: packed.bytes, value: packed.group };
    };
    const outcomes: GroupOutcome[] = [];
    await Promise.all(
      Array.from({ length: packer.senders }, async () => {
        for (;;) {
          const granted = await this.controller.acquireFor(take);
          if (!granted) return;
          outcomes.push(await this.send(batch, granted.value, granted.permit, mode, results));
        }
      }),
    );
    return outcomes;
  }

  /** One bulk request; the controller hears its charge, whether it was throttled and the retry-after. */
  private async send(batch: SinkItem[], group: number[], permit: Permit, mode: WriteMode, results: WriteResult[]): Promise<GroupOutcome> {
    const operationType = mode === 'upsert' ? 'Upsert' : 'Create';
    const ops = group.map((i) => ({ operationType, partitionKey: batch[i]!.partitionKey, resourceBody: batch[i]!.doc }) as OperationInput);
    let outcome: GroupOutcome = { throttled: [], failed: [] };
    let charge = 0;
    let retryAfterMs: number | undefined;
    try {
      let response: BulkOperationResult[];
      try {
        response = await this.container.items.bulk(ops, { continueOnError: true }, this.requestOptions);
      } catch (err) {
        const failed = classifyRequestFailure(err);
        charge += failed.charge;
        const f = failed.failure;
        if (f.kind === 'denied') throw describeCosmosError({ ...(err as object), code: f.status, message: (err as Error).message }, this.endpoint, `writing to ${this.name}`, this.errorContext);
        if (f.kind === 'fatal') throw describeCosmosError(Object.assign(err as object, { code: f.status }), this.endpoint, `writing to ${this.name}`, this.errorContext);
        if (f.kind === 'throttled') {
          this.counters.throttled += group.length;
          outcome.throttled = group;
          retryAfterMs = this.throttles.recentRetryAfterMs();
        } else {
          outcome.failed = group;
          outcome.problem = f.problem;
          outcome.failedKinds = { [f.retryKind]: group.length };
        }
        return outcome;
      } finally {
        this.counters.requests++;
      }
      const sorted = classifyOperations(group, response, mode, results);
      charge += sorted.charge;
      this.counters.throttled += sorted.throttled.length;
      retryAfterMs = sorted.retryAfterMs;
      outcome = sorted;
      if (sorted.denied) throw describeCosmosError(sorted.denied, this.endpoint, `writing to ${this.name}`, this.errorContext);
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
    return { ...this.counters, ...(retryTotal(this.retries) > 0 ? { retries: { ...this.retries } } : {}), ruPerSecond: Math.round(ru.ruPerSecond), concurrency: ru.concurrency, ...(ru.budget !== undefined ? { ruBudget: ru.budget } : {}) };
  }
}

/**
 * createIfNotExists reads, then creates: two shards (or two runs) preparing the same new database
 * or container at once can both read 404, and the later create gets 409. It exists now: the
 * second try reads it.
 */
async function againOnConflict<T>(create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    return create();
  }
}
