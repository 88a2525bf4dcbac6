import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import { ExitCode } from '../../src/core/errors.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import type { VerifySummary } from '../../src/engine/verify.js';
import { importData, planRun } from '../../src/index.js';
import { generateDocuments, type SyntheticCollection } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS: Partial<Record<SyntheticCollection, number>> = { messages: 12, threads: 8, user_roles: 5 };
const COPILOT: SyntheticCollection[] = ['messages', 'threads'];
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);

interface Names {
  copilot: string;
  auth: string;
}

let counter = 0;

async function withMongo<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

const readMongo = (uri: string, db: string, coll: string) => withMongo(uri, (c) => c.db(db).collection<Doc>(coll).find({}, { sort: { _id: 1 } }).toArray());
const mongoDatabases = (uri: string) => withMongo(uri, async (c) => (await c.db().admin().listDatabases()).databases.map((d) => d.name));
async function cosmosDatabases(server: CosmosTestServer): Promise<string[]> {
  const client = cosmosClient(server);
  try {
    return (await client.databases.readAll().fetchAll()).resources.map((d) => d.id);
  } finally {
    client.dispose();
  }
}
const names = (summary: { collections: { database: string; collection: string; target?: { database: string; collection: string } }[] }) =>
  summary.collections.map((c) => `${c.database}.${c.collection} -> ${c.target ? `${c.target.database}.${c.target.collection}` : '(same)'}`);

