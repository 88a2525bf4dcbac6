import { expect } from 'chai';
import { BSON, Binary, Decimal128, Double, EJSON, Int32, Long, ObjectId } from '../../src/core/bson.js';
import { canonicalExtendedJson, directCanonicalExtendedJson } from '../../src/core/canonical-ejson.js';
import { encodeDocument } from '../../src/core/codec.js';
import type { Doc } from '../../src/core/documents.js';
import { RAW_BSON_READ } from '../../src/stores/mongo/connection.js';
import { Random } from '../../src/synthetic/random.js';

const { BSONRegExp, BSONSymbol, Code, DBRef, MaxKey, MinKey, Timestamp, UUID } = BSON;

const reference = (doc: unknown) => EJSON.stringify(doc, { relaxed: false });

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

/** What BSON can carry: undefined and bigint do not survive the round trip as themselves, NaN dates are refused. */
function storable(doc: Doc): boolean {
  try {
    BSON.serialize(doc);
    return true;
  } catch {
    return false;
  }
}

describe('canonical Extended JSON written directly is byte for byte EJSON.stringify', () => {
  it('on 3,000 generated documents of every BSON type, as built and as the driver deserialises them', () => {
    const rng = new Random(20261202);
    let direct = 0;
    let roundTrips = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = document(rng);
      const expected = reference(doc);
      const written = directCanonicalExtendedJson(doc);
      expect(written, `document ${i}`).to.not.equal(undefined);
      expect(written, `document ${i}: ${expected.slice(0, 300)}`).to.equal(expected);
      direct++;
      if (!storable(doc)) continue;
      // The driver's view of the stored document: RAW_BSON_READ, as the MongoDB source reads.
      const read = BSON.deserialize(BSON.serialize(doc), RAW_BSON_READ);
      expect(directCanonicalExtendedJson(read), `document ${i} read back`).to.equal(reference(read));
      roundTrips++;
    }
    expect(direct).to.equal(3000);
    // Most documents are storable; a generator that made none would prove nothing about the driver's values.
    expect(roundTrips).to.be.greaterThan(1500);
  });

  it('formats the edges exactly as js-bson: -0, whole doubles, exponents, Int64 limits, dates outside 1970-9999', () => {
    const doc = {
      nz: new Double(-0),
      whole: new Double(5),
      big: new Double(1e21),
      exp: new Double(1e-7),
      nan: new Double(NaN),
      minf: -Infinity,
      jsnz: -0,
      jsbig: 2 ** 63,
      jsint: 2 ** 40,
      maxLong: Long.fromString('9223372036854775807'),
      minLong: Long.fromString('-9223372036854775808'),
      before: new Date(-1),
      after: new Date(253402300800000),
      invalid: new Date(NaN),
      bigint: 2n ** 64n + 5n,
    };
    expect(directCanonicalExtendedJson(doc)).to.equal(reference(doc));
    expect(directCanonicalExtendedJson(doc)).to.include('"nz":{"$numberDouble":"-0.0"}').and.include('"whole":{"$numberDouble":"5.0"}').and.include('"bigint":{"$numberLong":"5"}');
  });

  it('leaves what it does not write itself to EJSON.stringify, with the same text or error', () => {
    const rare: unknown[] = [
      { c: new Code('function () { return 1; }') },
      { c: new Code('x', { a: new Int32(1) }) },
      { r: new DBRef('coll', new ObjectId('65a1b2c3d4e5f60718293a4b'), 'db', { extra: new Int32(1) }) },
      { m: new Map([['a', new Int32(1)]]) },
      { re: /ab+c/gi },
      { buf: Buffer.from('abc') },
      { fake: { _bsontype: 'Int32', value: 5 } },
      { v: new Binary(new Uint8Array([0x03, 0x00, 1, 2]), 9) },
    ];
    for (const doc of rare) {
      expect(directCanonicalExtendedJson(doc)).to.equal(undefined);
      let expected: string | Error;
      try {
        expected = reference(doc);
      } catch (err) {
        expected = err as Error;
      }
      if (expected instanceof Error) expect(() => canonicalExtendedJson(doc)).to.throw(expected.message);
      else expect(canonicalExtendedJson(doc)).to.equal(expected);
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalExtendedJson(cyclic)).to.throw(/circular/);
  });

  it('is what the export writes for canonical and relaxed lines', () => {
    const rng = new Random(7);
    for (let i = 0; i < 200; i++) {
      const doc = document(rng);
      expect(encodeDocument(doc, 'canonical')).to.equal(reference(doc));
    }
  });
});
