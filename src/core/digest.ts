import { createHash } from 'node:crypto';
import { EJSON } from './bson.js';
import { stripSystemProperties, type Doc } from './documents.js';
import { idToString, toJsonValue } from './type-mapping.js';

/**
 * How documents are normalised before they are compared:
 * - `json`: the Cosmos DB view. BSON values go through the import's type mapping (ObjectId ->
 *   24 hex, Date -> ISO string, Long -> number or string...), system properties are dropped and
 *   `id`/`_id` fill each other in, as import and migrate do. Used whenever one side holds plain
 *   JSON (Cosmos DB, or an export in `json`/`plain` format), so Cosmos <-> MongoDB comparisons
 *   compare like with like.
 * - `bson`: both sides keep BSON types (MongoDB, or an Extended JSON export). ObjectId, Date,
 *   Binary, Decimal128 and large Longs keep their identity; numbers compare by value, because
 *   drivers promote Int32/Double/Long to JavaScript numbers differently.
 */
export type DigestMode = 'json' | 'bson';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function bsonType(value: object): string | undefined {
  const t = (value as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

function numberText(n: number): string {
  // JSON has no NaN/Infinity; tag them so they still compare equal to themselves only. -0 is
  // not 0 either: a store that drops the sign (FerretDB) must not look equal to the file.
  if (n === 0) return Object.is(n, -0) ? '{"$number":"-0"}' : '0';
  return Number.isFinite(n) ? JSON.stringify(n) : `{"$number":"${String(n)}"}`;
}

/**
 * json mode: a whole number beyond 2^53 as the decimal string the type mapping makes of an Int64
 * that large (MongoDB Long -> Cosmos DB string), so that a json file's 2^60 and the Int64 2^60
 * MongoDB stores for it compare equal, as do a Cosmos DB item and the MongoDB document it came from.
 */
function jsonNumberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) > Number.MAX_SAFE_INTEGER ? JSON.stringify(BigInt(n).toString()) : numberText(n);
}

function bigText(big: bigint): string {
  return big <= MAX_SAFE && big >= -MAX_SAFE ? numberText(Number(big)) : `{"$numberLong":"${big.toString()}"}`;
}

/** Canonical text of a value: object keys sorted, arrays in order, BSON values tagged. */
function canonical(value: unknown, json: boolean): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return json ? jsonNumberText(value) : numberText(value);
    case 'bigint':
      return bigText(value);
    case 'object':
      break;
    default:
      return JSON.stringify(String(value));
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, json)).join(',')}]`;
  const type = bsonType(value as object);
  if (type === 'Int32' || type === 'Double') return numberText((value as { value: number }).value);
  if (type === 'Long') return bigText(BigInt((value as { toString(): string }).toString()));
  if (type !== undefined || value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) {
    // Every other BSON value has exactly one canonical Extended JSON form.
    const ejson = EJSON.serialize({ v: value }, { relaxed: false }) as { v: unknown };
    return canonical(ejson.v, json);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  const parts: string[] = [];
  for (const k of keys) {
    if (obj[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonical(obj[k], json)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The string an id value is known by in every store (ObjectId -> 24 hex). */
export function idKey(id: unknown): string {
  if (typeof id === 'string') return id;
  try {
    return idToString(id);
  } catch {
    return canonical(id, false);
  }
}

/**
 * The id two stores match a document by: `id` (what Cosmos DB keys on), else `_id`. In `bson`
 * mode `_id` comes first, because that is what MongoDB keys on. Undefined when neither exists.
 */
export function documentKey(doc: Doc, mode: DigestMode = 'json'): string | undefined {
  const first = mode === 'bson' ? doc._id : doc.id;
  const second = mode === 'bson' ? doc.id : doc._id;
  const id = first ?? second;
  return id === undefined || id === null ? undefined : idKey(id);
}

/** The document as the comparison sees it, after the rules the target applies. */
export function normaliseDocument(doc: Doc, mode: DigestMode): unknown {
  if (mode === 'bson') return doc;
  let out: Doc;
  try {
    out = toJsonValue(stripSystemProperties(doc), '') as Doc;
  } catch (err) {
    // A value the JSON mapping refuses (NaN, MinKey...) could never have reached a JSON store:
    // keep it distinguishable instead of hiding it.
    return { $unmappable: (err as Error).message, document: doc };
  }
  if (out.id === undefined && doc._id !== undefined && doc._id !== null) out.id = idKey(doc._id);
  if (out._id === undefined && out.id !== undefined) out._id = out.id;
  return out;
}

/** Canonical serialisation of the normalised document: equal text <=> equal content. */
export function canonicalDocument(doc: Doc, mode: DigestMode): string {
  return canonical(normaliseDocument(doc, mode), mode === 'json');
}

/** sha256 of the canonical serialisation, base64 (44 characters). */
export function documentDigest(doc: Doc, mode: DigestMode): string {
  return createHash('sha256').update(canonicalDocument(doc, mode), 'utf8').digest('base64');
}
