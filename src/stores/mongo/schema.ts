import type { Collection, Db, MongoClient } from 'mongodb';
import { EJSON } from '../../core/bson.js';
import type { CollectionSchema, MongoCollectionOptions, MongoCollectionSchema, MongoIndexKeyValue, MongoIndexSpec, SchemaOutcome, TargetSchema } from '../../core/layout.js';
import { codeOf } from './connection.js';

/**
 * A MongoDB collection's schema (indexes and collection options) as a layout holds it, read from
 * listIndexes and listCollections. The mapping functions take the server's documents as they come,
 * so they are tested on recorded answers of servers the test suite cannot start (FerretDB v1 lacks
 * TTL, partial, collation, text, hidden and wildcard indexes and validators).
 */

/** Databases that belong to the server, never to an application. */
export const SYSTEM_DATABASES = new Set(['admin', 'local', 'config']);

/** Index options copied as they are; anything else the server reports is named in a note. */
const INDEX_FLAGS = ['unique', 'sparse', 'hidden'] as const;
const INDEX_DOCS = ['partialFilterExpression', 'collation', 'wildcardProjection', 'weights'] as const;
const INDEX_STRINGS = ['default_language', 'language_override'] as const;
/** Reported by the server for every index, or derived from the others: not part of what is created. */
const INDEX_NOISE = new Set(['v', 'ns', 'key', 'name', 'textIndexVersion', '2dsphereIndexVersion', 'background', 'expireAfterSeconds', ...INDEX_FLAGS, ...INDEX_DOCS, ...INDEX_STRINGS]);

/** Plain JSON for a layout file: relaxed Extended JSON, so dates and regexes in filters survive. */
function plain(value: unknown): Record<string, unknown> {
  return EJSON.serialize(value, { relaxed: true }) as Record<string, unknown>;
}

function keyValue(v: unknown, field: string, index: string): MongoIndexKeyValue {
  const n = typeof v === 'number' ? v : typeof (v as { valueOf?: () => unknown })?.valueOf === 'function' ? Number((v as { valueOf: () => unknown }).valueOf()) : NaN;
  if (typeof v === 'string') {
    if (v === 'text' || v === '2dsphere' || v === '2d' || v === 'hashed') return v;
    throw new Error(`index ${index}: key ${field} has the type "${v}", which a layout cannot hold`);
  }
  if (n > 0) return 1;
  if (n < 0) return -1;
  throw new Error(`index ${index}: key ${field} has the value ${String(v)}`);
}

/** One listIndexes document as a layout index; undefined for the _id index (every collection has it). */
export function indexFromListIndexes(doc: Record<string, unknown>, notes: string[] = [], where = 'collection'): MongoIndexSpec | undefined {
  const name = String(doc.name ?? '');
  if (name === '_id_') return undefined;
  const key: Record<string, MongoIndexKeyValue> = {};
  const rawKey = (doc.key ?? {}) as Record<string, unknown>;
  for (const field of Object.keys(rawKey)) {
    // A text index is reported as _fts/_ftsx; it is created from the fields its weights name.
    if (field === '_fts') {
      for (const w of Object.keys((doc.weights ?? {}) as object)) key[w] = 'text';
      continue;
    }
    if (field === '_ftsx') continue;
    key[field] = keyValue(rawKey[field], field, name);
  }
  const spec: MongoIndexSpec = { name, key };
  for (const f of INDEX_FLAGS) if (doc[f] === true) spec[f] = true;
  if (doc.expireAfterSeconds !== undefined) spec.expireAfterSeconds = Number(doc.expireAfterSeconds);
  for (const f of INDEX_DOCS) if (doc[f] && typeof doc[f] === 'object') spec[f] = plain(doc[f]);
  for (const f of INDEX_STRINGS) if (typeof doc[f] === 'string') spec[f] = doc[f] as string;
  const unknown = Object.keys(doc).filter((k) => !INDEX_NOISE.has(k));
  if (unknown.length > 0) notes.push(`${where}: index ${name} has options a layout does not hold: ${unknown.join(', ')} (left out).`);
  return spec;
}

