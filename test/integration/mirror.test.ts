import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, ObjectId } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import { runCli } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const DB = 'copilot_mirror';
const threads: Doc[] = Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, _id: `t${i}`, subject: `thread ${i}` }));
// Partitioned by thread: a message's identity in Cosmos DB is its id and its thread_id.
const messages: Doc[] = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, _id: `m${i}`, thread_id: `t${i % 5}`, body: `message ${i}` }));
const archives: Doc[] = Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, _id: `a${i}`, format: 'mbox' }));

const layout: Layout = {
  databases: [
    {
      name: DB,
      containers: [
        { name: 'threads', partitionKey: { paths: ['/id'], kind: 'Hash' } },
        { name: 'messages', partitionKey: { paths: ['/thread_id'], kind: 'Hash' } },
        { name: 'archives', partitionKey: { paths: ['/id'], kind: 'Hash' } },
        { name: 'reports', partitionKey: { paths: ['/id'], kind: 'Hash' } },
      ],
    },
  ],
};

const extra = (prefix: string, n: number): Doc[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, _id: `${prefix}${i}`, thread_id: 't0', note: 'only in the target' }));
const ids = (docs: Doc[]) => docs.map((d) => String(d.id)).sort();
const identities = (docs: Doc[]) => docs.map((d) => `${d.id}@${d.thread_id}`).sort();

interface Summary {
  exitCode: number;
  mode: string;
  totals: Record<string, number>;
  collections: { collection: string; written: number; rejected: number; deleted?: number; status: string }[];
  mirror: {
    dryRun: boolean;
    maxDeletes: number;
    maxDeletesFrom: string;
    targetDocuments: number;
    extra: number;
    deleted: number;
    refused?: string;
    collections: { collection: string; outcome: string; extra: number; deleted: number; ids: string[]; reason?: string }[];
  };
  warnings: string[];
}

