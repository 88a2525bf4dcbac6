import type { RetryCounts } from '../core/retry-kinds.js';
import type { Doc, PartitionKeyValue } from '../core/documents.js';
import type { CollectionSchema, CollectionScope, SchemaOutcome, TargetSchema } from '../core/layout.js';
import type { Shard } from '../core/shard.js';
import type { StoreKind } from './registry.js';

export type { StoreKind } from './registry.js';
export type WriteMode = 'upsert' | 'merge';

/** Where a document came from, for rejects and error messages. */
export interface Position {
  file?: string;
  /** 1-based line (of a JSON array file: the line its element begins on). */
  line?: number;
  /**
   * A JSON array file (`[{...},{...}]`): the element's 1-based place in the array. Several
   * elements may share a line, so a resume journal names an item by this when it is set.
   */
  element?: number;
}

/** A document read from a source, or a line the source could not turn into one. */
export type SourceItem =
  | {
      doc: Doc;
      position?: Position;
      /** Size of the document as stored or read, when the source knows it cheaply. */
      bytes?: number;
      /**
       * Read with `{ bson: true }`: the document's BSON bytes. `doc` then holds its `_id` alone (what
       * resume and the journal need); `whole` deserialises the rest.
       */
      bson?: Uint8Array;
      whole?: () => Doc;
    }
  | { doc?: undefined; reason: string; raw?: string; id?: string; position?: Position };

export interface SourceStore {
  readonly kind: StoreKind;
  /** Endpoint or path with credentials redacted: safe to print and store. */
  describe(): string;
  /** Best-effort document count for progress and ETA; undefined when unknown or expensive. */
  count(scope: CollectionScope): Promise<number | undefined>;
  /** `bson`: the caller takes BSON bytes (SourceItem.bson), where the source can give them; others ignore it. */
  read(scope: CollectionScope, options?: ReadOptions): AsyncIterable<SourceItem>;
  /**
   * Whether the collection (and its database) exists, for a source that reads a missing one as
   * empty (MongoDB); undefined when it cannot tell. A source that fails on a missing collection
   * (Cosmos DB: 404) leaves this out.
   */
  exists?(scope: CollectionScope): Promise<{ collection: boolean; database: boolean } | undefined>;
  /** The collection's schema (indexes, container properties), for the manifest; undefined when it does not exist. */
  schema?(scope: CollectionScope): Promise<CollectionSchema | undefined>;
  /**
   * Every database and container or collection the source holds (discovery, src/engine/discovery.ts),
   * system databases and collections included: the engine decides what it moves. Throws when the
   * source will not say (a role without the right to list). Absent: the source cannot list (a file).
   */
  list?(): Promise<ListedCollection[]>;
  /**
   * Checks the scope's filters (docs/filters.md) with the server before anything is written: a
   * filter it cannot take, or one the server refuses, is a usage error naming the collection and
   * where the filter came from. Absent: the source cannot filter (an export directory).
   */
  checkFilter?(scope: CollectionScope): Promise<void>;
  /** Request units a reading source spent on a collection (Cosmos DB), for progress and summaries. */
  stats?(scope: CollectionScope): SinkStats | undefined;
  /**
   * Bytes the collection's documents take as the store counts them (MongoDB collStats `size`,
   * Cosmos DB's usage headers), for a plan (src/engine/plan.ts); undefined when it will not say.
   */
  size?(scope: CollectionScope): Promise<number | undefined>;
  /**
   * At most `n` documents, read without reading the whole collection, for a plan's sample. A
   * source without it is sampled from the start of `read`, which stops after `n` items.
   */
  sample?(scope: CollectionScope, n: number): AsyncIterable<SourceItem>;
  /**
   * The request units per second provisioned for the collection, or for its database when it
   * shares its throughput (Cosmos DB), for a plan's duration; undefined when there is none
   * (serverless). Throws when it cannot be read (a data-plane token, an emulator without offers).
   */
  throughput?(scope: CollectionScope): Promise<ProvisionedRu | undefined>;
  /**
   * Sharding (docs/sharding.md): how the collection splits into `count` disjoint parts that
   * together cover it (MongoDB `_id` boundaries, Cosmos DB feed ranges), as JSON that the plan
   * file and the shard manifests keep. Absent: this source cannot be split.
   */
  shardPlan?(scope: CollectionScope, count: number): Promise<ShardPlanPart>;
  /** Reads only shard `shard` of a plan `shardPlan` made (possibly in another process). */
  readShard?(scope: CollectionScope, plan: ShardPlanPart, shard: Shard): AsyncIterable<SourceItem>;
  close(): Promise<void>;
}

