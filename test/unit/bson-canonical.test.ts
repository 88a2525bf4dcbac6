import { expect } from 'chai';
import { BSON, Binary, Decimal128, Double, Int32, Long, ObjectId } from '../../src/core/bson.js';
import { canonicalLineFromBson } from '../../src/core/bson-canonical.js';
import { encodeDocument } from '../../src/core/codec.js';
import type { Doc } from '../../src/core/documents.js';
import { RAW_BSON_READ } from '../../src/stores/mongo/connection.js';
import { Random } from '../../src/synthetic/random.js';

const { BSONRegExp, BSONSymbol, Code, DBRef, MaxKey, MinKey, Timestamp, UUID } = BSON;

/** What the export wrote before: the document as the MongoDB source deserialised it, through EJSON.stringify. */
const reference = (bson: Uint8Array) => encodeDocument(BSON.deserialize(bson, RAW_BSON_READ) as Doc, 'canonical');

/** The direct line as text, after checking that its length is that of the text (batches are sized by it). */
function direct(bson: Uint8Array): string | undefined {
  const line = canonicalLineFromBson(bson);
  if (!line) return undefined;
  const text = line.bytes.toString('utf8');
  expect(line.length, 'length as a JavaScript string').to.equal(text.length);
  return text;
}

/** A document as BSON bytes, with its keys in the order given (arrays of [key, value]). */
function bsonOf(doc: object): Uint8Array {
  return BSON.serialize(doc);
}

/** Strings that need escaping in JSON, or are not plain ASCII. */
const AWKWARD_STRINGS = ['', 'plain', 'quote " and backslash \\', 'tab\t newline\n cr\r', '\u0000\u0001\u001f\u007f', 'é ü ß 中文 😀', '\u2028\u2029', '\ud800 lone high', 'lone low \udc00', '<script>&amp;</script>', '$numberInt', '{"$oid":"x"}', '__proto__', '0', '10', '4294967295', '-1', '1.5'];

/** Doubles at the edges of their formatting: -0, whole numbers, exponents, the integer limits, NaN, ±Infinity. */
const AWKWARD_DOUBLES = [0, -0, 1, -1, 0.1, 1.5, -2.5e-7, 1e-5, 0.0001, 123456, 1234567, 1e20, 1e21, 1.7976931348623157e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 2 ** 63, 2 ** 64, NaN, Infinity, -Infinity, 2147483647, 2147483648, -2147483648, -2147483649];

const AWKWARD_LONGS = ['0', '-1', '1', '9007199254740991', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808', '4294967296', '-4294967296', '2147483648'];

const AWKWARD_DECIMALS = ['0', '-0', '1.5', '-1.23E+6144', '1E-6176', 'NaN', 'Infinity', '-Infinity', '12345678901234567890123456789012', '0.000001', '1.000E+3'];

/** Dates before 1970, after 9999, at the limits of a JavaScript date, and an invalid one. */
const AWKWARD_DATES = [0, -1, 1, -62135596800000, 253402300799999, 253402300800000, 8.64e15, -8.64e15, 1356351330500, 1700000000123, NaN];

function key(rng: Random): string {
  return rng.bool(0.3) ? rng.pick(AWKWARD_STRINGS) : `k${rng.hex(rng.int(1, 6))}`;
}

function string(rng: Random): string {
  if (rng.bool(0.5)) return rng.pick(AWKWARD_STRINGS);
  let s = '';
  const n = rng.int(0, 20);
  for (let i = 0; i < n; i++) s += String.fromCodePoint(rng.pick([rng.int(0x20, 0x7e), rng.int(0, 0x1f), rng.int(0x80, 0x7ff), rng.int(0x800, 0xd7ff), rng.int(0x10000, 0x10ffff)]));
  return s;
}

function bytes(rng: Random): Uint8Array {
  const b = new Uint8Array(rng.int(0, 40));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 255);
  return b;
}

