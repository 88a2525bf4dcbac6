import type { Doc, PartitionKeyValue } from '../core/documents.js';
import type { CollectionSchema, CollectionScope } from '../core/layout.js';
import type { CollectionFilter } from '../core/filter.js';
import type { JsonFormat, SourceType } from '../core/manifest.js';
import type { BudgetShare } from '../core/shard-budget.js';
import { redactUri, registerSecret, registerUriSecrets } from '../core/secrets.js';
import type { ProvisionedRu, SinkStore, SourceStore } from './types.js';
import type { TokenCredential } from '@azure/identity';

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
  /** The store's own name in messages: "a MongoDB target", "No credential for Cosmos DB". */
  readonly name: string;
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
   * Builds this store's connection spec from the values of its connection group (src/options/
   * catalogue.ts) and the few command options it takes (`specOptions`). The store knows what its
   * options mean, how they are checked and what its spec holds; the front door behind `values`
   * knows where they come from (the CLI: flags, then environment variables; the tasks: inputs),
   * how they are named in messages and how it finds credentials.
   */
  specFromOptions(values: ConnectionValues): S;
  /** Command options outside its connection group that its spec takes, by catalogue key (`restoreObjectIds`). */
  readonly specOptions?: readonly string[];
  /** Of those, the ones only a target of this store takes: given for another target, they are a usage error. */
  readonly targetOnlyOptions?: readonly string[];
}

/** A store that holds databases (Cosmos DB, MongoDB): it can be exported, imported into and migrated. */
export interface DatabaseStoreDescriptor<S extends { type: SourceType }> extends StoreDescriptor<S> {
  readonly identity: DocumentIdentity;
  /** Whether its documents carry BSON types (ObjectId, Int64, Date, ...) rather than plain JSON. */
  readonly carriesBson: boolean;
  readonly exportFormats: ExportFormats;
  /**
   * The language its filters are written in (`--query`, a layout's `filter`: docs/filters.md), as
   * messages name it. Two stores with the same language read a filter alike: verify applies one
   * filter to both sides only then.
   */
  readonly filterLanguage: string;
  /**
   * A filter in that language that selects the documents whose top-level `field` is one of
   * `values`, or (`outside`) those whose field is missing or none of them: how a shared
   * container is read per discriminator value (docs/shared-containers.md).
   */
  selectByField(field: string, values: readonly string[], outside: boolean): string;
  /**
   * What of a target spec, beyond its address, must stay the same for a checkpoint of an import or
   * migrate into it to apply. Stored in checkpoints: keep the keys and values as they are.
   */
  checkpointFingerprint(target: S): Record<string, unknown>;
  /** Warnings an import from an export directory into this target should give before it starts. */
  importWarnings?(target: S, from: ExportFacts): string[];
  /**
   * The spec with its request budget (Cosmos DB `--max-ru`, `--ru-share`) cut to `share` of it, for
   * one of N shards that write or read the same account (docs/sharding.md); the same spec when it
   * has no budget. Absent: the store has no budget to share. A `BudgetShare` is a share that moves
   * while the run goes (`--shard-budget`): the store follows its changes.
   */
  budgetShare?(spec: S, share: number | BudgetShare): S;
  /** Each store's SDK is loaded here, when a run uses the store: together they are most of the CLI's memory. */
  createSource(spec: S): Promise<SourceStore>;
  createSink(spec: S, options: SinkFactoryOptions): Promise<SinkStore>;
  /** What `docferry plan` (src/engine/plan.ts) asks of this store as a target. */
  readonly planning: TargetPlanning<S>;
}

/**
 * A target's answers for a plan: how it would store a sampled document, whether it creates what
 * it lacks, and, for a store that has them, its partitions and its request-unit budget.
 */
export interface TargetPlanning<S> {
  /** The function that says how this target would store a document (it may load the store's modules, never its SDK client). */
  inspector(spec: S, options: SinkFactoryOptions): Promise<DocumentInspector>;
  /** Whether a run creates a collection the target lacks: true, or why it cannot (the run would stop before writing). */
  createsMissing(spec: S): true | string;
  /** A store that places documents in logical partitions by the layout's key: the most one logical partition may hold, in bytes. */
  readonly logicalPartitionBytes?: number;
  /** A store that charges request units: the budget a run into `scope` steers by, or the problem that stops it. */
  ruBudget?(spec: S, provisioned: ProvisionedRu | undefined, scope: CollectionScope): PlannedRuBudget | { problem: string };
}

export interface PlannedRuBudget {
  /** Collections with the same key share one budget: `*` (the whole run), a database, or `db/container`. */
  key: string;
  /** RU/s; undefined when none is known. */
  ruPerSecond?: number;
  /** Where it comes from: `--max-ru`, `--ru-share`, `provisioned` or `none`. */
  from: string;
}

