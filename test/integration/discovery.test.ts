import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import type { VerifySummary } from '../../src/engine/verify.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const pk = { paths: ['/id'], kind: 'Hash' as const };

/** Warning lines of a run's stderr. */
const warningsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning: '));

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Discovery: export, migrate and verify list what the source holds and compare it with the
 * layout. A collection the layout names and the source lacks is a warning and is recorded as
 * absent (never an empty file an import would turn into an empty collection), on both backends;
 * one the source holds and the layout does not name is reported with its count; --all moves it,
 * --strict makes either a failure before anything is written.
 */
describe('discovery: what the source holds against what the layout names', function () {
  this.timeout(180_000);
  let mongo: MongoTestServer;
  let cosmos: CosmosTestServer;
  let work: string;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    mongo = await startMongoTestServer();
    cosmos = await startCosmosTestServer();
    work = await tempDir('docferry-discovery-');
  });

  after(async () => {
    await mongo?.stop();
    await cosmos?.stop();
    await removeTempDirs();
  });

  describe('MongoDB source (FerretDB)', () => {
    const db = `copilot_disc${process.pid}`;
    const noDb = `auth_disc${process.pid}`;
    let layoutFile: string;
    const mongoArgs = () => ['--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile];

    before(async () => {
      const client = new MongoClient(mongo.uri);
      try {
        await client.db(db).collection('sources').insertMany([{ _id: 'a' as never }, { _id: 'b' as never }]);
        await client.db(db).createCollection('archives');
        await client.db(db).collection('embeddings').insertMany([{ _id: 'e1' as never }, { _id: 'e2' as never }, { _id: 'e3' as never }]);
      } finally {
        await client.close();
      }
      const layout: Layout = {
        name: 'discovery-test',
        defaultPartitionKey: pk,
        databases: [
          { name: db, containers: ['sources', 'archives', 'mesages'].map((name) => ({ name, partitionKey: pk })) },
          { name: noDb, containers: [{ name: 'user_roles', partitionKey: pk }] },
        ],
      };
      layoutFile = join(work, 'mongo-layout.json');
      await writeFile(layoutFile, JSON.stringify(layout));
    });

    it('export: absent collections are warned about and recorded as absent, an unnamed one is reported with its count; exit 0', async () => {
      const dir = join(work, 'mongo-export');
      const r = await runCli(['export', ...mongoArgs(), '--output-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(0);

      const mine = warningsOf(r.stderr).filter((w) => w.includes(db) || w.includes(noDb));
      expect(mine, r.stderr).to.have.length(3);
      expect(mine.find((w) => w.includes(`${db}.mesages is named by the layout but does not exist`)), r.stderr).to.include('records it as absent').and.not.include('no database');
      expect(mine.find((w) => w.includes(`${noDb}.user_roles is named by the layout`)), r.stderr).to.include(`there is no database ${noDb} there at all`);
      expect(mine.find((w) => w.includes(`${db}.embeddings (3 documents) exists on`)), r.stderr).to.include('the layout does not name it: not moved').and.include('--all');
      expect(r.stderr, 'an existing, empty collection is not warned about').not.to.match(/archives[^\n]*(does not exist|does not name)/);

      const summary = JSON.parse(r.stdout) as RunSummary;
      expect(summary.exitCode).to.equal(0);
      expect(summary.collections.map((c) => c.collection)).to.deep.equal(['sources', 'archives']);
      for (const w of mine) expect(summary.warnings).to.include(w.slice('warning: '.length));

      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.status).to.equal('complete');
      expect(manifest.format_version, 'older readers ignore the new field').to.equal(1);
      expect(manifest.warnings).to.deep.equal(summary.warnings);
      expect(manifest.absent).to.deep.equal([
        { database: db, collection: 'mesages' },
        { database: noDb, collection: 'user_roles' },
      ]);
      expect(manifest.document_counts).to.deep.equal({ [`${db}.sources`]: 2, [`${db}.archives`]: 0 });
      expect(manifest.databases).to.deep.equal({ [db]: ['sources', 'archives'] });
      expect(await exists(join(dir, db, 'mesages.json')), 'no empty file for an absent collection').to.equal(false);

      // A resumed run of the finished export still says so.
      const again = await runCli(['export', ...mongoArgs(), '--output-dir', dir, '--resume', '--json']);
      expect(again.code, again.stderr).to.equal(0);
      expect((JSON.parse(again.stdout) as RunSummary).warnings).to.deep.equal(summary.warnings);

      // An import skips the absent ones, says so, and creates nothing for them.
      const imported = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(imported.code, imported.stderr).to.equal(0);
      expect(imported.stderr).to.include(`${db}.mesages did not exist on the source when ${dir} was exported (the manifest records it as absent): skipped, nothing is created for it.`);
    });

    it('an import of an export with absent collections creates nothing for them', async () => {
      // Export from the FerretDB source, import into a Cosmos DB target: the absent collection is not created.
      const dir = join(work, 'mongo-export-2');
      expect((await runCli(['export', ...mongoArgs(), '--output-dir', dir])).code).to.equal(0);
      const cosmosLayout = join(work, 'mongo-to-cosmos-layout.json');
      await writeFile(cosmosLayout, await readFile(layoutFile, 'utf8'));
      const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--cosmos-key', cosmos.key, '--layout', cosmosLayout, '--export-dir', dir]);
      expect(r.code, r.stderr).to.equal(0);
      const { resources } = await cosmosClient(cosmos).database(db).containers.readAll().fetchAll();
      expect(resources.map((c) => c.id).sort()).to.deep.equal(['archives', 'sources']);
    });

    it('--strict: exit 1 naming every mismatch, before anything is written (no output directory)', async () => {
      const dir = join(work, 'mongo-strict');
      const r = await runCli(['export', ...mongoArgs(), '--output-dir', dir, '--strict']);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.include('--strict: the source does not match the layout; nothing was written');
      expect(r.stderr).to.include(`${db}.mesages is named by the layout but does not exist`);
      expect(r.stderr).to.include(`${noDb}.user_roles is named by the layout but does not exist`);
      expect(r.stderr).to.include(`${db}.embeddings (3 documents) exists on`);
      expect(await exists(dir)).to.equal(false);
    });

    it('--all: every collection found is exported, unnamed ones with the default partition key; system databases never', async () => {
      const dir = join(work, 'mongo-all');
      const r = await runCli(['export', ...mongoArgs(), '--output-dir', dir, '--all', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.document_counts[`${db}.embeddings`]).to.equal(3);
      expect(manifest.document_counts[`${db}.sources`]).to.equal(2);
      expect(Object.keys(manifest.databases)).not.to.include.members(['admin', 'local', 'config']);
      expect(r.stderr).to.include(`--all: ${db}.embeddings is moved too (not named by the layout; partition key /id)`);
      expect(warningsOf(r.stderr).filter((w) => w.includes('does not name it'))).to.deep.equal([]);
    });

    it('--all with --collections is a usage error', async () => {
      const r = await runCli(['export', ...mongoArgs(), '--output-dir', join(work, 'mongo-all-coll'), '--all', '--collections', 'sources']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('--all moves every collection found and --collections names some: pass one of them.');
    });

    it('--collections narrows: containers outside it are not reported', async () => {
      const r = await runCli(['export', ...mongoArgs(), '--output-dir', join(work, 'mongo-narrow'), '--collections', 'sources']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).not.to.include('embeddings');
    });
  });

  describe('Cosmos DB source (cosmosdb-server)', () => {
    const db = `copilot_cdisc${process.pid}`;
    let layoutFile: string;
    let source: CosmosTestServer;
    const cosmosArgs = () => ['--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile];

    before(async () => {
      source = await startCosmosTestServer();
      await seedCosmos(source, db, 'sources', [{ id: 's1' }, { id: 's2' }]);
      await seedCosmos(source, db, 'embeddings', [{ id: 'e1' }]);
      const layout: Layout = { name: 'discovery-test', defaultPartitionKey: pk, databases: [{ name: db, containers: ['sources', 'threads'].map((name) => ({ name, partitionKey: pk })) }] };
      layoutFile = join(work, 'cosmos-layout.json');
      await writeFile(layoutFile, JSON.stringify(layout));
    });

    after(async () => {
      await source?.stop();
    });

    it('export: a missing container is a warning and absent in the manifest, as on MongoDB (it used to fail the export)', async () => {
      const dir = join(work, 'cosmos-export');
      const r = await runCli(['export', ...cosmosArgs(), '--output-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include(`warning: ${db}.threads is named by the layout but does not exist on`);
      expect(r.stderr).to.include(`warning: ${db}.embeddings (1 documents) exists on`);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.status).to.equal('complete');
      expect(manifest.absent).to.deep.equal([{ database: db, collection: 'threads' }]);
      expect(manifest.document_counts).to.deep.equal({ [`${db}.sources`]: 2 });
    });

    it('--strict: exit 1 before anything is written', async () => {
      const dir = join(work, 'cosmos-strict');
      const r = await runCli(['export', ...cosmosArgs(), '--output-dir', dir, '--strict']);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.include(`${db}.threads is named by the layout but does not exist`);
      expect(await exists(dir)).to.equal(false);
    });

    it('migrate into MongoDB: the absent container is skipped and not created, --all moves the unnamed one', async () => {
      const r = await runCli(['migrate', '--from', 'cosmos', '--from-cosmos-endpoint', source.endpoint, '--from-cosmos-key', source.key, '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--layout', layoutFile, '--all', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include(`${db}.threads is named by the layout but does not exist on`);
      expect(r.stderr).to.include('nothing is created for it on the target');
      const client = new MongoClient(mongo.uri);
      try {
        const names = (await client.db(db).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
        expect(names).to.deep.equal(['embeddings', 'sources']);
      } finally {
        await client.close();
      }
      const summary = JSON.parse(r.stdout) as RunSummary;
      expect(summary.collections.map((c) => `${c.collection}:${c.written}`)).to.deep.equal(['sources:2', 'embeddings:1']);
    });

    it('verify: reports the same, and compares an absent container only when the other side holds it', async () => {
      const r = await runCli(['verify', '--left-type', 'cosmos', '--left-cosmos-endpoint', source.endpoint, '--left-cosmos-key', source.key, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layoutFile, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const summary = JSON.parse(r.stdout) as VerifySummary;
      expect(summary.collections.map((c) => c.collection)).to.deep.equal(['sources']);
      expect(summary.warnings?.some((w) => w.includes(`${db}.threads is named by the layout`) && w.includes('compared only when the right side holds it'))).to.equal(true);
      expect(summary.warnings?.some((w) => w.includes(`${db}.embeddings (1 documents)`))).to.equal(true);
    });
  });
});
