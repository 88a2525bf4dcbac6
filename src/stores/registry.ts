import type { Doc } from '../core/documents.js';
import type { CollectionScope } from '../core/layout.js';
import { cosmosStore, type CosmosSpec } from './cosmos/descriptor.js';
import type { ConnectionValues, DatabaseStoreDescriptor, OpenContext, OpenedSource, StoreDescriptor } from './descriptor.js';
import { dirStore, type DirSpec } from './exportdir/descriptor.js';
import { mongoStore, type MongoSpec } from './mongo/descriptor.js';

/**
 * Every store docferry knows, in one place. The engine asks these descriptors about a store
 * instead of testing its type (test/unit/engine-static-scan.test.ts keeps it so). To add a
 * store: docs/CONTRIBUTING.md, "Adding a store".
 */

/** A database docferry reads from or writes to, as the CLI and the pipeline tasks describe it. */
export type DatabaseSpec = CosmosSpec | MongoSpec;
/** `cosmos` | `mongodb`: the `--source-type`/`--dest-type` choices and a manifest's `source_type`. */
export type DatabaseStoreType = DatabaseSpec['type'];
/** Anything the engine reads from or writes to: a database, or an export directory. */
export type StoreSpec = DatabaseSpec | DirSpec;
/** `cosmos` | `mongodb` | `dir`: what `SourceStore.kind` and `SinkStore.kind` say. */
export type StoreKind = StoreSpec['type'];

const DATABASE_STORES: { readonly [T in DatabaseStoreType]: DatabaseStoreDescriptor<Extract<DatabaseSpec, { type: T }>> } = {
  cosmos: cosmosStore,
  mongodb: mongoStore,
};

const STORES: { readonly [T in StoreKind]: StoreDescriptor<Extract<StoreSpec, { type: T }>> } = {
  ...DATABASE_STORES,
  dir: dirStore,
};

/** The database store types, in the order the CLI and the tasks offer them. */
export const DATABASE_STORE_TYPES: readonly DatabaseStoreType[] = Object.freeze(Object.keys(DATABASE_STORES) as DatabaseStoreType[]);
/** Every store kind, databases first. */
export const STORE_KINDS: readonly StoreKind[] = Object.freeze(Object.keys(STORES) as StoreKind[]);

export function isDatabaseStoreType(value: unknown): value is DatabaseStoreType {
  return typeof value === 'string' && Object.hasOwn(DATABASE_STORES, value);
}

/** The descriptor of a database spec, typed for it. */
export function databaseStore<S extends DatabaseSpec>(spec: S): DatabaseStoreDescriptor<S> {
  // The map gives each type its own descriptor; TypeScript cannot follow that through a union.
  return databaseStoreOfType(spec.type) as unknown as DatabaseStoreDescriptor<S>;
}

export function databaseStoreOfType<T extends DatabaseStoreType>(type: T): DatabaseStoreDescriptor<Extract<DatabaseSpec, { type: T }>> {
  const store = DATABASE_STORES[type] as DatabaseStoreDescriptor<Extract<DatabaseSpec, { type: T }>> | undefined;
  if (!store) throw new Error(`internal: no database store is registered as ${JSON.stringify(type)}`);
  return store;
}

/** The descriptor of any store spec, typed for it. */
export function storeOf<S extends StoreSpec>(spec: S): StoreDescriptor<S> {
  return STORES[spec.type as StoreKind] as unknown as StoreDescriptor<S>;
}

export function isStoreKind(value: unknown): value is StoreKind {
  return typeof value === 'string' && Object.hasOwn(STORES, value);
}

/** `cosmos or mongodb`, `cosmos, mongodb or dir`: store types as a usage error lists them. */
export function storeTypeList(types: readonly string[]): string {
  return types.length < 2 ? types.join('') : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
}

/** One side's spec, built by its store from the values a front door read (see `StoreDescriptor.specFromOptions`). */
export function specFromOptions<K extends StoreKind>(kind: K, values: ConnectionValues): Extract<StoreSpec, { type: K }> {
  const store = STORES[kind] as StoreDescriptor<Extract<StoreSpec, { type: K }>> | undefined;
  if (!store) throw new Error(`internal: no store is registered as ${JSON.stringify(kind)}`);
  return store.specFromOptions(values);
}

/** The command options outside the connection groups that some store's spec takes (the front doors read them for the store). */
export const SPEC_OPTIONS: readonly string[] = Object.freeze([...new Set(Object.values(STORES).flatMap((s) => s.specOptions ?? []))]);

/**
 * A target-only store option given for a target whose store does not take it: the stores that
 * take it (`--restore-objectids` with `--dest-type cosmos`), or undefined when the option fits.
 */
export function targetOptionMisfit(key: string, given: unknown, targetType: unknown): { types: DatabaseStoreType[]; names: string[] } | undefined {
  if (given === undefined || given === false) return undefined;
  const takers = DATABASE_STORE_TYPES.filter((t) => DATABASE_STORES[t].targetOnlyOptions?.includes(key));
  if (takers.length === 0 || takers.includes(targetType as DatabaseStoreType)) return undefined;
  return { types: takers, names: takers.map((t) => DATABASE_STORES[t].name) };
}

/** What a descriptor says without a spec, for code that holds only a store's kind (a source or sink). */
export type StoreFacts = Pick<StoreDescriptor<StoreSpec>, 'type' | 'label' | 'identity' | 'isMissingCollection'>;

export function storeByKind(kind: StoreKind): StoreFacts {
  const store = STORES[kind] as StoreFacts | undefined;
  if (!store) throw new Error(`internal: no store is registered as ${JSON.stringify(kind)}`);
  return store;
}

/** Whether two specs point at the same store (their addresses, without credentials). */
export function sameStore(a: StoreSpec, b: StoreSpec): boolean {
  return storeOf(a).address(a) === storeOf(b).address(b);
}

export function storeAddress(spec: StoreSpec): string {
  return storeOf(spec).address(spec);
}

/**
 * The value a document is named by in a store: its `_id` for MongoDB, its `id` for Cosmos DB,
 * with the other standing in when it is missing (the sinks fill one from the other). A store
 * without an identity of its own (an export directory) reads `id` first.
 */
export function documentIdIn(doc: Doc, kind: StoreKind): unknown {
  const field = storeByKind(kind).identity?.field ?? 'id';
  return field === '_id' ? (doc._id ?? doc.id) : (doc.id ?? doc._id);
}

/**
 * The store whose identity names the documents of a run in messages and rejects: the sink's,
 * or, for a sink without one (an export directory), the source's.
 */
export function namingStore(sink: StoreKind, source: StoreKind): StoreKind {
  return storeByKind(sink).identity ? sink : source;
}

/** The checkpoint journal's key for a document read from a store; undefined when it has none. */
export function journalKey(doc: Doc, scope: CollectionScope, sourceKind: StoreKind): string | undefined {
  return storeByKind(sourceKind).identity?.journalKey(doc, scope);
}

/** Opens any store to be read (verify's sides). */
export function openStoreSource(spec: StoreSpec, context: OpenContext): Promise<OpenedSource> {
  return storeOf(spec).openSource(spec, context);
}

/** A failed read that means the collection does not exist in the store it was read from. */
export function isMissingCollectionError(kind: StoreKind, err: unknown): boolean {
  return storeByKind(kind).isMissingCollection?.(err) ?? false;
}
