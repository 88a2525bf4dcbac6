/**
 * `docferry plan` routes through shared containers as the run does (src/core/shared.ts): per-
 * collection sources merged into one shared Cosmos DB container show that container as their
 * destination with the discriminator value, and a split shows one destination per value read
 * from the shared container. The plan's destinations are then checked against what migrate wrote.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Layout, SharedContainer } from '../../src/core/layout.js';
import type { RunPlan } from '../../src/engine/plan.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, readAllCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const TYPES = ['messages', 'threads'] as const;

describe('docferry plan: shared containers routed as the run routes them', function () {
  this.timeout(240_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let n = 0;
  const db = `plan_shared${process.pid}`;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-plan-shared-');
    const client = new MongoClient(mongo.uri);
    try {
      await client.db(db).collection('messages').insertMany([0, 1, 2].map((k) => ({ _id: `messages-${k}` as never, body: `m ${k}` })));
      await client.db(db).collection('threads').insertMany([0, 1].map((k) => ({ _id: `threads-${k}` as never, title: `t ${k}` })));
      // Already naming another collection: the run rejects it, and so does the plan's sample.
      await client.db(db).collection('threads').insertOne({ _id: 'misfiled' as never, collection: 'messages' });
    } finally {
      await client.close();
    }
  });

  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  async function layoutFile(shared: SharedContainer): Promise<string> {
    const layout: Layout = {
      databases: [{ name: db, containers: [{ name: 'documents', partitionKey: { paths: ['/collection'] }, shared }, ...TYPES.map((t) => ({ name: t, partitionKey: { paths: ['/id'] } }))] }],
    };
    const path = join(work, `layout-${++n}.json`);
    await writeFile(path, JSON.stringify(layout));
    return path;
  }

  it('MongoDB collections into a shared Cosmos DB container: each row names the shared container and its discriminator value; migrate writes there', async () => {
    const merge = await layoutFile({ discriminator: 'collection', collections: [...TYPES], route: 'merge' });
    const cosmosTo = ['--to', 'cosmos', '--to-cosmos-endpoint', cosmos.endpoint, '--to-cosmos-key', cosmos.key];
    const r = await runCli(['plan', 'migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, ...cosmosTo, '--layout', merge, '--to-max-ru', '400', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const plan = JSON.parse(r.stdout) as RunPlan;
    expect(plan.collections.map((c) => ({ source: c.source, target: c.target, shared: c.shared, documents: c.sourceDocuments }))).to.deep.equal([
      { source: { database: db, collection: 'messages' }, target: { database: db, collection: 'documents' }, shared: { route: 'merge', container: 'documents', discriminator: 'collection', value: 'messages' }, documents: 3 },
      { source: { database: db, collection: 'threads' }, target: { database: db, collection: 'documents' }, shared: { route: 'merge', container: 'documents', discriminator: 'collection', value: 'threads' }, documents: 3 },
    ]);
    // Created once, although two collections go into it.
    expect(plan.created).to.deep.equal([{ database: db, collection: 'documents' }]);
    // The sample is merged as the run merges it: the partition key /collection is set, and the misfiled document is refused with the run's reason.
    const messages = plan.collections[0]!;
    expect(messages.sample).to.include({ documents: 3, rejected: 0 });
    expect(messages.partitionKey).to.include({ keyed: 3, missing: 0 });
    const threads = plan.collections[1]!;
    expect(threads.sample?.rejected).to.equal(1);
    expect(threads.sample?.reasons?.[0]?.reason).to.match(/collection is "messages", but it comes from the collection "threads"/);
    expect(threads.estimate?.budget.key, 'both collections share the shared container budget').to.equal(messages.estimate?.budget.key);
    expect(await cosmosClient(cosmos).databases.readAll().fetchAll().then((x) => x.resources.map((d) => d.id))).not.to.include(db);

    const table = await runCli(['plan', 'migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, ...cosmosTo, '--layout', merge, '--to-max-ru', '400']);
    expect(table.stdout).to.include(`${db}.documents [collection=messages] (created)`);
    expect(table.stdout).to.include(`${db}.documents [collection=threads] (created)`);

    // What the run does: every planned destination is where the documents went.
    const m = await runCli(['migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, ...cosmosTo, '--layout', merge, '--checkpoint', join(work, `cp-${++n}`), '--rejects-dir', join(work, `rj-${n}`)]);
    expect(m.code, m.stderr).to.equal(3);
    const stored = await readAllCosmos(cosmos, db, 'documents');
    expect(stored.map((d) => `${d.collection}:${d.id}`).sort()).to.deep.equal(['messages:messages-0', 'messages:messages-1', 'messages:messages-2', 'threads:threads-0', 'threads:threads-1']);
  });

  it('a shared Cosmos DB container split into MongoDB collections: one row per value, read from the shared container', async () => {
    const split = await layoutFile({ discriminator: 'collection', collections: [...TYPES], route: 'split' });
    const back = `${db}_back`;
    const r = await runCli([
      'plan', 'migrate', '--from', 'cosmos', '--from-cosmos-endpoint', cosmos.endpoint, '--from-cosmos-key', cosmos.key, '--to', 'mongodb', '--to-mongo-uri', mongo.uri,
      '--layout', split, '--map', `${db}.*=${back}.*`, '--json',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const plan = JSON.parse(r.stdout) as RunPlan;
    expect(plan.collections.map((c) => ({ source: c.source, target: c.target, shared: c.shared, documents: c.sourceDocuments }))).to.deep.equal([
      { source: { database: db, collection: 'messages' }, target: { database: back, collection: 'messages' }, shared: { route: 'split', container: 'documents', discriminator: 'collection', value: 'messages' }, documents: 3 },
      { source: { database: db, collection: 'threads' }, target: { database: back, collection: 'threads' }, shared: { route: 'split', container: 'documents', discriminator: 'collection', value: 'threads' }, documents: 2 },
    ]);
    // The per-collection containers a split writes are not looked for on the source.
    expect(plan.absent).to.deep.equal([]);
    const table = await runCli([
      'plan', 'migrate', '--from', 'cosmos', '--from-cosmos-endpoint', cosmos.endpoint, '--from-cosmos-key', cosmos.key, '--to', 'mongodb', '--to-mongo-uri', mongo.uri,
      '--layout', split, '--map', `${db}.*=${back}.*`,
    ]);
    expect(table.stdout).to.include(`${db}.documents [collection=messages]`);
  });
});
