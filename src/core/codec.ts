import { Decimal128, EJSON, type Double, type Long } from './bson.js';
import type { Doc } from './documents.js';
import { classifyInteger, isIntegerLiteral, parseExactJson, readDouble } from './exact-json.js';
import type { JsonFormat } from './manifest.js';
import { MappingError, markEdgeNumbers, toPlainDocument } from './type-mapping.js';

/** Formats whose lines carry BSON types (MongoDB Extended JSON v2). */
export function isExtendedJson(format: JsonFormat): boolean {
  return format === 'canonical' || format === 'relaxed';
}

/**
 * One document as one NDJSON line (without the newline), in the export's format. Throws
 * (MappingError for `plain`) when the document has no form in it; the caller rejects it.
 */
export function encodeDocument(doc: Doc, format: JsonFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(doc);
    case 'plain':
      return JSON.stringify(toPlainDocument(doc));
    case 'canonical':
      return EJSON.stringify(doc, { relaxed: false });
    case 'relaxed':
      return relaxedFromCanonical(EJSON.stringify(doc, { relaxed: false }));
  }
}

// ---------------------------------------------------------------------------------------------
// Relaxed Extended JSON, as MongoDB's own tools write it
//
// js-bson's relaxed mode writes an Int64 as a JavaScript number, so 9007199254740993 came out as
// 9007199254740992 (another document's _id). The specification's relaxed form of an Int64 is
// its exact integer, and mongoexport --jsonFormat=relaxed (the Go driver's MarshalExtJSON)
// writes it so. Relaxed text is therefore made from js-bson's exact canonical text by rewriting
// the four wrappers relaxed mode drops, with the Go driver's number and date formatting, so
// that docferry's relaxed lines are byte for byte mongoexport's (test/unit/relaxed-extjson.test.ts).
// Rewriting the text is safe: inside a JSON string every quote is escaped, so `{"$numberLong":"`
// can only be a wrapper js-bson wrote.
// ---------------------------------------------------------------------------------------------

const CANONICAL_DATE = /\{"\$date":\{"\$numberLong":"(-?\d+)"\}\}/g;
const CANONICAL_DOUBLE = /\{"\$numberDouble":"([^"]*)"\}/g;
/** Not a date's milliseconds: a date outside 1970-9999 keeps {"$date":{"$numberLong":…}} in relaxed. */
const CANONICAL_INTEGER = /(?<!"\$date":)\{"\$number(?:Int|Long)":"(-?\d+)"\}/g;
/** The last millisecond of year 9999: relaxed dates are ISO strings only from 1970 to there. */
const RELAXED_DATE_MAX = 253402300799999;

/** The Go driver's formatDouble: strconv 'G' shortest (exponent below -4 or from 6 up), ".0" on whole numbers. */
export function goFormatDouble(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}E${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let text: string;
  if (exp < 0) text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) text = digits + '0'.repeat(exp + 1 - digits.length);
  else text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return sign + (text.includes('.') ? text : `${text}.0`);
}

/** Go's time.Format("2006-01-02T15:04:05.999Z07:00"): milliseconds without trailing zeros. */
function goRelaxedDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

function relaxDate(match: string, dateMs: string): string {
  const ms = Number(dateMs);
  return ms >= 0 && ms <= RELAXED_DATE_MAX ? `{"$date":"${goRelaxedDate(ms)}"}` : match;
}

function relaxDouble(match: string, text: string): string {
  const v = Number(text);
  // NaN and ±Infinity have no JSON number: relaxed keeps their wrapper.
  return Number.isFinite(v) ? goFormatDouble(v) : match;
}

