import type { Doc } from '../core/documents.js';
import type { CollectionScope } from '../core/layout.js';
import type { JsonFormat, SourceType } from '../core/manifest.js';
import { redactUri } from '../core/secrets.js';
import type { SinkStore, SourceStore } from './types.js';

/**
 * What the engine knows of a store, declared once per store and registered in
 * src/stores/registry.ts. The engine asks these questions instead of testing a store's type, so
 * that a new store is a new descriptor and its source and sink, not a branch in every operation.
 * See docs/CONTRIBUTING.md, "Adding a store".
 */
export interface StoreDescriptor<S extends { type: string }> {
  readonly type: S['type'];
  /** What one of these is called in messages: "the source and the target are the same <label>". */
  readonly label: string;
  /**
   * How the store names its documents. An export directory has none of its own: its documents
   * are named as the store they came from named them, and it remembers them by line.
   */
  readonly identity?: DocumentIdentity;
  /**
   * Where the spec points, without credentials, query or trailing slash, lowercased: two specs
   * with the same address are the same store. Stored in checkpoints (fingerprints and default
   * directory names), so its format must not change: a checkpoint written before must still resume.
   */
  address(spec: S): string;
  /** Where the spec points as a user recognises it, credentials redacted: safe to print. */
  printable(spec: S): string;
  /** Opens the store to be read by verify: the source and what verify must know of its documents. */
  openSource(spec: S, context: OpenContext): Promise<OpenedSource>;
  /**
   * A read that failed because the collection does not exist (Cosmos DB answers 404). A store
   * that reads a missing collection as empty tells it through `SourceStore.exists` instead, and
   * an export directory by the collections it lists (`OpenedSource.collections`).
   */
  isMissingCollection?(err: unknown): boolean;
  /**
   * Slot for the option catalogue: builds this store's connection spec from the values of its
   * connection group. Not set yet: the CLI and the tasks build specs themselves
   * (src/cli/options.ts cosmosSpec and mongoUri, tasks/common/stores.ts).
   */
  specFromOptions?(values: StoreOptionValues): S;
}

/** A store that holds databases (Cosmos DB, MongoDB): it can be exported, imported into and migrated. */
export interface DatabaseStoreDescriptor<S extends { type: SourceType }> extends StoreDescriptor<S> {
  readonly identity: DocumentIdentity;
  /** Whether its documents carry BSON types (ObjectId, Int64, Date, ...) rather than plain JSON. */
  readonly carriesBson: boolean;
  readonly exportFormats: ExportFormats;
  /**
   * What of a target spec, beyond its address, must stay the same for a checkpoint of an import or
   * migrate into it to apply. Stored in checkpoints: keep the keys and values as they are.
   */
  checkpointFingerprint(target: S): Record<string, unknown>;
  /** Warnings an import from an export directory into this target should give before it starts. */
  importWarnings?(target: S, from: ExportFacts): string[];
  /** Each store's SDK is loaded here, when a run uses the store: together they are most of the CLI's memory. */
  createSource(spec: S): Promise<SourceStore>;
  createSink(spec: S, options: SinkFactoryOptions): Promise<SinkStore>;
}

export interface DocumentIdentity {
  /** The field the store names a document by, in messages and rejects; the other of `id` and `_id` stands in when it is missing. */
  readonly field: 'id' | '_id';
  /**
   * The key a checkpoint journal remembers a document read from this store by; undefined when the
   * document has no identity. Stored in journals: a journal written before must still match.
   */
  journalKey(doc: Doc, scope: CollectionScope): string | undefined;
}

export interface ExportFormats {
  /** The format of an export when none is asked for. */
  readonly default: JsonFormat;
  /** Why this store cannot be exported in a format (the usage error), or undefined when it can. */
  refuse(format: JsonFormat): string | undefined;
}

export interface SinkFactoryOptions {
  /** The documents carry BSON types (from MongoDB or an Extended JSON export). */
  bsonInput: boolean;
  /** Where the documents were first read, when known: Cosmos DB system properties in them are its metadata, or the application's fields. */
  sourceType?: SourceType;
}

/** What an import knows of the export directory it reads, for `importWarnings`. */
export interface ExportFacts {
  dir: string;
  sourceType?: SourceType;
  format: JsonFormat;
}

export interface OpenContext {
  /** Compare an export directory even when it does not match its manifest. */
  allowPartial?: boolean;
  warn(message: string): void;
}

export interface OpenedSource {
  source: SourceStore;
  /** How the side is named in verify's summary and report. */
  describe: string;
  /** Whether its documents keep BSON types. */
  bson: boolean;
  /** The collections it holds, when it knows them all (an export directory); undefined for a database. */
  collections?: { database: string; collection: string }[];
}

/** Values of a store's connection group, by option name, for `specFromOptions`. */
export type StoreOptionValues = Readonly<Record<string, unknown>>;

/**
 * `cosmos:account.documents.azure.com:443`, `mongodb:host:27017`: the URL's authority without
 * user or password, lowercased. The format earlier versions stored in checkpoints.
 */
export function urlAddress(type: string, url: string): string {
  return `${type}:${redactUri(url).replace(/^[a-z+]+:\/\/(<redacted>@)?/i, '').replace(/[/?#].*$/, '').toLowerCase()}`;
}

/** `openSource` of a database: everything it holds is read the same way. */
export async function openDatabase<S extends { type: SourceType }>(store: DatabaseStoreDescriptor<S>, spec: S): Promise<OpenedSource> {
  const source = await store.createSource(spec);
  return { source, describe: source.describe(), bson: store.carriesBson };
}
