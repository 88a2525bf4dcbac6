import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Manifest } from '../../src/core/manifest.js';
import { spreadBounds } from '../../src/core/shard.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { startCli, waitFor } from '../support/kill-child.js';
import { startTcpFaultProxy, type TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const DOCS = 9000;

async function journalUnits(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.endsWith('}')).length;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('--shard: a killed shard resumes alone (FerretDB)', function () {
  this.timeout(300_000);
  let source: MongoTestServer;
  let target: MongoTestServer;
  let proxy: TcpFaultProxy;
  let work: string;
  let layout: string;
  const db = `shard_resume_${Date.now()}`;

  before(async function () {
    this.timeout(600_000);
    [source, target] = await Promise.all([startMongoTestServer(), startMongoTestServer()]);
    const client = new MongoClient(source.uri);
    try {
      const docs: Doc[] = Array.from({ length: DOCS }, (_, i) => ({ _id: `d-${String(i).padStart(6, '0')}`, n: i, pad: 'x'.repeat(400) }));
      await client.db(db).collection<Doc>('items').insertMany(docs);
    } finally {
      await client.close();
    }
    const url = new URL(source.uri);
    proxy = await startTcpFaultProxy({ host: url.hostname, port: Number(url.port) });
    work = await tempDir('docferry-shard-resume-');
    layout = join(work, 'layout.json');
    await writeFile(layout, JSON.stringify({ name: 'shard-resume', databases: [{ name: db, containers: [{ name: 'items', partitionKey: { paths: ['/id'], kind: 'Hash' } }] }] }));
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  it('shard 2/3 killed mid-collection resumes with --resume; shards 1 and 3 are untouched; merged, the result equals the source', async () => {
    const uri = source.uri.replace(/\/\/[^/]+\//, `//${proxy.host}:${proxy.port}/`);
    const plan = join(work, 'plan.json');
    const dirOf = (i: number) => join(work, `shard-${i}`);
    const args = (i: number, ...extra: string[]) => ['export', '--source-type', 'mongodb', '--mongo-uri', uri, '--layout', layout, '--output-dir', dirOf(i), '--shard', `${i}/3`, '--shard-plan', plan, '--batch-size', '50', '--quiet', ...extra];

    for (const i of [1, 3]) {
      const r = await runCli(args(i));
      expect(r.code, r.stderr).to.equal(0);
    }
    const before1 = await readFile(join(dirOf(1), 'manifest.json'), 'utf8');

    proxy.setDelay(300);
    const run = startCli(args(2));
    const journal = join(dirOf(2), '_checkpoint', `${db}.items.journal`);
    await waitFor('shard 2 to confirm a few batches', async () => (await journalUnits(journal)) >= 2, { while: () => run.child.exitCode === null, intervalMs: 20 });
    await run.kill9();
    expect(existsSync(join(dirOf(2), 'manifest.json')), 'a killed shard has no manifest').to.equal(false);
    proxy.setDelay(0);

    // Its checkpoint is its own: another shard number does not take it.
    const wrong = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', uri, '--layout', layout, '--output-dir', dirOf(2), '--shard', '1/3', '--shard-plan', plan, '--resume', '--quiet']);
    expect(wrong.code).to.not.equal(0);
    expect(wrong.stderr).to.match(/checkpoint/i);

    const resumed = await runCli(args(2, '--resume', '--json'));
    expect(resumed.code, resumed.stderr).to.equal(0);
    const summary = JSON.parse(resumed.stdout) as { totals: { read: number; written: number }; collections: { resumed?: number }[] };
    expect(summary.collections[0]!.resumed ?? 0, 'the resumed run continued from the checkpoint').to.be.greaterThan(0);

    const [start, end] = spreadBounds(DOCS, { index: 2, count: 3 });
    expect(summary.collections[0]!.resumed, 'killed mid-collection').to.be.lessThan(end - start);
    const ids = lines(await readFile(join(dirOf(2), db, 'items.part-2-of-3.json'), 'utf8')).map((l) => (JSON.parse(l) as { _id: string })._id);
    expect(ids).to.have.length(end - start);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids[0]).to.equal(`d-${String(start).padStart(6, '0')}`);
    expect(ids.at(-1)).to.equal(`d-${String(end - 1).padStart(6, '0')}`);
    expect(await readFile(join(dirOf(1), 'manifest.json'), 'utf8'), 'shard 1 untouched').to.equal(before1);

    const merged = join(work, 'merged');
    const merge = await runCli(['manifest', 'merge', dirOf(1), dirOf(2), dirOf(3), '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    expect((JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as Manifest).document_counts[`${db}.items`]).to.equal(DOCS);
    const imp = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--layout', layout, '--export-dir', merged, '--quiet']);
    expect(imp.code, imp.stderr).to.equal(0);
    const verify = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'mongodb', '--right-mongo-uri', target.uri, '--layout', layout, '--quiet']);
    expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
  });

  it('import --shard I/N: N imports of one export, each its line range, give the whole target', async () => {
    const full = join(work, 'full');
    const exp = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', source.uri, '--layout', layout, '--output-dir', full, '--quiet']);
    expect(exp.code, exp.stderr).to.equal(0);
    const lf = layout;
    const fresh = await startMongoTestServer();
    try {
      const runs = await Promise.all([1, 2, 3].map((i) => runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', fresh.uri, '--layout', lf, '--export-dir', full, '--shard', `${i}/3`, '--json', '--quiet'])));
      for (const r of runs) expect(r.code, r.stderr).to.equal(0);
      const written = runs.map((r) => (JSON.parse(r.stdout) as { totals: { written: number } }).totals.written);
      expect(written).to.deep.equal([1, 2, 3].map((index) => spreadBounds(DOCS, { index, count: 3 })).map(([a, b]) => b - a));
      const verify = await runCli(['verify', '--left-type', 'dir', '--left-dir', full, '--right-type', 'mongodb', '--right-mongo-uri', fresh.uri, '--layout', lf, '--quiet']);
      expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
      const mirror = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', fresh.uri, '--layout', lf, '--export-dir', full, '--shard', '1/3', '--mode', 'mirror']);
      expect(mirror.code).to.equal(2);
      expect(mirror.stderr).to.match(/--mode mirror deletes .* one shard lacks/);
    } finally {
      await fresh.stop();
    }
  });
});
