import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { parseLayout, type Layout } from '../../src/core/layout.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** The guide's early container (FACTS.md section 5): /collection key, /"_etag"/? excluded, composite indexes led by /collection. */
const GUIDE_POLICY = {
  indexingMode: 'consistent',
  automatic: true,
  includedPaths: [{ path: '/*' }],
  excludedPaths: [{ path: '/"_etag"/?' }],
  compositeIndexes: [
    [{ path: '/collection', order: 'ascending' }, { path: '/source', order: 'ascending' }, { path: '/ingestion_date', order: 'descending' }],
    [{ path: '/collection', order: 'ascending' }, { path: '/message_id', order: 'ascending' }, { path: '/sequence', order: 'ascending' }],
  ],
};

describe('docferry layout capture', function () {
  this.timeout(120_000);
  after(removeTempDirs);

  describe('from Cosmos DB (cosmosdb-server)', () => {
    let server: CosmosTestServer;
    before(async () => {
      server = await startCosmosTestServer();
      const client = cosmosClient(server);
      const { database } = await client.databases.createIfNotExists({ id: `copilot${server.suffix}` });
      const { container } = await database.containers.createIfNotExists({ id: 'documents', partitionKey: { paths: ['/collection'], version: 2 }, indexingPolicy: GUIDE_POLICY as never });
      await container.items.create({ id: 'm1', collection: 'messages' });
      await database.containers.createIfNotExists({ id: 'user_roles', partitionKey: { paths: ['/id'], version: 2 }, uniqueKeyPolicy: { uniqueKeys: [{ paths: ['/email'] }] }, defaultTtl: 3600 });
      client.dispose();
    });
    after(() => server?.stop());

    it('writes a valid layout with the partition keys, indexing policy, unique keys and TTL; lists what it found and notes the empty container and the missing throughput', async () => {
      const out = join(await tempDir('docferry-capture-'), 'captured.json');
      const r = await runCli(['layout', 'capture', '--from', 'cosmos', '--cosmos-endpoint', server.endpoint, '--out', out], { COSMOS_KEY: server.key });
      expect(r.code, r.stderr).to.equal(0);
      const layout = parseLayout(JSON.parse(await readFile(out, 'utf8')), out) as Layout;
      const db = layout.databases.find((d) => d.name === `copilot${server.suffix}`)!;
      const documents = db.containers.find((c) => c.name === 'documents')!;
      expect(documents.partitionKey).to.deep.equal({ paths: ['/collection'], kind: 'Hash', version: 2 });
      expect(documents.indexingPolicy).to.deep.include({ excludedPaths: [{ path: '/"_etag"/?' }] });
      expect(documents.indexingPolicy!.compositeIndexes).to.deep.equal(GUIDE_POLICY.compositeIndexes);
      expect(documents.empty).to.equal(false);
      const roles = db.containers.find((c) => c.name === 'user_roles')!;
      expect(roles.uniqueKeys).to.deep.equal([['/email']]);
      expect(roles.defaultTtl).to.equal(3600);
      expect(roles.empty).to.equal(true);
      expect(layout.notes!.join('\n')).to.match(/Empty when captured: .*user_roles/).and.to.match(/Throughput left out/);
      expect(r.stdout).to.match(/documents: partition key \/collection/).and.to.match(/user_roles: .*EMPTY/);
      expect(r.stdout + r.stderr).not.to.include(server.key);
    });

    it('layout check: exit 0 against the account it was captured from; exit 5 naming each drift (--json)', async () => {
      const dir = await tempDir('docferry-check-');
      const out = join(dir, 'captured.json');
      const env = { COSMOS_KEY: server.key };
      expect((await runCli(['layout', 'capture', '--from', 'cosmos', '--cosmos-endpoint', server.endpoint, '--out', out], env)).code).to.equal(0);
      const same = await runCli(['layout', 'check', '--against', 'cosmos', '--cosmos-endpoint', server.endpoint, '--layout', out], env);
      expect(same.code, same.stderr).to.equal(0);
      expect(same.stdout).to.match(/matches/);
      const layout = JSON.parse(await readFile(out, 'utf8')) as Layout;
      const db = layout.databases.find((d) => d.name === `copilot${server.suffix}`)!;
      const roles = db.containers.find((c) => c.name === 'user_roles')!;
      roles.uniqueKeys = [['/email'], ['/name']];
      roles.defaultTtl = 60;
      db.containers.push({ name: 'summaries', partitionKey: { paths: ['/id'] } });
      const drifted = join(dir, 'drifted.json');
      await writeFile(drifted, JSON.stringify(layout));
      const r = await runCli(['layout', 'diff', '--against', 'cosmos', '--cosmos-endpoint', server.endpoint, '--layout', drifted, '--json'], env);
      expect(r.code, r.stderr).to.equal(5);
      const report = JSON.parse(r.stdout) as { matches: boolean; differences: { where: string; what: string }[] };
      expect(report.matches).to.equal(false);
      expect(report.differences.map((d) => `${d.where} ${d.what}`).sort()).to.deep.equal(
        [`copilot${server.suffix}.summaries missing container`, `copilot${server.suffix}.user_roles ttl`, `copilot${server.suffix}.user_roles unique keys`].sort(),
      );
      const table = await runCli(['layout', 'check', '--against', 'cosmos', '--cosmos-endpoint', server.endpoint, '--layout', drifted], env);
      expect(table.code).to.equal(5);
      expect(table.stdout).to.match(/differs .* in 3 places/).and.to.match(/summaries\s+missing container/);
    });

    it('refuses a --collections name that is not in the account (exit 2)', async () => {
      const out = join(await tempDir('docferry-capture-'), 'captured.json');
      const r = await runCli(['layout', 'capture', '--from', 'cosmos', '--cosmos-endpoint', server.endpoint, '--collections', 'mesages', '--out', out], { COSMOS_KEY: server.key });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/Unknown collection in --collections: mesages/);
    });
  });

  describe('from MongoDB (FerretDB)', () => {
    let mongo: MongoTestServer;
    const db = `capture${process.pid}`;
    before(async function () {
      this.timeout(600_000);
      mongo = await startMongoTestServer();
      const client = new MongoClient(mongo.uri);
      try {
        const users = client.db(db).collection('users');
        await users.insertOne({ _id: 'u1' as never, email: 'a@example.org', tenant: 't', date: 1 });
        // The kinds FerretDB v1 keeps: unique and compound (with a direction) indexes, capped collections.
        // (It accepts sparse: true but does not keep it; listIndexes then reports a plain index.)
        await users.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
        await users.createIndex({ tenant: 1, date: -1 }, { name: 'tenant_date' });
        await client.db(db).createCollection('log', { capped: true, size: 100_000 });
      } finally {
        await client.close();
      }
    });
    after(() => mongo?.stop());

    it('records every index but _id with its options, the capped option, and the empty collection', async () => {
      const out = join(await tempDir('docferry-capture-'), 'captured.json');
      const r = await runCli(['layout', 'capture', '--from', 'mongodb', '--mongo-uri', mongo.uri, '--collections', `${db}.users,${db}.log`, '--out', out]);
      expect(r.code, r.stderr).to.equal(0);
      const layout = parseLayout(JSON.parse(await readFile(out, 'utf8')), out);
      const [log, users] = layout.databases[0]!.containers;
      expect(users!.mongo!.indexes.find((i) => i.name === 'email_1')).to.deep.equal({ name: 'email_1', key: { email: 1 }, unique: true });
      expect(users!.mongo!.indexes.find((i) => i.name === 'tenant_date')).to.deep.equal({ name: 'tenant_date', key: { tenant: 1, date: -1 } });
      expect(users!.mongo!.indexes).to.have.length(2);
      expect(users!.empty).to.equal(false);
      expect(log!.mongo!.options).to.deep.equal({ capped: true, size: 100_000 });
      expect(log!.empty).to.equal(true);
      expect(layout.notes!.join('\n')).to.match(new RegExp(`Empty when captured: ${db}\\.log`)).and.to.match(/\/id/);
    });

    it('layout check --against mongodb: a missing index or collection is a difference (exit 5)', async () => {
      const dir = await tempDir('docferry-check-');
      const out = join(dir, 'captured.json');
      expect((await runCli(['layout', 'capture', '--from', 'mongodb', '--mongo-uri', mongo.uri, '--collections', `${db}.users`, '--out', out])).code).to.equal(0);
      expect((await runCli(['layout', 'check', '--against', 'mongodb', '--mongo-uri', mongo.uri, '--layout', out])).code).to.equal(0);
      const layout = JSON.parse(await readFile(out, 'utf8')) as Layout;
      layout.databases[0]!.containers[0]!.mongo!.indexes.push({ name: 'tenant_1', key: { tenant: 1 }, unique: true });
      layout.databases[0]!.containers.push({ name: 'audit', partitionKey: { paths: ['/id'] } });
      await writeFile(out, JSON.stringify(layout));
      const r = await runCli(['layout', 'check', '--against', 'mongodb', '--mongo-uri', mongo.uri, '--layout', out, '--json']);
      expect(r.code, r.stderr).to.equal(5);
      const report = JSON.parse(r.stdout) as { differences: { where: string; what: string; detail: string }[] };
      expect(report.differences.map((d) => `${d.where} ${d.what}`).sort()).to.deep.equal([`${db}.audit missing container`, `${db}.users missing index`]);
    });
  });
});