/** A listCollections document's options as a layout holds them, with notes for what docferry only records. */
export function optionsFromListCollections(info: { name: string; type?: string; options?: Record<string, unknown> }, notes: string[] = [], where = info.name): MongoCollectionOptions | undefined {
  const o = info.options ?? {};
  const out: MongoCollectionOptions = {};
  if (o.validator && typeof o.validator === 'object' && Object.keys(o.validator).length > 0) out.validator = plain(o.validator);
  if (typeof o.validationLevel === 'string') out.validationLevel = o.validationLevel as MongoCollectionOptions['validationLevel'];
  if (typeof o.validationAction === 'string') out.validationAction = o.validationAction as MongoCollectionOptions['validationAction'];
  if (o.collation && typeof o.collation === 'object') out.collation = plain(o.collation);
  if (o.capped === true) {
    out.capped = true;
    if (o.size !== undefined) out.size = Number(o.size);
    if (o.max !== undefined && Number(o.max) > 0) out.max = Number(o.max);
  }
  if (o.timeseries && typeof o.timeseries === 'object') {
    out.timeseries = plain(o.timeseries);
    notes.push(`${where} is a time-series collection: recorded, but docferry does not create time-series collections; create it before an import.`);
  }
  if (o.clusteredIndex && typeof o.clusteredIndex === 'object') {
    out.clusteredIndex = plain(o.clusteredIndex);
    notes.push(`${where} is a clustered collection: recorded only.`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** What a MongoDB capture found: the collections (with their schema), and the views it left out. */
export interface MongoCapturedCollection {
  database: string;
  collection: string;
  empty: boolean;
  schema: MongoCollectionSchema;
}

export async function readMongoCollectionSchema(db: Db, info: { name: string; type?: string; options?: Record<string, unknown> }, notes: string[]): Promise<MongoCollectionSchema> {
  const where = `${db.databaseName}.${info.name}`;
  const docs = (await db.collection(info.name).listIndexes().toArray()) as Record<string, unknown>[];
  const indexes = docs.map((d) => indexFromListIndexes(d, notes, where)).filter((i): i is MongoIndexSpec => i !== undefined);
  const options = optionsFromListCollections(info, notes, where);
  return { indexes, ...(options ? { options } : {}) };
}

/** Every application database and collection of a server (views noted and left out), with its schema. */
export async function captureMongoCollections(client: MongoClient, notes: string[]): Promise<MongoCapturedCollection[]> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const found: MongoCapturedCollection[] = [];
  for (const { name } of [...databases].sort((a, b) => a.name.localeCompare(b.name))) {
    if (SYSTEM_DATABASES.has(name)) continue;
    const db = client.db(name);
    const infos = (await db.listCollections().toArray()) as { name: string; type?: string; options?: Record<string, unknown> }[];
    for (const info of infos.sort((a, b) => a.name.localeCompare(b.name))) {
      if (info.name.startsWith('system.')) continue;
      if (info.type === 'view') {
        notes.push(`${name}.${info.name} is a view: left out (a view holds no documents of its own).`);
        continue;
      }
      const schema = await readMongoCollectionSchema(db, info, notes);
      const empty = (await db.collection(info.name).findOne({}, { projection: { _id: 1 } })) === null;
      found.push({ database: name, collection: info.name, empty, schema });
    }
  }
  return found;
}

/** The schema of one collection, for an export's manifest; undefined when the collection does not exist. */
export async function readMongoSchema(db: Db, collection: string): Promise<CollectionSchema | undefined> {
  const [info] = (await db.listCollections({ name: collection }).toArray()) as { name: string; type?: string; options?: Record<string, unknown> }[];
  if (!info || info.type === 'view') return undefined;
  return { mongo: await readMongoCollectionSchema(db, info, []) };
}

/** What creating a collection with its recorded options came to: the options the server refused or docferry does not set. */
export interface CollectionCreation {
  problems: string[];
}

/** The options that are set together, named as the warnings name them. */
function optionGroups(options: MongoCollectionOptions): { label: string; fields: string[]; value: Record<string, unknown> }[] {
  const groups: { label: string; fields: string[]; value: Record<string, unknown> }[] = [];
  const validation = Object.fromEntries((['validator', 'validationLevel', 'validationAction'] as const).filter((k) => options[k] !== undefined).map((k) => [k, k === 'validator' ? EJSON.deserialize(options.validator!, { relaxed: true }) : options[k]]));
  if (Object.keys(validation).length > 0) groups.push({ label: Object.keys(validation).join(', '), fields: Object.keys(validation), value: validation });
  if (options.collation) groups.push({ label: 'collation', fields: ['collation'], value: { collation: options.collation } });
  if (options.capped) groups.push({ label: 'capped', fields: ['capped', 'size', 'max'], value: { capped: true, size: options.size ?? 4096, ...(options.max ? { max: options.max } : {}) } });
  return groups;
}

/**
 * Creates a collection with the options its source had (validator, collation, capped), as
 * mongorestore does. An option the server refuses (FerretDB v1 refuses validators, validation
 * levels and collations) is left out and reported, naming the collection and the option; the
 * documents are still imported, since they are intact either way. An error that names no option
 * creates the collection plainly, with every option reported. Time-series and clustered
 * collections are created plainly and said so.
 */
export async function createMongoCollection(db: Db, collection: string, options: MongoCollectionOptions | undefined): Promise<CollectionCreation> {
  const where = `${db.databaseName}.${collection}`;
  const problems: string[] = [];
  if (options?.timeseries) problems.push(`${where}: the source is a time-series collection; docferry created a plain collection (create it as time-series before the import if that matters).`);
  if (options?.clusteredIndex) problems.push(`${where}: the source is a clustered collection; docferry created a plain collection.`);
  let groups = options ? optionGroups(options) : [];
  for (;;) {
    try {
      await db.createCollection(collection, Object.assign({}, ...groups.map((g) => g.value)) as Record<string, unknown>);
      return { problems };
    } catch (err) {
      if (codeOf(err) === NAMESPACE_EXISTS) return { problems }; // created meanwhile, fine
      if (groups.length === 0) throw err;
      const message = (err as Error).message;
      const named = groups.filter((g) => g.fields.some((f) => message.includes(f)));
      const refused = named.length > 0 ? named : groups;
      for (const g of refused) problems.push(`${where}: collection option ${g.label} was not applied: the server refused it (${message}); the collection was created without it.`);
      groups = groups.filter((g) => !refused.includes(g));
    }
  }
}

const NAMESPACE_EXISTS = 48;

/** The options an existing collection has that differ from the recorded ones (it is not changed). */
function optionDifferences(where: string, live: MongoCollectionOptions | undefined, wanted: MongoCollectionOptions): string[] {
  const out: string[] = [];
  const text = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));
  for (const k of ['validator', 'validationLevel', 'validationAction', 'collation', 'capped', 'max'] as const) {
    if (wanted[k] === undefined) continue;
    if (text(live?.[k]) !== text(wanted[k])) out.push(`${where}: the collection existed already, and its ${k} is ${text(live?.[k])} where the source had ${text(wanted[k])}: not changed (collection options are set when a collection is created).`);
  }
  return out;
}