/** One collection's split, as its source made it: `kind` names the store's scheme, the rest is the store's. */
export interface ShardPlanPart {
  kind: string;
  /**
   * A source that splits into whole units (Cosmos DB feed ranges): how many the collection has.
   * The engine then spreads the units of every collection of the run over the shards (`assign`),
   * so that many small collections keep N shards busy as well as one large one.
   */
  units?: number;
  /** What those units are called in messages (`feed range`). */
  unit?: string;
  /** Set by the engine for a source with `units`: the shard (1-based) that reads each unit. */
  assign?: number[];
  /**
   * The split is by the documents' identity (MongoDB `_id` ranges), so another store of the same
   * kind can read the same shard of its copy: what a sharded verify needs of both sides.
   */
  byIdentity?: boolean;
  [key: string]: unknown;
}

/** Throughput provisioned on a container or its database. */
export interface ProvisionedRu {
  /** RU/s: the manual throughput, or the autoscale maximum. */
  ru: number;
  level: 'container' | 'database';
  autoscale: boolean;
}

export interface ReadOptions {
  bson?: boolean;
}

/** A container or collection a source holds. */
export interface ListedCollection {
  database: string;
  collection: string;
}

export interface SinkItem {
  doc: Doc;
  /** The id as it will be stored, for rejects and summaries. */
  id?: string;
  /** Cosmos DB partition-key value(s), extracted once when the document is prepared. */
  partitionKey?: PartitionKeyValue | PartitionKeyValue[];
  position?: Position;
  /** Size of the document as the sink will send it, when preparing it told. */
  bytes?: number;
}

export type WriteResult = { status: 'written' } | { status: 'skipped' } | { status: 'rejected'; reason: string };

/** Request units and throttling a sink saw, for progress and the benchmark. */
export interface SinkStats {
  requestCharge?: number;
  throttled?: number;
  requests?: number;
  /** Consumption over the last few seconds, RU/s (of the budget the collection shares). */
  ruPerSecond?: number;
  /** The RU/s budget the sink steers by, when there is one. */
  ruBudget?: number;
  /** Requests the RU controller lets in flight now (its choice), for progress and the run report. */
  concurrency?: number;
  /** Operations sent again after a transient failure other than throttling, by kind (absent: none). */
  retries?: RetryCounts;
}

export interface CollectionSink {
  /** Checks and converts a document for this sink; a string is the reason to reject it. */
  prepare(doc: Doc): SinkItem | string;
  /**
   * The same from the document's BSON bytes (`head`: its `_id`), for a sink that can do it
   * cheaper than from the document; undefined when this one must go through `prepare`.
   */
  prepareBson?(bson: Uint8Array, head: Doc): SinkItem | undefined;
  /**
   * `prepareBson` for chunks of documents at once, off the main thread (an export's encoding
   * worker, src/stores/exportdir/encode-pool.ts), for a sink that has one; the transfer loop
   * hands it chunks ahead of its batches and takes the results in order (transfer/encode-ahead.ts).
   */
  readonly bsonEncoder?: BsonChunkEncoder;
  write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]>;
  /** Called once after every write succeeded; makes the collection's output final. */
  finish(): Promise<void>;
  /** Called instead of finish when the collection failed; leaves nothing that looks complete. */
  abort(error: unknown): Promise<void>;
  stats?(): SinkStats;
  /**
   * Resume support: what must match for the output written so far to be trusted again (an
   * export file's size and sha256). Read right after `write` and after `finish`.
   */
  checkpointState?(): unknown;
  /** Set when `open` was given a checkpoint state it could not trust: the sink started over. */
  readonly resumeProblem?: string;
}

