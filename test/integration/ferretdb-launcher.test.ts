import { expect } from 'chai';
import {
  Binary,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  MongoClient,
  ObjectId,
  Timestamp,
  type Collection,
  type Document,
} from 'mongodb';
import { ensureFerretDbBuilt, startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';

/** Client options that keep the driver's own BSON wrappers for numbers. */
const RAW_NUMBERS = { promoteLongs: false, promoteValues: false, promoteBuffers: false } as const;

describe('FerretDB test server (tools/ferretdb launcher)', function () {
  this.timeout(120_000);

  before(async function () {
    // The first (cold) Go build of FerretDB can take several minutes on 2 cores.
    this.timeout(900_000);
    if (!process.env.DOCFERRY_TEST_MONGO_URI) await ensureFerretDbBuilt();
  });

  describe('sqlite handler', function () {
    let server: MongoTestServer;
    let client: MongoClient;
    let coll: Collection<Document>;

    before(async function () {
      server = await startMongoTestServer({ handler: 'sqlite' });
      client = new MongoClient(server.uri);
      await client.connect();
      coll = client.db('docferry_launcher_test').collection('types');
      await coll.drop().catch(() => {});
    });

    after(async function () {
      await client?.close();
      await server?.stop();
    });

    it('answers ping and reports a MongoDB-compatible version', async function () {
      const admin = client.db('admin');
      expect(await admin.command({ ping: 1 })).to.include({ ok: 1 });
      const info = await admin.command({ buildInfo: 1 });
      expect(info.version).to.be.a('string');
      if (!server.external) expect(info, 'buildInfo of FerretDB').to.have.property('ferretdbVersion');
    });

    it('round-trips documents with their BSON types', async function () {
      const id = new ObjectId();
      const when = new Date('2024-05-06T07:08:09.123Z');
      const doc = {
        _id: id,
        date: when,
        int32: new Int32(42),
        int64: Long.fromString('9007199254740993'), // > Number.MAX_SAFE_INTEGER
        double: new Double(1.5),
        wholeDouble: new Double(3), // a double that happens to be integral
        binary: new Binary(Buffer.from([0, 1, 2, 254, 255]), Binary.SUBTYPE_DEFAULT),
        uuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), Binary.SUBTYPE_UUID),
        yes: true,
        no: false,
        nothing: null,
        ts: new Timestamp({ t: 1_700_000_000, i: 7 }),
        nested: { a: 'x', b: { c: new Int32(1) } },
        scalars: [new Int32(1), 'two', new Double(3.5), true, null],
        text: 'héllo ✓',
      };
      await coll.insertOne(doc);

      const rawColl = client.db('docferry_launcher_test', RAW_NUMBERS).collection('types');
      const got = await rawColl.findOne({ _id: id });
      expect(got).to.not.equal(null);
      const d = got as Document;

      expect(d._id).to.be.instanceOf(ObjectId);
      expect((d._id as ObjectId).equals(id)).to.equal(true);
      expect(d.date).to.be.instanceOf(Date);
      expect((d.date as Date).getTime()).to.equal(when.getTime());
      expect(d.int32).to.be.instanceOf(Int32);
      expect((d.int32 as Int32).value).to.equal(42);
      expect(d.int64).to.be.instanceOf(Long);
      expect((d.int64 as Long).toString()).to.equal('9007199254740993');
      expect(d.double).to.be.instanceOf(Double);
      expect((d.double as Double).value).to.equal(1.5);
      expect(d.wholeDouble).to.be.instanceOf(Double);
      expect((d.wholeDouble as Double).value).to.equal(3);
      expect(d.binary).to.be.instanceOf(Binary);
      expect((d.binary as Binary).sub_type).to.equal(Binary.SUBTYPE_DEFAULT);
      expect(Buffer.from((d.binary as Binary).buffer)).to.deep.equal(Buffer.from([0, 1, 2, 254, 255]));
      expect(d.uuid).to.be.instanceOf(Binary);
      expect((d.uuid as Binary).sub_type).to.equal(Binary.SUBTYPE_UUID);
      expect(Buffer.from((d.uuid as Binary).buffer).toString('hex')).to.equal('0123456789abcdef0123456789abcdef');
      expect(d.yes).to.equal(true);
      expect(d.no).to.equal(false);
      expect(d).to.have.property('nothing', null);
      expect(d.ts).to.be.instanceOf(Timestamp);
      expect((d.ts as Timestamp).t).to.equal(1_700_000_000);
      expect((d.ts as Timestamp).i).to.equal(7);
      expect(d.nested.a).to.equal('x');
      expect(d.nested.b.c).to.be.instanceOf(Int32);
      expect(d.scalars).to.have.length(5);
      expect(d.scalars[0]).to.be.instanceOf(Int32);
      expect(d.scalars[1]).to.equal('two');
      expect(d.scalars[2]).to.be.instanceOf(Double);
      expect(d.scalars[3]).to.equal(true);
      expect(d.scalars[4]).to.equal(null);
      expect(d.text).to.equal('héllo ✓');
      // Field order is preserved.
      expect(Object.keys(d)).to.deep.equal(Object.keys(doc));

      // Queries match on typed values too.
      expect(await coll.countDocuments({ int64: Long.fromString('9007199254740993') })).to.equal(1);
      expect(await coll.countDocuments({ date: { $gte: new Date('2024-01-01') } })).to.equal(1);
    });

    // FerretDB v1 gaps that docferry must design around (a real mongod 5+
    // accepts all of these documents). Skipped against an external server.
    describe('documented FerretDB v1 gaps (server rejects these documents)', function () {
      before(function () {
        if (server.external) this.skip();
      });

      async function expectRejected(doc: Document, message: RegExp): Promise<void> {
        let error: unknown;
        try {
          await coll.insertOne(doc);
        } catch (err) {
          error = err;
        }
        expect(error, `insert of ${JSON.stringify(doc)} should be rejected`).to.be.instanceOf(Error);
        expect((error as Error).message).to.match(message);
        expect(await coll.countDocuments({ _id: doc._id })).to.equal(0);
      }

      it('rejects nested arrays', async function () {
        await expectRejected({ _id: 'nested-array', a: [[1]] }, /nested arrays are not supported/);
      });

      it('rejects keys containing "."', async function () {
        await expectRejected({ _id: 'dotted-key', 'a.b': 1 }, /\./);
      });

      it('rejects keys starting with "$"', async function () {
        await expectRejected({ _id: 'dollar-key', $a: 1 }, /\$/);
      });

      it('rejects the same keys in nested documents too', async function () {
        await expectRejected({ _id: 'nested-dotted', x: { 'a.b': 1 } }, /\./);
        await expectRejected({ _id: 'nested-dollar', x: { $a: 1 } }, /\$/);
        await expectRejected({ _id: 'nested-array-in-doc', x: [{ a: [[1]] }] }, /nested arrays are not supported/);
      });

      // FerretDB v1 cannot decode these BSON types at all: it drops the
      // connection (the driver reports a MongoNetworkError) instead of
      // answering with an error. The server itself stays up.
      for (const [name, value] of [
        ['Decimal128', Decimal128.fromString('1234567890.123456789')],
        ['Code', new Code('function () {}')],
        ['MinKey', new MinKey()],
        ['MaxKey', new MaxKey()],
        ['Symbol', new BSONSymbol('s')],
      ] as const) {
        it(`drops the connection on a ${name} value`, async function () {
          await expectRejected({ _id: `type-${name}`, v: value }, /closed/);
          expect(await client.db('admin').command({ ping: 1 })).to.include({ ok: 1 });
        });
      }
    });
  });

  describe('postgresql handler', function () {
    let server: MongoTestServer;
    let client: MongoClient;

    before(async function () {
      if (process.env.DOCFERRY_TEST_MONGO_URI) this.skip();
      server = await startMongoTestServer({ handler: 'postgresql' });
      client = new MongoClient(server.uri);
      await client.connect();
    });

    after(async function () {
      await client?.close();
      await server?.stop();
    });

    it('inserts and finds documents', async function () {
      const coll = client.db('docferry_launcher_test').collection('pg');
      const docs = [
        { _id: new ObjectId(), n: 1, when: new Date(0), tags: ['a', 'b'] },
        { _id: new ObjectId(), n: 2, when: new Date(1), tags: [] },
      ];
      await coll.insertMany(docs);
      const got = await coll.find({}, { sort: { n: 1 } }).toArray();
      expect(got).to.deep.equal(docs);
      expect(await coll.countDocuments({ n: { $gt: 1 } })).to.equal(1);
    });
  });
});