/** One value of any BSON type the driver hands over, or of the JavaScript types a caller may pass. */
function value(rng: Random, depth: number): unknown {
  const kind = rng.int(0, depth > 3 ? 21 : 23);
  switch (kind) {
    case 0:
      return string(rng);
    case 1:
      return new Int32(rng.bool(0.3) ? rng.pick([0, -1, 2147483647, -2147483648]) : rng.int(-1e6, 1e6));
    case 2:
      return new Double(rng.bool(0.6) ? rng.pick(AWKWARD_DOUBLES) : (rng.next() - 0.5) * 10 ** rng.int(-10, 30));
    case 3:
      return rng.bool(0.6) ? Long.fromString(rng.pick(AWKWARD_LONGS)) : Long.fromBits(rng.int(-2147483648, 2147483647), rng.int(-2147483648, 2147483647));
    case 4:
      return Decimal128.fromString(rng.pick(AWKWARD_DECIMALS));
    case 5:
      return new ObjectId(rng.hex(24));
    case 6:
      return new Date(rng.bool(0.5) ? rng.pick(AWKWARD_DATES) : rng.int(-3e12, 3e13));
    case 7: {
      const subtype = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0xff]);
      return new Binary(bytes(rng), subtype);
    }
    case 8:
      return new UUID();
    case 9:
      return new BSONRegExp(rng.pick(['^a.*b$', '', 'quote"\\d+', 'é/ü']), rng.pick(['', 'i', 'ims', 'imsux', 'smi', 'x']));
    case 10:
      return new Timestamp({ t: rng.int(0, 4294967295), i: rng.int(0, 4294967295) });
    case 11:
      return new BSONSymbol(string(rng));
    case 12:
      return rng.bool() ? new MinKey() : new MaxKey();
    case 13:
      return rng.bool();
    case 14:
      return null;
    case 15:
      // Plain JavaScript numbers, as a caller (or promoteValues) gives them.
      return rng.bool(0.6) ? rng.pick(AWKWARD_DOUBLES) : rng.int(-1e9, 1e9);
    case 16:
      return rng.bool() ? undefined : BigInt(rng.pick(AWKWARD_LONGS)) * BigInt(rng.pick([1, 3, -7]));
    case 17:
      return new Binary(new TextEncoder().encode(string(rng)), 0);
    case 18:
      return string(rng);
    case 19:
      return Long.fromNumber(rng.int(-1e6, 1e6));
    case 20:
      return new Int32(rng.int(-10, 10));
    case 21:
      return new Double(rng.int(-100, 100));
    case 22:
      return array(rng, depth + 1);
    default:
      return object(rng, depth + 1);
  }
}

function array(rng: Random, depth: number): unknown[] {
  const n = rng.int(0, 6);
  const a: unknown[] = [];
  for (let i = 0; i < n; i++) a.push(rng.bool(0.2) ? array(rng, depth + 1) : value(rng, depth));
  return a;
}

