import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { spawnCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { startCli, waitFor } from '../support/kill-child.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const THREADS = 200;

async function journalUnits(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.endsWith('}')).length;
}

/**
 * Issue 14, item 10: Ctrl-C (SIGINT) and a cancelled pipeline (SIGTERM) end the CLI with 130
 * and 143, say that the run continues with --resume, and the run does continue from there.
 */
describe('CLI interrupted by SIGINT or SIGTERM', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let db: string;

  before(async () => {
    source = await startCosmosTestServer();
    db = `copilot${source.suffix}`;
    await seedCosmos(source, db, 'threads', generateDocuments('threads', THREADS, { seed: 6 }));
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
  });
  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal}: exits ${code}, says "interrupted: re-run with --resume to continue", and --resume finishes the export`, async () => {
      const dir = join(work, `export-${signal}`);
      const proxy = await startFaultProxy(source.endpoint, (req) => (String(req.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() === 'true' ? { type: 'delay', ms: 150 } : { type: 'pass' }));
      try {
        const args = ['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--layout', layoutFile, '--output-dir', dir, '--collections', 'threads', '--page-size', '10', '--batch-size', '10', '--quiet'];
        const run = startCli(args, { SRC_COSMOS_KEY: source.key });
        const journal = join(dir, '_checkpoint', `${db}.threads.journal`);
        await waitFor('three confirmed batches', async () => (await journalUnits(journal)) >= 3, { while: () => run.child.exitCode === null, intervalMs: 20 });
        run.child.kill(signal);
        const stopped = await run.done;
        expect(stopped.code, stopped.stderr).to.equal(code);
        expect(stopped.stderr).to.include('docferry export interrupted: re-run with --resume to continue');
        const resumed = await spawnCli([...args, '--resume', '--json'], { SRC_COSMOS_KEY: source.key });
        expect(resumed.code, resumed.stderr).to.equal(0);
        const summary = JSON.parse(resumed.stdout) as { collections: { resumed?: number; written: number }[] };
        expect(summary.collections[0]!.resumed, 'documents carried over from the interrupted run').to.be.greaterThan(0);
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        expect(manifest.status).to.equal('complete');
        expect(manifest.files.map((f) => f.documents)).to.deep.equal([THREADS]);
      } finally {
        await proxy.stop();
      }
    });
  }

  it('names a command without --resume without suggesting it', async () => {
    const { interruptedMessage } = await import('../../src/cli/main.js');
    expect(interruptedMessage(['node', 'docferry', 'verify', '--left-type', 'dir'], 'SIGINT')).to.equal('docferry verify interrupted (SIGINT).');
    expect(interruptedMessage(['node', 'docferry', '--quiet', 'import'], 'SIGTERM')).to.include('docferry import interrupted: re-run with --resume to continue');
  });
});