const DUPLICATE_KEY = 11000;

/** Up to five key values the data holds more than once, for a unique index that cannot be built. */
async function duplicateKeys(coll: Collection, key: Record<string, unknown>): Promise<string[]> {
  const fields = Object.keys(key);
  const id = Object.fromEntries(fields.map((f, i) => [`k${i}`, `$${f}`]));
  try {
    const groups = await coll
      .aggregate([{ $group: { _id: id, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }, { $limit: 5 }])
      .toArray();
    return groups.map((g) => `${fields.map((f, i) => `${f}: ${EJSON.stringify((g._id as Record<string, unknown>)[`k${i}`] ?? null, { relaxed: true })}`).join(', ')} (${g.n} documents)`);
  } catch {
    return [];
  }
}

function sameKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(Object.entries(a).map(([k, v]) => [k, Number(v) || v])) === JSON.stringify(Object.entries(b).map(([k, v]) => [k, Number(v) || v]));
}

/**
 * Builds a collection's indexes after its documents are in (one build instead of an update per
 * write). An index already there with the same key is kept; a unique index the data violates is
 * reported with the duplicate key values and nothing is dropped or changed to make it fit. With
 * `creation` (docferry created the collection) the options it could not set are reported; a
 * collection that existed is not changed, and its options that differ from the source's are.
 */
export async function applyMongoSchema(db: Db, collection: string, schema: TargetSchema, creation?: CollectionCreation): Promise<SchemaOutcome> {
  const where = `${db.databaseName}.${collection}`;
  const outcome: SchemaOutcome = { created: [], problems: [...(schema.translation?.mongo ?? [])], violations: [] };
  const indexes = schema.mongo?.indexes ?? [];
  const coll = db.collection(collection);
  const existing = (await coll.listIndexes().toArray().catch(() => [])) as { name: string; key: Record<string, unknown> }[];
  for (const index of indexes) {
    const { key, name, ...options } = index;
    const label = name ?? Object.keys(key).join('_');
    if (existing.some((e) => sameKey(e.key, key))) continue;
    const createOptions = Object.fromEntries(Object.entries({ ...options, ...(name ? { name } : {}) }).map(([k, v]) => [k, k === 'partialFilterExpression' ? EJSON.deserialize(v as Record<string, unknown>, { relaxed: true }) : v]));
    try {
      await coll.createIndex(key as Record<string, 1 | -1>, createOptions);
      outcome.created.push(label);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // FerretDB answers with its backend's own refusal ("UNIQUE constraint failed") rather than E11000.
      if (index.unique && (code === DUPLICATE_KEY || /duplicate key|UNIQUE constraint failed/i.test((err as Error).message))) {
        const dups = await duplicateKeys(coll, key);
        outcome.violations.push(`${where}: unique index ${label} cannot be built: the data holds duplicate keys${dups.length > 0 ? `: ${dups.join('; ')}` : ` (${(err as Error).message})`}. Nothing was changed to make it fit: remove or fix the duplicates, then import again.`);
      } else {
        outcome.problems.push(`${where}: index ${label} was not created: ${(err as Error).message}`);
      }
    }
  }
  const options = schema.mongo?.options;
  if (creation) outcome.problems.push(...creation.problems);
  else if (options) {
    const [info] = (await db.listCollections({ name: collection }).toArray().catch(() => [])) as { name: string; options?: Record<string, unknown> }[];
    outcome.problems.push(...optionDifferences(where, info ? optionsFromListCollections(info) : undefined, options));
  }
  return outcome;
}
