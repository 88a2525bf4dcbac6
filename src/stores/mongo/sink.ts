import type { SchemaOutcome, TargetSchema } from '../../core/layout.js';
import { applyMongoSchema, createMongoCollection, type CollectionCreation } from './schema.js';
import type { AnyBulkWriteOperation, Collection, Filter, MongoClient } from 'mongodb';
import { sleep } from '../../core/backoff.js';
import { addRetries, retryTotal, type RetryCounts, type RetryKind } from '../../core/retry-kinds.js';
import { forEachLimit } from '../../core/concurrency.js';
import type { Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, TargetDeletes, WriteMode, WriteResult } from '../types.js';
import { MongoDeletes } from './deletes.js';
import { RAW_BSON_READ, codeOf, createMongoClient, describeMongoUri, describeMongoError, isRetryableMongoError, unwrapMongoError } from './connection.js';
import { quirksOf, type ServerQuirks } from './ferretdb.js';
import { commandGroups, type Op } from './packing.js';
import { prepareForMongo } from './prepare.js';
import { MongoRetryRounds } from './retry.js';
import { bulkFailureOf, classifyPartialFailure, classifyWholeFailure, judgeReadBack, noAttempt, wholeFailureKind, type Attempt } from './write-results.js';

export interface MongoSinkOptions {
  /** Documents carry BSON types (from MongoDB or Extended JSON); otherwise they are plain JSON. */
  bsonInput?: boolean;
  /** Turn 24-hex string `_id`s into ObjectIds. */
  restoreObjectIds?: boolean;
  /** Rounds of re-sending writes that failed with a retryable error. */
  maxRetryRounds?: number;
  /** How long to look for a usable server (default 30 s). */
  connectTimeoutMs?: number;
}

/** Single-document writes in flight while a batch is settled one document at a time. */
const SETTLE_CONCURRENCY = 8;

/**
 * Writes to MongoDB collections with unordered bulk writes. Collections are created before the
 * first document (with the source's validator, collation and capped options where the server takes
 * them), so an empty source collection still exists in the target.
 */
export class MongoSink implements SinkStore {
  readonly kind = 'mongodb' as const;
  private readonly client: MongoClient;
  private quirks: ServerQuirks = {};
  /** The collections this run created, with the recorded options the server refused. */
  private readonly creations = new Map<string, CollectionCreation>();

  constructor(
    private readonly uri: string,
    private readonly options: MongoSinkOptions = {},
  ) {
    this.client = createMongoClient(uri, options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {});
  }

  describe(): string {
    return describeMongoUri(this.uri);
  }

  async prepareAll(scopes: CollectionScope[]): Promise<void> {
    try {
      const info = await this.client.db('admin').command({ buildInfo: 1 });
      this.quirks = quirksOf(info);
    } catch (err) {
      throw describeMongoError(err, this.uri, 'connecting', this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {});
    }
    for (const database of new Set(scopes.map((s) => s.database))) {
      const db = this.client.db(database);
      try {
        const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
        for (const scope of scopes.filter((s) => s.database === database && !existing.has(s.collection))) {
          this.creations.set(`${database}.${scope.collection}`, await createMongoCollection(db, scope.collection, scope.schema?.mongo?.options));
        }
      } catch (err) {
        throw describeMongoError(err, this.uri, `preparing the collections of database ${database}`);
      }
    }
  }

  async open(scope: CollectionScope): Promise<CollectionSink> {
    return new MongoCollectionSink(this.client.db(scope.database).collection<Doc>(scope.collection), scope, this.uri, this.options, this.quirks);
  }

  applySchema(scope: CollectionScope, schema: TargetSchema): Promise<SchemaOutcome> {
    return applyMongoSchema(this.client.db(scope.database), scope.collection, schema, this.creations.get(`${scope.database}.${scope.collection}`));
  }

