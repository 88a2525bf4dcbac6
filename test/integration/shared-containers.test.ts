import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Doc } from '../../src/core/documents.js';
import type { Layout, SharedContainer } from '../../src/core/layout.js';
import { runCli } from '../support/cli.js';
import { MongoClient } from 'mongodb';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const TYPES = ['messages', 'threads', 'archives'] as const;

/** The guide's early deployment: every type in copilot.documents, `collection` naming it; d9 has a null one, d10 an undeclared one (a missing value is a unit test: the local server cannot store a document without its partition key). */
function earlyDocuments(): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < 9; i++) docs.push({ id: `d${i}`, collection: TYPES[i % 3]!, body: `doc ${i}`, n: i });
  docs.push({ id: 'd9', collection: null, body: 'no type' });
  docs.push({ id: 'd10', collection: 'embeddings', body: 'undeclared' });
  return docs;
}

describe('shared containers: the early single-container deployment split into per-collection containers', function () {
  this.timeout(180_000);
  let cosmosA: CosmosTestServer;
  let cosmosB: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let n = 0;

  before(async function () {
    this.timeout(600_000);
    [cosmosA, cosmosB, mongo] = await Promise.all([startCosmosTestServer(), startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-shared-');
  });

  after(async () => {
    await Promise.all([cosmosA?.stop(), cosmosB?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const cosmos = (s: CosmosTestServer, prefix = '') => [`--${prefix}cosmos-endpoint`, s.endpoint, `--${prefix}cosmos-key`, s.key];

  async function layoutFile(db: string, shared: SharedContainer): Promise<string> {
    const layout: Layout = {
      databases: [
        {
          name: db,
          containers: [
            { name: 'documents', partitionKey: { paths: ['/collection'] }, shared },
            ...TYPES.map((t) => ({ name: t, partitionKey: { paths: ['/id'] } })),
          ],
        },
      ],
    };
    const path = join(work, `layout-${++n}.json`);
    await writeFile(path, JSON.stringify(layout));
    return path;
  }

  async function rejectLines(dir: string): Promise<{ id?: string; reason: string }[]> {
    const runDir = await latestRunRejectsDir(dir);
    const lines: { id?: string; reason: string }[] = [];
    for (const f of await readdir(runDir)) {
      if (!f.endsWith('.ndjson')) continue;
      lines.push(...(await readFile(join(runDir, f), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; reason: string }));
    }
    return lines;
  }

  it('migrate Cosmos DB -> Cosmos DB: one container per declared value, verified per logical collection; a missing or undeclared value is rejected naming the id and the value', async () => {
    const db = 'shared_split';
    await seedCosmos(cosmosA, db, 'documents', earlyDocuments(), '/collection');
    const layout = await layoutFile(db, { discriminator: 'collection', collections: [...TYPES], route: 'split' });
    const rejectsDir = join(work, 'r-split');
    const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--rejects-dir', rejectsDir, '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(r.code, r.stderr).to.equal(3);
    const summary = JSON.parse(r.stdout) as { totals: Record<string, number>; collections: { collection: string }[] };
    expect(summary.totals).to.deep.include({ written: 9, rejected: 2 });
    expect(summary.collections.map((c) => c.collection)).to.deep.equal([...TYPES]);
    for (const [i, t] of TYPES.entries()) {
      const stored = await readAllCosmos(cosmosB, db, t);
      const want = earlyDocuments().filter((d) => d.collection === t);
      expect(stored, t).to.deep.equal(want.sort((a, b) => String(a.id).localeCompare(String(b.id))));
      expect(i).to.be.a('number');
    }
    const rejected = await rejectLines(rejectsDir);
    expect(rejected.map((x) => x.id).sort()).to.deep.equal(['d10', 'd9']);
    expect(rejected.find((x) => x.id === 'd9')!.reason).to.match(/collection = null/);
    expect(rejected.find((x) => x.id === 'd10')!.reason).to.match(/collection = "embeddings".*messages, threads, archives/);

    const v = await runCli(['verify', '--left-type', 'cosmos', '--right-type', 'cosmos', ...cosmos(cosmosA, 'left-'), ...cosmos(cosmosB, 'right-'), '--layout', layout, '--json']);
    const verified = JSON.parse(v.stdout) as { equal: boolean; collections: { collection: string; equal: boolean; matchedTotal: number; rightCount: number; problems: string[] }[] };
    expect(verified.collections.map((c) => [c.collection, c.matchedTotal, c.rightCount])).to.deep.equal(TYPES.map((t) => [t, 3, 3]));
    // The rejected documents are never silently passed over: verify names them on the split's first collection.
    expect(verified.equal).to.equal(false);
    expect(verified.collections[0]!.problems.join('\n')).to.match(/document "d9" has collection = null/).and.match(/document "d10" has collection = "embeddings"/);
    expect(verified.collections.slice(1).every((c) => c.equal), v.stdout).to.equal(true);
  });

  it('keepField false: the split documents lose the discriminator, and verify still proves the split', async () => {
    const db = 'shared_strip';
    await seedCosmos(cosmosA, db, 'documents', earlyDocuments().slice(0, 9), '/collection');
    const layout = await layoutFile(db, { discriminator: 'collection', collections: [...TYPES], route: 'split', keepField: false });
    const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--rejects-dir', join(work, 'r-strip'), '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const threads = await readAllCosmos(cosmosB, db, 'threads');
    expect(threads.map((d) => d.id)).to.deep.equal(['d1', 'd4', 'd7']);
    expect(threads.every((d) => !('collection' in d))).to.equal(true);
    const v = await runCli(['verify', '--left-type', 'cosmos', '--right-type', 'cosmos', ...cosmos(cosmosA, 'left-'), ...cosmos(cosmosB, 'right-'), '--layout', layout, '--json']);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect((JSON.parse(v.stdout) as { equal: boolean }).equal).to.equal(true);
  });
  it('export splits the shared container into one file per value, and import writes them into per-collection containers, verified', async () => {
    const db = 'shared_files';
    await seedCosmos(cosmosA, db, 'documents', earlyDocuments().slice(0, 9), '/collection');
    const layout = await layoutFile(db, { discriminator: 'collection', collections: [...TYPES], route: 'split' });
    const dir = join(work, 'export-split');
    const e = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', cosmosA.endpoint, '--cosmos-key', cosmosA.key, '--layout', layout, '--output-dir', dir, '--json']);
    expect(e.code, e.stderr).to.equal(0);
    expect((await readdir(join(dir, db))).filter((f) => f.endsWith('.json')).sort()).to.deep.equal(['archives.json', 'messages.json', 'threads.json']);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { shared?: Record<string, unknown> };
    expect(manifest.shared?.[`${db}.threads`]).to.deep.equal({ container: 'documents', discriminator: 'collection', value: 'threads' });
    const i = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmosB.endpoint, '--cosmos-key', cosmosB.key, '--layout', layout, '--export-dir', dir, '--json']);
    expect(i.code, i.stderr).to.equal(0);
    expect((await readAllCosmos(cosmosB, db, 'archives')).map((d) => d.id)).to.deep.equal(['d2', 'd5', 'd8']);
    const v = await runCli(['verify', '--left-type', 'cosmos', '--right-type', 'cosmos', ...cosmos(cosmosA, 'left-'), ...cosmos(cosmosB, 'right-'), '--layout', layout, '--json']);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
  });

  it('MongoDB collections -> one shared Cosmos DB container (the field set from the collection name) and back to MongoDB collections, each way verified', async () => {
    const db = 'shared_mongo';
    const client = new MongoClient(mongo.uri);
    try {
      for (const t of TYPES) await client.db(db).collection(t).insertMany([0, 1].map((k) => ({ _id: `${t}-${k}` as unknown as never, body: `${t} ${k}` })));
      // Already naming another collection: refused with the reason, never written under the wrong type.
      await client.db(db).collection('threads').insertOne({ _id: 'wrong' as unknown as never, collection: 'messages', body: 'misfiled' });
    } finally {
      await client.close();
    }
    const merge = await layoutFile(db, { discriminator: 'collection', collections: [...TYPES], route: 'merge' });
    const rejectsDir = join(work, 'r-merge');
    const m = await runCli(['migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, ...cosmos(cosmosA, 'to-'), '--layout', merge, '--rejects-dir', rejectsDir, '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(m.code, m.stderr).to.equal(3);
    const stored = await readAllCosmos(cosmosA, db, 'documents');
    expect(stored.map((d) => [d.id, d.collection])).to.deep.equal(TYPES.flatMap((t) => [0, 1].map((k) => [`${t}-${k}`, t])).sort((a, b) => a[0]!.localeCompare(b[0]!)));
    const rejected = await rejectLines(rejectsDir);
    expect(rejected.map((x) => x.id)).to.have.length(1);
    expect(rejected[0]!.reason).to.match(/collection is "messages", but it comes from the collection "threads"/);
    const vm = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', mongo.uri, '--right-type', 'cosmos', ...cosmos(cosmosA, 'right-'), '--layout', merge, '--json']);
    const merged = JSON.parse(vm.stdout) as { collections: { collection: string; matchedTotal: number; equal: boolean; problems: string[] }[] };
    expect(merged.collections.map((c) => [c.collection, c.matchedTotal])).to.deep.equal(TYPES.map((t) => [t, 2]));
    expect(merged.collections.filter((c) => !c.equal).map((c) => c.collection), vm.stdout).to.deep.equal(['threads']);

    // And back: the shared container split into MongoDB collections, the field removed.
    const split = await layoutFile(db, { discriminator: 'collection', collections: [...TYPES], route: 'split', keepField: false });
    const back = 'shared_back';
    const b = await runCli(['migrate', '--from', 'cosmos', '--to', 'mongodb', ...cosmos(cosmosA, 'from-'), '--to-mongo-uri', mongo.uri, '--layout', split, '--map', `${db}.*=${back}.*`, '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(b.code, b.stderr).to.equal(0);
    const check = new MongoClient(mongo.uri);
    try {
      const messages = await check.db(back).collection('messages').find().sort({ _id: 1 }).toArray();
      expect(messages.map((d) => d._id)).to.deep.equal(['messages-0', 'messages-1']);
      expect(messages.every((d) => !('collection' in d))).to.equal(true);
    } finally {
      await check.close();
    }
    const vb = await runCli(['verify', '--left-type', 'cosmos', ...cosmos(cosmosA, 'left-'), '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', split, '--map', `${db}.*=${back}.*`, '--json']);
    expect(vb.code, vb.stdout + vb.stderr).to.equal(0);
  });
});
