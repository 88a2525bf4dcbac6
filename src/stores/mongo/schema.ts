import type { Db, MongoClient } from 'mongodb';
import { EJSON } from '../../core/bson.js';
import type { MongoCollectionOptions, MongoCollectionSchema, MongoIndexKeyValue, MongoIndexSpec } from '../../core/layout.js';

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
