import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import { indexFromListIndexes, optionsFromListCollections } from '../../src/stores/mongo/schema.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * Every MongoDB index kind and collection option an export records comes back on import. Each
 * test exports a database, drops it, and imports it into the same server, so it runs the same on
 * FerretDB and on a real mongod (DOCFERRY_TEST_MONGO_URI, where source and target are one server).
 * The kinds FerretDB v1 refuses (TTL, partial, collation, hidden, text and wildcard indexes,
 * validators) are tested only against a real mongod, and skipped on FerretDB with the reason.
 */
describe('MongoDB index kinds and collection options carried by export and import', function () {
  this.timeout(240_000);
  let server: MongoTestServer;
  let work: string;
  let runs = 0;

  before(async function () {
    this.timeout(600_000);
    server = await startMongoTestServer();
    work = await tempDir('docferry-kinds-');
  });
  after(async () => {
    await server?.stop();
    await removeTempDirs();
  });

  const withDb = async <T>(name: string, f: (db: Db) => Promise<T>) => {
    const client = new MongoClient(server.uri);
    try {
      return await f(client.db(name));
    } finally {
      await client.close();
    }
  };
  /** What a layout records of the database's collections: indexes and options, by collection. */
  const schemaOf = (name: string) =>
    withDb(name, async (db) => {
      const out: Record<string, unknown> = {};
      for (const info of (await db.listCollections().toArray()) as { name: string; options?: Record<string, unknown> }[]) {
        const indexes = ((await db.collection(info.name).listIndexes().toArray()) as Record<string, unknown>[]).map((d) => indexFromListIndexes(d)).filter(Boolean);
        out[info.name] = { indexes: indexes.sort((a, b) => String(a!.name).localeCompare(String(b!.name))), options: optionsFromListCollections(info) ?? {} };
      }
      return out;
    });
  /** Export the database, drop it, import the export back: the round trip a restore makes. */
  const roundTrip = async (name: string, collections: string[], edit?: (m: Manifest) => void) => {
    const layout = join(work, `layout-${++runs}.json`);
    await writeFile(layout, JSON.stringify({ name: 'kinds', databases: [{ name, containers: collections.map((c) => ({ name: c, partitionKey: { paths: ['/id'] } })) }] }));
    const exportDir = join(work, `export-${runs}`);
    const e = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--layout', layout, '--output-dir', exportDir]);
    expect(e.code, e.stderr).to.equal(0);
    if (edit) {
      const file = join(exportDir, 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
      edit(manifest);
      await writeFile(file, JSON.stringify(manifest, null, 2));
    }
    await withDb(name, (db) => db.dropDatabase());
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', server.uri, '--export-dir', exportDir, '--layout', layout, '--json']);
    return { ...r, summary: r.stdout ? (JSON.parse(r.stdout) as RunSummary) : undefined };
  };
  const skipUnlessMongod = (ctx: Mocha.Context, what: string) => {
    if (server.external) return;
    console.log(`      skipped: FerretDB v1 refuses ${what}; set DOCFERRY_TEST_MONGO_URI to a real mongod to run this test.`);
    ctx.skip();
  };

  it('the kinds FerretDB has: plain, descending, compound, nested-field, unique and compound unique indexes, and a capped collection', async () => {
    const name = `kinds${process.pid}`;
    await withDb(name, async (db) => {
      const users = db.collection('users');
      await users.insertMany([{ _id: 'u1' as never, email: 'a@x', tenant: 't', date: 1, from: { email: 'a@x' } }, { _id: 'u2' as never, email: 'b@x', tenant: 't', date: 2, from: { email: 'b@x' } }]);
      await users.createIndex({ date: 1 }, { name: 'date_1' });
      await users.createIndex({ date: -1, tenant: 1 }, { name: 'date_desc_tenant' });
      await users.createIndex({ 'from.email': 1 }, { name: 'from_email' });
      await users.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await users.createIndex({ tenant: 1, email: 1 }, { unique: true, name: 'tenant_email' });
      await db.createCollection('ring', { capped: true, size: 100_000, max: 5 });
      await db.collection('ring').insertMany([{ _id: 1 as never }, { _id: 2 as never }]);
    });
    const before = await schemaOf(name);
    expect((before.users as { indexes: unknown[] }).indexes).to.have.length(5);
    expect((before.ring as { options: unknown }).options).to.deep.include({ capped: true, max: 5 });
    const r = await roundTrip(name, ['users', 'ring']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.summary!.warnings).to.deep.equal([]);
    // The capped collection comes back capped, with its size and max (FerretDB trims capped collections in the background, so the bound itself is not counted here).
    expect(await schemaOf(name)).to.deep.equal(before);
  });

  it('FerretDB refuses a validator and a collation: the collection is created without them, each named in a warning, and every document is imported', async function () {
    if (server.external) {
      console.log('      skipped: a real mongod takes validators and collations (the next tests apply them); this test is of FerretDB\'s refusal.');
      this.skip();
    }
    const name = `refused${process.pid}`;
    await withDb(name, (db) => db.collection('notes').insertMany([{ _id: 'n1' as never, text: 'a' }, { _id: 'n2' as never, text: 'b' }]));
    const r = await roundTrip(name, ['notes'], (m) => {
      m.schemas![`${name}.notes`]!.mongo!.options = { validator: { $jsonSchema: { required: ['text'] } }, validationLevel: 'strict', collation: { locale: 'en', strength: 2 } };
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.summary!.totals.written).to.equal(2);
    const warnings = r.summary!.warnings;
    expect(warnings.some((w) => w.startsWith(`${name}.notes: collection option validator, validationLevel was not applied: the server refused it (`)), warnings.join('\n')).to.equal(true);
    expect(warnings.some((w) => w.startsWith(`${name}.notes: collection option collation was not applied: the server refused it (`)), warnings.join('\n')).to.equal(true);
    expect(await withDb(name, (db) => db.collection('notes').countDocuments())).to.equal(2);
  });

  it('a collection that exists already is not changed; its options that differ from the source\'s are named', async () => {
    const name = `existing${process.pid}`;
    await withDb(name, async (db) => {
      await db.createCollection('ring', { capped: true, size: 100_000, max: 5 });
      await db.collection('ring').insertOne({ _id: 1 as never });
    });
    const layout = join(work, `layout-${++runs}.json`);
    await writeFile(layout, JSON.stringify({ name: 'existing', databases: [{ name, containers: [{ name: 'ring', partitionKey: { paths: ['/id'] } }] }] }));
    const exportDir = join(work, `export-${runs}`);
    expect((await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--layout', layout, '--output-dir', exportDir])).code).to.equal(0);
    await withDb(name, async (db) => {
      await db.dropDatabase();
      await db.createCollection('ring');
    });
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', server.uri, '--export-dir', exportDir, '--layout', layout, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const warnings = (JSON.parse(r.stdout) as RunSummary).warnings;
    expect(warnings).to.include(`${name}.ring: the collection existed already, and its capped is none where the source had true: not changed (collection options are set when a collection is created).`);
    expect(await withDb(name, async (db) => ((await db.listCollections({ name: 'ring' }).toArray()) as { options?: { capped?: boolean } }[])[0]!.options?.capped)).to.not.equal(true);
  });

  describe('the kinds FerretDB v1 lacks (a real mongod: DOCFERRY_TEST_MONGO_URI)', () => {
    it('TTL, partial, collation, hidden, text and wildcard indexes come back as they were', async function () {
      skipUnlessMongod(this, 'TTL, partial, collation, hidden, text and wildcard indexes');
      const name = `mkinds${process.pid}`;
      await withDb(name, async (db) => {
        const c = db.collection('events');
        await c.insertMany([{ _id: 'e1' as never, at: new Date(), kind: 'a', title: 'Hello', body: 'a quick fox', meta: { x: 1 } }]);
        await c.createIndex({ at: 1 }, { name: 'at_ttl', expireAfterSeconds: 3600 });
        await c.createIndex({ kind: 1 }, { name: 'kind_partial', partialFilterExpression: { kind: { $exists: true }, at: { $gt: new Date('2020-01-01T00:00:00Z') } } });
        await c.createIndex({ title: 1 }, { name: 'title_ci', collation: { locale: 'en', strength: 2 }, unique: true });
        await c.createIndex({ kind: -1, title: 1 }, { name: 'kind_title_hidden', hidden: true });
        await c.createIndex({ title: 'text', body: 'text' }, { name: 'search', weights: { title: 10, body: 1 }, default_language: 'english' });
        await c.createIndex({ 'meta.$**': 1 }, { name: 'meta_wildcard' });
      });
      const before = await schemaOf(name);
      expect((before.events as { indexes: unknown[] }).indexes).to.have.length(6);
      const r = await roundTrip(name, ['events']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.summary!.warnings).to.deep.equal([]);
      expect(await schemaOf(name)).to.deep.equal(before);
    });

    it('a validator (with its level and action) and a default collation come back, and the validator is enforced', async function () {
      skipUnlessMongod(this, 'validators and collations');
      const name = `mvalid${process.pid}`;
      await withDb(name, async (db) => {
        await db.createCollection('people', { validator: { $jsonSchema: { bsonType: 'object', required: ['name'] } }, validationLevel: 'strict', validationAction: 'error', collation: { locale: 'fr', strength: 1 } });
        await db.collection('people').insertOne({ _id: 'p1' as never, name: 'Zoé' });
      });
      const before = await schemaOf(name);
      const r = await roundTrip(name, ['people']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.summary!.warnings).to.deep.equal([]);
      expect(await schemaOf(name)).to.deep.equal(before);
      const refused = await withDb(name, (db) => db.collection('people').insertOne({ _id: 'p2' as never }).then(() => 0, (err: { code?: number }) => err.code));
      expect(refused).to.equal(121); // DocumentValidationFailure
    });
  });
});
