import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { RunCheckpoint } from '../../src/engine/checkpoint.js';
import { zeroCounts } from '../../src/engine/events.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** Every file and directory under `dir` (itself excluded), with its permission bits. */
async function modesUnder(dir: string): Promise<Map<string, { mode: number; dir: boolean }>> {
  const out = new Map<string, { mode: number; dir: boolean }>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const s = await stat(p);
      out.set(p, { mode: s.mode & 0o777, dir: e.isDirectory() });
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

function expectPrivate(entries: Map<string, { mode: number; dir: boolean }>): void {
  expect(entries.size).to.be.greaterThan(0);
  for (const [path, { mode, dir }] of entries) expect(mode.toString(8), path).to.equal(dir ? '700' : '600');
}

/**
 * Exports, rejects, checkpoints and verify reports hold personal data: 0600 files in 0700
 * directories whatever the umask (issue 14, item 2). Each test runs with umask 0, the most
 * permissive one, as a shared build agent may have.
 */
describe('files docferry writes are private to the user who runs it', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let db: string;
  let umask: number;

  before(async () => {
    source = await startCosmosTestServer();
    db = `copilot${source.suffix}`;
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    await seedCosmos(source, db, 'sources', generateDocuments('sources', 5, { seed: 3 }));
  });
  beforeEach(() => {
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });
  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  const cosmosArgs = () => ['--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key];

  it('an export: its directories, data files and manifest, and the verify report', async () => {
    const dir = join(work, 'export');
    const report = join(work, 'reports', 'export-verify.ndjson');
    const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(), '--layout', layoutFile, '--output-dir', dir, '--collections', 'sources', '--verify', '--report', report]);
    expect(r.code, r.stderr).to.equal(0);
    expect((await stat(dir)).mode & 0o777).to.equal(0o700);
    const entries = await modesUnder(dir);
    expect([...entries.keys()]).to.include.members([join(dir, 'manifest.json'), join(dir, db), join(dir, db, 'sources.json')]);
    expectPrivate(entries);
    expect((await stat(report)).mode & 0o777).to.equal(0o600);
    expect((await stat(join(work, 'reports'))).mode & 0o777).to.equal(0o700);
  });

  it('the rejects directory and files of an import', async () => {
    const dir = join(work, 'bad-export');
    await mkdir(join(dir, db), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, db, 'sources.json'), '{"id":"has/slash"}\n{"id":"fine"}\n', { mode: 0o600 });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db]: ['sources'] }, document_counts: { [`${db}.sources`]: 2 } }));
    const target = await startCosmosTestServer();
    try {
      const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(3);
      const rejectsDir = join(dir, '_rejects');
      expect((await stat(rejectsDir)).mode & 0o777).to.equal(0o700);
      const entries = await modesUnder(rejectsDir);
      expect([...entries.keys()].some((p) => p.endsWith(`${db}.sources.ndjson`))).to.equal(true);
      expectPrivate(entries);
    } finally {
      await target.stop();
    }
  });

  it('a checkpoint: its directory, header, journals and lock', async () => {
    const dir = join(work, 'checkpoints', 'import-x');
    const cp = await RunCheckpoint.open({ dir, operation: 'import', fingerprint: { target: 't' }, resume: false, sourceKind: 'dir' });
    const coll = await cp.collection({ database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash' } } as never);
    await coll.commit({ lines: [1], keys: [], delta: { ...zeroCounts(), read: 1, written: 1 } });
    await coll.close();
    expect((await stat(join(work, 'checkpoints'))).mode & 0o777).to.equal(0o700);
    const entries = await modesUnder(join(work, 'checkpoints'));
    expect([...entries.keys()]).to.include.members([dir, join(dir, 'checkpoint.json'), join(dir, 'db.c.journal')]);
    expectPrivate(entries);
    await cp.remove();
  });
});
