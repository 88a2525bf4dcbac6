import { Binary, BSON, Decimal128, Double, EJSON, Int32, Long, ObjectId } from './bson.js';

// ---------------------------------------------------------------------------------------------
// Canonical Extended JSON written straight from a deserialised document
//
// EJSON.stringify(doc, { relaxed: false }) first builds a second object tree (a wrapper object
// per value: {$numberInt: "5"}, {$date: {$numberLong: ...}}, ...), checking each object against
// the path of the ones above it for cycles, then hands that tree to JSON.stringify. On an export
// that was the largest share of docferry's own CPU, and most of the garbage collection
// (docs/BENCHMARKS.md, "Where an export's CPU goes"). This writes the same text in one walk.
//
// The text must be byte for byte js-bson's: every value is formatted by the expression js-bson
// uses (Double's toFixed(1)/toString, Long's toString, Decimal128's toString, JSON.stringify for
// strings and keys). What is rare or has subtle rules of its own (Code, DBRef, Map, a JavaScript
// RegExp, a vector Binary, class instances, a plain object with a `_bsontype` key) is not
// reimplemented: the whole document goes to EJSON.stringify, as does any document the walk
// throws on, so that errors (cycles, BSON version mismatches) are js-bson's own too.
// test/unit/canonical-ejson.test.ts compares the two over generated documents of every type.
// ---------------------------------------------------------------------------------------------

const { BSONRegExp, BSONSymbol, MaxKey, MinKey, Timestamp } = BSON;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
// js-bson's bounds, as doubles (2^63): a JavaScript integer up to them is written as an Int64.
const INT64_MIN = -0x8000000000000000;
const INT64_MAX = 0x7fffffffffffffff;
const SUBTYPE_VECTOR = 9;

/** Thrown inside the walk for a value it leaves to EJSON.stringify. */
class Unhandled extends Error {}
const UNHANDLED = new Unhandled();

function numberText(value: number): string {
  if (Number.isInteger(value) && !Object.is(value, -0)) {
    if (value >= INT32_MIN && value <= INT32_MAX) return `{"$numberInt":"${value.toString()}"}`;
    if (value >= INT64_MIN && value <= INT64_MAX) return `{"$numberLong":"${value.toString()}"}`;
  }
  return `{"$numberDouble":"${Object.is(value, -0) ? '-0.0' : value.toString()}"}`;
}

function doubleText(value: number): string {
  if (Object.is(Math.sign(value), -0)) return '{"$numberDouble":"-0.0"}';
  return `{"$numberDouble":"${Number.isInteger(value) ? value.toFixed(1) : value.toString()}"}`;
}

function binaryText(b: Binary): string {
  if (b.sub_type === SUBTYPE_VECTOR) throw UNHANDLED;
  const bytes = b.buffer;
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const subType = Number(b.sub_type).toString(16);
  return `{"$binary":{"base64":"${base64}","subType":"${subType.length === 1 ? `0${subType}` : subType}"}}`;
}

/** A value whose `_bsontype` says it is one of js-bson's classes. */
function bsonText(v: object, type: unknown): string {
  // The class is checked as well as the name: an object of another copy of bson (or a plain
  // object with a `_bsontype` key) must reach js-bson's own checks, in EJSON.stringify. By name
  // first: a Timestamp is also an instance of Long.
  switch (type) {
    case 'Int32':
      if (v instanceof Int32) return `{"$numberInt":"${v.value.toString()}"}`;
      break;
    case 'Double':
      if (v instanceof Double) return doubleText(v.value);
      break;
    case 'Long':
      if (v instanceof Long) return `{"$numberLong":"${v.toString()}"}`;
      break;
    case 'ObjectId':
      if (v instanceof ObjectId) return `{"$oid":"${v.toHexString()}"}`;
      break;
    case 'Binary':
      if (v instanceof Binary) return binaryText(v);
      break;
    case 'Decimal128':
      if (v instanceof Decimal128) return `{"$numberDecimal":"${v.toString()}"}`;
      break;
    case 'BSONRegExp':
      if (v instanceof BSONRegExp) return `{"$regularExpression":{"pattern":${JSON.stringify(v.pattern)},"options":${JSON.stringify(v.options)}}}`;
      break;
    case 'Timestamp':
      if (v instanceof Timestamp) return `{"$timestamp":{"t":${JSON.stringify(v.t)},"i":${JSON.stringify(v.i)}}}`;
      break;
    case 'BSONSymbol':
      if (v instanceof BSONSymbol) return `{"$symbol":${JSON.stringify(v.value)}}`;
      break;
    case 'MinKey':
      if (v instanceof MinKey) return '{"$minKey":1}';
      break;
    case 'MaxKey':
      if (v instanceof MaxKey) return '{"$maxKey":1}';
      break;
  }
  throw UNHANDLED;
}

function valueText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'bigint':
      return `{"$numberLong":"${BigInt.asIntN(64, v).toString()}"}`;
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return arrayText(v);
      if (v instanceof Date) return `{"$date":{"$numberLong":"${v.getTime().toString()}"}}`;
      {
        const type = (v as { _bsontype?: unknown })._bsontype;
        return type === undefined ? objectText(v) : bsonText(v, type);
      }
    default:
      // functions and symbols: JSON.stringify's own rules, left to it
      throw UNHANDLED;
  }
}

function arrayText(a: unknown[]): string {
  if (Object.getPrototypeOf(a) !== Array.prototype) throw UNHANDLED;
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    if (i > 0) out += ',';
    out += valueText(a[i]);
  }
  return `${out}]`;
}

function objectText(o: object): string {
  const proto = Object.getPrototypeOf(o) as unknown;
  // Class instances (Map, Buffer, a Date of another realm...) have rules of their own.
  if (proto !== Object.prototype && proto !== null) throw UNHANDLED;
  let out = '{';
  let first = true;
  for (const key of Object.keys(o)) {
    if (first) first = false;
    else out += ',';
    out += JSON.stringify(key);
    out += ':';
    out += valueText((o as Record<string, unknown>)[key]);
  }
  return `${out}}`;
}

/**
 * The walk alone: undefined where it leaves the document to EJSON.stringify (exported so that
 * the tests can tell the walk's text from js-bson's).
 */
export function directCanonicalExtendedJson(doc: unknown): string | undefined {
  try {
    return valueText(doc);
  } catch {
    // Unhandled, or an error (a cycle overflows the stack here): js-bson gives its own answer.
    return undefined;
  }
}

/** EJSON.stringify(doc, { relaxed: false }), byte for byte, without the intermediate tree. */
export function canonicalExtendedJson(doc: unknown): string {
  return directCanonicalExtendedJson(doc) ?? EJSON.stringify(doc, { relaxed: false });
}
