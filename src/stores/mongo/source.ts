import type { CollectionSchema } from '../../core/layout.js';
import { readMongoSchema } from './schema.js';
import type { AbstractCursor, Document, Filter, MongoClient } from 'mongodb';
import { backoffDelay, sleep } from '../../core/backoff.js';
import type { Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import { bsonTypeOf, printableId } from '../../core/type-mapping.js';
import type { ListedCollection, ShardPlanPart, SourceItem, SourceStore } from '../types.js';
import { UsageError } from '../../core/errors.js';
import { describeFilters } from '../../core/filter.js';
import { andAfter, mongoFilter } from './filter.js';
import { BSON } from '../../core/bson.js';
import type { ReadOptions } from '../types.js';
import { headOf } from './bson-head.js';
import { TYPE_BRACKETS, bracketOf } from './id-order.js';
import type { Shard } from '../../core/shard.js';
import { boundaryPositions } from '../../core/shard.js';
import { boundariesOf, idRangeFilter, isIdRangePlan, planOf } from './id-ranges.js';
import { RAW_BSON_READ, createMongoClient, describeMongoError, describeMongoUri, isRetryableMongoError } from './connection.js';

export interface MongoSourceOptions {
  /** Documents per cursor batch (default: about 4 MB of the collection's average document, 50 to 1,000). */
  batchSize?: number;
  /** Consecutive failed attempts to resume a broken cursor before the collection fails. */
  maxResumes?: number;
  /** How long to look for a usable server (default 30 s). */
  connectTimeoutMs?: number;
}

const CURSOR_BATCH_BYTES = 4 * 1024 * 1024;
const MIN_CURSOR_BATCH = 50;
const MAX_CURSOR_BATCH = 1000;

/** Documents that sort after `id` in `_id` order, whatever their `_id` type. */
export function afterIdFilter(id: unknown): Filter<Document> | undefined {
  const bracket = bracketOf(id);
  if (bracket === undefined) return undefined;
  const seen = TYPE_BRACKETS.slice(0, bracket + 1).flat();
  return { $or: [{ _id: { $gt: id } }, { _id: { $not: { $type: seen } } }] } as Filter<Document>;
}

/** The filter of a scope ({} for none); one that is not a MongoDB filter is a usage error. */
function filterOf(scope: CollectionScope): Document {
  const f = mongoFilter(`${scope.database}.${scope.collection}`, scope.filters);
  if (typeof f === 'string') throw new UsageError(f);
  return f;
}

/**
 * A cursor's documents, with the next batch requested as soon as this one is taken from the
 * driver: the server prepares batch N+1 while docferry encodes and writes batch N, instead of
 * each waiting for the other (the driver only asks for more once its buffer is empty).
 */
async function* readAhead<T>(cursor: AbstractCursor<T>): AsyncGenerator<T> {
  let pending = cursor.hasNext();
  try {
    while (await pending) {
      const docs = cursor.readBufferedDocuments();
      pending = cursor.hasNext();
      // Awaited on the next turn; until then a failure must not count as unhandled.
      pending.catch(() => {});
      for (const doc of docs) yield doc;
    }
  } finally {
    await pending.catch(() => {});
  }
}

/**
 * Reads a collection with one cursor in `_id` order, a batch at a time, with every BSON type
 * kept. A cursor that breaks on a retryable error (network, failover, an expired cursor) is
 * reopened after the last `_id` read, so nothing is read twice or skipped.
 */
export class MongoSource implements SourceStore {
  readonly kind = 'mongodb' as const;
  private readonly client: MongoClient;
  private connecting?: Promise<void>;

  constructor(
    private readonly uri: string,
    private readonly options: MongoSourceOptions = {},
  ) {
    this.client = createMongoClient(uri, this.connectSettings);
  }

  private get connectSettings() {
    return this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {};
  }

  /**
   * One connection attempt for the whole run: the driver closes its topology when the first
   * one fails, and every later call would then say only "Topology is closed".
   */
  private connect(): Promise<void> {
    this.connecting ??= this.client.connect().then(
      () => {},
      (err: unknown) => {
        throw describeMongoError(err, this.uri, 'connecting', this.connectSettings);
      },
    );
    return this.connecting;
  }

  describe(): string {
    return describeMongoUri(this.uri);
  }

  schema(scope: CollectionScope): Promise<CollectionSchema | undefined> {
    return readMongoSchema(this.client.db(scope.database), scope.collection);
  }

  private collection(scope: CollectionScope) {
    return this.client.db(scope.database).collection<Doc>(scope.collection);
  }

  async count(scope: CollectionScope): Promise<number | undefined> {
    // $collStats reads the count from metadata on MongoDB and FerretDB alike; FerretDB answers
    // estimatedDocumentCount with a full scan (4.4 s for 5,000 summaries against 85 ms).
    try {
      await this.connect();
    } catch {
      return undefined; // read says why
    }
    if (scope.filters && scope.filters.length > 0) {
      // A filtered count reads the index or the collection: still cheaper than an ETA of nothing.
      try {
        return await this.collection(scope).countDocuments(filterOf(scope));
      } catch {
        return undefined;
      }
    }
    try {
      // One document per shard on a sharded cluster.
      const stats = await this.collection(scope).aggregate<{ count?: unknown }>([{ $collStats: { count: {} } }]).toArray();
      if (stats.length > 0 && stats.every((s) => typeof s.count === 'number')) return stats.reduce((sum, s) => sum + (s.count as number), 0);
    } catch {
      // older servers, or a role without collStats: fall back
    }
    try {
      return await this.collection(scope).estimatedDocumentCount();
    } catch {
      return undefined;
    }
  }

  /**
   * MongoDB reads a collection that does not exist as empty, so a mistyped name or the wrong
   * server would export nothing without a word: the engine asks first. Undefined when the
   * server will not say (a role without listCollections).
   */
  async exists(scope: CollectionScope): Promise<{ collection: boolean; database: boolean } | undefined> {
    try {
      await this.connect();
      const db = this.client.db(scope.database);
      const found = await db.listCollections({ name: scope.collection }, { nameOnly: true, authorizedCollections: true }).toArray();
      if (found.length > 0) return { collection: true, database: true };
      const any = db.listCollections({}, { nameOnly: true, authorizedCollections: true, batchSize: 1 });
      try {
        return { collection: false, database: (await any.next()) !== null };
      } finally {
        await any.close().catch(() => {});
      }
    } catch {
      return undefined;
    }
  }

  /**
   * Runs the scope's filter once (for at most one document), so that one the server refuses (an
   * unknown operator, a wrong operand) fails the run before anything is written, naming its origin.
   */
  async checkFilter(scope: CollectionScope): Promise<void> {
    if (!scope.filters || scope.filters.length === 0) return;
    const filter = filterOf(scope);
    try {
      await this.connect();
    } catch (err) {
      throw describeMongoError(err, this.uri, 'connecting', this.connectSettings);
    }
    try {
      await this.collection(scope).find(filter, { limit: 1, projection: { _id: 1 } }).toArray();
    } catch (err) {
      if (isRetryableMongoError(err)) throw describeMongoError(err, this.uri, `checking the filter of ${scope.database}.${scope.collection}`);
      throw new UsageError(`The MongoDB server refuses the filter of ${scope.database}.${scope.collection}: ${describeFilters(scope.filters)}: ${(err as Error).message}. Nothing was written. Fix the filter (a query document in Extended JSON, as mongoexport --query takes).`);
    }
  }

  async list(): Promise<ListedCollection[]> {
    try {
      await this.connect();
    } catch (err) {
      throw describeMongoError(err, this.uri, 'connecting', this.connectSettings);
    }
    try {
      const { databases } = await this.client.db('admin').admin().listDatabases({ nameOnly: true, authorizedDatabases: true });
      const found: ListedCollection[] = [];
      for (const { name } of databases) {
        // Views hold no documents of their own: moving one would copy another collection's.
        const collections = await this.client.db(name).listCollections({}, { nameOnly: true, authorizedCollections: true }).toArray();
        for (const c of collections) if (c.type !== 'view') found.push({ database: name, collection: c.name });
      }
      return found;
    } catch (err) {
      throw describeMongoError(err, this.uri, 'listing databases and collections', this.connectSettings);
    }
  }

  /**
   * Documents per cursor batch: about CURSOR_BATCH_BYTES of the collection's average document, so
   * that the batch read ahead and the one being written stay small for large documents (1,000
   * summaries of 17 KB are 17 MB a batch) without more round trips for small ones.
   */
  async cursorBatchSize(scope: CollectionScope): Promise<number> {
    if (this.options.batchSize !== undefined) return this.options.batchSize;
    try {
      const stats = await this.collection(scope).aggregate<{ storageStats?: { avgObjSize?: unknown } }>([{ $collStats: { storageStats: {} } }]).toArray();
      const sizes = stats.map((s) => s.storageStats?.avgObjSize).filter((n): n is number => typeof n === 'number' && n > 0);
      if (sizes.length > 0) {
        const avg = sizes.reduce((a, b) => a + b, 0) / sizes.length;
        return Math.max(MIN_CURSOR_BATCH, Math.min(MAX_CURSOR_BATCH, Math.floor(CURSOR_BATCH_BYTES / avg)));
      }
    } catch {
      // a role without collStats, or a server without storage statistics
    }
    return MAX_CURSOR_BATCH;
  }

  /** The uncompressed size of the documents (`$collStats` storageStats.size, summed over shards); undefined when the server will not say. */
  async size(scope: CollectionScope): Promise<number | undefined> {
    await this.connect();
    try {
      const stats = await this.collection(scope).aggregate<{ storageStats?: { size?: unknown } }>([{ $collStats: { storageStats: {} } }]).toArray();
      const sizes = stats.map((s) => Number(s.storageStats?.size)).filter((n) => Number.isFinite(n) && n >= 0);
      return sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) : undefined;
    } catch {
      return undefined; // a role without collStats, or a server without storage statistics
    }
  }

  /**
   * `n` documents chosen at random (`$sample`) where the server has it, so that a plan's
   * partition-key figures are not those of the oldest documents; else the first `n` in `_id` order.
   */
  async *sample(scope: CollectionScope, n: number): AsyncGenerator<SourceItem> {
    await this.connect();
    const size = Math.max(1, Math.floor(n));
    let docs: Doc[];
    try {
      docs = await this.collection(scope).aggregate<Doc>([{ $sample: { size } }], RAW_BSON_READ).toArray();
    } catch {
      try {
        docs = await this.collection(scope).find({}, { sort: { _id: 1 }, limit: size, ...RAW_BSON_READ }).toArray();
      } catch (err) {
        throw describeMongoError(err, this.uri, `sampling ${scope.database}.${scope.collection}`);
      }
    }
    for (const doc of docs.slice(0, size)) yield { doc };
  }

  /**
   * N-1 `_id` boundaries that cut the collection into N near-equal ranges, read in `_id` order
   * with skip (the `_id` index): the same data gives the same boundaries in every shard.
   */
  async shardPlan(scope: CollectionScope, count: number): Promise<ShardPlanPart> {
    const name = `${scope.database}.${scope.collection}`;
    await this.connect();
    try {
      const total = await this.collection(scope).countDocuments({});
      const boundaries: unknown[] = [];
      for (const skip of boundaryPositions(total, count)) {
        const [doc] = await this.collection(scope).find({}, { projection: { _id: 1 }, sort: { _id: 1 }, skip, limit: 1, ...RAW_BSON_READ }).toArray();
        if (doc) boundaries.push(doc._id);
      }
      return { ...planOf(total, boundaries) };
    } catch (err) {
      throw describeMongoError(err, this.uri, `splitting ${name} into ${count} _id ranges`);
    }
  }

  readShard(scope: CollectionScope, plan: ShardPlanPart, shard: Shard): AsyncIterable<SourceItem> {
    if (!isIdRangePlan(plan)) throw new Error(`The shard plan of ${scope.database}.${scope.collection} is a "${plan.kind}" plan, not a MongoDB _id range plan: it was made for another source.`);
    const filter = idRangeFilter(boundariesOf(plan), shard);
    return this.readRange(scope, filter);
  }

  read(scope: CollectionScope, options?: ReadOptions): AsyncGenerator<SourceItem> {
    return this.readRange(scope, {}, options);
  }

  /** `range`: only the documents of one shard (`null`: none), within the scope's filters. */
  private async *readRange(scope: CollectionScope, range: Filter<Document> | null, options?: ReadOptions): AsyncGenerator<SourceItem> {
    if (range === null) return;
    const bson = options?.bson === true;
    const name = `${scope.database}.${scope.collection}`;
    await this.connect();
    const batchSize = await this.cursorBatchSize(scope);
    const maxResumes = this.options.maxResumes ?? 5;
    // The scope's filters and the shard's _id range, both on every reopened cursor.
    const base = andAfter(filterOf(scope), Object.keys(range).length > 0 ? range : undefined);
    let last: { id: unknown } | undefined;
    let failures = 0;
    for (;;) {
      let after: Filter<Document> | undefined;
      if (last) {
        after = afterIdFilter(last.id);
        if (!after) throw describeMongoError(new Error(`cannot resume after an _id of type ${bsonTypeOf(last.id)}`), this.uri, `reading ${name}`);
      }
      // The filter holds on every reopened cursor: a resume reads what matches and sorts after the last _id.
      const filter = andAfter(base, after) as Filter<Document>;
      const cursor = this.collection(scope).find(filter, { sort: { _id: 1 }, batchSize, ...(bson ? { raw: true } : RAW_BSON_READ) });
      try {
        for await (const doc of readAhead(cursor)) {
          failures = 0;
          if (bson) {
            const bytes = doc as unknown as Uint8Array;
            const head = headOf(bytes);
            last = { id: head._id };
            yield { doc: head, bson: bytes, whole: () => BSON.deserialize(bytes, RAW_BSON_READ) as Doc };
            continue;
          }
          last = { id: doc._id };
          yield { doc: doc as Doc };
        }
        return;
      } catch (err) {
        if (!isRetryableMongoError(err) || failures >= maxResumes) {
          const where = last ? ` after _id ${printableId(last.id)}` : '';
          throw describeMongoError(err, this.uri, `reading ${name}${where}`);
        }
        await sleep(backoffDelay(failures++));
      } finally {
        await cursor.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
