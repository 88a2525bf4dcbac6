import { isUtf8 } from 'node:buffer';
import { Decimal128 } from './bson.js';
import type { LineSlab } from './line-slab.js';

// ---------------------------------------------------------------------------------------------
// Canonical Extended JSON straight from a document's BSON bytes
//
// An export used to deserialise every document (a JavaScript object per value: Int32, Double,
// Long...), turn it into a second tree of Extended JSON wrappers (EJSON.stringify), make a string
// of that, and encode the string back to UTF-8 for the file: three passes over every byte of
// every string, and the largest share of docferry's CPU and garbage (docs/BENCHMARKS.md, "Where
// an export's CPU goes"). The document's strings are already UTF-8 in its BSON, so this writes
// the line's bytes in one walk of the BSON: strings that need no escaping are copied as they are.
//
// The bytes must be exactly EJSON.stringify(BSON.deserialize(bson, RAW_BSON_READ), {relaxed:
// false}) in UTF-8. Every value is formatted by the expression js-bson uses. What has rules of its
// own in the deserialiser or in EJSON is not reimplemented: a key that is an integer (JavaScript
// puts those first), starts with `$` (DBRef detection) or repeats; a key or string that is not
// valid UTF-8 (the deserialiser's own check decides); Code, DBRef pointers, symbols, regular
// expressions, timestamps, Binary subtypes 2 (with its inner length) and 9 (vectors); anything
// malformed. For those the caller deserialises the document and encodes it as before
// (test/unit/bson-canonical.test.ts compares the two over generated documents of every type).
// ---------------------------------------------------------------------------------------------

/** A document's line: its UTF-8 bytes, and its length as a JavaScript string (what batches are sized by). */
export interface EncodedLine {
  bytes: Buffer;
  length: number;
}


/** Thrown inside the walk for a document it leaves to the deserialiser. */
const UNHANDLED = new Error('left to the deserialiser');

const TWO_POW_32 = 4294967296;
/** Int64 high words whose value is a safe integer: formatted as a number, else as a bigint. */
const SAFE_HIGH_MIN = -0x200000;
const SAFE_HIGH_MAX = 0x1fffff;
const MAX_DEPTH = 200;

let out = Buffer.allocUnsafe(64 * 1024);
let pos = 0;
/** JavaScript string length minus UTF-8 byte length of what was written (0 while it is ASCII). */
let extra16 = 0;
let src: Buffer = out;
/** Start and length of the keys of the objects being written, to find a repeated key. */
let keyStarts = new Int32Array(256);
let keyLengths = new Int32Array(256);
let keyTop = 0;

function ensure(n: number): void {
  if (pos + n <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, pos + n));
  out.copy(bigger, 0, 0, pos);
  out = bigger;
}

/** Text known to be ASCII (wrappers, numbers, hex, base64): short ones byte by byte, long ones natively. */
function ascii(s: string): void {
  ensure(s.length);
  if (s.length > 64) {
    pos += out.write(s, pos, 'latin1');
    return;
  }
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
}

/** 1 for the bytes a JSON string holds as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;
/** JSON.stringify's short escapes (\b \t \n \f \r), by control character; the others are \u00xx. */
const SHORT_ESCAPE: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];
/** Below this many bytes a loop copies faster than Buffer.copy's call. */
const NATIVE_COPY_BYTES = 48;
/** From this many bytes on, a string is scanned four bytes at a time. */
const WORD_SCAN_BYTES = 16;

/** `src`'s memory as 32-bit words, made when a long string is scanned (one view a document). */
let words: Int32Array | undefined;

/**
 * The index of the first byte in src[i, end) that a JSON string does not hold as it is, or end.
 * Long stretches are tested a word at a time: a word has such a byte when one of its bytes is
 * >= 0x80, < 0x20, `"` or `\` (the classic "has a byte less than n" and "has a zero byte" bit
 * tests, exact about whether a word has one; the byte loop then finds it).
 */