describe('--mode mirror: the target ends equal to the source, and never loses a document because of a partial read', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let runs = 0;
  const servers: { stop(): Promise<void> }[] = [];

  const cosmos = (s: CosmosTestServer) => ['--cosmos-endpoint', s.endpoint, '--cosmos-key', s.key];
  const importInto = (s: CosmosTestServer, args: string[], dir = exportDir) =>
    runCli(['import', '--dest-type', 'cosmos', ...cosmos(s), '--layout', layoutFile, '--export-dir', dir, '--checkpoint', join(work, `cp-${++runs}`), ...args]);
  const verifyAgainst = (s: CosmosTestServer, args: string[]) =>
    runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, '--right-type', 'cosmos', '--right-cosmos-endpoint', s.endpoint, '--right-cosmos-key', s.key, '--layout', layoutFile, ...args]);

  /** A fresh target holding a copy of the source plus the given documents. */
  async function target(plus: { threads?: Doc[]; messages?: Doc[]; archives?: Doc[]; reports?: Doc[] } = {}): Promise<CosmosTestServer> {
    const t = await startCosmosTestServer();
    servers.push(t);
    await seedCosmos(t, DB, 'threads', [...threads, ...(plus.threads ?? [])]);
    await seedCosmos(t, DB, 'messages', [...messages, ...(plus.messages ?? [])], '/thread_id');
    await seedCosmos(t, DB, 'archives', [...archives, ...(plus.archives ?? [])]);
    if (plus.reports) await seedCosmos(t, DB, 'reports', plus.reports);
    return t;
  }

  before(async () => {
    source = await startCosmosTestServer();
    await seedCosmos(source, DB, 'threads', threads);
    await seedCosmos(source, DB, 'messages', messages, '/thread_id');
    await seedCosmos(source, DB, 'archives', archives);
    work = await tempDir('docferry-mirror-');
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
    exportDir = join(work, 'export');
    const exp = await runCli(['export', '--source-type', 'cosmos', ...cosmos(source), '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'threads,messages,archives']);
    expect(exp.code, exp.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source?.stop(), ...servers.map((s) => s.stop())]);
    await removeTempDirs();
  });

  describe('Cosmos DB target', () => {
    it('deletes exactly the documents the source lacks (by id and partition key), only in the collections in scope; verify then passes', async () => {
      // m3 of thread t9 is another document than the source's m3 of thread t3.
      const t = await target({ threads: extra('x', 3), messages: [...extra('mx', 1), { id: 'm3', thread_id: 't9', body: 'same id, other partition' }], archives: extra('ax', 1) });
      const deletesFile = join(work, 'deletes-1.ndjson');
      const r = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages', '--max-deletes', '10', '--deletes-file', deletesFile, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const s: Summary = JSON.parse(r.stdout);
      expect(s.mode).to.equal('mirror');
      expect(s.collections.map((c) => [c.collection, c.written, c.deleted])).to.deep.equal([
        ['threads', 30, 3],
        ['messages', 20, 2],
      ]);
      expect(s.mirror).to.include({ dryRun: false, extra: 5, deleted: 5, maxDeletes: 10, maxDeletesFrom: 'option', targetDocuments: 55 });
      expect(s.mirror.collections.find((c) => c.collection === 'threads')!.ids.sort()).to.deep.equal(['x0', 'x1', 'x2']);
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.deep.equal(ids(threads));
      expect(identities(await readAllCosmos(t, DB, 'messages'))).to.deep.equal(identities(messages));
      // Out of scope: never listed, never touched.
      expect(ids(await readAllCosmos(t, DB, 'archives'))).to.deep.equal(ids([...archives, ...extra('ax', 1)]));
      const lines = (await readFile(deletesFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.type === 'extra').map((l) => `${l.collection} ${l.id} ${l.partition_key}`).sort()).to.deep.equal(
        ['messages m3 t9', 'messages mx0 t0', 'threads x0 x0', 'threads x1 x1', 'threads x2 x2'],
      );
      expect(lines.at(-1)).to.include({ type: 'summary', extra: 5, deleted: 5, refused: false });

      const v = await verifyAgainst(t, ['--collections', 'threads,messages']);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      // Mirroring an equal target deletes nothing; the table has a deleted column.
      const again = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages']);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/collection\s+read\s+written\s+skipped\s+rejected\s+deleted\s+time\s+status/);
      expect(again.stdout).to.include('mirror: deleted 0 of 50 target documents the source lacks (limit 5, the default)');
    });

    it('upsert leaves the extra documents, so verify fails (exit 5); verify --ignore-extra passes and still lists them', async () => {
      const t = await target({ threads: extra('x', 3) });
      const up = await importInto(t, ['--mode', 'upsert', '--collections', 'threads']);
      expect(up.code, up.stderr).to.equal(0);
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.have.length(33);
      const strict = await verifyAgainst(t, ['--collections', 'threads', '--json']);
      expect(strict.code).to.equal(5);
      expect(JSON.parse(strict.stdout).collections[0]).to.include({ extraTotal: 3, equal: false });
      const lenient = await verifyAgainst(t, ['--collections', 'threads', '--ignore-extra']);
      expect(lenient.code, lenient.stdout).to.equal(0);
      expect(lenient.stdout).to.include('3 extra on the right, ignored: x');
      expect(lenient.stdout).to.include('verify: identical (1 collections)');
      // A document missing on the right is still a difference.
      const t2 = await startCosmosTestServer();
      servers.push(t2);
      await seedCosmos(t2, DB, 'threads', [...threads.slice(1), ...extra('x', 1)]);
      const missing = await verifyAgainst(t2, ['--collections', 'threads', '--ignore-extra', '--json']);
      expect(missing.code).to.equal(5);
      expect(JSON.parse(missing.stdout).collections[0]).to.include({ missingTotal: 1, extraTotal: 1, extraIgnored: true, equal: false });
    });

    it('refuses, before deleting anything in any collection, more deletes than --max-deletes or the default (10% of the target)', async () => {
      const t = await target({ threads: extra('x', 4), messages: extra('mx', 2) });
      const capped = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages', '--max-deletes', '5', '--json']);
      expect(capped.code).to.equal(1);
      const s: Summary = JSON.parse(capped.stdout);
      expect(s.mirror).to.include({ extra: 6, deleted: 0, maxDeletes: 5 });
      expect(s.mirror.refused).to.include('refused to delete 6 target documents the source lacks: more than 5 (--max-deletes)');
      expect(s.mirror.collections.map((c) => c.outcome)).to.deep.equal(['refused', 'refused']);
      const byDefault = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages']);
      expect(byDefault.code).to.equal(1);
      expect(byDefault.stdout).to.include('more than 5 (the default limit, 10% of the 56 target documents and at most 1000)');
      expect(byDefault.stdout).to.include('run again with --max-deletes 6');
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.have.length(34);
      expect(ids(await readAllCosmos(t, DB, 'messages'))).to.have.length(22);
      const raised = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages', '--max-deletes', '6']);
      expect(raised.code, raised.stdout + raised.stderr).to.equal(0);
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.deep.equal(ids(threads));
      expect(ids(await readAllCosmos(t, DB, 'messages'))).to.deep.equal(ids(messages));
    });

    it('--dry-run lists what would be deleted (and writes it to --deletes-file) and changes nothing', async () => {
      const t = await target({ threads: extra('x', 3) });
      const client = (await import('../support/cosmos.js')).cosmosClient(t);
      await client.database(DB).container('threads').items.upsert({ id: 't1', _id: 't1', subject: 'edited in the target' });
      client.dispose();
      const file = join(work, 'dry-run.ndjson');
      const r = await importInto(t, ['--mode', 'mirror', '--dry-run', '--collections', 'threads', '--deletes-file', file, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const s: Summary = JSON.parse(r.stdout);
      expect(s.totals).to.include({ read: 30, written: 0 });
      expect(s.mirror).to.include({ dryRun: true, extra: 3, deleted: 0 });
      expect(s.mirror.collections[0]).to.include({ outcome: 'listed', extra: 3 });
      expect(s.mirror.collections[0]!.ids.sort()).to.deep.equal(['x0', 'x1', 'x2']);
      const stored = await readAllCosmos(t, DB, 'threads');
      expect(stored).to.have.length(33);
      expect(stored.find((d) => d.id === 't1')!.subject).to.equal('edited in the target');
      const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[0]).to.include({ type: 'mirror', dry_run: true });
      expect(lines.filter((l) => l.type === 'extra').map((l) => l.id).sort()).to.deep.equal(['x0', 'x1', 'x2']);
      const table = await importInto(t, ['--mode', 'mirror', '--dry-run', '--collections', 'threads']);
      expect(table.stdout).to.include('mirror (dry run): would delete 3 of 33 target documents (limit 3, the default); nothing was written or deleted');
    });

    it('deletes nothing in a collection that failed, and nothing at all with --allow-partial', async () => {
      // reports exists on the source, but its reads fail (a missing one is absent and never touched): that collection fails.
      const t = await target({ threads: extra('x', 1), reports: extra('r', 2) });
      await seedCosmos(source, DB, 'reports', extra('r', 1));
      const proxy = await startFaultProxy(source.endpoint, (req) =>
        req.method === 'POST' && req.url.includes('/colls/reports/docs') ? { type: 'respond', status: 400, body: JSON.stringify({ code: 'BadRequest', message: 'reads refused by the test' }) } : { type: 'pass' },
      );
      const r = await runCli([
        'migrate', '--from', 'cosmos', '--to', 'cosmos', '--from-cosmos-endpoint', proxy.endpoint, '--from-cosmos-key', source.key,
        '--to-cosmos-endpoint', t.endpoint, '--to-cosmos-key', t.key, '--layout', layoutFile, '--collections', 'threads,reports',
        '--mode', 'mirror', '--checkpoint', join(work, `cp-${++runs}`), '--rejects-dir', join(work, 'rejects-failed'), '--json',
      ]).finally(() => proxy.stop());
      expect(r.code, r.stderr).to.equal(1);
      const s: Summary = JSON.parse(r.stdout);
      expect(s.collections.map((c) => [c.collection, c.status])).to.deep.equal([['threads', 'ok'], ['reports', 'failed']]);
      const reports = s.mirror.collections.find((c) => c.collection === 'reports')!;
      expect(reports).to.include({ outcome: 'skipped', deleted: 0 });
      expect(reports.reason).to.include('the collection failed');
      expect(ids(await readAllCosmos(t, DB, 'reports'))).to.deep.equal(['r0', 'r1']);
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.deep.equal(ids(threads));

      const t2 = await target({ threads: extra('x', 1) });
      const partial = await importInto(t2, ['--mode', 'mirror', '--collections', 'threads', '--allow-partial', '--json']);
      expect(partial.code, partial.stderr).to.equal(0);
      const p: Summary = JSON.parse(partial.stdout);
      expect(p.mirror.deleted).to.equal(0);
      expect(p.mirror.collections[0]!.reason).to.include('--allow-partial');
      expect(ids(await readAllCosmos(t2, DB, 'threads'))).to.include('x0');
    });

    it('deletes nothing when --max-errors stops the run, and nothing in a collection with a line that names no id', async () => {
      // An export whose threads file has a malformed line (its manifest rewritten to match, as if exported so).
      const dir = join(work, 'export-malformed');
      await runCli(['export', '--source-type', 'cosmos', ...cosmos(source), '--layout', layoutFile, '--output-dir', dir, '--collections', 'threads,messages']);
      const manifestPath = join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
      const entry = manifest.files.find((f: { collection: string }) => f.collection === 'threads');
      const file = join(dir, entry.path);
      const content = `${await readFile(file, 'utf8')}{"id": "broken\n`;
      await writeFile(file, content);
      const { createHash } = await import('node:crypto');
      Object.assign(entry, { bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex'), documents: entry.documents + 1 });
      await writeFile(manifestPath, JSON.stringify(manifest, null, 2));

      const t = await target({ threads: extra('x', 2), messages: extra('mx', 1) });
      const r = await importInto(t, ['--mode', 'mirror', '--collections', 'threads,messages', '--json'], dir);
      expect(r.code, r.stderr).to.equal(3);
      const s: Summary = JSON.parse(r.stdout);
      const byName = Object.fromEntries(s.mirror.collections.map((c) => [c.collection, c]));
      expect(byName.threads).to.include({ outcome: 'skipped', deleted: 0 });
      expect(byName.threads!.reason).to.include('could not be read and names no id');
      expect(byName.messages).to.include({ outcome: 'deleted', deleted: 1 });
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.include.members(['x0', 'x1']);

      const t2 = await target({ threads: extra('x', 2) });
      const stopped = await importInto(t2, ['--mode', 'mirror', '--collections', 'threads,messages', '--max-errors', '0'], dir);
      expect(stopped.code).to.equal(3);
      expect(stopped.stderr).to.include('more than 0 documents were rejected (--max-errors 0)');
      expect(ids(await readAllCosmos(t2, DB, 'threads'))).to.include.members(['x0', 'x1']);
      expect(ids(await readAllCosmos(t2, DB, 'messages'))).to.deep.equal(ids(messages));
    });

    it('refuses mirror flags that do not fit, with exit 2 and nothing written', async () => {
      const t = await target({ threads: extra('x', 1) });
      const noMirror = await importInto(t, ['--max-deletes', '3']);
      expect(noMirror.code).to.equal(2);
      expect(noMirror.stderr).to.include('--max-deletes applies to --mode mirror only');
      const dryResume = await importInto(t, ['--mode', 'mirror', '--dry-run', '--resume']);
      expect(dryResume.code).to.equal(2);
      expect(dryResume.stderr).to.include('--dry-run writes nothing, so there is no run to resume');
      const badMode = await importInto(t, ['--mode', 'mirrror']);
      expect(badMode.code).to.equal(2);
      expect(badMode.stderr).to.include('--mode must be upsert, merge or mirror');
      expect(ids(await readAllCosmos(t, DB, 'threads'))).to.include('x0');
    });
  });

  describe('MongoDB target (FerretDB) and a MongoDB source', () => {
    let mongo: MongoTestServer;
    before(async function () {
      this.timeout(300_000);
      mongo = await startMongoTestServer();
      servers.push(mongo);
    });

    async function withMongo<T>(work: (c: MongoClient) => Promise<T>): Promise<T> {
      const c = new MongoClient(mongo.uri);
      try {
        return await work(c);
      } finally {
        await c.close();
      }
    }
    const mongoIds = (db: string, coll: string) => withMongo(async (c) => (await c.db(db).collection<Doc>(coll).find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort());

    it('deletes exactly the documents the source lacks (ObjectId _ids too); verify then passes; upsert would have failed verify', async () => {
      const stray = new ObjectId();
      await withMongo(async (c) => {
        await c.db(DB).collection<Doc>('threads').insertMany([...threads.map((d) => ({ ...d })), ...extra('x', 2), { _id: stray, note: 'only in the target' }] as Doc[]);
        await c.db(DB).collection<Doc>('messages').insertMany([...messages.map((d) => ({ ...d })), ...extra('mx', 1)] as Doc[]);
        await c.db(DB).collection<Doc>('archives').insertMany([...extra('ax', 1)] as Doc[]);
      });
      const mongoArgs = ['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--export-dir', exportDir, '--collections', 'threads,messages'];
      const verify = (extraArgs: string[] = []) =>
        runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layoutFile, '--collections', 'threads,messages', ...extraArgs]);
      const up = await runCli([...mongoArgs, '--checkpoint', join(work, `cp-${++runs}`)]);
      expect(up.code, up.stderr).to.equal(0);
      expect((await verify()).code).to.equal(5);
      expect((await verify(['--ignore-extra'])).code).to.equal(0);

      const r = await runCli([...mongoArgs, '--mode', 'mirror', '--max-deletes', '4', '--checkpoint', join(work, `cp-${++runs}`), '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const s: Summary = JSON.parse(r.stdout);
      expect(s.collections.map((c) => [c.collection, c.deleted])).to.deep.equal([
        ['threads', 3],
        ['messages', 1],
      ]);
      expect(s.mirror.collections[0]!.ids).to.include(stray.toHexString());
      expect(await mongoIds(DB, 'threads')).to.deep.equal(ids(threads));
      expect(await mongoIds(DB, 'messages')).to.deep.equal(ids(messages));
      expect(await mongoIds(DB, 'archives')).to.deep.equal(['ax0']);
      const v = await verify();
      expect(v.code, v.stdout).to.equal(0);
    });

    it('a source collection MongoDB does not have reads as empty: nothing of its target is deleted', async () => {
      const src = 'copilot_mirror_src';
      const srcLayout: Layout = { databases: [{ name: src, containers: [{ name: 'threads', partitionKey: { paths: ['/id'], kind: 'Hash' } }, { name: 'reports', partitionKey: { paths: ['/id'], kind: 'Hash' } }] }] };
      const file = join(work, 'layout-mongo-src.json');
      await writeFile(file, JSON.stringify(srcLayout));
      await withMongo((c) => c.db(src).collection<Doc>('threads').insertMany(threads.map((d) => ({ ...d }))));
      const t = await startCosmosTestServer();
      servers.push(t);
      await seedCosmos(t, src, 'threads', [...threads, ...extra('x', 1)]);
      await seedCosmos(t, src, 'reports', extra('r', 3));
      const r = await runCli([
        'migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, '--to-cosmos-endpoint', t.endpoint, '--to-cosmos-key', t.key,
        '--layout', file, '--mode', 'mirror', '--max-deletes', '10', '--checkpoint', join(work, `cp-${++runs}`), '--rejects-dir', join(work, 'rejects-missing'), '--json',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const s: Summary = JSON.parse(r.stdout);
      // Absent on the source: left out of the run (and of mirror) before anything is written.
      expect(s.mirror.collections.find((c) => c.collection === 'reports')).to.equal(undefined);
      expect(r.stderr).to.include(`${src}.reports is named by the layout but does not exist on the server`);
      expect(ids(await readAllCosmos(t, src, 'reports'))).to.deep.equal(['r0', 'r1', 'r2']);
      expect(ids(await readAllCosmos(t, src, 'threads'))).to.deep.equal(ids(threads));
    });

    it("keeps the target copy of a source document that was rejected (Cosmos DB: no partition-key value)", async () => {
      const src = 'copilot_mirror_rej';
      const srcLayout: Layout = { databases: [{ name: src, containers: [{ name: 'messages', partitionKey: { paths: ['/thread_id'], kind: 'Hash' } }] }] };
      const file = join(work, 'layout-mongo-rej.json');
      await writeFile(file, JSON.stringify(srcLayout));
      // m0 lost its thread_id in the source: it cannot go to Cosmos DB, and its old copy must stay.
      await withMongo((c) => c.db(src).collection<Doc>('messages').insertMany(messages.map((d, i): Doc => (i === 0 ? { _id: d._id, id: d.id, body: d.body } : { ...d })) as Doc[]));
      const t = await startCosmosTestServer();
      servers.push(t);
      await seedCosmos(t, src, 'messages', [...messages, ...extra('mx', 1)], '/thread_id');
      const r = await runCli([
        'migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, '--to-cosmos-endpoint', t.endpoint, '--to-cosmos-key', t.key,
        '--layout', file, '--mode', 'mirror', '--checkpoint', join(work, `cp-${++runs}`), '--rejects-dir', join(work, 'rejects-rej'), '--json',
      ]);
      expect(r.code, r.stderr).to.equal(3);
      const s: Summary = JSON.parse(r.stdout);
      expect(s.collections[0]).to.include({ rejected: 1, deleted: 1 });
      expect(s.mirror.collections[0]!.ids).to.deep.equal(['mx0']);
      expect(identities(await readAllCosmos(t, src, 'messages'))).to.deep.equal(identities(messages));
    });
  });
});
