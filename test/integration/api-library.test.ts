/**
 * The library API (`import { ... } from 'docferry'`) against the local servers, with no CLI: a
 * migration, a verify and plans between FerretDB and cosmosdb-server, and a cancelled export
 * resumed through the API. process.stdout.write and process.exit are trapped throughout: the
 * library must never print nor end the process.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, ObjectId } from 'mongodb';
import { AbortError, ExitCode, exportData, migrate, planRun, verify, type EngineEvent, type Layout } from '../../src/index.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** Records every process.stdout.write and process.exit while `work` runs; exit is refused. */
async function trapped<T>(work: () => Promise<T>): Promise<{ result?: T; error?: unknown; writes: string[]; exits: unknown[] }> {
  const writes: string[] = [];
  const exits: unknown[] = [];
  const write = process.stdout.write;
  const exit = process.exit;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    writes.push(String(chunk));
    return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  process.exit = ((code?: number) => {
    exits.push(code);
    throw new Error(`process.exit(${code}) called by the library`);
  }) as typeof process.exit;
  try {
    return { result: await work(), writes, exits };
  } catch (error) {
    return { error, writes, exits };
  } finally {
    process.stdout.write = write;
    process.exit = exit;
  }
}

async function withMongo<T>(uri: string, work: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

const pk = { paths: ['/id'] };

describe('library API: docferry from a program, between the local servers', function () {
  this.timeout(240_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;

  before(async function () {
    this.timeout(600_000);
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-api-');
  });

  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  it('plans, migrates MongoDB -> Cosmos DB, verifies and plans a mirror, through the library alone, printing nothing', async () => {
    const db = `api_lib${cosmos.suffix}`;
    const layout: Layout = { databases: [{ name: db, containers: [{ name: 'items', partitionKey: pk }, { name: 'notes', partitionKey: pk }] }] };
    await withMongo(mongo.uri, async (c) => {
      await c.db(db).collection('items').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: new ObjectId(), n: i, name: `item ${i}` })));
      await c.db(db).collection<{ _id: string; text: string }>('notes').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `note-${i}`, text: 'x'.repeat(i) })));
    });
    const sides = { fromType: 'mongodb', fromMongoUri: mongo.uri, toType: 'cosmos', toCosmosEndpoint: cosmos.endpoint, toCosmosKey: cosmos.key, layout } as const;
    const events: EngineEvent[] = [];

    const run = await trapped(async () => {
      const before = await planRun({ operation: 'migrate', ...sides });
      const summary = await migrate({ ...sides, batchSize: 40, concurrency: 2, checkpointDir: join(work, 'cp-migrate'), rejectsDir: join(work, 'rejects'), onEvent: (e) => events.push(e) });
      const compared = await verify({ leftType: 'mongodb', leftMongoUri: mongo.uri, rightType: 'cosmos', rightCosmosEndpoint: cosmos.endpoint, rightCosmosKey: cosmos.key, layout });
      await seedCosmos(cosmos, db, 'notes', [{ id: 'extra-1' }, { id: 'extra-2' }, { id: 'extra-3' }]);
      const mirror = await planRun({ operation: 'migrate', ...sides, mode: 'mirror', maxDeletes: 10 });
      return { before, summary, compared, mirror };
    });
    expect(run.error, String((run.error as Error | undefined)?.stack)).to.equal(undefined);
    expect(run.writes, 'the library wrote to stdout').to.deep.equal([]);
    expect(run.exits, 'the library called process.exit').to.deep.equal([]);
    const { before, summary, compared, mirror } = run.result!;

    expect(before.operation).to.equal('migrate');
    expect(before.mode).to.equal('upsert');
    expect(before.collections.map(({ source, target, sourceDocuments, sourceExists, targetExists, create }) => ({ source, target, sourceDocuments, sourceExists, targetExists, create }))).to.deep.equal([
      { source: { database: db, collection: 'items' }, target: { database: db, collection: 'items' }, sourceDocuments: 300, sourceExists: true, targetExists: false, create: true },
      { source: { database: db, collection: 'notes' }, target: { database: db, collection: 'notes' }, sourceDocuments: 50, sourceExists: true, targetExists: false, create: true },
    ]);
    expect(before.created.map((c) => c.collection)).to.deep.equal(['items', 'notes']);
    expect(before.collections.every((c) => (c.estimate?.requestUnits ?? 0) > 0)).to.equal(true);
    expect(before.exitCode).to.equal(ExitCode.ok);

    expect(summary.operation).to.equal('migrate');
    expect(summary.exitCode).to.equal(ExitCode.ok);
    expect(summary.totals).to.deep.equal({ read: 350, written: 350, skipped: 0, rejected: 0 });
    expect(summary.collections.map((c) => [c.collection, c.status, c.written])).to.deep.equal([['items', 'ok', 300], ['notes', 'ok', 50]]);
    expect((await readAllCosmos(cosmos, db, 'items')).length).to.equal(300);
    expect(events.filter((e) => e.type === 'collection-start').length).to.equal(2);
    expect(events.filter((e) => e.type === 'collection-end').map((e) => e.type === 'collection-end' && e.summary.written)).to.have.members([300, 50]);
    expect(events.some((e) => e.type === 'progress')).to.equal(true);

    expect(compared.operation).to.equal('verify');
    expect(compared.equal).to.equal(true);
    expect(compared.exitCode).to.equal(ExitCode.ok);
    expect(compared.collections.map((c) => [c.collection, c.leftCount, c.rightCount])).to.deep.equal([['items', 300, 300], ['notes', 50, 50]]);

    expect(mirror.collections.every((c) => c.targetExists === true)).to.equal(true);
    expect(mirror.mirror?.dryRun).to.equal(true);
    expect(mirror.mirror?.extra).to.equal(3);
    expect(mirror.mirror?.collections.find((c) => c.collection === 'notes')?.ids).to.have.members(['extra-1', 'extra-2', 'extra-3']);
    // A plan writes nothing: the extra documents are still there.
    expect((await readAllCosmos(cosmos, db, 'notes')).length).to.equal(53);

    // The same through an export directory: plan the export, export, plan a mirror import of it.
    const exportDir = join(work, 'export-plan');
    const viaDir = await trapped(async () => {
      const exportPlan = await planRun({ operation: 'export', sourceType: 'mongodb', mongoUri: mongo.uri, layout, outputDir: exportDir });
      const exported = await exportData({ sourceType: 'mongodb', mongoUri: mongo.uri, layout, outputDir: exportDir });
      const importPlan = await planRun({ operation: 'import', exportDir, destType: 'cosmos', cosmosEndpoint: cosmos.endpoint, cosmosKey: cosmos.key, layout, mode: 'mirror', maxDeletes: 10 });
      return { exportPlan, exported, importPlan };
    });
    expect(viaDir.error, String((viaDir.error as Error | undefined)?.stack)).to.equal(undefined);
    expect(viaDir.writes).to.deep.equal([]);
    const { exportPlan, exported, importPlan } = viaDir.result!;
    expect(exportPlan.target).to.equal(exportDir);
    expect(exportPlan.collections.map((c) => [c.source.collection, c.sourceDocuments, c.targetExists])).to.deep.equal([['items', 300, false], ['notes', 50, false]]);
    expect(exported.exitCode).to.equal(ExitCode.ok);
    expect(importPlan.source).to.equal(exportDir);
    expect(importPlan.collections.map((c) => [c.source.collection, c.sourceDocuments, c.targetExists])).to.deep.equal([['items', 300, true], ['notes', 50, true]]);
    expect(importPlan.mirror?.extra).to.equal(3);
    expect((await readAllCosmos(cosmos, db, 'notes')).length).to.equal(53);
  });

  it('an export cancelled mid-way rejects with AbortError, and resume through the API finishes it with every document exactly once', async () => {
    const db = 'api_abort';
    const total = 20_000;
    await withMongo(mongo.uri, async (c) => {
      for (let start = 0; start < total; start += 2000) {
        await c.db(db).collection<{ _id: number; pad: string }>('big').insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: start + i, pad: 'p'.repeat(200) })));
      }
    });
    const layout: Layout = { databases: [{ name: db, containers: [{ name: 'big', partitionKey: pk }] }] };
    const outputDir = join(work, 'export-abort');
    const options = { sourceType: 'mongodb', mongoUri: mongo.uri, layout, outputDir, batchSize: 100, concurrency: 2 } as const;
    const ac = new AbortController();
    let abortedAt: number | undefined;
    const first = await trapped(() =>
      exportData({
        ...options,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'progress' && e.written > 0 && abortedAt === undefined) {
            abortedAt = e.written;
            ac.abort();
          }
        },
      }),
    );
    expect(first.writes).to.deep.equal([]);
    expect(first.exits).to.deep.equal([]);
    expect(abortedAt, 'the export ended before a progress event: make it larger').to.be.a('number');
    expect(first.error, `resolved with ${JSON.stringify(first.result?.totals)}`).to.be.instanceOf(AbortError);
    expect((first.error as AbortError).exitCode).to.equal(130);
    expect(existsSync(join(outputDir, '_checkpoint')), 'the checkpoint is kept').to.equal(true);
    const partial = JSON.parse(await readFile(join(outputDir, 'manifest.json'), 'utf8')) as { status: string };
    expect(partial.status).to.not.equal('complete');

    const second = await trapped(() => exportData({ ...options, resume: true }));
    expect(second.error, String((second.error as Error | undefined)?.stack)).to.equal(undefined);
    expect(second.writes).to.deep.equal([]);
    const summary = second.result!;
    expect(summary.exitCode).to.equal(ExitCode.ok);
    const resumed = summary.collections[0]!.resumed ?? 0;
    expect(resumed, 'the resumed run continued the cancelled one').to.be.greaterThan(0).and.lessThan(total);
    expect(summary.totals.read).to.equal(total);
    const lines = (await readFile(join(outputDir, db, 'big.json'), 'utf8')).split('\n').filter(Boolean);
    const ids = lines.map((l) => JSON.stringify((JSON.parse(l) as { _id: unknown })._id));
    expect(lines.length).to.equal(total);
    expect(new Set(ids).size, 'every document exactly once').to.equal(total);
    const manifest = JSON.parse(await readFile(join(outputDir, 'manifest.json'), 'utf8')) as { status: string };
    expect(manifest.status).to.equal('complete');
    expect(existsSync(join(outputDir, '_checkpoint'))).to.equal(false);
  });
});