export function relaxedFromCanonical(canonical: string): string {
  // Dates first (their $numberLong is not an Int64), then doubles; Int32/Int64 become their digits
  // by a native replacement, the cheapest pass, since they are the most frequent wrappers.
  let relaxed = canonical.includes('{"$date":{') ? canonical.replace(CANONICAL_DATE, relaxDate) : canonical;
  if (relaxed.includes('{"$numberDouble":')) relaxed = relaxed.replace(CANONICAL_DOUBLE, relaxDouble);
  relaxed = relaxed.replace(CANONICAL_INTEGER, '$1');
  // Go escapes U+2028 and U+2029 (JSON.stringify leaves them raw); raw, they can only be in strings.
  return LINE_SEPARATORS.test(relaxed) ? relaxed.replace(LINE_SEPARATORS_ALL, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029')) : relaxed;
}
const LINE_SEPARATORS = /[\u2028\u2029]/;
const LINE_SEPARATORS_ALL = /[\u2028\u2029]/g;

// ---------------------------------------------------------------------------------------------
// Decoding: every number lands exactly or the line is refused with its field path
// ---------------------------------------------------------------------------------------------

/**
 * Whether a parsed value holds a number that may not be what its text said: beyond 2^53 (a
 * rounded integer, or Infinity from an overflow like 1e400) or -0, as a plain number or as the
 * Long/Double js-bson made of a bare number. Such a line is parsed again from its literals. A walk
 * over the parsed values costs a small share of the parse (about 6 % of EJSON.parse, 17 % of
 * JSON.parse on the synthetic data), where a regex over the text cost as much as the parse.
 */
function mayHoldEdgeNumber(v: unknown): boolean {
  if (typeof v === 'number') return v > MAX_SAFE || v < -MAX_SAFE || (v === 0 && Object.is(v, -0));
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (mayHoldEdgeNumber(x)) return true;
    return false;
  }
  const type = (v as { _bsontype?: unknown })._bsontype;
  if (type !== undefined) {
    if (type === 'Long') {
      const high = (v as Long).high;
      return high > 0x1fffff || high < -0x200000;
    }
    if (type === 'Double') {
      // Also a bare integer beyond Int64 (js-bson makes it a Double), and every overflow (Infinity).
      const x = (v as Double).value;
      return !(x <= MAX_SAFE && x >= -MAX_SAFE);
    }
    return false;
  }
  if (v instanceof Date) return false;
  for (const k in v) if (mayHoldEdgeNumber((v as Record<string, unknown>)[k])) return true;
  return false;
}
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Extended JSON wrappers whose text js-bson converts without checking (it wraps, truncates or gives NaN). */
const EJSON_WRAPPER = /"\$(numberInt|numberLong|numberDouble|numberDecimal|date)"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(\{\s*"\$numberLong"\s*:\s*"((?:[^"\\]|\\.)*)"\s*\})|([^\s"]))/g;

const INTEGER_TEXT = /^-?\d+$/;
const DOUBLE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:Z|[+-]\d{2}:\d{2})$/;
/** JavaScript dates (and so docferry) hold ±8.64e15 ms around 1970: ±275,760 years. */
const JS_DATE_LIMIT = 8.64e15;

function int64Problem(text: string): string | undefined {
  if (!INTEGER_TEXT.test(text)) return 'is not a decimal integer';
  if (text.replace('-', '').length >= 19) {
    const big = BigInt(text);
    if (big > 9223372036854775807n || big < -9223372036854775808n) return 'is beyond the range of an Int64 (±9223372036854775807)';
  }
  return undefined;
}

/** Why one wrapper's value has no exact BSON value, or undefined when it has one. */
function wrapperProblem(kind: string, text: string | undefined, dateLong: string | undefined, other: string | undefined): string | undefined {
  if (other !== undefined || (dateLong !== undefined && kind !== 'date')) return 'must be a string';
  switch (kind) {
    case 'numberInt': {
      if (!INTEGER_TEXT.test(text!)) return 'is not a decimal integer';
      const n = Number(text);
      return n > 0x7fffffff || n < -0x80000000 ? 'is beyond the range of an Int32 (-2147483648 to 2147483647)' : undefined;
    }
    case 'numberLong':
      return int64Problem(text!);
    case 'numberDouble':
      if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return undefined;
      if (!DOUBLE_TEXT.test(text!)) return 'is not a number (nor "NaN", "Infinity", "-Infinity")';
      return Number.isFinite(Number(text)) ? undefined : 'is beyond the range of a double (about ±1.8e308)';
    case 'numberDecimal':
      try {
        Decimal128.fromString(text!);
        return undefined;
      } catch (err) {
        return `is not an exact Decimal128 (${(err as Error).message})`;
      }
    default: {
      // $date
      if (dateLong !== undefined) {
        const problem = int64Problem(dateLong);
        if (problem) return `{"$numberLong": "${dateLong}"} ${problem}`;
        return Math.abs(Number(dateLong)) > JS_DATE_LIMIT ? `{"$numberLong": "${dateLong}"} is beyond the dates docferry can hold (±8.64e15 ms, about ±275,760 years around 1970)` : undefined;
      }
      const m = ISO_DATE.exec(text!);
      if (!m || Number.isNaN(Date.parse(text!))) return 'is not an ISO-8601 date (like "2024-05-06T07:08:09.123Z") nor {"$numberLong": milliseconds}';
      if (m[1] !== undefined && /[1-9]/.test(m[1].slice(3))) return 'has more precision than a BSON date holds (milliseconds)';
      return undefined;
    }
  }
}