function plainUntil(i: number, end: number): number {
  const s = src;
  if (end - i < WORD_SCAN_BYTES) {
    while (i < end && PLAIN[s[i]!] === 1) i++;
    return i;
  }
  const base = s.byteOffset;
  while (((base + i) & 3) !== 0) {
    if (PLAIN[s[i]!] !== 1) return i;
    i++;
  }
  const w32 = (words ??= new Int32Array(s.buffer, 0, s.buffer.byteLength >> 2));
  let w = (base + i) >> 2;
  const wEnd = (base + end) >> 2;
  while (w < wEnd) {
    const x = w32[w]!;
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    if (((x | ((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080) !== 0) break;
    w++;
  }
  i = (w << 2) - base;
  while (i < end && PLAIN[s[i]!] === 1) i++;
  return i;
}

/** Copies src[from, to) to the output (room for it was ensured). */
function copyPlain(from: number, to: number): void {
  const n = to - from;
  if (n > NATIVE_COPY_BYTES) {
    src.copy(out, pos, from, to);
    pos += n;
    return;
  }
  const s = src;
  const o = out;
  let p = pos;
  for (let i = from; i < to; i++) o[p++] = s[i]!;
  pos = p;
}

/**
 * A JSON string of the UTF-8 bytes [start, end): the bytes as they are, with `"`, `\` and
 * control characters escaped as JSON.stringify escapes them. For valid UTF-8 that is exactly
 * JSON.stringify of the decoded string (it leaves every other character, U+2028 and U+2029
 * included, as it is; valid UTF-8 holds no lone surrogate for it to escape). Bytes that are not
 * valid UTF-8 are left to the deserialiser, whose own check decides.
 */
function jsonString(start: number, end: number): void {
  const s = src;
  ensure(end - start + 2);
  out[pos++] = 0x22;
  let plainFrom = start;
  let i = start;
  let nonAscii = false;
  // UTF-16 length minus UTF-8 length: -1 a continuation byte, +1 a 4-byte sequence's lead (2 units).
  let delta16 = 0;
  for (;;) {
    i = plainUntil(i, end);
    if (i === end) break;
    const c = s[i]!;
    if (c >= 0x80) {
      nonAscii = true;
      if (c < 0xc0) delta16--;
      else if (c >= 0xf0) delta16++;
      i++;
      continue;
    }
    copyPlain(plainFrom, i);
    // The rest of the string, at most 6 bytes for this one and the closing quote.
    ensure(end - i + 7);
    const o = out;
    o[pos++] = 0x5c;
    if (c === 0x22 || c === 0x5c) o[pos++] = c;
    else if (SHORT_ESCAPE[c] !== undefined) o[pos++] = SHORT_ESCAPE[c]!;
    else {
      o[pos++] = 0x75;
      o[pos++] = 0x30;
      o[pos++] = 0x30;
      o[pos++] = HEX[c >> 4]!;
      o[pos++] = HEX[c & 15]!;
    }
    i++;
    plainFrom = i;
  }
  copyPlain(plainFrom, end);
  out[pos++] = 0x22;
  if (nonAscii) {
    if (!isUtf8(s.subarray(start, end))) throw UNHANDLED;
    extra16 += delta16;
  }
}

function int32At(i: number): number {
  return src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);
}

function doubleText(value: number): string {
  if (Object.is(Math.sign(value), -0)) return '-0.0';
  return Number.isInteger(value) ? value.toFixed(1) : value.toString();
}

function int64Text(i: number): string {
  const high = int32At(i + 4);
  if (high >= SAFE_HIGH_MIN && high <= SAFE_HIGH_MAX) return (high * TWO_POW_32 + (int32At(i) >>> 0)).toString();
  return src.readBigInt64LE(i).toString();
}

/** Whether the key [start, start + length) is one of the current object's keys since `base`. */
function repeated(base: number, start: number, length: number): boolean {
  for (let k = base; k < keyTop; k++) {
    if (keyLengths[k] !== length) continue;
    const other = keyStarts[k]!;
    let j = 0;
    while (j < length && src[other + j] === src[start + j]) j++;
    if (j === length) return true;
  }
  return false;
}

function pushKey(start: number, length: number): void {
  if (keyTop === keyStarts.length) {
    const starts = new Int32Array(keyTop * 2);
    starts.set(keyStarts);
    keyStarts = starts;
    const lengths = new Int32Array(keyTop * 2);
    lengths.set(keyLengths);
    keyLengths = lengths;
  }
  keyStarts[keyTop] = start;
  keyLengths[keyTop++] = length;
}

/** Writes the document or array at `start`; returns the index after it. */
function documentAt(start: number, isArray: boolean, depth: number): number {
  if (depth > MAX_DEPTH || start + 5 > src.length) throw UNHANDLED;
  const size = int32At(start);
  const end = start + size - 1;
  if (size < 5 || end >= src.length || src[end] !== 0) throw UNHANDLED;
  const keyBase = keyTop;
  ensure(1);
  out[pos++] = isArray ? 0x5b : 0x7b;
  let i = start + 4;
  let first = true;
  while (i < end) {
    const type = src[i++]!;
    const keyStart = i;
    while (i < end && src[i] !== 0) i++;
    if (i >= end) throw UNHANDLED;
    const keyLength = i - keyStart;
    i++;
    ensure(1);
    if (first) first = false;
    else out[pos++] = 0x2c;
    if (!isArray) {
      // Integer keys come first in a JavaScript object, `$` keys may make a DBRef, a repeated key
      // keeps its first place. A key that is not valid UTF-8 becomes U+FFFD: jsonString leaves it.
      const c = keyLength > 0 ? src[keyStart]! : 0x61;
      if ((c >= 0x30 && c <= 0x39) || c === 0x24 || repeated(keyBase, keyStart, keyLength)) throw UNHANDLED;
      pushKey(keyStart, keyLength);
      jsonString(keyStart, keyStart + keyLength);
      ensure(1);
      out[pos++] = 0x3a;
    }
    switch (type) {
      case 0x01: // double
        if (i + 8 > end) throw UNHANDLED;
        ascii(`{"$numberDouble":"${doubleText(src.readDoubleLE(i))}"}`);
        i += 8;
        break;
      case 0x02: {
        // string
        const length = int32At(i);
        const stringEnd = i + 4 + length - 1;
        if (length <= 0 || stringEnd >= end || src[stringEnd] !== 0) throw UNHANDLED;
        jsonString(i + 4, stringEnd);
        i = stringEnd + 1;
        break;
      }
      case 0x03:
        i = documentAt(i, false, depth + 1);
        break;
      case 0x04:
        i = documentAt(i, true, depth + 1);
        break;
      case 0x05: {
        // binary
        const length = int32At(i);
        const subType = src[i + 4]!;
        const dataStart = i + 5;
        // Subtype 4 becomes a UUID, which refuses any length but 16.
        if (length < 0 || dataStart + length > end || subType === 2 || subType === 9 || (subType === 4 && length !== 16)) throw UNHANDLED;
        const hex = subType.toString(16);
        ascii(`{"$binary":{"base64":"${src.toString('base64', dataStart, dataStart + length)}","subType":"${hex.length === 1 ? `0${hex}` : hex}"}}`);
        i = dataStart + length;
        break;
      }
      case 0x06: // undefined: EJSON writes null
      case 0x0a: // null
        ascii('null');
        break;
      case 0x07: // ObjectId
        if (i + 12 > end) throw UNHANDLED;
        ascii(`{"$oid":"${src.toString('hex', i, i + 12)}"}`);
        i += 12;
        break;
      case 0x08: {
        const b = src[i++];
        if (b !== 0 && b !== 1) throw UNHANDLED;
        ascii(b === 1 ? 'true' : 'false');
        break;
      }
      case 0x09: {
        // date: as new Date(Long.toNumber()).getTime()
        if (i + 8 > end) throw UNHANDLED;
        const ms = new Date(int32At(i + 4) * TWO_POW_32 + (int32At(i) >>> 0)).getTime();
        ascii(`{"$date":{"$numberLong":"${ms.toString()}"}}`);
        i += 8;
        break;
      }
      case 0x10:
        if (i + 4 > end) throw UNHANDLED;
        ascii(`{"$numberInt":"${int32At(i).toString()}"}`);
        i += 4;
        break;
      case 0x12:
        if (i + 8 > end) throw UNHANDLED;
        ascii(`{"$numberLong":"${int64Text(i)}"}`);
        i += 8;
        break;
      case 0x13:
        if (i + 16 > end) throw UNHANDLED;
        ascii(`{"$numberDecimal":"${new Decimal128(Uint8Array.prototype.slice.call(src, i, i + 16)).toString()}"}`);
        i += 16;
        break;
      case 0x7f:
        ascii('{"$maxKey":1}');
        break;
      case 0xff:
        ascii('{"$minKey":1}');
        break;
      default:
        throw UNHANDLED;
    }
  }
  if (i !== end) throw UNHANDLED;
  keyTop = keyBase;
  ensure(1);
  out[pos++] = isArray ? 0x5d : 0x7d;
  return end + 1;
}

/**
 * Writes the document's line into this module's scratch buffer: its end there, or -1 when the
 * caller must deserialise it and encode the document instead (see above).
 */
function encodeToScratch(bson: Uint8Array): number {
  src = Buffer.isBuffer(bson) ? bson : Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength);
  pos = 0;
  extra16 = 0;
  keyTop = 0;
  try {
    if (documentAt(0, false, 0) !== src.length) return -1;
  } catch {
    // Unhandled or malformed: the deserialiser accepts it or says what is wrong with it.
    return -1;
  } finally {
    // Not to keep a batch of the driver's bytes alive through this module.
    src = out;
    words = undefined;
  }
  return pos;
}

/**
 * The canonical Extended JSON line of one BSON document, or undefined when the caller must
 * deserialise it and encode the document instead (see above).
 */
export function canonicalLineFromBson(bson: Uint8Array): EncodedLine | undefined {
  const end = encodeToScratch(bson);
  if (end < 0) return undefined;
  const bytes = Buffer.allocUnsafe(end);
  out.copy(bytes, 0, 0, end);
  return { bytes, length: end + extra16 };
}

/**
 * The same line, appended to `slab` (followed by its newline there): what the export's sink
 * uses, so that a batch's lines are written as they lie in the slab (src/core/line-slab.ts).
 */
export function canonicalLineToSlab(bson: Uint8Array, slab: LineSlab): EncodedLine | undefined {
  const end = encodeToScratch(bson);
  if (end < 0) return undefined;
  return { bytes: slab.append(out, 0, end), length: end + extra16 };
}

/**
 * The same line, copied into `target` at `at` (grown when it has no room: the buffer written to
 * is returned) without a buffer of its own: what the export's encoding worker uses for a chunk of
 * lines. Undefined as canonicalLineFromBson gives it.
 */
export function canonicalLineInto(bson: Uint8Array, target: Buffer, at: number): { target: Buffer; end: number; length: number } | undefined {
  const end = encodeToScratch(bson);
  if (end < 0) return undefined;
  if (at + end > target.length) {
    const bigger = Buffer.allocUnsafeSlow(Math.max(target.length * 2, at + end));
    target.copy(bigger, 0, 0, at);
    target = bigger;
  }
  out.copy(target, at, 0, end);
  return { target, end: at + end, length: end + extra16 };
}