/** See CollectionSink.bsonEncoder. */
export interface BsonChunkEncoder {
  /** A chunk is sent once it holds this many documents or this many BSON bytes; at most `inFlight` chunks are out at once. */
  readonly chunkDocs: number;
  readonly chunkBytes: number;
  readonly inFlight: number;
  /**
   * Per document, in order: its item, as `prepareBson` would give it; null when `prepareBson`
   * would give undefined (the document goes through `prepare`); undefined when it was not encoded
   * (the caller runs `prepareBson` itself, which gives the result, or the error, it always gives).
   * Rejects when the chunk could not be encoded at all.
   */
  encode(bsons: Uint8Array[], heads: Doc[]): Promise<(SinkItem | null | undefined)[]>;
}

export interface SinkStore {
  readonly kind: StoreKind;
  describe(): string;
  /** Writes to one collection must be sequential (a file); undefined means any concurrency. */
  readonly maxConcurrency?: number;
  /** Checks (or creates) every target before any document is written. */
  prepareAll(scopes: CollectionScope[]): Promise<void>;
  /** `resume`: a `checkpointState()` of an earlier run to continue from (sinks that keep output). */
  open(scope: CollectionScope, resume?: unknown): Promise<CollectionSink>;
  /** Resume support: takes back a collection an earlier run finished; false when it no longer matches. */
  adoptFinished?(scope: CollectionScope, finished: unknown): Promise<boolean>;
  /** Rebuilds (MongoDB) or checks (Cosmos DB) a collection's schema after its documents are written. */
  applySchema?(scope: CollectionScope, schema: TargetSchema): Promise<SchemaOutcome>;
  /** Mirror mode (src/engine/mirror.ts): the target's documents by identity, to delete those the source lacks. */
  deletes?(): TargetDeletes;
  close(): Promise<void>;
}

/** A document stored in a target, by identity only: what mirror compares and deletes. */
export interface StoredId {
  /** Its identity; a prepared source document with the same `TargetDeletes.keyOf` is its source. */
  key: string;
  /** Its id alone (Cosmos DB: without the partition key), matched against `TargetDeletes.idKeyOf`. */
  idKey: string;
  /** The id for messages and lists. */
  printable: string;
  /** Cosmos DB: the partition-key value(s), for lists (undefined when the document has none). */
  partitionKey?: PartitionKeyValue | PartitionKeyValue[];
  /** Why this document cannot be deleted by identity (mirror leaves it and says so). */
  undeletable?: string;
  /** What the store needs to delete it. */
  ref: unknown;
}

/**
 * Listing and deleting a collection's documents by identity: MongoDB `_id`; Cosmos DB `id` and
 * partition key. Keys are compared as strings, so ids are kept in fixed space per id (IdTable).
 */
export interface TargetDeletes {
  /** The identity a prepared document is stored under. */
  keyOf(item: SinkItem): string;
  /** The id alone of a document that was never prepared (refused by `prepare`, a duplicate line); undefined when it has none. */
  idKeyOf(doc: Doc): string | undefined;
  /** Every document of the collection, by identity (a projection); a collection that does not exist lists nothing. */
  list(scope: CollectionScope): AsyncIterable<StoredId>;
  /** Deletes these documents; resolves to how many were deleted (one already gone is not counted). */
  delete(scope: CollectionScope, ids: StoredId[]): Promise<number>;
}
