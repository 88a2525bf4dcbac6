import { expect } from 'chai';
import { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID } from 'mongodb';
import { EJSON } from '../../src/core/bson.js';
import { decodeDocument, encodeDocument } from '../../src/core/codec.js';
import {
  MappingError,
  fromJsonValue,
  idToString,
  toCosmosDocument,
  toJsonValue,
  toMongoDocument,
  toPlainDocument,
} from '../../src/core/type-mapping.js';
import type { Doc } from '../../src/core/documents.js';
import { defaultRejectsDirName } from '../../src/engine/migrate.js';

function mappingError(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MappingError);
    return err as MappingError;
  }
  expect.fail('expected a MappingError');
}

/** The BSON type of every leaf, for comparing documents type by type. */
function types(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(types);
  if (value instanceof Date) return 'Date';
  if (value !== null && typeof value === 'object') {
    const t = (value as { _bsontype?: string })._bsontype;
    if (t) return t;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, types(v)]));
  }
  return typeof value;
}

describe('type mapping (docs/type-mapping.md)', () => {
  describe('MongoDB -> Cosmos DB values', () => {
    it('maps every BSON type to its documented JSON value', () => {
      const oid = ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b');
      const doc = toCosmosDocument({
        _id: oid,
        date: new Date('2024-05-06T07:08:09Z'),
        int32: new Int32(42),
        int64Small: Long.fromNumber(9_007_199_254_740_991),
        int64Big: Long.fromString('9007199254740993'),
        int64Neg: Long.fromString('-9007199254740993'),
        double: new Double(5),
        fraction: new Double(1.25),
        decimal: Decimal128.fromString('1234567890.123456789012345678901234'),
        binary: new Binary(Buffer.from([0, 1, 2, 254, 255])),
        uuid: new UUID('0123456789abcdef0123456789abcdef'),
        yes: true,
        nothing: null,
        ts: new Timestamp({ t: 1_700_000_000, i: 7 }),
        regex: new BSONRegExp('^a.c$', 'i'),
        symbol: new BSONSymbol('sym'),
        code: new Code('function () {}'),
        nested: { a: { b: [new Int32(1), 'two', { c: new Date(0) }] } },
        text: 'héllo ✓',
      });
      expect(doc).to.deep.equal({
        _id: '65a1b2c3d4e5f60718293a4b',
        date: '2024-05-06T07:08:09.000Z',
        int32: 42,
        int64Small: 9_007_199_254_740_991,
        int64Big: '9007199254740993',
        int64Neg: '-9007199254740993',
        double: 5,
        fraction: 1.25,
        decimal: '1234567890.123456789012345678901234',
        binary: Buffer.from([0, 1, 2, 254, 255]).toString('base64'),
        uuid: Buffer.from('0123456789abcdef0123456789abcdef', 'hex').toString('base64'),
        yes: true,
        nothing: null,
        ts: { t: 1_700_000_000, i: 7 },
        regex: '/^a.c$/i',
        symbol: 'sym',
        code: 'function () {}',
        nested: { a: { b: [1, 'two', { c: '1970-01-01T00:00:00.000Z' }] } },
        text: 'héllo ✓',
        id: '65a1b2c3d4e5f60718293a4b',
      });
    });

    it('writes dates as ISO-8601 UTC with milliseconds', () => {
      expect(toJsonValue(new Date('2026-02-12T17:00:00.5+01:00'), 'd')).to.equal('2026-02-12T16:00:00.500Z');
    });

    it('refuses values with no JSON form, naming their path', () => {
      expect(mappingError(() => toCosmosDocument({ _id: 'a', m: { list: [1, new Double(NaN)] } })).message).to.equal('m.list[1]: the number NaN cannot be stored as JSON');
      expect(mappingError(() => toCosmosDocument({ _id: 'a', v: new Double(Infinity) })).message).to.include('v: the number Infinity');
      expect(mappingError(() => toCosmosDocument({ _id: 'a', k: new MinKey() })).message).to.equal('k: MinKey has no JSON form');
      expect(mappingError(() => toCosmosDocument({ _id: 'a', k: [new MaxKey()] })).message).to.equal('k[0]: MaxKey has no JSON form');
      expect(mappingError(() => toCosmosDocument({ _id: 'a', d: new Date(NaN) })).message).to.equal('d: invalid date');
    });
  });

  describe('MongoDB _id -> Cosmos DB id', () => {
    it('keeps an existing id, else makes one from _id by the documented rule', () => {
      expect(toCosmosDocument({ _id: 'x', id: 'kept' }).id).to.equal('kept');
      const cases: [unknown, string][] = [
        ['ietf-quic', 'ietf-quic'],
        [ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b'), '65a1b2c3d4e5f60718293a4b'],
        [new Int32(7), '7'],
        [Long.fromString('9007199254740993'), '9007199254740993'],
        [new Double(2.5), '2.5'],
        [new Double(3), '3'],
        [Decimal128.fromString('1.10'), '1.10'],
        [new Date('2024-01-02T03:04:05.006Z'), '2024-01-02T03:04:05.006Z'],
        [new Binary(Buffer.from([0xfb, 0xff, 0x01])), 'fbff01'],
        [true, 'true'],
        [{ a: new Int32(1), b: 'x' }, '{"a":1,"b":"x"}'],
      ];
      for (const [id, expected] of cases) expect(toCosmosDocument({ _id: id }).id, String(expected)).to.equal(expected);
    });

    it('refuses an _id that has no id form', () => {
      expect(mappingError(() => toCosmosDocument({ _id: null })).message).to.include('_id is null');
      expect(mappingError(() => idToString(new MinKey())).message).to.equal('_id: MinKey has no JSON form');
      expect(mappingError(() => idToString(new Double(NaN))).path).to.equal('_id');
    });
  });

  describe('plain export format', () => {
    it('is the Cosmos DB mapping with the top-level _id a string and no id added', () => {
      const plain = toPlainDocument({ _id: new Int32(5), when: new Date(0), n: Long.fromString('9007199254740993'), inner: { _id: new ObjectId('65a1b2c3d4e5f60718293a4b') } });
      expect(plain).to.deep.equal({ _id: '5', when: '1970-01-01T00:00:00.000Z', n: '9007199254740993', inner: { _id: '65a1b2c3d4e5f60718293a4b' } });
      expect(JSON.parse(encodeDocument({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b') }, 'plain'))).to.deep.equal({ _id: '65a1b2c3d4e5f60718293a4b' });
    });
  });

  describe('Cosmos DB / plain JSON -> MongoDB', () => {
    it('gives whole numbers Int32 or Int64 and other numbers Double, as Extended JSON does', () => {
      const v = fromJsonValue({ a: 1, b: 2 ** 31, c: -(2 ** 31), d: 1.5, e: 2 ** 53 + 2, f: 1e300, g: [0, 'x', null, true], h: { i: -0 } }) as Doc;
      expect(types(v)).to.deep.equal({ a: 'Int32', b: 'Long', c: 'Int32', d: 'Double', e: 'Long', f: 'Double', g: ['Int32', 'string', 'object', 'boolean'], h: { i: 'Double' } });
      expect((v.b as Long).toString()).to.equal('2147483648');
      // the same rule as a non-relaxed Extended JSON parse of bare numbers
      const json = '{"a":1,"b":2147483648,"d":1.5,"f":1e300}';
      expect(types(fromJsonValue(JSON.parse(json)))).to.deep.equal(types(EJSON.parse(json, { relaxed: false })));
    });

    it('takes _id from _id, else from id (which stays), and puts it first', () => {
      expect(Object.keys(toMongoDocument({ id: 'a', x: 1, _id: 'b' }))).to.deep.equal(['_id', 'id', 'x']);
      expect(toMongoDocument({ id: 'a', x: 1, _id: 'b' })._id).to.equal('b');
      expect(toMongoDocument({ id: 'uuid-1', x: 1 })).to.deep.equal({ _id: 'uuid-1', id: 'uuid-1', x: 1 });
      expect(toMongoDocument({ _id: null, id: 'from-id' })._id).to.equal('from-id');
      expect(mappingError(() => toMongoDocument({ x: 1 })).message).to.equal('_id: document has neither _id nor id');
      expect(mappingError(() => toMongoDocument({ _id: null })).message).to.include('_id is null');
    });

    it('turns 24-hex string _ids into ObjectIds only with restoreObjectIds', () => {
      const hex = '65A1B2C3D4E5F60718293A4B';
      expect(toMongoDocument({ _id: hex })._id).to.equal(hex);
      const restored = toMongoDocument({ _id: hex }, { restoreObjectIds: true })._id as ObjectId;
      expect(restored).to.be.instanceOf(ObjectId);
      expect(restored.toHexString()).to.equal(hex.toLowerCase());
      expect(toMongoDocument({ id: '0123456789abcdef' }, { restoreObjectIds: true })._id).to.equal('0123456789abcdef');
      expect(toMongoDocument({ _id: 'zz'.repeat(12) }, { restoreObjectIds: true })._id).to.equal('zz'.repeat(12));
      // only the top-level _id: other fields keep their strings
      expect(toMongoDocument({ _id: hex, ref: hex }, { restoreObjectIds: true }).ref).to.equal(hex);
    });

    it('leaves BSON documents alone unless told they are JSON', () => {
      const d = new Double(5);
      expect(toMongoDocument({ _id: 'a', d }).d).to.equal(d);
      expect(types(toMongoDocument({ _id: 1, n: 5 }, { json: true }))).to.deep.equal({ _id: 'Int32', n: 'Int32' });
    });
  });

  describe('Extended JSON codec', () => {
    const sample: Doc = {
      _id: ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b'),
      double: new Double(5),
      int32: new Int32(5),
      int64: Long.fromString('9007199254740993'),
      decimal: Decimal128.fromString('-0.000000000000000000000000000000001'),
      bigDecimal: Decimal128.fromString('9.999999999999999999999999999999999E+6144'),
      date: new Date('2024-05-06T07:08:09.123Z'),
      binary: new Binary(Buffer.from('hello'), Binary.SUBTYPE_MD5),
      ts: new Timestamp({ t: 1, i: 2 }),
      nested: { arr: [new Int32(1), new Double(1)] },
    };

    it('canonical keeps every BSON type, Decimal128 included, through encode and decode', () => {
      const line = encodeDocument(sample, 'canonical');
      expect(line).to.include('{"$numberDouble":"5.0"}').and.include('{"$numberDecimal":"-1E-33"}');
      const back = decodeDocument(line, 'canonical') as Doc;
      expect(types(back)).to.deep.equal(types(sample));
      expect(EJSON.stringify(back, { relaxed: false })).to.equal(line);
      expect((back.decimal as Decimal128).toString()).to.equal('-1E-33');
      expect((back.bigDecimal as Decimal128).toString()).to.equal('9.999999999999999999999999999999999E+6144');
    });

    it('Decimal128 goes to Cosmos DB as its exact decimal string', () => {
      const back = decodeDocument(encodeDocument(sample, 'canonical'), 'canonical') as Doc;
      expect(toCosmosDocument(back).bigDecimal).to.equal('9.999999999999999999999999999999999E+6144');
      expect(JSON.parse(encodeDocument(sample, 'plain')).decimal).to.equal('-1E-33');
    });

    it('relaxed loses what the docs say it loses: a whole Double comes back as Int32', () => {
      const back = decodeDocument(encodeDocument(sample, 'relaxed'), 'relaxed') as Doc;
      expect(types(back.double)).to.equal('Int32');
      expect(types(back.int64)).to.equal('Long');
      expect((back.date as Date).toISOString()).to.equal('2024-05-06T07:08:09.123Z');
    });
  });

  describe('exact numbers on decode (issue 14, item 4)', () => {
    const refusal = (line: string, format: 'canonical' | 'relaxed' | 'json' | 'plain') => mappingError(() => decodeDocument(line, format)).message;

    it('refuses Extended JSON wrappers js-bson would wrap, truncate or turn into NaN or the epoch, naming the field', () => {
      expect(refusal('{"a":{"$numberLong":"99999999999999999999"}}', 'canonical')).to.equal('a: {"$numberLong": "99999999999999999999"} is beyond the range of an Int64 (±9223372036854775807)');
      expect(refusal('{"a":[{"$numberInt":"99999999999"}]}', 'relaxed')).to.equal('a[0]: {"$numberInt": "99999999999"} is beyond the range of an Int32 (-2147483648 to 2147483647)');
      expect(refusal('{"a":{"$numberInt":"1.5"}}', 'canonical')).to.equal('a: {"$numberInt": "1.5"} is not a decimal integer');
      expect(refusal('{"a":{"b":{"$date":"garbage"}}}', 'canonical')).to.match(/^a\.b: \{"\$date": "garbage"\} is not an ISO-8601 date/);
      expect(refusal('{"a":{"$date":"2024-01-01T00:00:00.0001Z"}}', 'relaxed')).to.equal('a: {"$date": "2024-01-01T00:00:00.0001Z"} has more precision than a BSON date holds (milliseconds)');
      expect(refusal('{"a":{"$date":{"$numberLong":"9000000000000000000"}}}', 'canonical')).to.match(/^a: \{"\$date": \{"\$numberLong":"9000000000000000000"\}\} is beyond the dates docferry can hold/);
      expect(refusal('{"a":{"$numberDouble":"garbage"}}', 'canonical')).to.equal('a: {"$numberDouble": "garbage"} is not a number (nor "NaN", "Infinity", "-Infinity")');
      expect(refusal('{"a":{"$numberDouble":"1e400"}}', 'canonical')).to.equal('a: {"$numberDouble": "1e400"} is beyond the range of a double (about ±1.8e308)');
      expect(refusal('{"a":{"$numberDecimal":"1E+6145"}}', 'canonical')).to.match(/^a: \{"\$numberDecimal": "1E\+6145"\} is not an exact Decimal128/);
      expect(refusal('{"a":{"b":{"$numberLong":5}}}', 'canonical')).to.equal('a.b: {"$numberLong": a non-string value} must be a string');
    });

    it('reads bare integers beyond 2^53 exactly: Int64 in Extended JSON, bigint in json (only MongoDB holds it)', () => {
      const relaxed = decodeDocument('{"a":9007199254740993,"b":-9223372036854775808,"c":100000000000000000000,"z":-0.0}', 'relaxed') as Doc;
      expect([types(relaxed.a), String(relaxed.a), String(relaxed.b), types(relaxed.c), relaxed.c?.valueOf()]).to.deep.equal(['Long', '9007199254740993', '-9223372036854775808', 'Double', 1e20]);
      expect(Object.is((relaxed.z as Double).value, -0)).to.equal(true);
      const json = decodeDocument('{"a":9007199254740993,"c":100000000000000000000}', 'json') as Doc;
      expect(json).to.deep.equal({ a: 9007199254740993n, c: 1e20 });
      expect(String(toMongoDocument({ _id: 'x', ...json }, { json: true }).a)).to.equal('9007199254740993');
      expect(refusal('{"a":99999999999999999999}', 'relaxed')).to.equal('a: the integer 99999999999999999999 is beyond the range of an Int64 and has no exact double form');
      expect(refusal('{"a":[1e400]}', 'plain')).to.equal('a[0]: the number 1e400 is beyond the range of a double (about ±1.8e308); no store can hold it');
    });

    it('leaves ordinary lines, and strings that look like numbers, to the fast path unchanged', () => {
      const line = '{"_id":"3e1234567890123456","n":12345678901234,"d":"2024-05-06T07:08:09.123Z","x":0.1,"neg":-0.5}';
      expect(decodeDocument(line, 'json')).to.deep.equal(JSON.parse(line));
    });

    it('refuses -0 for Cosmos DB (JSON writes it as 0) instead of storing 0', () => {
      expect(mappingError(() => toCosmosDocument({ _id: 'x', n: new Double(-0) })).message).to.equal('n: negative zero (-0.0) cannot be stored as JSON: it would be written as 0');
    });
  });

  it('names the default rejects directory like the export directories', () => {
    expect(defaultRejectsDirName(new Date('2026-02-12T17:00:00.123Z'))).to.equal('docferry-rejects-20260212T170000');
  });
});
