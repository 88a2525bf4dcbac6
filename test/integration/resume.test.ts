import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { runVerify } from '../../src/engine/verify.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { MongoClient } from 'mongodb';
import { startMongoTestServer } from '../support/ferretdb.js';
import { startCli, waitFor, type RunningCli } from '../support/kill-child.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const ARCHIVES = 60;
const THREADS = 300;

function collectionOf(req: ProxiedRequest): string | undefined {
  return /\/colls\/([^/]+)\//.exec(req.url)?.[1];
}

/** Operations the SDK sent in bulk requests to one container, from request index `from` on. */
function bulkOps(proxy: FaultProxy, from: number, collection: string): number {
  return proxy.requests
    .slice(from)
    .filter((r) => r.isBatch && collectionOf(r) === collection)
    .reduce((n, r) => n + (JSON.parse(r.body.toString('utf8')) as unknown[]).length, 0);
}

function isQuery(req: ProxiedRequest): boolean {
  return String(req.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() === 'true';
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Journal lines (confirmed units), the source lines they cover and the rejects they confirmed. */
async function journal(path: string): Promise<{ units: number; lines: number; keys: number; rejected: number }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const rows = text.split('\n').filter((l) => l.endsWith('}'));
  let lines = 0;
  let keys = 0;
  let rejected = 0;
  for (const row of rows) {
    try {
      const j = JSON.parse(row) as { l?: [number, number][]; k?: string[]; c: number[] };
      for (const [a, b] of j.l ?? []) lines += b - a + 1;
      keys += j.k?.length ?? 0;
      rejected += j.c[3] ?? 0;
    } catch {
      // the half line a kill can leave
    }
  }
  return { units: rows.length, lines, keys, rejected };
}

/**
 * The checkpoint directory an import keeps under `<exportDir>/_checkpoints` (its name is derived
 * from the target), once `ready` holds for it; gives up if the import ends first.
 */
function importCheckpointOnce(exportDir: string, what: string, run: RunningCli, intervalMs: number, ready: (cpDir: string) => Promise<boolean>): Promise<string> {
  const cpRoot = join(exportDir, '_checkpoints');
  return waitFor(
    what,
    async () => {
      const [name] = await readdir(cpRoot).catch(() => [] as string[]);
      return name !== undefined && (await ready(join(cpRoot, name))) ? join(cpRoot, name) : false;
    },
    { while: () => run.child.exitCode === null, intervalMs },
  );
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

describe('resume after kill -9', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let db: string;

  before(async () => {
    source = await startCosmosTestServer();
    db = `copilot${source.suffix}`;
    await seedCosmos(source, db, 'archives', generateDocuments('archives', ARCHIVES, { seed: 5 }));
    await seedCosmos(source, db, 'threads', generateDocuments('threads', THREADS, { seed: 5 }));
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
  });

  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  describe('export', () => {
    /** Starts a slow export in a child, kills it mid-collection, returns what is left. */
    async function killedExport(dir: string, extra: string[] = []): Promise<{ proxy: FaultProxy; confirmed: number }> {
      const proxy = await startFaultProxy(source.endpoint, (req) => (isQuery(req) ? { type: 'delay', ms: 120 } : { type: 'pass' }));
      const run = startCli(
        ['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--layout', layoutFile, '--output-dir', dir, '--collections', 'archives,threads', '--page-size', '20', '--batch-size', '20', '--parallel-collections', '1', '--quiet', ...extra],
        { SRC_COSMOS_KEY: source.key },
      );
      const journalPath = join(dir, '_checkpoint', `${db}.threads.journal`);
      await waitFor(
        'the export to finish archives and confirm 3 batches of threads',
        async () => {
          const header = await readJson<{ done: Record<string, unknown> }>(join(dir, '_checkpoint', 'checkpoint.json'));
          return header?.done[`${db}.archives`] !== undefined && (await journal(journalPath)).units >= 3;
        },
        { while: () => run.child.exitCode === null, intervalMs: 20 },
      );
      await run.kill9();
      const { keys } = await journal(journalPath);
      expect(keys).to.be.greaterThan(0).and.lessThan(THREADS);
      return { proxy, confirmed: keys };
    }

    for (const gzip of [false, true]) {
      it(`continues ${gzip ? 'a gzip' : 'an'} export file after the last confirmed batch, does not redo finished collections, and ends complete and identical`, async () => {
        const dir = join(work, `export-killed${gzip ? '-gz' : ''}`);
        const { proxy, confirmed } = await killedExport(dir, gzip ? ['--gzip'] : []);
        try {
          const ext = gzip ? '.json.gz' : '.json';
          expect(existsSync(join(dir, 'manifest.json')), 'a killed export has no manifest').to.equal(false);
          expect(existsSync(join(dir, db, `threads${ext}`))).to.equal(false);
          const partial = join(dir, db, `.threads${ext}.partial`);
          expect(existsSync(partial)).to.equal(true);
          // Bytes of a batch that was written but never confirmed: the resume must cut them off.
          await appendFile(partial, gzip ? Buffer.from([0x1f, 0x8b, 0x08, 0x00]) : '{"id":"half-writ');
          const archivesBefore = await readFile(join(dir, db, `archives${ext}`));
          const refused = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--export-dir', dir]);
          expect(refused.code).to.equal(4);
          expect(refused.stderr).to.include('manifest.json is missing');

          const from = proxy.requests.length;
          proxy.setPolicy(() => ({ type: 'pass' }));
          const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', dir, '--collections', 'archives,threads', '--page-size', '20', '--batch-size', '20', '--resume', '--json', ...(gzip ? ['--gzip'] : [])]);
          expect(r.code, r.stderr).to.equal(0);
          expect(r.stderr).to.include(`${db}.archives: already finished by the interrupted run; not redone`);
          expect(r.stderr).to.include(`${db}.threads: resuming after ${confirmed} documents`);
          expect(proxy.requests.slice(from).filter((q) => collectionOf(q) === 'archives'), 'archives is not read again').to.deep.equal([]);
          const summary = JSON.parse(r.stdout);
          expect(summary.totals).to.deep.equal({ read: ARCHIVES + THREADS, written: ARCHIVES + THREADS, skipped: 0, rejected: 0 });

          const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
          expect(manifest.status).to.equal('complete');
          const stored = await readFile(join(dir, db, `threads${ext}`));
          const threadsFile = manifest.files.find((f) => f.collection === 'threads')!;
          expect(threadsFile.sha256).to.equal(sha256(stored));
          expect(threadsFile.documents).to.equal(THREADS);
          const lines = (gzip ? gunzipSync(stored) : stored).toString('utf8').trim().split('\n');
          const ids = lines.map((l) => (JSON.parse(l) as { id: string }).id);
          expect(ids).to.have.length(THREADS);
          expect(new Set(ids).size, 'no document twice').to.equal(THREADS);
          expect(sha256(await readFile(join(dir, db, `archives${ext}`)))).to.equal(sha256(archivesBefore));
          expect(existsSync(join(dir, '_checkpoint')), 'the checkpoint is gone once complete').to.equal(false);
          expect(await readdir(join(dir, db))).to.have.members([`archives${ext}`, `threads${ext}`]);

          const verify = await runVerify({ left: { type: 'cosmos', connection: { endpoint: source.endpoint, key: source.key } }, right: { type: 'dir', path: dir }, layout: { layout: testLayout(source), source: 'test' }, collections: ['archives', 'threads'] });
          expect(verify.equal, JSON.stringify(verify.collections)).to.equal(true);
        } finally {
          await proxy.stop();
        }
      });
    }

    it('starts a collection over, with a warning, when its partial file no longer matches the checkpoint', async () => {
      const dir = join(work, 'export-tampered');
      const { proxy } = await killedExport(dir);
      try {
        const partial = join(dir, db, '.threads.json.partial');
        const bytes = await readFile(partial);
        bytes[10] = bytes[10] === 0x61 ? 0x62 : 0x61;
        await writeFile(partial, bytes);
        proxy.setPolicy(() => ({ type: 'pass' }));
        const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', dir, '--collections', 'archives,threads', '--resume']);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.match(/threads: cannot continue where the last run stopped \(the first \d+ bytes of .* are not what the checkpoint recorded\); starting this collection over/);
        const ids = (await readFile(join(dir, db, 'threads.json'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
        expect(new Set(ids).size).to.equal(THREADS);
        expect(ids).to.have.length(THREADS);
      } finally {
        await proxy.stop();
      }
    });

    it('refuses --resume on a directory without a checkpoint, and says to use --resume on an interrupted one', async () => {
      const dir = join(work, 'not-an-interrupted-export');
      await writeFile(join(work, 'stray.txt'), 'x');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(dir);
      await writeFile(join(dir, 'notes.txt'), 'not an export');
      const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', dir, '--resume']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('holds no checkpoint');
      await mkdir(join(dir, '_checkpoint'));
      const again = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', dir]);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.include('re-run the same command with --resume');
    });
  });

  describe('import', () => {
    let exportDir: string;
    before(async () => {
      exportDir = join(work, 'export-for-import');
      const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'archives,threads']);
      expect(r.code, r.stderr).to.equal(0);
    });

    it('re-sends no more than the batches in flight at the kill, skips finished collections, and ends identical', async () => {
      const target = await startCosmosTestServer();
      const proxy = await startFaultProxy(target.endpoint, (req) => (req.isBatch ? { type: 'delay', ms: 100 } : { type: 'pass' }));
      const batchSize = 10;
      const concurrency = 2;
      try {
        const args = ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--layout', layoutFile, '--export-dir', exportDir, '--batch-size', String(batchSize), '--concurrency', String(concurrency), '--parallel-collections', '1'];
        const run = startCli([...args, '--quiet'], { DST_COSMOS_KEY: target.key });
        const cpDir = await importCheckpointOnce(exportDir, 'archives to finish and threads to be under way', run, 20, async (dir) => {
          const header = await readJson<{ done: Record<string, unknown> }>(join(dir, 'checkpoint.json'));
          return header?.done[`${db}.archives`] !== undefined && (await journal(join(dir, `${db}.threads.journal`))).units >= 4;
        });
        await run.kill9();
        const confirmed = (await journal(join(cpDir, `${db}.threads.journal`))).lines;
        expect(confirmed).to.be.greaterThan(0).and.lessThan(THREADS);

        const otherMode = await runCli([...args, '--cosmos-key', target.key, '--mode', 'merge', '--resume']);
        expect(otherMode.code).to.equal(4);
        expect(otherMode.stderr).to.include('belongs to a different import (mode changed)');

        const from = proxy.requests.length;
        proxy.setPolicy(() => ({ type: 'pass' }));
        const r = await runCli([...args, '--cosmos-key', target.key, '--resume', '--json']);
        expect(r.code, r.stderr).to.equal(0);
        expect(bulkOps(proxy, from, 'archives'), 'a finished collection is not redone').to.equal(0);
        const resent = bulkOps(proxy, from, 'threads') - (THREADS - confirmed);
        expect(resent, 'documents sent again').to.be.at.least(0).and.at.most(batchSize * concurrency);
        const summary = JSON.parse(r.stdout);
        expect(summary.totals).to.deep.equal({ read: ARCHIVES + THREADS, written: ARCHIVES + THREADS, skipped: 0, rejected: 0 });
        expect(summary.collections.find((c: { collection: string }) => c.collection === 'threads').resumed).to.equal(confirmed);
        expect(existsSync(cpDir), 'the checkpoint is removed once the import finished').to.equal(false);

        expect(await readAllCosmos(target, db, 'threads')).to.have.length(THREADS);
        const verify = await runVerify({ left: { type: 'dir', path: exportDir }, right: { type: 'cosmos', connection: { endpoint: target.endpoint, key: target.key } }, layout: { layout: testLayout(source), source: 'test' } });
        expect(verify.equal, JSON.stringify(verify.collections)).to.equal(true);
      } finally {
        await proxy.stop();
        await target.stop();
      }
    });

    it('lists each rejected line once across a kill and two resumes, and --max-errors counts the rejects the interrupted run confirmed', async () => {
      // 330 lines, every 11th of them malformed: 300 documents and 30 rejects, about one per batch of 10.
      const dir = join(work, 'export-with-bad-lines');
      const good = [...generateDocuments('threads', 300, { seed: 9 })];
      const text: string[] = [];
      for (let line = 1, g = 0; line <= 330; line++) text.push(line % 11 === 0 ? `{"id": "broken-${line}", ` : JSON.stringify(good[g++]));
      await mkdir(join(dir, db), { recursive: true });
      await writeFile(join(dir, db, 'threads.json'), `${text.join('\n')}\n`);
      await writeFile(join(dir, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db]: ['threads'] }, document_counts: { [`${db}.threads`]: 330 } }));
      const badLines = Array.from({ length: 30 }, (_, i) => 11 * (i + 1));

      const target = await startCosmosTestServer();
      const proxy = await startFaultProxy(target.endpoint, (req) => (req.isBatch ? { type: 'delay', ms: 100 } : { type: 'pass' }));
      try {
        const args = ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--layout', layoutFile, '--export-dir', dir, '--batch-size', '10', '--concurrency', '2'];
        const run = startCli([...args, '--quiet'], { DST_COSMOS_KEY: target.key });
        const journalOf = (cpDir: string) => join(cpDir, `${db}.threads.journal`);
        const journalPath = journalOf(await importCheckpointOnce(dir, 'six rejects to be confirmed', run, 10, async (cpDir) => (await journal(journalOf(cpDir))).rejected >= 6));
        await run.kill9();
        const confirmed = (await journal(journalPath)).rejected;
        expect(confirmed).to.be.at.least(6).and.below(25);

        // An uninterrupted run would stop after 25 rejects: so does the resumed one.
        proxy.setPolicy(() => ({ type: 'pass' }));
        const stopped = await runCli([...args, '--cosmos-key', target.key, '--resume', '--max-errors', '25']);
        expect(stopped.code, stopped.stderr).to.equal(3);
        expect(stopped.stderr).to.include(`Stopped: more than 25 documents were rejected (--max-errors 25, ${confirmed} of them by the interrupted run this one resumed)`);

        const r = await runCli([...args, '--cosmos-key', target.key, '--resume', '--json']);
        expect(r.code, r.stderr).to.equal(3);
        const summary = JSON.parse(r.stdout);
        expect(summary.totals).to.deep.equal({ read: 330, written: 300, skipped: 0, rejected: 30 });
        // The resumed runs continue the interrupted run's rejects file: one run directory.
        expect(await readdir(join(dir, '_rejects'))).to.have.length(1);
        expect(summary.rejectsDir).to.equal(await latestRunRejectsDir(join(dir, '_rejects')));
        const entries = (await readFile(join(summary.rejectsDir, `${db}.threads.ndjson`), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { line: number; reason: string });
        expect(entries.map((e) => e.line).sort((a, b) => a - b), 'each bad line once').to.deep.equal(badLines);
        expect(entries.every((e) => e.reason.startsWith('malformed JSON'))).to.equal(true);
        expect(await readAllCosmos(target, db, 'threads')).to.have.length(300);
      } finally {
        await proxy.stop();
        await target.stop();
      }
    });

    it('--resume without a checkpoint starts from the beginning; --verify compares the export with the target', async () => {
      const target = await startCosmosTestServer();
      try {
        const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir, '--resume', '--verify']);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.include('no checkpoint in');
        expect(r.stdout).to.include('verify: identical (2 collections)');
      } finally {
        await target.stop();
      }
    });
  });

  describe('migrate', () => {
    it('MongoDB -> Cosmos DB: killed mid-collection, resumed by _id, every document once, source and target identical', async () => {
      const mongo = await startMongoTestServer();
      const target = await startCosmosTestServer();
      const proxy = await startFaultProxy(target.endpoint, (req) => (req.isBatch ? { type: 'delay', ms: 100 } : { type: 'pass' }));
      const dbName = `copilot${target.suffix}`;
      const client = new MongoClient(mongo.uri);
      const cpDir = join(work, 'migrate-checkpoint');
      try {
        await client.db(dbName).collection('threads').insertMany([...generateDocuments('threads', THREADS, { seed: 8, flavor: 'mongodb' })] as never[]);
        const lf = join(work, 'migrate-layout.json');
        await writeFile(lf, JSON.stringify(testLayout(target)));
        const args = ['migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'cosmos', '--to-cosmos-endpoint', proxy.endpoint, '--layout', lf, '--collections', 'threads', '--batch-size', '10', '--concurrency', '2', '--checkpoint', cpDir];
        const run = startCli([...args, '--quiet'], { DST_COSMOS_KEY: target.key });
        const journalPath = join(cpDir, `${dbName}.threads.journal`);
        await waitFor('threads to be under way', async () => (await journal(journalPath)).units >= 4, { while: () => run.child.exitCode === null, intervalMs: 20 });
        await run.kill9();
        const confirmed = (await journal(journalPath)).keys;
        expect(confirmed).to.be.greaterThan(0).and.lessThan(THREADS);

        const from = proxy.requests.length;
        proxy.setPolicy(() => ({ type: 'pass' }));
        const r = await runCli([...args, '--to-cosmos-key', target.key, '--resume', '--verify', '--json']);
        expect(r.code, r.stderr).to.equal(0);
        const resent = bulkOps(proxy, from, 'threads') - (THREADS - confirmed);
        expect(resent).to.be.at.least(0).and.at.most(20);
        const summary = JSON.parse(r.stdout);
        expect(summary.totals).to.include({ read: THREADS, written: THREADS, rejected: 0 });
        expect(summary.verify.equal).to.equal(true);
        expect(summary.verify.collections[0]).to.include({ leftCount: THREADS, rightCount: THREADS });
        expect(existsSync(cpDir)).to.equal(false);
      } finally {
        await client.close();
        await proxy.stop();
        await target.stop();
        await mongo.stop();
      }
    });
  });
});
