import { expect } from 'chai';
import { Binary, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
import { EJSON } from '../../src/core/bson.js';
import { canonicalDocument, documentDigest, documentKey, idKey } from '../../src/core/digest.js';
import { toCosmosDocument, toMongoDocument } from '../../src/core/type-mapping.js';

describe('document digests', () => {
  it('does not depend on key order, at any depth', () => {
    const a = { id: 'x', b: { d: 1, c: [1, { f: 2, e: 3 }] }, a: 'z' };
    const b = { a: 'z', b: { c: [1, { e: 3, f: 2 }], d: 1 }, id: 'x' };
    expect(canonicalDocument(a, 'json')).to.equal(canonicalDocument(b, 'json'));
    expect(documentDigest(a, 'bson')).to.equal(documentDigest(b, 'bson'));
  });

  it('sees a changed value, a changed array order, an added field and a changed type', () => {
    const base = { id: 'x', n: 1, list: [1, 2], s: '1' };
    const d = documentDigest(base, 'json');
    expect(documentDigest({ ...base, n: 2 }, 'json')).to.not.equal(d);
    expect(documentDigest({ ...base, list: [2, 1] }, 'json')).to.not.equal(d);
    expect(documentDigest({ ...base, extra: null }, 'json')).to.not.equal(d);
    expect(documentDigest({ ...base, s: 1 }, 'json')).to.not.equal(d);
    expect(d).to.have.length(44);
  });

  it('json mode: drops Cosmos system properties and fills id and _id from each other', () => {
    const cosmos = { id: 'a1', name: 'n', _rid: 'r', _self: 's', _etag: 'e', _attachments: 'a', _ts: 1 };
    const mongo = { _id: 'a1', id: 'a1', name: 'n' };
    expect(documentDigest(cosmos, 'json')).to.equal(documentDigest(mongo, 'json'));
    expect(documentDigest({ _id: 'a1', name: 'n' }, 'json')).to.equal(documentDigest(mongo, 'json'));
  });

  it('json mode: a MongoDB document equals what the import writes to Cosmos DB and back', () => {
    const oid = new ObjectId();
    const mongo = {
      _id: oid,
      when: new Date('2026-01-02T03:04:05.678Z'),
      small: new Long(5),
      big: Long.fromString('9007199254740993'),
      dec: Decimal128.fromString('1.10'),
      bin: new Binary(Buffer.from('hi')),
      i: new Int32(3),
      f: new Double(2.5),
    };
    const cosmos = toCosmosDocument(mongo);
    expect(cosmos.id).to.equal(oid.toHexString());
    expect(documentDigest(cosmos, 'json')).to.equal(documentDigest(mongo, 'json'));
    const backInMongo = toMongoDocument(cosmos, { restoreObjectIds: true });
    expect(documentDigest(backInMongo, 'json')).to.equal(documentDigest(mongo, 'json'));
  });

  it('bson mode keeps BSON identities: an ObjectId is not its hex string, a Date is not its ISO text', () => {
    const oid = new ObjectId();
    expect(documentDigest({ _id: oid }, 'bson')).to.not.equal(documentDigest({ _id: oid.toHexString() }, 'bson'));
    const when = new Date('2026-01-02T03:04:05Z');
    expect(documentDigest({ _id: 1, when }, 'bson')).to.not.equal(documentDigest({ _id: 1, when: when.toISOString() }, 'bson'));
    expect(documentDigest({ _id: 1, big: Long.fromString('9007199254740993') }, 'bson')).to.not.equal(documentDigest({ _id: 1, big: 9007199254740992 }, 'bson'));
  });

  it('bson mode: numbers compare by value, whatever wrapper a driver or parser used', () => {
    const parsed = EJSON.parse('{"_id":"a","i":{"$numberInt":"3"},"d":{"$numberDouble":"3.5"},"l":{"$numberLong":"7"}}', { relaxed: false });
    expect(documentDigest(parsed as Record<string, unknown>, 'bson')).to.equal(documentDigest({ _id: 'a', i: 3, d: 3.5, l: 7 }, 'bson'));
    expect(documentDigest({ _id: 'a', x: new Double(1) }, 'bson')).to.equal(documentDigest({ _id: 'a', x: new Int32(1) }, 'bson'));
  });

  it('keys documents by id (json) or _id (bson), ObjectIds as 24 hex', () => {
    const oid = new ObjectId();
    expect(documentKey({ id: 'a', _id: 'b' }, 'json')).to.equal('a');
    expect(documentKey({ id: 'a', _id: 'b' }, 'bson')).to.equal('b');
    expect(documentKey({ _id: oid }, 'json')).to.equal(oid.toHexString());
    expect(documentKey({ name: 'none' }, 'json')).to.equal(undefined);
    expect(idKey(42)).to.equal('42');
  });

  it('tells -0 from 0, so a store that drops the sign does not look equal to the file', () => {
    expect(documentDigest({ _id: 'a', n: new Double(-0) }, 'bson')).to.not.equal(documentDigest({ _id: 'a', n: new Double(0) }, 'bson'));
  });

  it('json mode: a json file\'s whole number beyond 2^53 equals the Int64 MongoDB stores for it, and a bigint its Long', () => {
    const fromFile = { id: 'a', n: 2 ** 60, m: 9007199254740993n };
    const stored = toMongoDocument(fromFile, { json: true });
    expect(String(stored.n)).to.equal('1152921504606846976');
    expect(documentDigest(stored, 'json')).to.equal(documentDigest(fromFile, 'json'));
  });
});
