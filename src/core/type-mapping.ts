import { Binary, Double, Int32, Long, ObjectId } from './bson.js';
import { displayId, type Doc } from './documents.js';

/**
 * The cross-backend type rules (docs/type-mapping.md), applied the same way by import, migrate
 * and the `plain` export format. MongoDB values carry BSON types; Cosmos DB stores JSON only.
 * Every rule that loses information says so in the docs; a value with no JSON form is a
 * MappingError naming its path, which the sinks turn into a reject (never a silent drop).
 */

export class MappingError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || '(document)'}: ${reason}`);
    this.name = 'MappingError';
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

/** The `_bsontype` tag every bson value class carries (works across module copies, unlike instanceof). */
export function bsonTypeOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const t = (value as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Int64 as a JSON number while it is exact, else as its decimal string. */
function bigToJson(big: bigint): number | string {
  return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big.toString();
}

function finite(v: number, path: string): number {
  if (!Number.isFinite(v)) throw new MappingError(path, `the number ${v} cannot be stored as JSON`);
  // JSON serialisation (the Cosmos DB SDK's included) writes -0 as 0.
  if (v === 0 && Object.is(v, -0)) throw new MappingError(path, 'negative zero (-0.0) cannot be stored as JSON: it would be written as 0');
  return v;
}

/**
 * Set by the codec on a json/plain document whose text held an integer beyond 2^53 that is not
 * an exact double (kept as a bigint) or a negative zero: values JSON.stringify would throw on or
 * write as 0. Non-enumerable, so it travels with the object and nowhere else; sinks that write
 * JSON check such a document with jsonEdgeProblem.
 */
const EDGE_NUMBERS = Symbol('docferry.edgeNumbers');

export function markEdgeNumbers(doc: Doc): void {
  Object.defineProperty(doc, EDGE_NUMBERS, { value: true, enumerable: false });
}

export function hasEdgeNumbers(doc: Doc): boolean {
  return (doc as Record<symbol, unknown>)[EDGE_NUMBERS] === true;
}

/** The first value of a plain JSON document that has no exact JSON (IEEE-754 double) form, as a MappingError. */
export function jsonEdgeProblem(value: unknown, path = ''): MappingError | undefined {
  if (typeof value === 'bigint') {
    return new MappingError(path, `the integer ${value} has no exact form in Cosmos DB, whose numbers are IEEE-754 doubles (exact up to 2^53); store it as a string in the source, or import it into MongoDB (Int64)`);
  }
  if (typeof value === 'number') return Object.is(value, -0) ? new MappingError(path, 'negative zero (-0) cannot be stored in Cosmos DB: JSON serialisation writes it as 0') : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonEdgeProblem(value[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = jsonEdgeProblem(v, join(path, k));
    if (p) return p;
  }
  return undefined;
}

/** One BSON (or plain JS) value as the JSON value Cosmos DB stores. */
export function toJsonValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return finite(value, path);
  if (typeof value === 'bigint') return bigToJson(value);
  if (value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new MappingError(path, 'invalid date');
    return value.toISOString();
  }
  if (Array.isArray(value)) return value.map((v, i) => toJsonValue(v, `${path}[${i}]`));
  if (typeof value !== 'object') throw new MappingError(path, `unsupported value of type ${typeof value}`);
  const type = bsonTypeOf(value);
  switch (type) {
    case 'ObjectId':
      return (value as ObjectId).toHexString();
    case 'Int32':
      return (value as Int32).value;
    case 'Double':
      return finite((value as Double).value, path);
    case 'Long':
      return bigToJson(BigInt((value as Long).toString()));
    case 'Decimal128':
      // A string keeps every digit; a JSON number would round to a double.
      return (value as { toString(): string }).toString();
    case 'Binary':
      return Buffer.from((value as Binary).value()).toString('base64');
    case 'Timestamp': {
      const ts = value as unknown as { t: number; i: number };
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
      return { $ref: ref.collection, $id: toJsonValue(ref.oid, join(path, '$id')), ...(ref.db ? { $db: ref.db } : {}) };
    }
    case 'MinKey':
    case 'MaxKey':
      throw new MappingError(path, `${type} has no JSON form`);
    case undefined:
      break;
    default:
      throw new MappingError(path, `unsupported BSON type ${type}`);
  }
  if (value instanceof RegExp) return `/${value.source}/${value.flags}`;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v, join(path, k));
  return out;
}

/**
 * The string a MongoDB `_id` becomes as a Cosmos DB `id` (and as the top-level `_id` of a
 * `plain` export). Strings stay as they are; the rest is documented in docs/type-mapping.md.
 */
export function idToString(id: unknown): string {
  if (typeof id === 'string') return id;
  if (id === null || id === undefined) throw new MappingError('_id', '_id is null; Cosmos DB needs a string id');
  const type = bsonTypeOf(id);
  // base64 may hold "/", which Cosmos DB forbids in ids; hex never does.
  if (type === 'Binary') return Buffer.from((id as Binary).value()).toString('hex');
  if (id instanceof Uint8Array) return Buffer.from(id).toString('hex');
  if (type === 'Double') return String(finite((id as Double).value, '_id'));
  const mapped = toJsonValue(id, '_id');
  if (typeof mapped === 'string') return mapped;
  if (typeof mapped === 'number' || typeof mapped === 'boolean') return String(mapped);
  // A compound _id (an embedded document, or a Timestamp): its JSON text, keys in stored order.
  return JSON.stringify(mapped);
}

/** An `_id` of any type, short enough for a message: its string form by the rules above, or plain `String()` where they refuse it. */
export function printableId(id: unknown): string {
  try {
    return displayId(idToString(id));
  } catch {
    return displayId(String(id));
  }
}

/**
 * MongoDB (or Extended JSON) document -> Cosmos DB item: every value mapped to JSON, and `id`
 * set from `_id` when the document has no `id` of its own (the original scripts' rule). `_id`
 * stays too, mapped like any other value, so the application finds it where it looks.
 */
export function toCosmosDocument(doc: Doc): Doc {
  const out = toJsonValue(doc, '') as Doc;
  if (out.id === undefined && '_id' in doc) out.id = idToString(doc._id);
  return out;
}

/** `plain` export format: the Cosmos DB mapping, with the top-level `_id` a string (no `id` added). */
export function toPlainDocument(doc: Doc): Doc {
  const out = toJsonValue(doc, '') as Doc;
  if ('_id' in doc && doc._id !== undefined) out._id = idToString(doc._id);
  return out;
}

/**
 * A plain JSON value (from Cosmos DB or a json/plain export) with BSON number types, by the
 * rule Extended JSON uses for bare numbers and pymongo used for Python ints: a whole number is
 * Int32 when it fits, else Int64; any other number is a Double. Without this the driver would
 * store whole numbers above 2^31 as doubles.
 */
export function fromJsonValue(value: unknown): unknown {
  // An integer the codec read exactly beyond 2^53 (it is within Int64: the codec refuses the rest).
  if (typeof value === 'bigint') return Long.fromBigInt(value);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && !Object.is(value, -0)) {
      if (value >= INT32_MIN && value <= INT32_MAX) return new Int32(value);
      if (value >= INT64_MIN && value < INT64_MAX) return Long.fromNumber(value);
    }
    return new Double(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (bsonTypeOf(value) !== undefined || value instanceof Date) return value;
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromJsonValue(v);
  return out;
}

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/i;

export interface ToMongoOptions {
  /** Turn 24-hex string `_id`s back into ObjectIds (what the application looks user_roles up by). */
  restoreObjectIds?: boolean;
  /** The document is plain JSON (Cosmos DB, a json or plain export): give its numbers BSON types. */
  json?: boolean;
}

/**
 * Cosmos DB item, plain JSON or BSON document -> MongoDB document: `_id` from `_id`, else from
 * `id` (which stays as a field: nothing is dropped). `_id` goes first, where MongoDB keeps it.
 */
export function toMongoDocument(input: Doc, options: ToMongoOptions = {}): Doc {
  const doc = options.json ? (fromJsonValue(input) as Doc) : input;
  let id = doc._id ?? doc.id;
  if (id === undefined || id === null) {
    // The driver would invent an ObjectId, and a re-run would then duplicate the document.
    throw new MappingError('_id', doc._id === null ? '_id is null and there is no id to use instead' : 'document has neither _id nor id');
  }
  if (options.restoreObjectIds && typeof id === 'string' && OBJECT_ID_HEX.test(id)) id = ObjectId.createFromHexString(id.toLowerCase());
  const out: Doc = { _id: id };
  for (const [k, v] of Object.entries(doc)) if (k !== '_id') out[k] = v;
  return out;
}
