import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { clearSecrets } from '../../src/core/secrets.js';
import { newRecord, renew, type BudgetRecord } from '../../src/core/shard-budget.js';
import { openBlobBudgetRecord } from '../../src/stores/blob/budget-record.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { DEV_ACCOUNT_KEY, startBlobTestServer, type BlobTestServer, type TestContainer } from '../support/azurite.js';
import { runCli, spawnCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { withRuTarget, writeCharge, type RuProxy } from '../support/ru-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * One RU budget shared by the shards of a run through a budget record in Blob Storage (Azurite),
 * instead of a fixed 1/N each (docs/sharding.md, "One RU budget"). The RU-charging proxy in front
 * of cosmosdb-server measures what the shards consumed together.
 */
describe('shard budget record: N shards share one RU budget through a blob', function () {
  this.timeout(240_000);
  const CHUNKS = 600;
  let blob: BlobTestServer;
  let container: TestContainer;
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let chunkRu: number;

  before(async () => {
    blob = await startBlobTestServer();
    container = await blob.createContainer();
    source = await startCosmosTestServer();
    const docs = [...generateDocuments('chunks', CHUNKS, { seed: 17 })];
    chunkRu = docs.reduce((sum, d) => sum + writeCharge(d), 0);
    await seedCosmos(source, `copilot${source.suffix}`, 'chunks', docs);
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'chunks']);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await source?.stop();
    await blob?.stop();
    await removeTempDirs();
    clearSecrets();
  });

  const withTarget = (run: (proxy: RuProxy, target: CosmosTestServer) => Promise<void>) => withRuTarget({ throughput: 100_000 }, run);

  const importShard = (proxy: RuProxy, shard: string, extra: string[], spawn = false) =>
    (spawn ? spawnCli : runCli)([
      'import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', source.key, '--layout', layoutFile,
      '--export-dir', exportDir, '--collections', 'chunks', '--shard', shard, '--max-ru', String(BUDGET), ...extra,
    ]);
  const BUDGET = 1500;
  /** RU/s over the span the proxy saw charges in (a process starts up before it sends anything). */
  const spanRate = (proxy: RuProxy) => proxy.stats.totalCharge / ((proxy.stats.lastChargeMs! - proxy.stats.firstChargeMs!) / 1000);
  const recordArgs = (name: string) => ['--shard-budget', `${container.url}/${name}.json`, '--shard-budget-connection-string', blob.connectionString, '--shard-budget-period', '500ms'];
  const readRecord = async (name: string) => JSON.parse((await container.client.getBlobClient(`${name}.json`).downloadToBuffer()).toString('utf8')) as BudgetRecord;

  it('a shard whose partner never starts takes the whole budget once the partner\'s reservation ends (a fixed 1/N would keep half)', async () => {
    let fixed = 0;
    await withTarget(async (proxy) => {
      const r = await importShard(proxy, '1/2', []);
      expect(r.code, r.stderr).to.equal(0);
      fixed = spanRate(proxy);
      expect(fixed).to.be.at.most((BUDGET / 2) * 1.25);
    });
    await withTarget(async (proxy, target) => {
      const r = await importShard(proxy, '1/2', recordArgs('alone'));
      expect(r.code, r.stderr).to.equal(0);
      const shared = spanRate(proxy);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.have.length(CHUNKS / 2);
      expect(r.stderr).to.match(/shard 1\/2: takes 50 % of the request-unit budget from the shared record/);
      expect(r.stderr).to.match(/shard 1\/2: request-unit budget share now 100 % \(1 shards counted\)/);
      // Most of the run at the whole budget: well above the fixed half, never above the whole.
      expect(shared, `fixed 1/2: ${Math.round(fixed)} RU/s`).to.be.above(fixed * 1.3);
      expect(shared).to.be.at.most(BUDGET * 1.25);
      const record = await readRecord('alone');
      expect(record.done).to.deep.equal([1]);
      expect(record.leases).to.deep.equal({});
      expect(r.stderr).not.to.include(DEV_ACCOUNT_KEY);
    });
  });

  it('two shards running at once stay within the one budget together, and each gives its share back', async () => {
    await withTarget(async (proxy, target) => {
      const [one, two] = await Promise.all([importShard(proxy, '1/2', recordArgs('pair'), true), importShard(proxy, '2/2', recordArgs('pair'), true)]);
      expect(one.code, one.stderr).to.equal(0);
      expect(two.code, two.stderr).to.equal(0);
      expect(await readAllCosmos(target, `copilot${source.suffix}`, 'chunks')).to.have.length(CHUNKS);
      expect(proxy.stats.totalCharge).to.be.at.least(chunkRu * 0.99);
      // Together within the budget (the bucket starts full: a little over it in a short run).
      expect(spanRate(proxy)).to.be.at.most(BUDGET * 1.25);
      // And not held far below it: the pair used most of it.
      expect(spanRate(proxy)).to.be.at.least(BUDGET * 0.5);
      const record = await readRecord('pair');
      expect(record.done).to.deep.equal([1, 2]);
      expect(record.leases).to.deep.equal({});
      for (const r of [one, two]) expect(r.stderr + r.stdout).not.to.include(DEV_ACCOUNT_KEY);
    });
  });

  it('keeps the record consistent when many shards renew at once (conditional writes: no lease is lost)', async () => {
    const record = await openBlobBudgetRecord({ url: `${container.url}/race.json`, connectionString: blob.connectionString });
    const timing = { periodMs: 60_000 };
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map((me) => record.update((current, now) => renew((current as BudgetRecord | undefined) ?? newRecord(6, now), me, now, timing).record)),
    );
    const stored = await readRecord('race');
    expect(Object.keys(stored.leases).sort()).to.deep.equal(['1', '2', '3', '4', '5', '6']);
    expect(Object.values(stored.leases).reduce((a, l) => a + l.share, 0)).to.be.at.most(1 + 1e-9);
  });

  it('refuses, by name, a record of another run and a container that does not exist', async () => {
    await container.client.getBlockBlobClient('other-run.json').upload(JSON.stringify(newRecord(3, Date.now())), 100);
    await withTarget(async (proxy) => {
      const r = await importShard(proxy, '1/2', recordArgs('other-run'));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/other-run\.json is the budget record of a run of 3 shards, and this run has 2/);
      const missing = await importShard(proxy, '1/2', ['--shard-budget', `${blob.blobEndpoint}/no-such-container-x/r.json`, '--shard-budget-connection-string', blob.connectionString]);
      expect(missing.code).to.not.equal(0);
      expect(missing.stderr).to.match(/container of the shard budget record .*no-such-container-x\/r\.json does not exist/);
      expect(missing.stderr).not.to.include(DEV_ACCOUNT_KEY);
    });
  });

  it('refuses --shard-budget without --shard', async () => {
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--export-dir', exportDir, '--shard-budget', `${container.url}/x.json`]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--shard-budget shares one budget among the shards of a run: pass --shard I\/N/);
  });
});
