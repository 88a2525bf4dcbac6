import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { RunCheckpoint } from '../../src/engine/checkpoint.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** A pid that belonged to a process of this host that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/**
 * One run at a time per checkpoint (issue 14, item 6): two `import --resume` on one export and
 * target both failed with ENOENT on checkpoint.json.partial. Now the checkpoint has a lock file
 * (pid, host, start time, created with O_EXCL); a second run stops at once, and a lock whose
 * process is gone is reported and taken over.
 */
describe('a checkpoint is held by one run at a time', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let db: string;

  const importArgs = (extra: string[] = []) => ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir, '--resume', ...extra];

  before(async () => {
    [source, target] = await Promise.all([startCosmosTestServer(), startCosmosTestServer()]);
    db = `copilot${source.suffix}`;
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    await seedCosmos(source, db, 'chunks', generateDocuments('chunks', 1500, { seed: 9 }));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'chunks']);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source.stop(), target.stop()]);
    await removeTempDirs();
  });

  it('a second run on a held checkpoint exits 1 at once, naming the holder, and leaves its lock alone', async () => {
    const dir = join(work, 'held');
    const holder = await RunCheckpoint.open({ dir, operation: 'import', fingerprint: { x: 1 }, resume: false, sourceKind: 'dir' });
    try {
      const started = Date.now();
      const r = await runCli(importArgs(['--checkpoint', dir]));
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(new RegExp(`Another run \\(pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT[^)]+\\) holds the checkpoint ${dir.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}`));
      expect(r.stderr).to.include('Wait for it to finish, then run again with --resume');
      expect(Date.now() - started).to.be.lessThan(5_000);
      const lock = JSON.parse(await readFile(join(dir, 'run.lock'), 'utf8')) as { pid: number; host: string; operation: string };
      expect(lock).to.include({ pid: process.pid, host: hostname(), operation: 'import' });
      expect(await readAllCosmos(target, db, 'chunks').catch(() => [])).to.have.length(0);
    } finally {
      await holder.release();
    }
    expect(existsSync(join(dir, 'run.lock'))).to.equal(false);
  });

  it('two runs started together: one imports, the other stops with the message, never a rename ENOENT', async () => {
    const [a, b] = await Promise.all([runCli(importArgs()), runCli(importArgs())]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n----\n${b.stderr}`).to.deep.equal([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).to.include('holds the checkpoint');
    expect(`${a.stderr}${b.stderr}`).to.not.include('ENOENT');
    expect(await readAllCosmos(target, db, 'chunks')).to.have.length(1500);
    expect(existsSync(join(exportDir, '_checkpoints'))).to.equal(false);
  });

  it('a lock left by a run that no longer runs on this host is reported and taken over', async () => {
    const dir = join(work, 'stale');
    await mkdir(dir, { recursive: true });
    const pid = deadPid();
    await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid, host: hostname(), started_at: '2026-02-12T17:00:00.000Z', operation: 'import' }));
    const r = await runCli(importArgs(['--checkpoint', dir]));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`locked by run pid ${pid} (started 2026-02-12T17:00:00.000Z), which no longer runs on this host`);
    expect(existsSync(dir)).to.equal(false);
  });

  it('a lock of another host is never taken over: the message names the host and the file to delete', async () => {
    const dir = join(work, 'other-host');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid: 4242, host: 'build-agent-7', started_at: '2026-02-12T17:00:00.000Z', operation: 'import' }));
    const r = await runCli(importArgs(['--checkpoint', dir]));
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include('Another run (pid 4242 on host build-agent-7, started 2026-02-12T17:00:00.000Z) holds the checkpoint');
    expect(r.stderr).to.include(`delete ${join(dir, 'run.lock')}`);
  });
});
