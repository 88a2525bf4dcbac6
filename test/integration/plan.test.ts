/**
 * `docferry plan` and `planRun` against the local servers (FerretDB, cosmosdb-server): real
 * counts, RU estimates by the documented formula, partition-key warnings from the sample,
 * containers to be created, a partition key that differs, and nothing written anywhere.
 */
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { planRun, type Layout, type RunPlan } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { startRuProxy } from '../support/ru-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

async function withMongo<T>(uri: string, work: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

async function cosmosDatabases(server: CosmosTestServer): Promise<string[]> {
  const client = cosmosClient(server);
  try {
    return (await client.databases.readAll().fetchAll()).resources.map((d) => d.id);
  } finally {
    client.dispose();
  }
}

/** The formula of docs/cli.md ("docferry plan"), written out: RU = 5 x max(1, KB) + 0.2 x indexed properties. */
const formula = (bytes: number, properties: number) => 5 * Math.max(1, bytes / 1024) + 0.2 * properties;

describe('docferry plan: what a run would do, against the live servers, writing nothing', function () {
  this.timeout(240_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let db: string;
  let layoutFile: string;
  const MESSAGES = 120;
  const THREADS = 40;
  const WITHOUT_ARCHIVE = 3;

  before(async function () {
    this.timeout(300_000);
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-plan-');
    db = `plan${cosmos.suffix}`;
    // Messages keyed by archive, then id: two archives, one of them holding nearly everything.
    const layout: Layout = {
      databases: [
        {
          name: db,
          containers: [
            { name: 'messages', partitionKey: { paths: ['/archive_id', '/id'], kind: 'MultiHash' } },
            { name: 'threads', partitionKey: { paths: ['/id'] } },
          ],
        },
      ],
    };
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
    await withMongo(mongo.uri, async (c) => {
      await c
        .db(db)
        .collection<{ _id: string }>('messages')
        .insertMany(
          Array.from({ length: MESSAGES }, (_, i) =>
            i < WITHOUT_ARCHIVE ? { _id: `m-${i}`, n: i, text: 'no archive' } : { _id: `m-${i}`, archive_id: i % 40 === 0 ? 'a2' : 'a1', n: i, text: `message ${i}` },
          ),
        );
      await c.db(db).collection<{ _id: string }>('threads').insertMany(Array.from({ length: THREADS }, (_, i) => ({ _id: `t-${i}`, title: `thread ${i}` })));
    });
  });

  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const migrateArgs = (extra: string[] = []) => [
    'plan', 'migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'cosmos', '--to-cosmos-endpoint', cosmos.endpoint,
    '--to-cosmos-key', cosmos.key, '--layout', layoutFile, '--to-max-ru', '100',
    '--rejects-dir', join(work, 'rejects'), '--checkpoint', join(work, 'checkpoint'), ...extra,
  ];

  it('plan migrate --json: real counts, RU by the formula and the duration under --max-ru, partition-key warnings, containers to create; nothing written', async () => {
    const r = await runCli(migrateArgs(['--json']));
    expect(r.code, r.stderr).to.equal(0);
    const plan = JSON.parse(r.stdout) as RunPlan;
    expect(plan.operation).to.equal('migrate');
    expect(plan.problems).to.deep.equal([]);
    expect(plan.collections.map((c) => [c.source.collection, c.target.collection, c.sourceDocuments, c.targetExists, c.create])).to.deep.equal([
      ['messages', 'messages', MESSAGES, false, true],
      ['threads', 'threads', THREADS, false, true],
    ]);
    expect(plan.created).to.deep.equal([{ database: db, collection: 'messages' }, { database: db, collection: 'threads' }]);
    for (const c of plan.collections) {
      expect(c.bytes, c.source.collection).to.be.a('number').and.greaterThan(0);
      expect(c.bytesFrom).to.be.oneOf(['store', 'sample']);
    }

    // Every message as Cosmos DB stores it: _id, archive_id, n, text and the id made from _id (5 properties, under 1 KB).
    const [messages, threads] = plan.collections as [RunPlan['collections'][number], RunPlan['collections'][number]];
    expect(messages.sample?.documents).to.equal(MESSAGES);
    expect(messages.estimate?.requestUnitsPerDocument).to.be.closeTo(formula(300, 5), 0.01);
    expect(messages.estimate?.requestUnits).to.equal(Math.round(formula(300, 5) * MESSAGES));
    expect(messages.estimate?.budget).to.deep.equal({ key: '*', from: '--max-ru', ruPerSecond: 100 });
    expect(messages.estimate?.seconds).to.equal(Math.round((messages.estimate!.requestUnits / 100) * 10) / 10);
    expect(threads.estimate?.requestUnitsPerDocument).to.be.closeTo(formula(100, 3), 0.01);
    expect(plan.totals.documents).to.equal(MESSAGES + THREADS);
    expect(plan.totals.requestUnits).to.equal(messages.estimate!.requestUnits + threads.estimate!.requestUnits);
    expect(plan.totals.seconds).to.equal(Math.round((plan.totals.requestUnits! / 100) * 10) / 10);

    // The documents without /archive_id, and the first level of two values, one in 97% of documents.
    expect(messages.partitionKey?.missing).to.equal(WITHOUT_ARCHIVE);
    expect(messages.partitionKey?.firstLevel?.distinct).to.equal(2);
    expect(plan.warnings.some((w) => w.includes(`${WITHOUT_ARCHIVE} of ${MESSAGES} sampled documents have no usable value for the partition key /archive_id, /id`) && w.includes('m-0: missing partition-key value at /archive_id'))).to.equal(true, plan.warnings.join('\n'));
    expect(plan.warnings.some((w) => w.includes('the first level of the partition key (/archive_id) takes 2 values') && w.includes('one physical partition') === false)).to.equal(true, plan.warnings.join('\n'));
    expect(threads.partitionKey?.missing).to.equal(0);
    expect(r.stderr).to.include('warning: ');

    // Nothing written: no database on the target, no rejects or checkpoint directory.
    expect(await cosmosDatabases(cosmos)).to.not.include(db);
    expect(existsSync(join(work, 'rejects')), 'rejects dir').to.equal(false);
    expect(existsSync(join(work, 'checkpoint')), 'checkpoint dir').to.equal(false);

    // The table, and --fail-on-warnings makes the same plan exit 5.
    const table = await runCli(migrateArgs());
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/messages\s+.*messages \(created\)\s+120/);
    expect(table.stdout).to.include('nothing was written');
    expect((await runCli(migrateArgs(['--fail-on-warnings']))).code).to.equal(5);
  });

  it('planRun returns the plan that plan --json prints (one engine function)', async () => {
    const cli = JSON.parse((await runCli(migrateArgs(['--json']))).stdout) as RunPlan;
    const api = await planRun({
      operation: 'migrate',
      fromType: 'mongodb',
      fromMongoUri: mongo.uri,
      toType: 'cosmos',
      toCosmosEndpoint: cosmos.endpoint,
      toCosmosKey: cosmos.key,
      layoutFile,
      toMaxRu: 100,
      rejectsDir: join(work, 'rejects'),
      checkpointDir: join(work, 'checkpoint'),
    });
    // The same sample (the whole collections) in another order: the same figures.
    expect(JSON.parse(JSON.stringify(api))).to.deep.equal(cli);
    expect(await cosmosDatabases(cosmos)).to.not.include(db);
    const refused = await planRun({ operation: 'migrate', fromType: 'mongodb', fromMongoUri: mongo.uri, toType: 'cosmos', toCosmosEndpoint: cosmos.endpoint, toCosmosKey: cosmos.key, sample: -1 }).catch((e: unknown) => e);
    expect((refused as Error).message).to.contain('"sample" takes a whole number');
  });

  it('plan export --json and plan import --json: counts, manifest bytes, a partition key that differs stops the run (exit 5); no file written', async () => {
    const out = join(work, 'export');
    const exportPlan = await runCli(['plan', 'export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--output-dir', out, '--json']);
    expect(exportPlan.code, exportPlan.stderr).to.equal(0);
    const ep = JSON.parse(exportPlan.stdout) as RunPlan;
    expect(ep.collections.map((c) => [c.source.collection, c.sourceDocuments, c.targetExists])).to.deep.equal([['messages', MESSAGES, false], ['threads', THREADS, false]]);
    expect(ep.target).to.equal(out);
    expect(existsSync(out), 'the plan created the output directory').to.equal(false);

    const exported = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--output-dir', out, '--quiet']);
    expect(exported.code, exported.stderr).to.equal(0);
    const before = (await readdir(out, { recursive: true })).sort();
    // The export would refuse its own output directory now: a problem, exit 5.
    const again = await runCli(['plan', 'export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--output-dir', out, '--json']);
    expect(again.code).to.equal(5);
    expect((JSON.parse(again.stdout) as RunPlan).problems.join()).to.include(`Output directory ${out} is not empty`);
    // The target holds threads already, partitioned by another key than the layout's.
    await seedCosmos(cosmos, db, 'threads', [{ id: 't-0', thread_id: 't-0' }], '/thread_id');

    const importPlan = await runCli(['plan', 'import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--cosmos-key', cosmos.key, '--export-dir', out, '--layout', layoutFile, '--json']);
    expect(importPlan.code, importPlan.stderr).to.equal(5);
    const ip = JSON.parse(importPlan.stdout) as RunPlan;
    expect(ip.source).to.equal(out);
    expect(ip.collections.map((c) => [c.source.collection, c.sourceDocuments, c.bytesFrom, c.targetExists ?? null, c.create ?? false])).to.deep.equal([
      ['messages', MESSAGES, 'manifest', false, true],
      ['threads', THREADS, 'manifest', true, false],
    ]);
    expect(ip.collections[0]!.bytes).to.be.greaterThan(0);
    expect(ip.created).to.deep.equal([{ database: db, collection: 'messages' }]);
    const threads = ip.collections[1]!;
    expect(threads.schemaDifferences?.map((d) => [d.where, d.what, d.blocking])).to.deep.equal([[`${db}.threads`, 'partition key', true]]);
    expect(ip.problems.some((p) => p.includes(`${db}.threads: partition key`))).to.equal(true, ip.problems.join('\n'));
    // No budget given and none readable from the emulator: RU, but no duration.
    expect(ip.collections[0]!.estimate?.requestUnits).to.be.greaterThan(0);
    expect(ip.collections[0]!.estimate?.seconds).to.equal(undefined);
    expect(ip.collections[0]!.notes?.join(' ')).to.include('no RU budget is known');

    // Nothing written: the export directory as it was (no _rejects, no _checkpoints), messages not created.
    expect((await readdir(out, { recursive: true })).sort()).to.deep.equal(before);
    const client = cosmosClient(cosmos);
    try {
      const containers = (await client.database(db).containers.readAll().fetchAll()).resources.map((c) => c.id);
      expect(containers).to.deep.equal(['threads']);
    } finally {
      client.dispose();
    }
  });
  it('a Cosmos DB source: plan export sizes it from the sample; plan migrate into MongoDB has no RU estimate and creates the collection', async () => {
    const src = `plansrc${cosmos.suffix}`;
    await seedCosmos(cosmos, src, 'documents', Array.from({ length: 30 }, (_, i) => ({ id: `d-${i}`, collection: i < 20 ? 'messages' : 'threads', body: 'y'.repeat(100) })), '/collection');
    const layout = join(work, 'cosmos-layout.json');
    await writeFile(layout, JSON.stringify({ databases: [{ name: src, containers: [{ name: 'documents', partitionKey: { paths: ['/collection'] } }] }] }));
    const cosmosArgs = ['--layout', layout, '--json', '--sample', '10'];
    const ep = await runCli(['plan', 'export', '--source-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--cosmos-key', cosmos.key, '--output-dir', join(work, 'never'), ...cosmosArgs]);
    expect(ep.code, ep.stderr).to.equal(0);
    const exportPlan = JSON.parse(ep.stdout) as RunPlan;
    expect(exportPlan.collections.map((c) => [c.sourceDocuments, c.bytesFrom])).to.deep.equal([[30, 'sample']]);
    // The mean of ten sampled items as they would be exported, times the count.
    expect(exportPlan.collections[0]!.bytes).to.be.within(30 * 130, 30 * 200);
    expect(existsSync(join(work, 'never'))).to.equal(false);

    const mp = await runCli(['plan', 'migrate', '--from', 'cosmos', '--from-cosmos-endpoint', cosmos.endpoint, '--from-cosmos-key', cosmos.key, '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--rejects-dir', join(work, 'never-rejects'), '--checkpoint', join(work, 'never-cp'), ...cosmosArgs]);
    expect(mp.code, mp.stderr).to.equal(0);
    const migratePlan = JSON.parse(mp.stdout) as RunPlan;
    const [docs] = migratePlan.collections;
    expect([docs!.sourceDocuments, docs!.targetExists, docs!.create, docs!.sample?.documents, docs!.estimate, docs!.partitionKey]).to.deep.equal([30, false, true, 10, undefined, undefined]);
    expect(migratePlan.totals.requestUnits).to.equal(undefined);
    await withMongo(mongo.uri, async (c) => {
      expect((await c.db(src).listCollections().toArray()).map((x) => x.name)).to.deep.equal([]);
    });
    expect(existsSync(join(work, 'never-rejects')) || existsSync(join(work, 'never-cp'))).to.equal(false);
  });
  it('a duration from the provisioned throughput: the offer read through a proxy that serves offers, --ru-share of it, and --ru-share without an offer stops the run', async () => {
    const dbName = `planru${cosmos.suffix}`;
    const layout = join(work, 'ru-layout.json');
    await writeFile(layout, JSON.stringify({ databases: [{ name: dbName, containers: [{ name: 'threads', partitionKey: { paths: ['/id'] } }] }] }));
    await seedCosmos(cosmos, dbName, 'threads', [{ id: 'already' }]);
    const plan = async (serveOffers: boolean, extra: string[]) => {
      const proxy = await startRuProxy(cosmos.endpoint, { throughput: 5000, serveOffers });
      try {
        const r = await runCli(['plan', 'migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'cosmos', '--to-cosmos-endpoint', proxy.endpoint, '--to-cosmos-key', cosmos.key, '--layout', layout, '--collections', 'threads', '--json', ...extra]);
        if (!r.stdout) throw new Error(`no plan (exit ${r.code}): ${r.stderr}`);
        return { code: r.code, stderr: r.stderr, plan: JSON.parse(r.stdout) as RunPlan, writes: proxy.stats.operations };
      } finally {
        await proxy.stop();
      }
    };
    // The MongoDB source has no such database: the layout's names, so seed one collection there.
    await withMongo(mongo.uri, (c) => c.db(dbName).collection<{ _id: string }>('threads').insertMany(Array.from({ length: 25 }, (_, i) => ({ _id: `t-${i}`, title: `thread ${i}` }))).then(() => undefined));

    const provisioned = await plan(true, []);
    expect(provisioned.code, provisioned.stderr).to.equal(0);
    const e = provisioned.plan.collections[0]!.estimate!;
    expect(e.budget).to.deep.equal({ key: `${dbName}/threads`, from: 'provisioned', ruPerSecond: 5000 });
    expect(e.seconds).to.equal(Math.round((e.requestUnits / 5000) * 10) / 10);
    expect(provisioned.writes, 'the plan wrote through the proxy').to.equal(0);

    const share = await plan(true, ['--to-ru-share', '40%']);
    expect(share.plan.collections[0]!.estimate!.budget).to.deep.equal({ key: `${dbName}/threads`, from: '--ru-share', ruPerSecond: 2000 });

    const unreadable = await plan(false, ['--to-ru-share', '40%']);
    expect(unreadable.code).to.equal(5);
    expect(unreadable.plan.problems.join('\n')).to.include('--to-ru-share needs the provisioned throughput of').and.to.include('Pass --to-max-ru');
    expect(unreadable.plan.collections[0]!.estimate).to.equal(undefined);
  });
});
