import { Binary, ObjectId } from 'bson';
import type { Doc } from './documents.js';

/**
 * The cross-backend type rules (docs/type-mapping.md), applied the same way by import, migrate
 * and the `plain` export format. MongoDB values carry BSON types; Cosmos DB stores JSON only.
 */

export class MappingError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function bsonType(value: object): string | undefined {
  const t = (value as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One BSON (or plain JS) value as the JSON value Cosmos DB stores. */
export function toJsonValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MappingError(path, `${value} cannot be stored as JSON`);
    return value;
  }
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  if (value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new MappingError(path, 'invalid date');
    return value.toISOString();
  }
  if (Array.isArray(value)) return value.map((v, i) => toJsonValue(v, `${path}[${i}]`));
  if (typeof value !== 'object') throw new MappingError(path, `unsupported value of type ${typeof value}`);
  switch (bsonType(value)) {
    case 'ObjectId':
      return (value as ObjectId).toHexString();
    case 'Int32':
      return (value as { value: number }).value;
    case 'Double': {
      const v = (value as { value: number }).value;
      if (!Number.isFinite(v)) throw new MappingError(path, `${v} cannot be stored as JSON`);
      return v;
    }
    case 'Long': {
      const big = BigInt((value as { toString(): string }).toString());
      return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big.toString();
    }
    case 'Decimal128':
      return (value as { toString(): string }).toString();
    case 'Binary': {
      const bin = value as Binary;
      if (bin.sub_type === Binary.SUBTYPE_UUID && bin.buffer.length === 16) return formatUuid(bin.toString('hex'));
      return bin.toString('base64');
    }
    case 'Timestamp': {
      const ts = value as { t: number; i: number };
      return { t: ts.t, i: ts.i };
    }
    case 'BSONRegExp': {
      const re = value as { pattern: string; options: string };
      return `/${re.pattern}/${re.options}`;
    }
    case 'BSONSymbol':
      return (value as { value: string }).value;
    case 'Code':
      return (value as { code: string }).code;
    case 'DBRef': {
      const ref = value as { collection: string; oid: unknown; db?: string };
      return { $ref: ref.collection, $id: toJsonValue(ref.oid, `${path}.$id`), ...(ref.db ? { $db: ref.db } : {}) };
    }
    case 'MinKey':
    case 'MaxKey':
      throw new MappingError(path, `${bsonType(value)} has no JSON form`);
    case undefined:
      break;
    default:
      throw new MappingError(path, `unsupported BSON type ${bsonType(value)}`);
  }
  if (value instanceof RegExp) return `/${value.source}/${value.flags}`;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v, path ? `${path}.${k}` : k);
  return out;
}

/** The string a MongoDB `_id` becomes as a Cosmos `id`. */
export function idToString(id: unknown): string {
  if (typeof id === 'string') return id;
  const mapped = toJsonValue(id, '_id');
  if (typeof mapped === 'string') return mapped;
  if (typeof mapped === 'number' || typeof mapped === 'boolean') return String(mapped);
  // Compound _id (an embedded document): its JSON text is the stable string form.
  return JSON.stringify(mapped);
}

/**
 * MongoDB (or Extended JSON) document -> Cosmos DB item. `_id` is kept (mapped like any value) and
 * copied to `id` when the document has no `id`, as the original scripts did.
 */
export function toCosmosDocument(doc: Doc): Doc {
  const out = toJsonValue(doc, '') as Doc;
  if (out.id === undefined && doc._id !== undefined && doc._id !== null) out.id = idToString(doc._id);
  return out;
}

/** `plain` export format: the Cosmos mapping, with the top-level `_id` always a string. */
export function toPlainDocument(doc: Doc): Doc {
  const out = toJsonValue(doc, '') as Doc;
  if (doc._id !== undefined && doc._id !== null) out._id = idToString(doc._id);
  return out;
}

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/i;

export interface ToMongoOptions {
  /** Turn 24-hex string `_id`s back into ObjectIds (what the application looks user_roles up by). */
  restoreObjectIds?: boolean;
}

/** Cosmos DB item (or plain JSON) -> MongoDB document: `_id` from `_id`, else from `id`. */
export function toMongoDocument(doc: Doc, options: ToMongoOptions = {}): Doc {
  let id = doc._id ?? doc.id;
  if (id === undefined || id === null) throw new MappingError('_id', 'document has neither _id nor id');
  if (options.restoreObjectIds && typeof id === 'string' && OBJECT_ID_HEX.test(id)) id = ObjectId.createFromHexString(id.toLowerCase());
  if (doc._id === id) return doc;
  return { _id: id, ...Object.fromEntries(Object.entries(doc).filter(([k]) => k !== '_id')) };
}
