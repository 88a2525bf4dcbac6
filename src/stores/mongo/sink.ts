import { BSON } from '../../core/bson.js';
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Filter, type MongoClient } from 'mongodb';
import { backoffDelay, sleep } from '../../core/backoff.js';
import type { Doc } from '../../core/documents.js';
import { DocferryError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import { MappingError, printableId, toMongoDocument } from '../../core/type-mapping.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, TargetDeletes, WriteMode, WriteResult } from '../types.js';
import { MongoDeletes } from './deletes.js';
import {
  RAW_BSON_READ,
  THROTTLED_CODE,
  codeOf,
  createMongoClient,
  describeMongoUri,
  describeMongoError,
  isDocumentLevelError,
  isPoolClearedError,
  isRetryableCode,
  isRetryableMongoError,
  serverAskedMs,
  unwrapMongoError,
  writeErrorsOf,
} from './connection.js';

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

const DUPLICATE_KEY = 11000;
/** Single-document writes in flight while a batch is settled one document at a time. */
const SETTLE_CONCURRENCY = 8;

async function eachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}

/** One holder at a time, in arrival order. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/**
 * FerretDB v1 (SQLite backend) never answers an update command once more than about 100 update
 * statements on existing documents are in flight at once, whether in one command or across
 * concurrent ones. Against FerretDB, replaces go in commands of at most this many statements,
 * one command at a time per run; inserts, and MongoDB itself, are not limited.
 */
const FERRETDB_REPLACE_CHUNK = 50;

interface ServerQuirks {
  replaceChunk?: number;
  replaceLock?: Mutex;
}

/**
 * Writes to MongoDB collections with unordered bulk writes. Collections are created before the
 * first document, so an empty source collection still exists in the target.
 */
