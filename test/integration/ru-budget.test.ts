import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startRuProxy, withRuTarget, writeCharge, type RuProxy } from '../support/ru-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * The RU controller through a proxy that charges and throttles like a provisioned container.
 * Bounds are generous on purpose: they check that consumption is steered towards the budget and
 * throttling stays rare, not how fast this machine is (the benchmark measures that).
 */
describe('Cosmos DB RU budget through an RU-charging, throttling proxy', function () {
  this.timeout(180_000);
  const CHUNKS = 700;
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let chunkRu: number;

  before(async () => {
    source = await startCosmosTestServer();
    const db = `copilot${source.suffix}`;
    const docs = [...generateDocuments('chunks', CHUNKS, { seed: 11 })];
    chunkRu = docs.reduce((sum, d) => sum + writeCharge(d), 0);
    await seedCosmos(source, db, 'chunks', docs);
    await seedCosmos(source, db, 'threads', generateDocuments('threads', 200, { seed: 11 }));
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'chunks,threads']);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  async function importThrough(proxy: RuProxy, extra: string[], collections = 'chunks') {
    const started = proxy.elapsed();
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--export-dir', exportDir, '--collections', collections, ...extra]);
    const seconds = (proxy.elapsed() - started) / 1000;
    return { ...r, seconds, ruPerSecond: proxy.stats.totalCharge / seconds };
  }


  it('keeps consumption near --max-ru when that is what the container has, with few throttled requests', async () => {
    await withRuTarget({ throughput: 2500 }, async (proxy, target) => {
      const r = await importThrough(proxy, ['--max-ru', '2500']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.have.length(CHUNKS);
      expect(proxy.stats.totalCharge).to.be.at.least(chunkRu * 0.99);
      // The run takes about chunkRu / 2500 seconds; unthrottled it would take well under one.
      expect(r.ruPerSecond).to.be.within(2500 * 0.5, 2500 * 1.25);
      expect(proxy.stats.throttledOperations / proxy.stats.operations).to.be.at.most(0.05);
      expect(r.stderr).to.match(/copilot\S*\.chunks: done: .* RU\/s of a 2500 RU\/s budget/);
    });
  });

  it('backs off on 429 when --max-ru is far above what the container has, and still writes every document', async () => {
    await withRuTarget({ throughput: 1500 }, async (proxy, target) => {
      const r = await importThrough(proxy, ['--max-ru', '20000']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.have.length(CHUNKS);
      expect(proxy.stats.throttledOperations, 'the proxy did throttle').to.be.above(0);
      expect(r.ruPerSecond).to.be.at.most(1500 * 1.3);
      // A retry storm would throttle most operations; steering keeps it to a small share.
      expect(proxy.stats.throttledOperations / proxy.stats.operations).to.be.at.most(0.3);
    });
  });

  it('--ru-share takes its share of the container\'s provisioned throughput, read from the offer', async () => {
    await withRuTarget({ throughput: 5000, serveOffers: true }, async (proxy) => {
      const r = await importThrough(proxy, ['--ru-share', '40%']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.ruPerSecond).to.be.within(2000 * 0.5, 2000 * 1.25);
      expect(proxy.stats.throttledOperations).to.equal(0);
      expect(r.stderr).to.include('of a 2000 RU/s budget');
    });
  });

  it('without a budget, keeps to the container\'s provisioned throughput when the offer can be read: no 429 at all', async () => {
    await withRuTarget({ throughput: 2500, serveOffers: true }, async (proxy) => {
      const r = await importThrough(proxy, []);
      expect(r.code, r.stderr).to.equal(0);
      expect(proxy.stats.throttledOperations).to.equal(0);
      expect(r.ruPerSecond).to.be.within(2500 * 0.5, 2500 * 1.25);
      expect(r.stderr).to.include('of a 2500 RU/s budget');
    });
  });

  it('--ru-share fails clearly, before writing anything, where the throughput cannot be read', async () => {
    await withRuTarget({ throughput: 5000 }, async (proxy, target) => {
      const r = await importThrough(proxy, ['--ru-share', '0.5']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('--ru-share needs the provisioned throughput of');
      expect(r.stderr).to.include('Pass --max-ru');
      expect(proxy.stats.operations).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.deep.equal([]);
    });
  });

  it('--priority low sends x-ms-cosmos-priority-level: Low on every data request, writes and reads', async () => {
    await withRuTarget({}, async (proxy) => {
      const r = await importThrough(proxy, ['--priority', 'low'], 'threads');
      expect(r.code, r.stderr).to.equal(0);
      expect(proxy.stats.requests).to.be.above(0);
      expect(proxy.stats.priorities).to.deep.equal({ Low: proxy.stats.requests });
      proxy.reset();
      const out = join(work, 'low-priority-export');
      const e = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', out, '--collections', 'threads', '--priority', 'low']);
      expect(e.code, e.stderr).to.equal(0);
      expect(proxy.stats.requests).to.be.above(0);
      expect(proxy.stats.priorities).to.deep.equal({ Low: proxy.stats.requests });
    });
  });

  it('keeps an export under --max-ru too, reading page by page within the budget', async () => {
    const proxy = await startRuProxy(source.endpoint, {});
    try {
      const out = join(work, 'budgeted-export');
      const started = proxy.elapsed();
      const e = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', out, '--collections', 'chunks', '--max-ru', '400']);
      expect(e.code, e.stderr).to.equal(0);
      const seconds = (proxy.elapsed() - started) / 1000;
      // About 2 MB of chunks at 1 RU per KB is some 2,000 RU: about five seconds at 400 RU/s.
      expect(proxy.stats.totalCharge).to.be.above(1500);
      expect(proxy.stats.totalCharge / seconds).to.be.at.most(400 * 1.6);
      expect(e.stderr).to.match(/copilot\S*\.chunks: done: .* RU\/s of a 400 RU\/s budget/);
    } finally {
      await proxy.stop();
    }
  });

  it('keeps a verify within --right-max-ru and sends --right-priority (verify used to drop both)', async () => {
    const proxy = await startRuProxy(source.endpoint, {});
    try {
      const started = proxy.elapsed();
      const v = await runCli([
        'verify', '--left-type', 'dir', '--left-dir', exportDir,
        '--right-type', 'cosmos', '--right-cosmos-endpoint', proxy.endpoint, '--right-cosmos-key', source.key,
        '--layout', layoutFile, '--collections', 'chunks', '--right-max-ru', '400', '--right-priority', 'low',
      ]);
      expect(v.code, v.stderr).to.equal(0);
      const seconds = (proxy.elapsed() - started) / 1000;
      // The same 2,000 RU or so as the budgeted export: unthrottled it reads them in well under a second.
      expect(proxy.stats.totalCharge).to.be.above(1500);
      expect(proxy.stats.totalCharge / seconds).to.be.at.most(400 * 1.6);
      expect(proxy.stats.priorities).to.deep.equal({ Low: proxy.stats.requests });
    } finally {
      await proxy.stop();
    }
  });

  it('migrate names its own flags when --to-ru-share cannot read the throughput: --to-ru-share, --to-max-ru', async () => {
    await withRuTarget({ throughput: 2500 }, async (proxy, target) => {
      const r = await runCli([
        'migrate', '--from', 'cosmos', '--to', 'cosmos',
        '--from-cosmos-endpoint', source.endpoint, '--from-cosmos-key', source.key,
        '--to-cosmos-endpoint', proxy.endpoint, '--to-cosmos-key', source.key,
        '--layout', layoutFile, '--collections', 'chunks', '--to-ru-share', '0.5',
      ]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('--to-ru-share needs the provisioned throughput of').and.to.include('Pass --to-max-ru <RU/s>');
      expect(r.stderr).not.to.match(/(^|[^-])--ru-share|(^|[^-])--max-ru/);
      expect(proxy.stats.operations).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.deep.equal([]);
    });
  });

  it('migrate takes the budget and priority of each side: --to-max-ru, --to-priority', async () => {
    await withRuTarget({ throughput: 2500 }, async (proxy, target) => {
      const started = proxy.elapsed();
      const r = await runCli([
        'migrate', '--from', 'cosmos', '--to', 'cosmos',
        '--from-cosmos-endpoint', source.endpoint, '--from-cosmos-key', source.key,
        '--to-cosmos-endpoint', proxy.endpoint, '--to-cosmos-key', source.key,
        '--layout', layoutFile, '--collections', 'chunks', '--to-max-ru', '1500', '--to-priority', 'low',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.have.length(CHUNKS);
      expect(proxy.stats.priorities).to.deep.equal({ Low: proxy.stats.requests });
      expect(proxy.stats.totalCharge / ((proxy.elapsed() - started) / 1000)).to.be.within(1500 * 0.5, 1500 * 1.25);
      expect(proxy.stats.throttledOperations).to.equal(0);
    });
  });

  it('refuses budgets that make no sense', async () => {
    const a = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--export-dir', exportDir, '--max-ru', '0']);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.include('--max-ru takes a positive number');
    const b = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--export-dir', exportDir, '--ru-share', '150%']);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.include('--ru-share takes a share between 0 and 1');
  });
});