describe('--map: renamed databases and collections on import, migrate and verify', function () {
  this.timeout(180_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let runs = 0;

  before(async function () {
    this.timeout(600_000);
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-nsmap-');
  });

  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const fresh = (tag: string): Names => {
    counter++;
    return { copilot: `copilot_${tag}${counter}${cosmos.suffix}`, auth: `auth_${tag}${counter}${cosmos.suffix}` };
  };

  async function writeLayout(n: Names): Promise<string> {
    const pk = { paths: ['/id'], kind: 'Hash' as const };
    const layout: Layout = {
      databases: [
        { name: n.copilot, containers: COPILOT.map((name) => ({ name, partitionKey: pk })) },
        { name: n.auth, containers: [{ name: 'user_roles', partitionKey: pk }] },
      ],
    };
    const path = join(work, `layout-${counter}.json`);
    await writeFile(path, JSON.stringify(layout));
    return path;
  }

  const docs = (c: SyntheticCollection, flavor: 'cosmos' | 'mongodb') => [...generateDocuments(c, COUNTS[c]!, { seed: 5, flavor })];

  async function seedCosmosSet(n: Names): Promise<void> {
    for (const c of COPILOT) await seedCosmos(cosmos, n.copilot, c, docs(c, 'cosmos'));
    await seedCosmos(cosmos, n.auth, 'user_roles', docs('user_roles', 'cosmos'));
  }

  async function seedMongoSet(n: Names): Promise<void> {
    await withMongo(mongo.uri, async (client) => {
      for (const c of COPILOT) await client.db(n.copilot).collection<Doc>(c).insertMany(docs(c, 'mongodb'));
      await client.db(n.auth).collection<Doc>('user_roles').insertMany(docs('user_roles', 'mongodb'));
    });
  }

  const cosmosArgs = ['--cosmos-endpoint', () => cosmos.endpoint, '--cosmos-key', () => cosmos.key] as const;
  const cosmosFlags = (prefix = '') => cosmosArgs.map((a) => (typeof a === 'function' ? a() : prefix ? a.replace('--', `--${prefix}-`) : a));
  const checkpoint = () => ['--checkpoint', join(work, `checkpoint-${++runs}`)];

  async function exportFrom(type: 'cosmos' | 'mongodb', layout: string): Promise<string> {
    const dir = join(work, `export-${++runs}`);
    const conn = type === 'cosmos' ? cosmosFlags() : ['--mongo-uri', mongo.uri];
    const r = await runCli(['export', '--source-type', type, ...conn, '--layout', layout, '--output-dir', dir]);
    expect(r.code, r.stderr).to.equal(0);
    return dir;
  }

  it('import into a renamed database on Cosmos DB (copilot.*=copilot_staging.*): the documents arrive under the new names, the manifest keeps the old, the summary shows both, --verify compares the mapped names', async () => {
    const n = fresh('ci');
    const layout = await writeLayout(n);
    await seedCosmosSet(n);
    const exportDir = await exportFrom('cosmos', layout);
    const manifestBefore = await readFile(join(exportDir, 'manifest.json'), 'utf8');
    const staging = `${n.copilot}_staging`;
    const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosFlags(), '--export-dir', exportDir, '--layout', layout, '--map', `${n.copilot}.*=${staging}.*`, '--verify', '--json', ...checkpoint()]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary & { verify: VerifySummary };
    expect(names(summary)).to.deep.equal([`${n.copilot}.messages -> ${staging}.messages`, `${n.copilot}.threads -> ${staging}.threads`, `${n.auth}.user_roles -> (same)`]);
    expect(summary.totals.written).to.equal(TOTAL);
    for (const c of COPILOT) expect(await readAllCosmos(cosmos, staging, c), c).to.deep.equal(await readAllCosmos(cosmos, n.copilot, c));
    // The verify that followed read the staging containers on the right.
    expect(summary.verify.equal).to.equal(true);
    expect(summary.verify.collections.map((c) => [c.database, c.collection, c.target?.database, c.rightCount])).to.deep.equal([
      [n.copilot, 'messages', staging, COUNTS.messages],
      [n.copilot, 'threads', staging, COUNTS.threads],
      [n.auth, 'user_roles', undefined, COUNTS.user_roles],
    ]);
    // The export is the source's, untouched: the mapping is the import's.
    expect(await readFile(join(exportDir, 'manifest.json'), 'utf8')).to.equal(manifestBefore);
    expect((JSON.parse(manifestBefore) as Manifest).files.map((f) => f.path)).to.include(`${n.copilot}/messages.json`);

    const table = await runCli(['import', '--dest-type', 'cosmos', ...cosmosFlags(), '--export-dir', exportDir, '--layout', layout, '--map', `${n.copilot}.*=${staging}.*`, ...checkpoint()]);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(new RegExp(`^collection\\s+target\\s+read`, 'm'));
    expect(table.stdout).to.match(new RegExp(`^${n.copilot}\\.messages\\s+${staging}\\.messages\\s+${COUNTS.messages}\\s`, 'm'));
    expect(table.stderr).to.include(`${n.copilot}.messages: started (to ${staging}.messages)`);
  });

  it('verify with --map: an export against the staging target passes, and fails naming both names when a document differs', async () => {
    const n = fresh('cv');
    const layout = await writeLayout(n);
    await seedCosmosSet(n);
    const exportDir = await exportFrom('cosmos', layout);
    const staging = `${n.copilot}_staging`;
    const imported = await runCli(['import', '--dest-type', 'cosmos', ...cosmosFlags(), '--export-dir', exportDir, '--layout', layout, '--map', `${n.copilot}.*=${staging}.*`, ...checkpoint()]);
    expect(imported.code, imported.stderr).to.equal(0);
    const verify = (...extra: string[]) => runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, '--right-type', 'cosmos', ...cosmosFlags('right'), '--layout', layout, ...extra]);

    const passes = await verify('--map', `${n.copilot}.*=${staging}.*`, '--json');
    expect(passes.code, passes.stderr + passes.stdout).to.equal(0);
    expect((JSON.parse(passes.stdout) as VerifySummary).collections.every((c) => c.equal && c.rightCount === c.leftCount && c.leftCount > 0)).to.equal(true);

    // The map decides what the right side is: a database that does not exist holds none of it.
    const elsewhere = await verify('--map', `${n.copilot}.*=${n.copilot}_nowhere.*`);
    expect(elsewhere.code).to.equal(ExitCode.differences);

    const client = cosmosClient(cosmos);
    try {
      const container = client.database(staging).container('threads');
      const { resources } = await container.items.query<Doc & { id: string }>('SELECT * FROM c').fetchAll();
      const changed = resources[0]!;
      await container.items.upsert({ ...changed, subject: 'changed in staging' });
      const fails = await verify('--map', `${n.copilot}.*=${staging}.*`);
      expect(fails.code).to.equal(ExitCode.differences);
      expect(fails.stdout).to.include(`verify ${n.copilot}.threads -> ${staging}.threads: DIFFERENT`).and.include(`1 differing (${changed.id})`);
      expect(fails.stdout).to.include(`verify ${n.copilot}.messages -> ${staging}.messages: identical`);
    } finally {
      client.dispose();
    }
  });

  it('import into a renamed database on MongoDB, one collection renamed besides (auth.user_roles=auth.roles)', async () => {
    const n = fresh('mi');
    const layout = await writeLayout(n);
    await seedMongoSet(n);
    const exportDir = await exportFrom('mongodb', layout);
    const staging = `${n.copilot}_staging`;
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', exportDir, '--layout', layout, '--map', `${n.copilot}.*=${staging}.*`, '--map', `${n.auth}.user_roles=${n.auth}.roles`, '--json', ...checkpoint()]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(names(summary)).to.deep.equal([`${n.copilot}.messages -> ${staging}.messages`, `${n.copilot}.threads -> ${staging}.threads`, `${n.auth}.user_roles -> ${n.auth}.roles`]);
    for (const c of COPILOT) expect(await readMongo(mongo.uri, staging, c), c).to.deep.equal(await readMongo(mongo.uri, n.copilot, c));
    expect(await readMongo(mongo.uri, n.auth, 'roles')).to.deep.equal(await readMongo(mongo.uri, n.auth, 'user_roles'));
    expect((await readMongo(mongo.uri, n.auth, 'roles')).length).to.equal(COUNTS.user_roles);
  });

  it('planRun shows each collection\'s destination under the map, and whether it exists there, writing nothing', async () => {
    const n = fresh('pl');
    const layout = await writeLayout(n);
    await seedMongoSet(n);
    const exportDir = await exportFrom('mongodb', layout);
    const staging = `${n.copilot}_staging`;
    const plan = await planRun({ operation: 'import', destType: 'mongodb', mongoUri: mongo.uri, exportDir, layoutFile: layout, map: [`${n.copilot}.*=${staging}.*`] });
    expect(plan.collections.map((c) => [`${c.source.database}.${c.source.collection}`, `${c.target.database}.${c.target.collection}`, c.targetExists])).to.deep.equal([
      [`${n.copilot}.messages`, `${staging}.messages`, false],
      [`${n.copilot}.threads`, `${staging}.threads`, false],
      [`${n.auth}.user_roles`, `${n.auth}.user_roles`, true],
    ]);
    expect(await mongoDatabases(mongo.uri)).to.not.include(staging);
    const refused = await planRun({ operation: 'import', destType: 'mongodb', mongoUri: mongo.uri, exportDir, layoutFile: layout, map: [`${n.copilot}.none=${staging}.none`] }).catch((err: unknown) => err as Error);
    expect((refused as Error).message).to.include('matches no collection of the export');
  });

  it('migrate MongoDB -> Cosmos DB with one collection renamed, verified through the map', async () => {
    const n = fresh('mm');
    const layout = await writeLayout(n);
    await seedMongoSet(n);
    const r = await runCli([
      'migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'cosmos', ...cosmosFlags('to'), '--layout', layout,
      '--map', `${n.auth}.user_roles=${n.auth}.roles`, '--verify', '--json', '--rejects-dir', join(work, `rejects-${++runs}`), ...checkpoint(),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary & { verify: VerifySummary };
    expect(names(summary)).to.deep.equal([`${n.copilot}.messages -> (same)`, `${n.copilot}.threads -> (same)`, `${n.auth}.user_roles -> ${n.auth}.roles`]);
    expect(summary.verify.equal).to.equal(true);
    expect((await readAllCosmos(cosmos, n.auth, 'roles')).length).to.equal(COUNTS.user_roles);
    const client = cosmosClient(cosmos);
    try {
      const { resources } = await client.database(n.auth).containers.readAll().fetchAll();
      expect(resources.map((c) => c.id), 'nothing under the source name').to.deep.equal(['roles']);
    } finally {
      client.dispose();
    }
  });

  it('migrate within one MongoDB server is allowed when the map keeps every target apart from what it reads, refused when it does not', async () => {
    const n = fresh('ms');
    const layout = await writeLayout(n);
    await seedMongoSet(n);
    const base = ['migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--layout', layout, '--rejects-dir', join(work, `rejects-${++runs}`)];
    const copy = await runCli([...base, '--map', `${n.copilot}.*=${n.copilot}_copy.*`, '--map', `${n.auth}.*=${n.auth}_copy.*`, '--json', ...checkpoint()]);
    expect(copy.code, copy.stderr).to.equal(0);
    for (const c of COPILOT) expect(await readMongo(mongo.uri, `${n.copilot}_copy`, c)).to.deep.equal(await readMongo(mongo.uri, n.copilot, c));
    // Only one database mapped: auth.user_roles would be read and written at once.
    const half = await runCli([...base, '--map', `${n.copilot}.*=${n.copilot}_half.*`, ...checkpoint()]);
    expect(half.code).to.equal(ExitCode.usage);
    expect(half.stderr).to.include(`${n.auth}.user_roles would be read and written at once`);
    expect(await mongoDatabases(mongo.uri)).to.not.include(`${n.copilot}_half`);
  });

  describe('refused before the first write, the target untouched (exit 2)', () => {
    it('two sources to one target: import into Cosmos DB', async () => {
      const n = fresh('e1');
      const layout = await writeLayout(n);
      await seedCosmosSet(n);
      const exportDir = await exportFrom('cosmos', layout);
      const merged = `${n.copilot}_merged`;
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosFlags(), '--export-dir', exportDir, '--layout', layout, '--map', `${n.copilot}.messages=${merged}.all`, '--map', `${n.copilot}.threads=${merged}.all`, ...checkpoint()]);
      expect(r.code, r.stderr).to.equal(ExitCode.usage);
      expect(r.stderr).to.include(`${n.copilot}.messages (by "${n.copilot}.messages=${merged}.all") and ${n.copilot}.threads (by "${n.copilot}.threads=${merged}.all") would both go to ${merged}.all`);
      expect(await cosmosDatabases(cosmos)).to.not.include(merged);
    });

    it('a rule that matches nothing: migrate into MongoDB', async () => {
      const n = fresh('e2');
      const layout = await writeLayout(n);
      await seedCosmosSet(n);
      const staging = `${n.copilot}_staging`;
      const r = await runCli([
        'migrate', '--from', 'cosmos', ...cosmosFlags('from'), '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--layout', layout,
        '--map', `${n.copilot}.*=${staging}.*`, '--map', `${n.auth}.users=${n.auth}.people`, '--rejects-dir', join(work, `rejects-${++runs}`), ...checkpoint(),
      ]);
      expect(r.code, r.stderr).to.equal(ExitCode.usage);
      expect(r.stderr).to.include(`--map "${n.auth}.users=${n.auth}.people" matches no collection of the source`);
      const dbs = await mongoDatabases(mongo.uri);
      expect(dbs).to.not.include(staging);
      expect(dbs).to.not.include(n.auth);
    });
  });

  it('mirror deletes only in the mapped target collections, never in the collections of the source names', async () => {
    const n = fresh('mr');
    const layout = await writeLayout(n);
    await seedMongoSet(n);
    const exportDir = await exportFrom('mongodb', layout);
    const staging = `${n.copilot}_staging`;
    const map = ['--map', `${n.copilot}.*=${staging}.*`];
    const first = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', exportDir, '--layout', layout, ...map, ...checkpoint()]);
    expect(first.code, first.stderr).to.equal(0);
    // One stray document in a mapped target, and one in the collection of the source's name on the same server.
    await withMongo(mongo.uri, async (c) => {
      await c.db(staging).collection<Doc>('messages').insertOne({ _id: 'stray-in-staging' } as Doc);
      await c.db(n.copilot).collection<Doc>('messages').insertOne({ _id: 'stray-in-source-name' } as Doc);
    });
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', exportDir, '--layout', layout, ...map, '--mode', 'mirror', '--max-deletes', '5', '--json', ...checkpoint()]);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.mirror!.deleted).to.equal(1);
    const messages = summary.mirror!.collections.find((c) => c.collection === 'messages')!;
    expect(messages).to.include({ database: n.copilot, deleted: 1 });
    expect(messages.target).to.deep.equal({ database: staging, collection: 'messages' });
    expect(messages.ids).to.deep.equal(['stray-in-staging']);
    expect((await readMongo(mongo.uri, staging, 'messages')).map((d) => d._id)).to.not.include('stray-in-staging');
    expect((await readMongo(mongo.uri, n.copilot, 'messages')).map((d) => d._id)).to.include('stray-in-source-name');
  });

  it('a resume with another mapping is refused, naming the map; the same mapping resumes', async () => {
    const n = fresh('rs');
    const layout = JSON.parse(await readFile(await writeLayout(n), 'utf8')) as Layout;
    await seedMongoSet(n);
    const exportDir = await exportFrom('mongodb', join(work, `layout-${counter}.json`));
    const checkpointDir = join(work, `checkpoint-${++runs}`);
    const options = { destType: 'mongodb', mongoUri: mongo.uri, exportDir, layout, checkpointDir, parallelCollections: 1 } as const;
    const ac = new AbortController();
    // Cancelled once the first collection is done: the checkpoint stays, with one collection finished.
    const first = await importData({ ...options, map: [`${n.copilot}.*=${n.copilot}_a.*`], signal: ac.signal, onEvent: (e) => e.type === 'collection-end' && ac.abort() }).catch((err: unknown) => err);
    expect(first).to.be.instanceOf(Error);
    expect((first as { exitCode?: number }).exitCode).to.equal(ExitCode.aborted);

    const other = await importData({ ...options, map: [`${n.copilot}.*=${n.copilot}_b.*`], resume: true }).catch((err: unknown) => err as Error);
    expect(other).to.be.instanceOf(Error);
    expect((other as Error).message).to.include('Cannot resume').and.include('map changed');
    expect(await mongoDatabases(mongo.uri)).to.not.include(`${n.copilot}_b`);
    const none = await importData({ ...options, resume: true }).catch((err: unknown) => err as Error);
    expect((none as Error).message).to.include('map changed');

    const same = await importData({ ...options, map: [`${n.copilot}.*=${n.copilot}_a.*`], resume: true });
    expect(same.exitCode).to.equal(ExitCode.ok);
    const messages = same.collections.find((c) => c.collection === 'messages')!;
    expect(messages.target).to.deep.equal({ database: `${n.copilot}_a`, collection: 'messages' });
    expect(messages.resumed, 'finished by the cancelled run, not redone').to.equal(COUNTS.messages);
    for (const c of COPILOT) expect((await readMongo(mongo.uri, `${n.copilot}_a`, c)).length, c).to.equal(COUNTS[c]);
  });
});