export class MongoSink implements SinkStore {
  readonly kind = 'mongodb' as const;
  private readonly client: MongoClient;
  private quirks: ServerQuirks = {};

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
      if (info.ferretdbVersion !== undefined) this.quirks = { replaceChunk: FERRETDB_REPLACE_CHUNK, replaceLock: new Mutex() };
    } catch (err) {
      throw describeMongoError(err, this.uri, 'connecting', this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {});
    }
    for (const database of new Set(scopes.map((s) => s.database))) {
      const db = this.client.db(database);
      try {
        const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
        for (const scope of scopes.filter((s) => s.database === database && !existing.has(s.collection))) {
          await db.createCollection(scope.collection).catch((err: unknown) => {
            if (codeOf(err) !== 48) throw err; // NamespaceExists: created meanwhile, fine
          });
        }
      } catch (err) {
        throw describeMongoError(err, this.uri, `preparing the collections of database ${database}`);
      }
    }
  }

  async open(scope: CollectionScope): Promise<CollectionSink> {
    return new MongoCollectionSink(this.client.db(scope.database).collection<Doc>(scope.collection), scope, this.uri, this.options, this.quirks);
  }

  deletes(): TargetDeletes {
    return new MongoDeletes(this.client, this.uri);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * How a document is sent: `insert` (merge mode, and upsert mode's first try) or `replace`
 * (replaceOne by `_id` with upsert).
 */
type Op = 'insert' | 'replace';

interface Attempt {
  /** Failed with a retryable error: send again after a pause. */
  retry: number[];
  /** The server's answer does not say which documents were written: settle them one by one. */
  unsettled: number[];
  /** Upsert mode: the insert met an existing document, which is replaced next. */
  replace: number[];
  problem?: string;
  waitMs?: number;
  /** The retries failed before they were sent, because another request's failure cleared the pool. */
  notSent?: boolean;
}

/** Pool waits allowed per retry round, before the batch fails all the same. */
const POOL_WAITS_PER_ROUND = 4;

function noAttempt(): Attempt {
  return { retry: [], unsettled: [], replace: [] };
}

/** `_id` as bytes, to find a document again among those a query returns. */
function idKey(id: unknown): string {
  return Buffer.from(BSON.serialize({ _id: id })).toString('hex');
}

class MongoCollectionSink implements CollectionSink {
  private readonly counters = { throttled: 0, requests: 0 };

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
    let doc: Doc;
    try {
      doc = toMongoDocument(input, { json: !this.options.bsonInput, ...(this.options.restoreObjectIds ? { restoreObjectIds: true } : {}) });
    } catch (err) {
      if (err instanceof MappingError) return `cannot convert for MongoDB at ${err.message}`;
      throw err;
    }
    return { doc, id: printableId(doc._id) };
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
    const maxRounds = this.options.maxRetryRounds ?? 8;
    const all = batch.map((_, i) => i);
    const pending: Record<Op, number[]> = mode === 'upsert' && this.replaceFirst ? { insert: [], replace: all } : { insert: all, replace: [] };
    const oneByOne = new Set<Op>();
    let existing = 0;
    let round = 0;
    let poolWaits = 0;
    while (pending.insert.length + pending.replace.length > 0) {
      const groups: [Op, number[]][] = [];
      for (const op of ['insert', 'replace'] as const) {
        const size = oneByOne.has(op) ? 1 : op === 'replace' && this.quirks.replaceChunk ? this.quirks.replaceChunk : pending[op].length;
        for (let k = 0; k < pending[op].length; k += size) groups.push([op, pending[op].slice(k, k + size)]);
      }
      const attempts: [Op, Attempt][] = [];
      await eachLimit(groups, SETTLE_CONCURRENCY, async ([op, group]) => {
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
      }
      pending.insert.sort((a, b) => a - b);
      pending.replace.sort((a, b) => a - b);
      if (retries === 0) continue;
      // With several batches in flight, one batch's network error clears the driver's pool and the
      // others' requests fail unsent: that waits for the pool, within a bound of its own, instead
      // of using up this batch's rounds (a failover would otherwise fail batches that never got a try).
      const reachedServer = attempts.some(([, a]) => a.retry.length > 0 && !a.notSent);
      if (reachedServer) round++;
      else poolWaits++;
      if (round >= maxRounds || poolWaits >= maxRounds * POOL_WAITS_PER_ROUND) {
        const last = attempts.find(([, a]) => a.problem)?.[1].problem ?? 'unknown error';
        const tries = poolWaits > 0 ? `${round} rounds of retries and ${poolWaits} waits for the cleared connection pool` : `${maxRounds} rounds of retries`;
        throw new DocferryError(
          `MongoDB kept failing ${retries} writes to ${this.name} after ${tries} (last: ${last}). ` +
            'Re-run the same command: upsert rewrites the same documents, merge skips those already there.',
        );
      }
      // A pool wait backs off only a little: the driver reopens the pool within about a second.
      const backoff = reachedServer ? round - 1 : Math.min(poolWaits - 1, 2);
      await sleep(backoffDelay(backoff, { serverAskedMs: Math.max(0, ...attempts.map(([, a]) => a.waitMs ?? 0)) }));
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
      if (err instanceof MongoBulkWriteError && (writeErrorsOf(err).length > 0 || err.result?.getWriteConcernError())) {
        return this.partialFailure(err, batch, indices, op, mode, results, maybeOurs);
      }
      return this.wholeFailure(err, indices, results, maybeOurs);
    }
  }

  /** Nothing says which documents were written: the error is about the request as a whole. */
  private wholeFailure(err: unknown, indices: number[], results: WriteResult[], maybeOurs: Set<number>): Attempt {
    const inner = unwrapMongoError(err);
    if (isDocumentLevelError(inner)) {
      if (indices.length > 1) return { ...noAttempt(), unsettled: indices };
      results[indices[0]!] = { status: 'rejected', reason: `the MongoDB driver refused the document: ${(inner as Error).message.split('\n')[0]}` };
      return noAttempt();
    }
    if (isRetryableMongoError(err)) {
      if (codeOf(inner) === THROTTLED_CODE) this.counters.throttled++;
      // The request may have reached the server before the connection broke.
      for (const i of indices) maybeOurs.add(i);
      const message = (inner as Error).message ?? String(inner);
      return { ...noAttempt(), retry: indices, problem: message.split('\n')[0]!, waitMs: serverAskedMs(message), ...(isPoolClearedError(err) ? { notSent: true } : {}) };
    }
    throw describeMongoError(err, this.uri, `writing to ${this.name}`);
  }

  private async partialFailure(
    err: MongoBulkWriteError,
    batch: SinkItem[],
    indices: number[],
    op: Op,
    mode: WriteMode,
    results: WriteResult[],
    maybeOurs: Set<number>,
  ): Promise<Attempt> {
    const writeErrors = writeErrorsOf(err);
    const applied = op === 'replace' ? err.result.matchedCount + err.result.upsertedCount : err.result.insertedCount;
    const reported = new Set(writeErrors.map((w) => w.index));
    const consistent =
      reported.size === writeErrors.length && writeErrors.every((w) => w.index >= 0 && w.index < indices.length) && applied + writeErrors.length === indices.length;
    // FerretDB stops an unordered update at its first failure and reports the wrong index; other
    // servers may do similar things. Counts that do not add up are not trusted.
    if (!consistent && indices.length > 1) {
      for (const i of indices) maybeOurs.add(i);
      return { ...noAttempt(), unsettled: indices };
    }
    const attempt = noAttempt();
    const failedBy = new Map(writeErrors.map((w) => [indices[Math.min(w.index, indices.length - 1)]!, w]));
    // Applied on the primary but not acknowledged as asked: written again (a replace is
    // idempotent; a re-sent insert meets its duplicate key, which is checked against our copy).
    const concern = err.result.getWriteConcernError();
    const duplicates: number[] = [];
    for (const i of indices) {
      const w = failedBy.get(i);
      if (!w) {
        if (concern) {
          maybeOurs.add(i);
          attempt.retry.push(i);
          attempt.problem = `write concern not satisfied: ${concern.errmsg ?? `code ${concern.code}`}`;
        } else {
          results[i] = { status: 'written' };
        }
        continue;
      }
      const code = w.code;
      const message = (w.errmsg ?? '').split('\n')[0]!.slice(0, 300);
      if (code === DUPLICATE_KEY && op === 'insert') {
        if (mode === 'upsert') attempt.replace.push(i);
        else if (maybeOurs.has(i)) duplicates.push(i);
        else results[i] = { status: 'skipped' };
      } else if (isRetryableCode(code)) {
        if (code === THROTTLED_CODE) this.counters.throttled++;
        attempt.retry.push(i);
        attempt.problem = `code ${code}: ${message}`;
        attempt.waitMs = Math.max(attempt.waitMs ?? 0, serverAskedMs(message));
      } else {
        results[i] = { status: 'rejected', reason: `MongoDB refused the document (code ${code}): ${message}` };
      }
    }
    if (duplicates.length > 0) await this.settleDuplicates(batch, duplicates, results, attempt);
    return attempt;
  }

  /**
   * Merge mode, re-sent inserts that met a duplicate key: the earlier attempt whose answer was
   * lost may have written them. A stored document equal to ours, byte for byte as BSON, is
   * counted as written; a different one was there before and is skipped.
   */
  private async settleDuplicates(batch: SinkItem[], indices: number[], results: WriteResult[], attempt: Attempt): Promise<void> {
    let stored: Doc[];
    try {
      stored = await this.collection.find({ _id: { $in: indices.map((i) => batch[i]!.doc._id) } } as never, RAW_BSON_READ).toArray();
    } catch (err) {
      if (!isRetryableMongoError(err)) throw describeMongoError(err, this.uri, `reading back documents of ${this.name}`);
      attempt.retry.push(...indices);
      attempt.problem = (err as Error).message;
      return;
    }
    const byId = new Map(stored.map((d) => [idKey(d._id), d]));
    for (const i of indices) {
      const ours = batch[i]!.doc;
      const theirs = byId.get(idKey(ours._id));
      if (!theirs) {
        attempt.retry.push(i); // deleted meanwhile: insert it again
        continue;
      }
      const same = Buffer.from(BSON.serialize(ours)).equals(Buffer.from(BSON.serialize(theirs)));
      results[i] = { status: same ? 'written' : 'skipped' };
    }
  }

  async finish(): Promise<void> {}
  async abort(): Promise<void> {}

  stats(): SinkStats {
    return { ...this.counters };
  }
}