/** The path of the first object in `value` whose `key` is `wanted` (JSON text of the value), for the message. */
function pathOfWrapper(value: unknown, key: string, wanted: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (!Array.isArray(value) && key in value) {
    const v = (value as Record<string, unknown>)[key];
    // wanted undefined: the wrapper whose value is not a string.
    if (wanted === undefined ? typeof v !== 'string' && !(v !== null && typeof v === 'object' && '$numberLong' in v) : JSON.stringify(v) === JSON.stringify(wanted)) return path;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [k, v] as const);
  for (const [k, v] of entries) {
    const found = pathOfWrapper(v, key, wanted, k.startsWith('[') ? `${path}${k}` : path ? `${path}.${k}` : k);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The wrappers checkWrappers must look at: every one except the forms that are always exact (an
 * Int32 of up to 9 digits, an Int64 of up to 18, a date of up to 15 digits of milliseconds or a
 * well-formed ISO string with milliseconds, a double of up to 15 digits with a 2-digit exponent).
 * Led by the literal `"$`, one test of a canonical line is cheap; most lines then need no more.
 */
const SUSPECT_WRAPPER = new RegExp(
  [
    String.raw`"\$numberInt"\s*:\s*(?!"-?\d{1,9}")`,
    String.raw`"\$numberLong"\s*:\s*(?!"-?\d{1,18}")`,
    String.raw`"\$numberDouble"\s*:\s*(?!"(?:-?\d{1,15}(?:\.\d+)?(?:[eE][+-]?\d{1,2})?|NaN|-?Infinity)")`,
    String.raw`"\$numberDecimal"`,
    String.raw`"\$date"\s*:\s*(?!\{"\$numberLong":"-?\d{1,15}"\}|"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,3})?Z")`,
  ].join('|'),
);

function checkWrappers(line: string): void {
  if (!SUSPECT_WRAPPER.test(line)) return;
  EJSON_WRAPPER.lastIndex = 0;
  for (let m = EJSON_WRAPPER.exec(line); m !== null; m = EJSON_WRAPPER.exec(line)) {
    const [, kind, text, dateObject, dateLong, other] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined, string | undefined];
    const problem = wrapperProblem(kind, text, dateLong, other);
    if (problem === undefined) continue;
    // Rare: parse the line once more to name the field.
    const plain = JSON.parse(line) as unknown;
    const wanted = text !== undefined ? text : dateObject !== undefined ? { $numberLong: dateLong } : undefined;
    const path = pathOfWrapper(plain, `$${kind}`, wanted);
    const shown = text !== undefined ? JSON.stringify(text) : dateObject !== undefined ? dateObject.replace(/\s+/g, '') : 'a non-string value';
    throw new MappingError(path ?? '(document)', `{"$${kind}": ${shown}} ${kind === 'date' && dateObject !== undefined ? problem.replace(/^\{[^}]*\} /, '') : problem}`);
  }
}

/** Bare numbers of an Extended JSON line, exactly: big integers as Int64 (by the spec's relaxed rule), else exact doubles. */
function readExtendedJsonNumber(literal: string, path: string): unknown {
  if (!isIntegerLiteral(literal)) {
    const v = readDouble(literal, path);
    // EJSON.deserialize goes through JSON text, where -0 would become 0.
    return Object.is(v, -0) ? { $numberDouble: '-0.0' } : v;
  }
  if (literal === '-0') return { $numberDouble: '-0.0' };
  if (literal.replace('-', '').length < 16) return Number(literal);
  const exact = classifyInteger(literal);
  if (exact === undefined) throw new MappingError(path, `the integer ${literal} is beyond the range of an Int64 and has no exact double form`);
  return 'int64' in exact ? { $numberLong: literal } : exact.double;
}

/** Bare numbers of a json/plain line: exact doubles where they are, else Int64 (only MongoDB holds those; Cosmos DB's sink refuses them). */
function readJsonNumber(literal: string, path: string, seen: { edge: boolean }): unknown {
  let value: unknown;
  if (!isIntegerLiteral(literal)) value = readDouble(literal, path);
  else if (literal.replace('-', '').length < 16) value = Number(literal);
  else {
    const exact = classifyInteger(literal);
    if (exact === undefined) throw new MappingError(path, `the integer ${literal} is beyond the range of an Int64 and has no exact double form`);
    value = 'int64' in exact ? exact.int64 : exact.double;
  }
  if (typeof value === 'bigint' || Object.is(value, -0)) seen.edge = true;
  return value;
}

/**
 * Parses one NDJSON line. Throws a MappingError (field path and reason) for a value with no
 * exact form, a SyntaxError or BSONError for malformed text; the export-directory source turns
 * either into a reject with the line's position.
 *
 * Extended JSON is parsed non-relaxed so that Int32, Int64 and Double keep their BSON types on
 * the way back into MongoDB (a relaxed export has already lost the difference between a Double
 * 5.0 and an Int32 5; canonical has not).
 */
export function decodeDocument(line: string, format: JsonFormat): unknown {
  if (isExtendedJson(format)) {
    checkWrappers(line);
    const value = EJSON.parse(line, { relaxed: false }) as unknown;
    if (!mayHoldEdgeNumber(value)) return value;
    return EJSON.deserialize(parseExactJson(line, readExtendedJsonNumber) as Doc, { relaxed: false });
  }
  const value = JSON.parse(line) as unknown;
  if (!mayHoldEdgeNumber(value)) return value;
  const seen = { edge: false };
  const exact = parseExactJson(line, (literal, path) => readJsonNumber(literal, path, seen));
  if (seen.edge && exact !== null && typeof exact === 'object') markEdgeNumbers(exact as Doc);
  return exact;
}
