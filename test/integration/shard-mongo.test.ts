import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Binary, Double, Int32, Long, MongoClient, ObjectId } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { runCli, spawnCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;
let counter = 0;

/** ObjectIds, strings, numbers of three BSON types, dates, binaries, booleans, documents: _ids across MongoDB's type order. */
function mixedDocuments(n: number): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 8;
    const _id =
      kind === 0 || kind === 1 ? ObjectId.createFromTime(1_700_000_000 + i)
      : kind === 2 ? `s-${String(i).padStart(5, '0')}`
      : kind === 3 ? new Int32(i)
      : kind === 4 ? new Double(i + 0.5)
      : kind === 5 ? Long.fromNumber(1_000_000 + i)
      : kind === 6 ? new Date(Date.UTC(2020, 0, 1) + i * 1000)
      : i % 16 === 7 ? new Binary(Buffer.from([i & 0xff, (i >> 8) & 0xff]))
      : { tenant: `t${i}`, n: new Int32(i) };
    docs.push({ _id, i: new Int32(i), text: `document ${i}` });
  }
  docs.push({ _id: true, i: new Int32(-1) }, { _id: false, i: new Int32(-2) });
  return docs;
}

async function withMongo<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function layoutFor(db: string, colls: string[]): Layout {
  return { name: 'shard-test', databases: [{ name: db, containers: colls.map((name) => ({ name, partitionKey: { paths: ['/id'], kind: 'Hash' as const } })) }] };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('--shard I/N: MongoDB split by _id range across processes, merged, imported and verified (FerretDB)', function () {
  this.timeout(300_000);
  let source: MongoTestServer;
  let target: MongoTestServer;
  let work: string;
  let db: string;
  let layout: string;
  const TOTAL = 203 + 2;

  before(async function () {
    this.timeout(600_000);
    [source, target] = await Promise.all([startMongoTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-shard-');
    db = `shard_db_${Date.now()}`;
    await withMongo(source.uri, async (c) => {
      await c.db(db).collection<Doc>('mixed').insertMany(mixedDocuments(203));
      await c.db(db).collection<Doc>('few').insertMany([{ _id: 'only-one', v: 1 }] as Doc[]);
      await c.db(db).createCollection('empty');
    });
    layout = join(work, 'layout.json');
    await writeFile(layout, JSON.stringify(layoutFor(db, ['mixed', 'few', 'empty'])));
  });

  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  const exportArgs = (dir: string, ...extra: string[]) => ['export', '--source-type', 'mongodb', '--mongo-uri', source.uri, '--layout', layout, '--output-dir', dir, '--quiet', ...extra];

  async function shardExports(n: number, tag: string, ...extra: string[]): Promise<string[]> {
    const plan = join(work, `${tag}-plan.json`);
    const dirs = Array.from({ length: n }, (_, i) => join(work, `${tag}-shard-${i + 1}`));
    // N processes at once, racing to write the one plan file.
    const runs = await Promise.all(dirs.map((dir, i) => spawnCli(exportArgs(dir, '--shard', `${i + 1}/${n}`, '--shard-plan', plan, ...extra), {})));
    for (const r of runs) expect(r.code, r.stderr).to.equal(0);
    return dirs;
  }

  it('3 shards as 3 processes hold every document exactly once; merged, imported and verified they equal a single run', async () => {
    const dirs = await shardExports(3, 'three');
    const seen = new Map<string, number>();
    for (const [i, dir] of dirs.entries()) {
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(m.status).to.equal('complete');
      expect(m.shard).to.include({ index: i + 1, count: 3 });
      expect(m.shard!.plan[`${db}.mixed`]!.kind).to.equal('mongodb-id-range');
      expect(await readdir(join(dir, db))).to.include.members(['mixed.part-' + (i + 1) + '-of-3.json']);
      for (const line of lines(await readFile(join(dir, db, `mixed.part-${i + 1}-of-3.json`), 'utf8'))) {
        const id = JSON.stringify(JSON.parse(line)._id);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    expect(seen.size).to.equal(TOTAL);
    // Near-equal ranges: the boundaries cut the collection in _id order as the server sorts it.
    const perShard = await Promise.all(dirs.map(async (d) => (JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as Manifest).document_counts[`${db}.mixed`]));
    expect(perShard).to.deep.equal([69, 68, 68]);
    expect([...seen.values()].every((c) => c === 1)).to.equal(true);
    // Every shard got a share of a 205-document collection.
    const plans = await Promise.all(dirs.map(async (d) => (JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as Manifest).shard!.plan));
    expect(plans[1]).to.deep.equal(plans[0]);
    expect(plans[2]).to.deep.equal(plans[0]);

    const merged = join(work, 'three-merged');
    const merge = await runCli(['manifest', 'merge', ...[...dirs].reverse(), '--out', merged, '--json']);
    expect(merge.code, merge.stderr).to.equal(0);
    const mm = JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as Manifest;
    expect(mm.shard).to.equal(undefined);
    expect(mm.document_counts).to.deep.equal({ [`${db}.mixed`]: TOTAL, [`${db}.few`]: 1, [`${db}.empty`]: 0 });

    const single = join(work, 'single');
    const one = await runCli(exportArgs(single));
    expect(one.code, one.stderr).to.equal(0);
    const sm = JSON.parse(await readFile(join(single, 'manifest.json'), 'utf8')) as Manifest;
    expect(mm.document_counts).to.deep.equal(sm.document_counts);
    // Same documents, in _id order in both (shards are _id ranges in order).
    expect(await readFile(join(merged, db, 'mixed.json'), 'utf8')).to.equal(await readFile(join(single, db, 'mixed.json'), 'utf8'));

    const imp = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--layout', layout, '--export-dir', merged, '--json', '--quiet']);
    expect(imp.code, imp.stderr).to.equal(0);
    expect(JSON.parse(imp.stdout).totals).to.include({ written: TOTAL + 1, rejected: 0 });
    const verify = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'mongodb', '--right-mongo-uri', target.uri, '--layout', layout, '--quiet']);
    expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
    const count = await withMongo(target.uri, (c) => c.db(db).collection('mixed').countDocuments({}));
    expect(count).to.equal(TOTAL);
  });

  it('migrate --shard I/N: 3 processes into one target give exactly the source (verify), each with its own checkpoint', async () => {
    const fresh = await startMongoTestServer();
    try {
      const plan = join(work, 'migrate-plan.json');
      const runs = await Promise.all(
        [1, 2, 3].map((i) =>
          spawnCli(['migrate', '--from', 'mongodb', '--from-mongo-uri', source.uri, '--to', 'mongodb', '--to-mongo-uri', fresh.uri, '--layout', layout, '--shard', `${i}/3`, '--shard-plan', plan, '--checkpoint', join(work, `migrate-cp-${i}`), '--rejects-dir', join(work, `migrate-rejects-${i}`), '--json', '--quiet'], {}),
        ),
      );
      for (const r of runs) expect(r.code, r.stderr).to.equal(0);
      const written = runs.map((r) => (JSON.parse(r.stdout) as { totals: { written: number } }).totals.written);
      expect(written.reduce((a, b) => a + b, 0)).to.equal(TOTAL + 1);
      expect(written.every((n) => n > 0), 'every shard moved a part').to.equal(true);
      const verify = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'mongodb', '--right-mongo-uri', fresh.uri, '--layout', layout, '--quiet']);
      expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
      // verify --shard: both sides by the same _id ranges; a change in one range shows in that shard only.
      await withMongo(fresh.uri, (c) => c.db(db).collection<Doc>('mixed').updateOne({ _id: true } as Doc, { $set: { i: 99 } }));
      const verifyArgs = (i: number) => ['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'mongodb', '--right-mongo-uri', fresh.uri, '--layout', layout, '--shard', `${i}/3`, '--json', '--quiet'];
      const shards = await Promise.all([1, 2, 3].map((i) => spawnCli(verifyArgs(i), {})));
      expect(shards.map((r) => r.code), shards.map((r) => r.stderr).join('\n')).to.deep.equal([0, 0, 5]);
      const last = JSON.parse(shards[2]!.stdout) as { collections: { collection: string; differingTotal: number; leftCount: number }[] };
      expect(last.collections.find((c) => c.collection === 'mixed')!.differingTotal).to.equal(1);
      const counted = shards.map((r) => (JSON.parse(r.stdout) as { collections: { collection: string; leftCount: number }[] }).collections.find((c) => c.collection === 'mixed')!.leftCount);
      expect(counted.reduce((a, b) => a + b, 0)).to.equal(TOTAL);
      const exported = join(work, 'migrate-export');
      expect((await runCli(exportArgs(exported))).code).to.equal(0);
      const dirLeft = await runCli(['verify', '--left-type', 'dir', '--left-dir', exported, '--right-type', 'mongodb', '--right-mongo-uri', fresh.uri, '--layout', layout, '--shard', '1/2']);
      expect(dirLeft.code).to.equal(2);
      expect(dirLeft.stderr).to.include('verify --shard: the sides are stores of different kinds');
      const refused = await runCli(['migrate', '--from', 'mongodb', '--from-mongo-uri', source.uri, '--to', 'mongodb', '--to-mongo-uri', fresh.uri, '--layout', layout, '--shard', '1/3', '--verify']);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include('run docferry verify once after every shard finished');
    } finally {
      await fresh.stop();
    }
  });

  it('more shards than documents: the extra shards export empty parts, and the merge is still whole', async () => {
    const dirs = await shardExports(4, 'four');
    const parts = await Promise.all(dirs.map(async (d, i) => lines(await readFile(join(d, db, `few.part-${i + 1}-of-4.json`), 'utf8')).length));
    expect(parts.reduce((a, b) => a + b, 0)).to.equal(1);
    const merged = join(work, 'four-merged');
    const merge = await runCli(['manifest', 'merge', ...dirs, '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    const mm = JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as Manifest;
    expect(mm.document_counts[`${db}.mixed`]).to.equal(TOTAL);
    expect(mm.document_counts[`${db}.few`]).to.equal(1);
    // One shard's export imports alone too, with a warning that it is only that shard.
    const one = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--layout', layout, '--export-dir', dirs[0]!, '--json', '--quiet']);
    expect(one.code, one.stderr).to.equal(0);
    expect((JSON.parse(one.stdout) as { warnings: string[] }).warnings.join('\n')).to.include('is shard 1/4 of a sharded export: it holds only that shard');
  });

  it('gzip shards merge into gzip files (their members concatenated) that import and verify whole', async () => {
    const dirs = await shardExports(2, 'gz', '--gzip');
    expect(await readdir(join(dirs[1]!, db))).to.include('mixed.part-2-of-2.json.gz');
    const merged = join(work, 'gz-merged');
    const merge = await runCli(['manifest', 'merge', ...dirs, '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    const mm = JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as Manifest;
    expect(mm.files.map((f) => [f.path, f.compression])).to.deep.include([`${db}/mixed.json.gz`, 'gzip']);
    const verify = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'dir', '--right-dir', merged, '--layout', layout, '--quiet']);
    expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
  });

  it('a plan file is refused for another number of shards, or other collections, and leaves no temporary file behind', async () => {
    await shardExports(2, 'plancheck');
    const plan = join(work, 'plancheck-plan.json');
    const parsed = JSON.parse(await readFile(plan, 'utf8')) as { shards: number; collections: Record<string, unknown> };
    expect(parsed.shards).to.equal(2);
    expect(Object.keys(parsed.collections).sort()).to.deep.equal([`${db}.empty`, `${db}.few`, `${db}.mixed`]);
    expect((await readdir(work)).filter((f) => f.startsWith('plancheck-plan.json.')), 'no temporary plan file left').to.deep.equal([]);
    const otherN = await runCli(exportArgs(join(work, 'plancheck-n'), '--shard', '1/3', '--shard-plan', plan));
    expect(otherN.code).to.equal(2);
    expect(otherN.stderr).to.include(`The shard plan ${plan} splits into 2 shards, but this is shard 1/3`);
    await withMongo(source.uri, (c) => c.db(db).collection<Doc>('other').insertOne({ _id: 'o', v: 1 } as Doc));
    const layout2 = join(work, 'layout-more.json');
    await writeFile(layout2, JSON.stringify(layoutFor(db, ['mixed', 'few', 'empty', 'other'])));
    const otherColls = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', source.uri, '--layout', layout2, '--output-dir', join(work, 'plancheck-c'), '--shard', '1/2', '--shard-plan', plan, '--quiet']);
    expect(otherColls.code).to.equal(2);
    expect(otherColls.stderr).to.include(`has no split for ${db}.other`);
    await withMongo(source.uri, (c) => c.db(db).dropCollection('other'));
  });

  it('merge refuses a missing shard and a duplicated one, by name, and writes nothing', async () => {
    const dirs = await shardExports(2, 'two');
    const missing = await runCli(['manifest', 'merge', dirs[0]!, '--out', join(work, 'two-missing')]);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.match(/shard 2\/2 is missing/);
    const twice = await runCli(['manifest', 'merge', dirs[0]!, dirs[0]!, dirs[1]!, '--out', join(work, 'two-twice')]);
    expect(twice.code).to.not.equal(0);
    expect(twice.stderr).to.include(`shard 1/2 is given twice (${dirs[0]} and ${dirs[0]})`);
    const other = await shardExports(3, 'mix');
    const mixed = await runCli(['manifest', 'merge', dirs[0]!, other[1]!, '--out', join(work, 'two-mixed')]);
    expect(mixed.code).to.not.equal(0);
    expect(mixed.stderr).to.match(/differ in the number of shards/);
    // A part changed after its shard finished: refused by its own manifest's sha256, nothing merged.
    const part = join(dirs[1]!, db, 'mixed.part-2-of-2.json');
    const text = await readFile(part, 'utf8');
    await writeFile(part, text.replace('document', 'Document'));
    const damaged = await runCli(['manifest', 'merge', dirs[0]!, dirs[1]!, '--out', join(work, 'two-damaged')]);
    expect(damaged.code).to.equal(4);
    expect(damaged.stderr).to.include(`${part} is`).and.include('changed or damaged after the export');
    for (const out of ['two-missing', 'two-twice', 'two-mixed', 'two-damaged']) await readdir(join(work, out)).then(
      (e) => expect(e, out).to.deep.equal([]),
      (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'),
    );
  });
});
