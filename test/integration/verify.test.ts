import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { runVerify } from '../../src/engine/verify.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

function cosmosSide(side: 'left' | 'right', server: CosmosTestServer): string[] {
  return [`--${side}-type`, 'cosmos', `--${side}-cosmos-endpoint`, server.endpoint, `--${side}-cosmos-key`, server.key];
}

describe('docferry verify', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let db: string;

  before(async () => {
    [source, target] = await Promise.all([startCosmosTestServer(), startCosmosTestServer()]);
    db = `copilot${source.suffix}`;
    await seedCosmos(source, db, 'archives', generateDocuments('archives', 30, { seed: 11 }));
    await seedCosmos(source, db, 'threads', generateDocuments('threads', 40, { seed: 11 }));
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const exp = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'archives,threads']);
    expect(exp.code, exp.stderr).to.equal(0);
    const imp = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir]);
    expect(imp.code, imp.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source.stop(), target.stop()]);
    await removeTempDirs();
  });

  it('finds a database and its copy identical (exit 0), and an export directory identical to both', async () => {
    const r = await runCli(['verify', ...cosmosSide('left', source), ...cosmosSide('right', target), '--layout', layoutFile, '--collections', 'archives,threads', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.equal).to.equal(true);
    expect(summary.mode).to.equal('json');
    expect(summary.collections.map((c: { collection: string; leftCount: number; rightCount: number }) => [c.collection, c.leftCount, c.rightCount])).to.deep.equal([
      ['archives', 30, 30],
      ['threads', 40, 40],
    ]);
    const dirVsCosmos = await runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, ...cosmosSide('right', target), '--layout', layoutFile]);
    expect(dirVsCosmos.code, dirVsCosmos.stderr).to.equal(0);
    expect(dirVsCosmos.stdout).to.include(`verify ${db}.threads: identical (40 documents)`);
  });

  it('lists missing, extra and differing ids and exits 5; --report has every one of them', async () => {
    const t3 = await startCosmosTestServer();
    try {
      const docs = [...generateDocuments('threads', 40, { seed: 11 })];
      // The copy lost two documents, gained one, and one changed.
      const copy = docs.slice(2).map((d, i) => (i === 0 ? { ...d, subject: 'edited' } : d));
      copy.push({ id: 'stray-thread', _id: 'stray-thread', subject: 'not in the source' });
      await seedCosmos(t3, db, 'threads', copy);
      const report = join(work, 'verify-report.ndjson');
      const r = await runCli(['verify', ...cosmosSide('left', source), ...cosmosSide('right', t3), '--layout', layoutFile, '--collections', 'threads', '--report', report, '--max-listed', '1', '--json']);
      expect(r.code).to.equal(5);
      const [threads] = JSON.parse(r.stdout).collections;
      expect(threads).to.include({ leftCount: 40, rightCount: 39, missingTotal: 2, extraTotal: 1, differingTotal: 1, equal: false });
      expect(threads.missing).to.have.length(1);
      expect(docs.slice(0, 2).map((d) => d.id)).to.include(threads.missing[0]);
      expect(threads.extra).to.deep.equal(['stray-thread']);
      expect(threads.differing).to.deep.equal([docs[2]!.id]);
      const lines = (await readFile(report, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[0]).to.include({ type: 'verify', mode: 'json' });
      expect(lines.filter((l) => l.type === 'missing').map((l) => l.id).sort()).to.deep.equal(docs.slice(0, 2).map((d) => d.id).sort());
      expect(lines.filter((l) => l.type === 'extra').map((l) => l.id)).to.deep.equal(['stray-thread']);
      expect(lines.at(-1)).to.deep.equal({ type: 'summary', equal: false, collections: 1 });

      const table = await runCli(['verify', ...cosmosSide('left', source), ...cosmosSide('right', t3), '--layout', layoutFile, '--collections', 'threads']);
      expect(table.code).to.equal(5);
      expect(table.stdout).to.include('2 missing on the right');
      expect(table.stdout).to.include('1 extra on the right (stray-thread)');
      expect(table.stdout).to.include('DIFFERENCES FOUND in 1 of 1 collections');
    } finally {
      await t3.stop();
    }
  });

  it('reads a container that does not exist on the right as empty: its documents are missing, not a crash', async () => {
    const empty = await startCosmosTestServer();
    try {
      const summary = await runVerify({
        left: { type: 'dir', path: exportDir },
        right: { type: 'cosmos', connection: { endpoint: empty.endpoint, key: empty.key } },
        layout: { layout: testLayout(source), source: 'test' },
        collections: ['archives'],
      });
      expect(summary.exitCode).to.equal(5);
      expect(summary.collections[0]).to.include({ leftCount: 30, rightCount: 0, missingTotal: 30, absentOn: 'right' });
      // The 404 is no problem of its own: the missing documents are the difference.
      expect(summary.collections[0]!.problems).to.deep.equal([]);
    } finally {
      await empty.stop();
    }
  });

  it('sees a changed value that keeps the document count: digests, not only counts', async () => {
    const container = cosmosClient(target).database(db).container('archives');
    const { resources } = await container.items.query('SELECT * FROM c').fetchAll();
    const victim = resources[5]!;
    await container.items.upsert({ ...victim, file_size_bytes: (victim.file_size_bytes as number) + 1 });
    try {
      const r = await runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, ...cosmosSide('right', target), '--layout', layoutFile, '--collections', 'archives', '--json']);
      expect(r.code).to.equal(5);
      expect(JSON.parse(r.stdout).collections[0]).to.include({ leftCount: 30, rightCount: 30, differingTotal: 1 });
    } finally {
      await container.items.upsert(victim);
    }
  });

  it('refuses an unknown collection name and a side without its flags, with exit 2', async () => {
    const unknown = await runCli(['verify', '--left-type', 'dir', '--left-dir', exportDir, ...cosmosSide('right', target), '--layout', layoutFile, '--collections', 'threads,thraeds']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('Unknown collection in --collections: thraeds');
    const noDir = await runCli(['verify', '--left-type', 'dir', ...cosmosSide('right', target), '--layout', layoutFile]);
    expect(noDir.code).to.equal(2);
    expect(noDir.stderr).to.include('--left-type dir needs --left-dir');
    const badType = await runCli(['verify', '--left-type', 'postgres', ...cosmosSide('right', target)]);
    expect(badType.code).to.equal(2);
    expect(badType.stderr).to.include('--left-type must be cosmos, mongodb or dir');
  });
});
