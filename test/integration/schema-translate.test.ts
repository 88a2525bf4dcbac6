import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * The schema translated between backends on a migrate or an import (docs/type-mapping.md): the
 * local Cosmos DB server stores the indexing policy with its composite indexes and enforces unique
 * keys, so what docferry creates is checked by what the server then refuses.
 */
describe('Schemas translated between MongoDB and Cosmos DB on migrate and import (FerretDB, cosmosdb-server)', function () {
  this.timeout(240_000);
  let mongo: MongoTestServer;
  let cosmos: CosmosTestServer;
  let work: string;
  let runs = 0;
  const db = `xlate${process.pid}`;

  before(async function () {
    this.timeout(600_000);
    [mongo, cosmos] = await Promise.all([startMongoTestServer(), startCosmosTestServer()]);
    work = await tempDir('docferry-translate-');
  });
  after(async () => {
    await Promise.all([mongo?.stop(), cosmos?.stop()]);
    await removeTempDirs();
  });

  const writeLayout = async (layout: Layout) => {
    const file = join(work, `layout-${++runs}.json`);
    await writeFile(file, JSON.stringify(layout));
    return file;
  };
  const withMongo = async <T>(f: (client: MongoClient) => Promise<T>) => {
    const client = new MongoClient(mongo.uri);
    try {
      return await f(client);
    } finally {
      await client.close();
    }
  };
  const statusOf = async (p: Promise<unknown>) => p.then(() => 201, (err: { code?: number }) => err.code);

  it('MongoDB -> Cosmos DB migrate: a unique index becomes a unique key that refuses a duplicate, a compound index a composite index; the per-partition scope of a unique key is a warning', async () => {
    const source = `${db}m2c`;
    await withMongo(async (client) => {
      const users = client.db(source).collection('users');
      await users.insertMany([
        { _id: 'u1' as never, tenant: 't1', email: 'a@example.org', date: '2026-01-01' },
        { _id: 'u2' as never, tenant: 't1', email: 'b@example.org', date: '2026-01-02' },
      ]);
      // One-path unique keys only: cosmosdb-server checks each path of a unique key on its own (a
      // compound key's tuple is not what it enforces), so compound ones are specified in the unit tests.
      await users.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await users.createIndex({ tenant: 1, date: -1 }, { name: 'tenant_date' });
    });
    const layout = await writeLayout({ name: 'm2c', databases: [{ name: source, containers: [{ name: 'users', partitionKey: { paths: ['/tenant'] } }] }] });
    const r = await runCli(['migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'cosmos', '--to-cosmos-endpoint', cosmos.endpoint, '--to-cosmos-key', cosmos.key, '--layout', layout, '--json', '--checkpoint', join(work, 'cp-m2c'), '--rejects-dir', join(work, 'rj-m2c')]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.totals.written).to.equal(2);
    expect(summary.warnings.some((w) => w.startsWith(`${source}.users: unique index email_1 {"email":1} -> unique key [/email] (weaker): Cosmos DB enforces unique keys within each logical partition`)), summary.warnings.join('\n')).to.equal(true);
    expect(summary.warnings.some((w) => /tenant_date/.test(w)), 'a composite index means the same: no warning').to.equal(false);

    const client = cosmosClient(cosmos);
    try {
      const container = client.database(source).container('users');
      const { resource } = await container.read();
      expect(resource!.uniqueKeyPolicy!.uniqueKeys.map((k) => k.paths)).to.deep.equal([['/email']]);
      expect(resource!.indexingPolicy!.compositeIndexes).to.deep.equal([[{ path: '/tenant', order: 'ascending' }, { path: '/date', order: 'descending' }]]);
      // The server enforces the translated unique key: the same email in the same tenant under another id is refused...
      expect(await statusOf(container.items.create({ id: 'dup', tenant: 't1', email: 'a@example.org' }))).to.equal(409);
      // ...and, as the warning says, the same email in another logical partition is not.
      expect(await statusOf(container.items.create({ id: 'other', tenant: 't2', email: 'a@example.org' }))).to.equal(201);
    } finally {
      client.dispose();
    }
  });

  it('MongoDB export -> Cosmos DB import: a TTL index becomes the default TTL with the _ts warning; --no-indexes creates the container plain', async () => {
    const source = `${db}ttl`;
    await withMongo(async (client) => {
      await client.db(source).collection('sessions').insertMany([{ _id: 's1' as never, user: 'a', createdAt: new Date('2026-01-01T00:00:00Z') }]);
    });
    const layout = await writeLayout({ name: 'ttl', databases: [{ name: source, containers: [{ name: 'sessions', partitionKey: { paths: ['/id'] } }] }] });
    const exportDir = join(work, 'export-ttl');
    const e = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', exportDir]);
    expect(e.code, e.stderr).to.equal(0);
    // FerretDB v1 cannot hold a TTL index (docs/schema.md): the manifest gets the one a mongod would have recorded.
    const manifestFile = join(exportDir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    manifest.schemas![`${source}.sessions`]!.mongo!.indexes.push({ name: 'created_ttl', key: { createdAt: 1 }, expireAfterSeconds: 3600 });
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2));

    const env = { COSMOS_KEY: cosmos.key };
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--export-dir', exportDir, '--layout', layout, '--json'], env);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    const warning = summary.warnings.find((w) => w.includes('created_ttl'));
    expect(warning, summary.warnings.join('\n')).to.match(/-> default TTL 3600 \(weaker\): Cosmos DB counts the TTL from each document's last write \(_ts\), not from createdAt/);
    const client = cosmosClient(cosmos);
    try {
      const { resource } = await client.database(source).container('sessions').read();
      expect(resource!.defaultTtl).to.equal(3600);
      await client.database(source).container('sessions').delete();
      const plain = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--export-dir', exportDir, '--layout', layout, '--json', '--no-indexes'], env);
      expect(plain.code, plain.stderr).to.equal(0);
      expect((JSON.parse(plain.stdout) as RunSummary).warnings.filter((w) => w.includes('created_ttl'))).to.deep.equal([]);
      const { resource: again } = await client.database(source).container('sessions').read();
      expect(again!.defaultTtl).to.equal(undefined);
    } finally {
      client.dispose();
    }
  });

  it('Cosmos DB -> MongoDB migrate: a unique key becomes a unique index scoped by the partition key, the partition key and composite index indexes; the default TTL is a warning', async () => {
    const source = `${db}c2m`;
    const client = cosmosClient(cosmos);
    try {
      const { database } = await client.databases.createIfNotExists({ id: source });
      const { container } = await database.containers.createIfNotExists({
        id: 'roles',
        partitionKey: { paths: ['/tenant'], version: 2 },
        uniqueKeyPolicy: { uniqueKeys: [{ paths: ['/email'] }] },
        indexingPolicy: { indexingMode: 'consistent', automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/"_etag"/?' }], compositeIndexes: [[{ path: '/tenant', order: 'ascending' }, { path: '/date', order: 'descending' }]] },
        defaultTtl: 86400,
      });
      await container.items.create({ id: 'r1', tenant: 't1', email: 'a@example.org', date: '2026-01-01' });
      await container.items.create({ id: 'r2', tenant: 't2', email: 'a@example.org', date: '2026-01-02' });
    } finally {
      client.dispose();
    }
    const layout = await writeLayout({ name: 'c2m', databases: [{ name: source, containers: [{ name: 'roles', partitionKey: { paths: ['/tenant'] } }] }] });
    const r = await runCli(['migrate', '--from', 'cosmos', '--from-cosmos-endpoint', cosmos.endpoint, '--from-cosmos-key', cosmos.key, '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--layout', layout, '--json', '--checkpoint', join(work, 'cp-c2m'), '--rejects-dir', join(work, 'rj-c2m')]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.totals.written).to.equal(2);
    expect(summary.warnings.some((w) => w.startsWith(`${source}.roles: default TTL 86400 (not carried): a MongoDB TTL index needs a date field`)), summary.warnings.join('\n')).to.equal(true);
    await withMongo(async (m) => {
      const roles = m.db(source).collection('roles');
      const indexes = (await roles.listIndexes().toArray()).map((i) => ({ name: i.name, key: i.key, ...(i.unique ? { unique: true } : {}) }));
      expect(indexes).to.deep.include.members([
        { name: 'unique_email_tenant', key: { email: 1, tenant: 1 }, unique: true },
        { name: 'pk_tenant', key: { tenant: 1 } },
        { name: 'composite_tenant_date', key: { tenant: 1, date: -1 } },
      ]);
      // The same email in one tenant is refused, as Cosmos DB refused it; in another tenant it is not (the source holds two).
      expect(await statusOf(roles.insertOne({ _id: 'dup' as never, tenant: 't1', email: 'a@example.org' }))).to.equal(11000);
      expect(await statusOf(roles.insertOne({ _id: 'ok' as never, tenant: 't3', email: 'a@example.org' }))).to.equal(201);
    });
  });

  it('Cosmos DB -> Cosmos DB import into a container docferry creates: the carried indexing policy, unique keys and TTL, with no difference left to report', async () => {
    const source = `${db}c2c`;
    const client = cosmosClient(cosmos);
    const composite: { path: string; order: 'ascending' | 'descending' }[][] = [[{ path: '/collection', order: 'ascending' }, { path: '/date', order: 'descending' }]];
    try {
      const { database } = await client.databases.createIfNotExists({ id: source });
      const { container } = await database.containers.createIfNotExists({
        id: 'documents',
        partitionKey: { paths: ['/collection'], version: 2 },
        uniqueKeyPolicy: { uniqueKeys: [{ paths: ['/message_id'] }] },
        indexingPolicy: { indexingMode: 'consistent', automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/"_etag"/?' }], compositeIndexes: composite },
        defaultTtl: 7200,
      });
      await container.items.create({ id: 'm1', collection: 'messages', message_id: '<a@x>', date: '2026-01-01' });
    } finally {
      client.dispose();
    }
    const layout = await writeLayout({ name: 'c2c', databases: [{ name: source, containers: [{ name: 'documents', partitionKey: { paths: ['/collection'] } }] }] });
    const exportDir = join(work, 'export-c2c');
    const env = { COSMOS_KEY: cosmos.key };
    const e = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--layout', layout, '--output-dir', exportDir], env);
    expect(e.code, e.stderr).to.equal(0);
    const target = cosmosClient(cosmos);
    try {
      await target.database(source).delete();
      const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--export-dir', exportDir, '--layout', layout, '--json'], env);
      expect(r.code, r.stderr).to.equal(0);
      expect((JSON.parse(r.stdout) as RunSummary).warnings).to.deep.equal([]);
      const container = target.database(source).container('documents');
      const { resource } = await container.read();
      expect(resource!.uniqueKeyPolicy!.uniqueKeys.map((k) => k.paths)).to.deep.equal([['/message_id']]);
      expect(resource!.defaultTtl).to.equal(7200);
      expect(resource!.indexingPolicy!.compositeIndexes).to.deep.equal(composite);
      expect(await statusOf(container.items.create({ id: 'm2', collection: 'messages', message_id: '<a@x>' }))).to.equal(409);
    } finally {
      target.dispose();
    }
  });

  it('docferry layout translate prints the plan and writes the translated layout, touching no server', async () => {
    const layout = await writeLayout({
      name: 'captured-mongodb',
      databases: [{ name: 'app', containers: [{ name: 'users', partitionKey: { paths: ['/id'] }, mongo: { indexes: [{ name: 'email_1', key: { email: 1 }, unique: true }, { name: 'seen', key: { seenAt: 1 }, expireAfterSeconds: 600 }, { name: 'search', key: { bio: 'text' } }] } }] }],
    });
    const out = join(work, 'translated.json');
    const r = await runCli(['layout', 'translate', '--to', 'cosmos', '--layout', layout, '--out', out]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Translating .* to cosmos: 3 steps, 3 warnings:/);
    expect(r.stdout).to.include('warning: app.users: index search {"bio":"text"} (not carried): Cosmos DB full-text search');
    const written = JSON.parse(await readFile(out, 'utf8')) as Layout;
    expect(written.databases[0]!.containers[0]).to.deep.include({ uniqueKeys: [['/email']], defaultTtl: 600 });
    expect(written.notes!.length).to.equal(4);
    const json = await runCli(['layout', 'translate', '--to', 'mongodb', '--layout', out, '--json']);
    expect(json.code, json.stderr).to.equal(0);
    const plan = JSON.parse(json.stdout) as { steps: { source: string; outcome: string }[]; warnings: string[] };
    expect(plan.steps.map((s) => `${s.source}: ${s.outcome}`)).to.include.members(['unique key [/email]: not carried', 'translated MongoDB indexes: not carried']);
    const bad = await runCli(['layout', 'translate', '--to', 'postgres', '--layout', out]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--to must be cosmos or mongodb/);
  });
});