/** One sampled document as a target would store it. */
export interface InspectedDocument {
  /** Its size as the target stores it (JSON for Cosmos DB, BSON for MongoDB). */
  bytes?: number;
  /** Request units its write costs (a store that charges them), by the store's cost model. */
  writeCost?: number;
  /** Its partition-key value, one per level (a partitioned store). */
  partitionKey?: PartitionKeyValue[];
  /** Why it has no usable partition-key value: missing, or not a scalar. The run would reject it. */
  partitionKeyProblem?: string;
  /** Another reason the target would reject it. */
  refused?: string;
}

/** `live`: the target collection's schema when it exists (its indexing policy decides what a write costs). */
export type DocumentInspector = (doc: Doc, scope: CollectionScope, live?: CollectionSchema) => InspectedDocument;

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
  /** The language filters on it are written in (a database). */
  filterLanguage?: string;
  /** A database: its `selectByField` (a shared container read per discriminator value). */
  selectByField?: (field: string, values: readonly string[], outside: boolean) => string;
  /** A subset export: `db.coll` -> the filters its documents were read with (manifest `filters`). */
  filters?: Record<string, CollectionFilter[]>;
  /** An export directory: the store its documents were read from, when the manifest says. */
  sourceType?: SourceType;
}

/**
 * One side's options as a front door hands them to `specFromOptions`, by catalogue key without the
 * side's prefix (`cosmosEndpoint` for `--from-cosmos-endpoint` and for input `fromCosmosEndpoint`).
 * Every method reads only what the store asks for, so a secret is masked only when it is used.
 */
export interface ConnectionValues {
  /** Whether the side is read from (a source, verify's left) or written to (a target, verify's right). */
  readonly direction: 'source' | 'target';
  /** A plain option, parsed, after the front door's fallbacks; undefined when not given (false booleans too). */
  value(key: string): unknown;
  /** A secret option (an account key), masked whole wherever the front door prints. */
  secret(key: string): string | undefined;
  /** A connection string whose password (only) is masked, whole as given, before it is looked at: logs can still name the server. */
  connectionString(key: string): string | undefined;
  /** A filesystem path option, as the front door resolves paths. */
  path(key: string): string | undefined;
  /** How to give the option, for "pass …" hints: `--from-cosmos-endpoint (or SRC_COSMOS_ENDPOINT / COSMOS_ENDPOINT)`, `input "fromCosmosEndpoint"`. */
  how(key: string): string;
  /** The option's value as a message's subject: `The source MongoDB URI`, `Input "fromMongoUri"`. */
  subject(key: string, noun: string): string;
  /** The usage error for a required option left empty. */
  missing(key: string, need: MissingOption): Error;
  /** The Azure credential the front door's rules choose (Entra ID, or the account key `keyKey`); throws its usage error when there is neither. */
  azureCredential(request: AzureCredentialRequest): { credential: TokenCredential } | { key: string };
}

/**
 * `secret`, `connectionString` and `path` of a front door whose values are plain process values
 * (the CLI, the library API): each secret is registered before it is handed out, so no output of
 * the process can print it. The tasks mask through the agent instead (tasks/common/stores.ts).
 */
export function registeredReaders(value: (key: string) => unknown): Pick<ConnectionValues, 'secret' | 'connectionString' | 'path'> {
  return {
    secret(key) {
      const v = value(key) as string | undefined;
      registerSecret(v);
      return v;
    },
    connectionString(key) {
      const v = value(key) as string | undefined;
      if (v) registerUriSecrets(v);
      return v;
    },
    path: (key) => value(key) as string | undefined,
  };
}

export interface MissingOption {
  /** Whom it is required for: `MongoDB`, `a dir side`. */
  for: string;
  /** What to give: `a mongodb:// or mongodb+srv:// connection string, from a secret variable`. */
  what: string;
  /** The CLI's placeholder: `export directory`. */
  placeholder: string;
}

export interface AzureCredentialRequest {
  /** `Cosmos DB`. */
  service: string;
  /** Where the credential is for, as messages name it (the endpoint). */
  resource: string;
  /** The store's account-key option. */
  keyKey: string;
  /** The option that asks for Entra ID instead of the key. */
  entraKey: string;
}

/** The connect timeout a spec takes, from the catalogue's `connectTimeout` (milliseconds), when given. */
export function connectTimeoutOf(values: ConnectionValues): { connectTimeoutMs?: number } {
  const ms = values.value('connectTimeout');
  return typeof ms === 'number' ? { connectTimeoutMs: ms } : {};
}

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
  return { source, describe: source.describe(), bson: store.carriesBson, filterLanguage: store.filterLanguage, selectByField: (f, v, o) => store.selectByField(f, v, o) };
}
