import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli, spawnCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

describe('--shard I/N on a Cosmos DB source (cosmosdb-server)', function () {
  this.timeout(180_000);
  let server: CosmosTestServer;
  let work: string;
  let layout: string;
  let db: string;

  before(async () => {
    server = await startCosmosTestServer();
    db = `copilot${server.suffix}`;
    await seedCosmos(server, db, 'threads', generateDocuments('threads', 120, { seed: 3 }));
    await seedCosmos(server, db, 'archives', generateDocuments('archives', 30, { seed: 3 }));
    work = await tempDir('docferry-shard-cosmos-');
    layout = join(work, 'layout.json');
    await writeFile(layout, JSON.stringify(testLayout(server)));
  });

  after(async () => {
    await server?.stop();
    await removeTempDirs();
  });

  const exportArgs = (dir: string, ...extra: string[]) => ['export', '--source-type', 'cosmos', '--cosmos-endpoint', server.endpoint, '--cosmos-key', server.key, '--layout', layout, '--collections', 'threads,archives', '--output-dir', dir, '--quiet', ...extra];

  it('the emulator reports one feed range per container; the plan records it', async () => {
    const ranges = await cosmosClient(server).database(db).container('threads').getFeedRanges();
    expect(ranges).to.have.length(1);
    const dir = join(work, 'one');
    const r = await runCli(exportArgs(dir, '--shard', '1/1'));
    expect(r.code, r.stderr).to.equal(0);
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.shard!.plan[`${db}.threads`]).to.deep.equal({ kind: 'cosmos-feed-range', ranges: [{ min: ranges[0]!.minInclusive, max: ranges[0]!.maxExclusive }], units: 1, unit: 'feed range', assign: [1] });
    expect(m.document_counts).to.deep.equal({ [`${db}.threads`]: 120, [`${db}.archives`]: 30 });
  });

  it('more shards than the containers have feed ranges together: refused, saying how many shards can work', async () => {
    const r = await runCli(exportArgs(join(work, 'three'), '--shard', '3/3'));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('at most 2 shards can work on this run: its collections have 2 feed ranges together').and.include(`${db}.threads 1 feed range`).and.include('--shard I/2');
  });

  it('2 shards as 2 processes take one container each; merged, they verify equal to the source', async () => {
    const dirs = [1, 2].map((i) => join(work, `two-${i}`));
    const runs = await Promise.all(dirs.map((d, i) => spawnCli(exportArgs(d, '--shard', `${i + 1}/2`), {})));
    for (const r of runs) expect(r.code, r.stderr).to.equal(0);
    const counts = await Promise.all(dirs.map(async (d) => (JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as Manifest).document_counts));
    // Each container is one unit: one shard reads all of it, the other none.
    for (const key of [`${db}.threads`, `${db}.archives`]) expect(counts.map((c) => c[key]).sort()).to.deep.equal(key.endsWith('threads') ? [0, 120] : [0, 30]);
    expect(counts.map((c) => Object.values(c).reduce((a, b) => a + b, 0)).every((n) => n > 0), 'both shards work').to.equal(true);
    const merged = join(work, 'two-merged');
    const merge = await runCli(['manifest', 'merge', ...dirs, '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    const verify = await runCli(['verify', '--left-type', 'cosmos', '--left-cosmos-endpoint', server.endpoint, '--left-cosmos-key', server.key, '--right-type', 'dir', '--right-dir', merged, '--layout', layout, '--collections', 'threads,archives', '--quiet']);
    expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
  });

  it('1 shard as a process, merged, verifies equal to the source', async () => {
    const dir = join(work, 'proc');
    const r = await spawnCli(exportArgs(dir, '--shard', '1/1'), {});
    expect(r.code, r.stderr).to.equal(0);
    const merged = join(work, 'proc-merged');
    const merge = await runCli(['manifest', 'merge', dir, '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    const verify = await runCli(['verify', '--left-type', 'cosmos', '--left-cosmos-endpoint', server.endpoint, '--left-cosmos-key', server.key, '--right-type', 'dir', '--right-dir', merged, '--layout', layout, '--collections', 'threads,archives', '--quiet']);
    expect(verify.code, verify.stderr + verify.stdout).to.equal(0);
  });
});