function object(rng: Random, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = rng.int(0, 8);
  for (let i = 0; i < n; i++) {
    const k = key(rng);
    // As the driver gives it: an own property even for __proto__.
    Object.defineProperty(o, k, { value: rng.bool(0.15) ? object(rng, depth + 1) : value(rng, depth), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

function document(rng: Random): Doc {
  const doc = object(rng, 0);
  return { _id: rng.pick([() => new ObjectId(rng.hex(24)), () => rng.hex(16), () => new Int32(rng.int(0, 100)), () => Long.fromString(rng.pick(AWKWARD_LONGS))])(), ...doc } as Doc;
}

/** Only the types the direct path writes itself, under keys it takes (no integer or `$` keys). */
function common(rng: Random, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = rng.int(0, 8);
  for (let i = 0; i < n; i++) {
    const k = key(rng).replace(/^[0-9$-]/, 'x').replace(/\u0000/g, '');
    let v: unknown;
    do v = depth < 3 && rng.bool(0.15) ? (rng.bool() ? common(rng, depth + 1) : [common(rng, depth + 1), value(rng, 9)]) : value(rng, depth + 4);
    while (!directType(v));
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return o;
}

function directType(v: unknown): boolean {
  if (v instanceof Timestamp || v instanceof BSONSymbol || v instanceof BSONRegExp) return false;
  if (v instanceof Date) return !Number.isNaN(v.getTime());
  if (v instanceof Binary) return v.sub_type !== 2 && v.sub_type !== 9 && (v.sub_type !== 4 || v.length() === 16);
  if (Array.isArray(v)) return v.every(directType);
  return true;
}

/** What BSON can carry: undefined and bigint do not survive the round trip as themselves, NaN dates are refused. */
function storable(doc: Doc): boolean {
  try {
    BSON.serialize(doc);
    return true;
  } catch {
    return false;
  }
}

describe('canonical Extended JSON written from BSON bytes is byte for byte what the export wrote from the deserialised document', () => {
  it('on 4,000 generated documents of every BSON type', () => {
    const rng = new Random(20261202);
    let stored = 0;
    let directly = 0;
    for (let i = 0; i < 4000; i++) {
      const doc = document(rng);
      if (!storable(doc)) continue;
      stored++;
      const bson = bsonOf(doc);
      const expected = reference(bson);
      const written = direct(bson);
      if (written === undefined) continue;
      directly++;
      expect(written, `document ${i}: ${expected.slice(0, 300)}`).to.equal(expected);
    }
    expect(stored).to.be.greaterThan(2000);
    // Documents with a timestamp, symbol, regular expression or an integer key go the long way:
    // most must not, or this would prove nothing about the direct path.
    expect(directly).to.be.greaterThan(stored / 4);
  });

  it('on documents of only the types it writes itself, every one directly', () => {
    const rng = new Random(99);
    for (let i = 0; i < 2000; i++) {
      const doc = common(rng, 0);
      const bson = bsonOf(doc);
      const written = direct(bson);
      expect(written, `document ${i}`).to.not.equal(undefined);
      expect(written).to.equal(reference(bson));
    }
  });

  it('formats the edges exactly: -0, whole doubles, exponents, Int64 limits, dates outside 1970-9999, escapes, non-ASCII', () => {
    const doc = {
      _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
      nz: new Double(-0),
      whole: new Double(5),
      big: new Double(1e21),
      exp: new Double(1e-7),
      nan: new Double(NaN),
      minf: new Double(-Infinity),
      maxLong: Long.fromString('9223372036854775807'),
      minLong: Long.fromString('-9223372036854775808'),
      safe: Long.fromString('-9007199254740991'),
      unsafe: Long.fromString('9007199254740993'),
      before: new Date(-1),
      after: new Date(253402300800000),
      far: new Date(-8.64e15),
      s: 'quote " backslash \\ tab \t nul \u0000 \u001f é 😀 \u2028',
      'key "quoted"\n': 1,
      'clé': 'ü',
      empty: '',
      '': new Int32(-2147483648),
      bin: new Binary(new Uint8Array([0, 1, 2, 250]), 0x80),
      uuid: new Binary(new Uint8Array(16).fill(7), 4),
      dec: Decimal128.fromString('-1.23E+6144'),
      nested: { a: [[], {}, [null, true, false]] },
    };
    const bson = bsonOf(doc);
    const written = direct(bson);
    expect(written).to.equal(reference(bson));
    expect(written).to.include('"nz":{"$numberDouble":"-0.0"}').and.include('"whole":{"$numberDouble":"5.0"}').and.include('"unsafe":{"$numberLong":"9007199254740993"}');
  });


  it('escapes a string exactly wherever its awkward byte falls: every position, every alignment, short and long strings', () => {
    // Long strings are scanned four bytes at a time: the byte that needs care must be found in
    // any of a word's four places, at the edges of the string and across the word boundaries.
    const awkward = ['"', '\\', '\n', '\t', '\b', '\f', '\r', '\u0000', '\u0001', '\u001f', '\u007f', ' ', '~', 'é', '中', '😀', '\u2028', '\ufffd'];
    for (const length of [1, 3, 15, 16, 17, 31, 64]) {
      for (const shift of [0, 1, 2, 3]) {
        for (const c of awkward) {
          for (let at = 0; at < length; at++) {
            const value = 'a'.repeat(at) + c + 'b'.repeat(length - at - 1);
            // The key's length moves the string's place in the BSON, so its alignment in memory.
            const bson = bsonOf({ [`k${'x'.repeat(shift)}`]: value, tail: `${value}${c}` });
            expect(direct(bson), `${JSON.stringify(c)} at ${at} of ${length}, shifted ${shift}`).to.equal(reference(bson));
          }
        }
      }
    }
  });

  it('leaves a string that is not valid UTF-8 to the deserialiser, wherever the bad byte is', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
      for (const at of [0, 5, 20, 39]) {
        const bytes = Buffer.from(`k${'y'.repeat(40)}`);
        const doc = Buffer.from(bsonOf({ s: bytes.toString('latin1') }));
        // Overwrite the string's bytes in place: s is the only field, its bytes start after type, key, length.
        const start = 4 + 1 + 2 + 4;
        Buffer.from(bad).copy(doc, start + at);
        expect(canonicalLineFromBson(doc), `${bad.map((b) => b.toString(16)).join(' ')} at ${at}`).to.equal(undefined);
      }
    }
  });
  it('leaves to the deserialiser what has rules of its own, and malformed bytes', () => {
    const cases: { what: string; bson: Uint8Array }[] = [
      { what: 'an integer key (JavaScript puts it first)', bson: bsonOf({ b: 1, 2: 'x' }) },
      { what: 'a DBRef', bson: bsonOf({ r: new DBRef('coll', new ObjectId('65a1b2c3d4e5f60718293a4b'), 'db') }) },
      { what: 'a $ key', bson: bsonOf({ q: { $gt: 1 } }) },
      { what: 'Code', bson: bsonOf({ c: new Code('x', { a: 1 }) }) },
      { what: 'a timestamp', bson: bsonOf({ t: new Timestamp({ t: 1, i: 2 }) }) },
      { what: 'a symbol', bson: bsonOf({ s: new BSONSymbol('x') }) },
      { what: 'a regular expression', bson: bsonOf({ r: new BSONRegExp('a', 'i') }) },
      { what: 'Binary subtype 2', bson: bsonOf({ b: new Binary(new Uint8Array([1, 2]), 2) }) },
      { what: 'a UUID of 3 bytes', bson: bsonOf({ b: new Binary(new Uint8Array([1, 2, 3]), 4) }) },
    ];
    // A repeated key, and a string that is not UTF-8, which BSON.serialize cannot make.
    const dup = Buffer.from(bsonOf({ aa: 1, ab: 2 }));
    dup[dup.indexOf('ab') + 1] = 0x61;
    cases.push({ what: 'a repeated key', bson: dup });
    const bad = Buffer.from(bsonOf({ s: 'abcd' }));
    bad[bad.indexOf('abcd')] = 0xff;
    cases.push({ what: 'a string that is not UTF-8', bson: bad });
    const truncated = Buffer.from(bsonOf({ s: 'abcd', n: 1 })).subarray(0, 12);
    cases.push({ what: 'a truncated document', bson: truncated });
    for (const c of cases) expect(canonicalLineFromBson(c.bson), c.what).to.equal(undefined);
    // What the long way makes of the first of them: the same text as before.
    expect(reference(cases[0]!.bson)).to.equal('{"2":"x","b":{"$numberInt":"1"}}');
    expect(() => reference(bad)).to.throw(/UTF-8/);
  });
});