  deletes(): TargetDeletes {
    return new MongoDeletes(this.client, this.uri);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The parts: prepare.ts (document -> item), packing.ts (the commands of a round), ferretdb.ts
 * (what FerretDB needs), write-results.ts (what became of each document), retry.ts (rounds).
 */
class MongoCollectionSink implements CollectionSink {
  private readonly counters = { throttled: 0, requests: 0 };
  /** Documents sent again after a transient failure other than throttling, by kind. */
  private readonly retries: RetryCounts = {};

  /**
   * Upsert mode tries inserts first and replaces only the documents that turn out to exist: an
   * insert is all a fresh target (the usual migration) needs, and it is much cheaper than an
   * upsert on some servers (FerretDB scans the collection for every update). When most documents
   * of a batch already exist, the next batches go straight to replace, and back again when most
   * of those were new. Either way every document ends as our copy, stored by `_id`.
   */
  private replaceFirst = false;

  constructor(
    private readonly collection: Collection<Doc>,
    private readonly scope: CollectionScope,
    private readonly uri: string,
    private readonly options: MongoSinkOptions,
    private readonly quirks: ServerQuirks = {},
  ) {}

  private get name(): string {
    return `${this.scope.database}.${this.scope.collection}`;
  }

  prepare(input: Doc): SinkItem | string {
    return prepareForMongo(input, this.options);
  }

  /**
   * One unordered bulk write per batch. Only a batch the server answers unclearly (a partial
   * failure whose counts do not add up, or an error about one document raised before sending)
   * is settled one document at a time, so every document ends with its own outcome.
   */
  async write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(batch.length);
    // Documents an earlier attempt may have written although its answer was lost.
    const maybeOurs = new Set<number>();
    const rounds = new MongoRetryRounds(this.name, this.options.maxRetryRounds ?? 8);
    const all = batch.map((_, i) => i);
    const pending: Record<Op, number[]> = mode === 'upsert' && this.replaceFirst ? { insert: [], replace: all } : { insert: all, replace: [] };
    const oneByOne = new Set<Op>();
    let existing = 0;
    while (pending.insert.length + pending.replace.length > 0) {
      const attempts: [Op, Attempt][] = [];
      await forEachLimit(commandGroups(pending, oneByOne, this.quirks.replaceChunk), SETTLE_CONCURRENCY, async ([op, group]) => {
        attempts.push([op, await this.attempt(batch, group, op, mode, results, maybeOurs)]);
      });
      pending.insert = [];
      pending.replace = [];
      let retries = 0;
      for (const [op, a] of attempts) {
        if (a.unsettled.length > 0) oneByOne.add(op);
        pending[op].push(...a.unsettled, ...a.retry);
        pending.replace.push(...a.replace);
        existing += a.replace.length;
        retries += a.retry.length;
        this.counters.throttled += a.throttled ?? 0;
      }
      pending.insert.sort((a, b) => a - b);
      pending.replace.sort((a, b) => a - b);
      if (retries > 0) {
        const waitMs = rounds.waitBeforeRetry(attempts.map(([, a]) => a));
        for (const [, a] of attempts) for (const [kind, n] of Object.entries(a.retryKinds ?? {})) addRetries(this.retries, kind as RetryKind, n);
        await sleep(waitMs);
      }
    }
    if (mode === 'upsert' && !this.replaceFirst) this.replaceFirst = existing * 2 > batch.length;
    return results;
  }

  private operations(batch: SinkItem[], indices: number[], op: Op): AnyBulkWriteOperation<Doc>[] {
    return indices.map((i) => {
      const doc = batch[i]!.doc;
      return op === 'replace' ? { replaceOne: { filter: { _id: doc._id } as Filter<Doc>, replacement: doc, upsert: true } } : { insertOne: { document: doc } };
    });
  }

  /** One bulk-write command, and what it left to do. */
  private async attempt(batch: SinkItem[], indices: number[], op: Op, mode: WriteMode, results: WriteResult[], maybeOurs: Set<number>): Promise<Attempt> {
    this.counters.requests++;
    try {
      const send = () => this.collection.bulkWrite(this.operations(batch, indices, op), { ordered: false });
      const result = op === 'replace' && this.quirks.replaceLock ? await this.quirks.replaceLock.run(send) : await send();
      for (const i of indices) results[i] = { status: 'written' };
      // Mostly new documents after all: inserts are the cheaper way for the next batches.
      if (op === 'replace' && result.upsertedCount * 2 > indices.length) this.replaceFirst = false;
      return noAttempt();
    } catch (err) {
      const partial = bulkFailureOf(err, op);
      if (partial) {
        const { attempt, duplicates } = classifyPartialFailure(partial, indices, op, mode, results, maybeOurs);
        if (duplicates.length > 0) await this.settleDuplicates(batch, duplicates, results, attempt);
        return attempt;
      }
      const whole = classifyWholeFailure(err, indices, results, maybeOurs);
      if (whole === 'fatal') throw describeMongoError(err, this.uri, `writing to ${this.name}`);
      return whole;
    }
  }

  /** Merge mode, re-sent inserts that met a duplicate key: read back and judged (write-results.ts). */
  private async settleDuplicates(batch: SinkItem[], indices: number[], results: WriteResult[], attempt: Attempt): Promise<void> {
    let stored: Doc[];
    try {
      stored = await this.collection.find({ _id: { $in: indices.map((i) => batch[i]!.doc._id) } } as never, RAW_BSON_READ).toArray();
    } catch (err) {
      if (!isRetryableMongoError(err)) throw describeMongoError(err, this.uri, `reading back documents of ${this.name}`);
      attempt.retry.push(...indices);
      addRetries((attempt.retryKinds ??= {}), wholeFailureKind(err, unwrapMongoError(err)), indices.length);
      attempt.problem = (err as Error).message;
      return;
    }
    judgeReadBack((i) => batch[i]!.doc, indices, stored, results, attempt);
  }

  async finish(): Promise<void> {}
  async abort(): Promise<void> {}

  stats(): SinkStats {
    return { ...this.counters, ...(retryTotal(this.retries) > 0 ? { retries: { ...this.retries } } : {}) };
  }
}
