import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raiseThroughput, restoreThroughput, type ThroughputProgress, type ThroughputTarget } from '../../src/azure/throughput/index.js';
import { parseRaiseFlags, runThroughputRaise } from '../../src/cli/commands/throughput.js';
import { makeThroughputWindowProvider } from '../../src/pulumi/throughput-provider.js';
import { FakeThroughputClient, recordingSleep } from '../pulumi/support/fake-throughput-client.js';

const target: ThroughputTarget = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };

/** A manual offer at 400 RU/s whose raise above 10,000 RU/s stays pending for `reads` reads. */
function asyncOffer(reads: number): FakeThroughputClient {
  return new FakeThroughputClient().set(target, { mode: 'manual', value: 400 }, { asyncAbove: 10_000, pendingReads: reads, instantMaximumThroughput: 10_000 });
}

describe('throughput raise: progress while an asynchronous scale-up is applied', () => {
  it('onProgress is told each read while the offer is pending, then applied; the result has the new value', async () => {
    const fake = asyncOffer(3);
    const told: ThroughputProgress[] = [];
    const { sleep, waits } = recordingSleep();
    const r = await raiseThroughput(fake, target, { mode: 'manual', value: 20_000 }, {
      acknowledgeFloorIncrease: true,
      onProgress: (p) => told.push(p),
      waitForScaleUp: { timeoutMs: 3_600_000, pollMs: 1000, sleep },
    });
    expect(told.map((p) => [p.phase, p.polls])).to.deep.equal([
      ['pending', 0],
      ['pending', 1],
      ['pending', 2],
      ['pending', 3],
      ['applied', 4],
    ]);
    expect(told[1]!.current).to.deep.equal({ mode: 'manual', value: 400 });
    expect(told[1]!.message).to.match(/acct\/copilot\/messages: the scale-up to 20000 RU\/s \(manual\) is still being applied \(offerReplacePending/);
    expect(waits).to.deep.equal([1000, 1000, 1000, 1000]);
    expect(r.scaleUp).to.equal('applied');
    expect(r.after?.settings).to.deep.equal({ mode: 'manual', value: 20_000 });
    expect(r.after?.offerReplacePending).to.not.equal(true);
  });

  it('a wait that ends first says the scale-up is still pending and does not fail: the restore then refuses until it is done', async () => {
    const fake = asyncOffer(100);
    let clock = 0;
    const told: ThroughputProgress[] = [];
    const warnings: string[] = [];
    const r = await raiseThroughput(fake, target, { mode: 'manual', value: 20_000 }, {
      acknowledgeFloorIncrease: true,
      onProgress: (p) => told.push(p),
      log: { warn: (m) => warnings.push(m) },
      waitForScaleUp: { timeoutMs: 5000, pollMs: 2000, now: () => clock, sleep: async (ms) => void (clock += ms) },
    });
    expect(r.scaleUp).to.equal('pending');
    expect(told.at(-1)!.phase).to.equal('still-pending');
    expect(told.filter((p) => p.phase === 'pending').map((p) => p.elapsedMs)).to.deep.equal([0, 2000, 4000, 5000]);
    expect(warnings.join('\n')).to.match(/stopped waiting after 5s; the scale-up .* is still being applied/);
    const err = await restoreThroughput(fake, r.state, { retry: { sleep: async () => {} } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/still being applied/);
  });

  it('without a wait the raise returns at once and says the scale-up goes on asynchronously', async () => {
    const fake = asyncOffer(3);
    const told: ThroughputProgress[] = [];
    const infos: string[] = [];
    const r = await raiseThroughput(fake, target, { mode: 'manual', value: 20_000 }, { acknowledgeFloorIncrease: true, onProgress: (p) => told.push(p), log: { info: (m) => infos.push(m) } });
    expect(r.scaleUp).to.equal('pending');
    expect(told.map((p) => p.phase)).to.deep.equal(['still-pending']);
    expect(infos.join('\n')).to.include('being applied asynchronously (offerReplacePending)');
    expect(fake.calls.filter((c) => c.op === 'read')).to.have.length(1);
  });

  it('an instant raise tells nothing and reads nothing more', async () => {
    const fake = asyncOffer(3);
    const told: ThroughputProgress[] = [];
    const r = await raiseThroughput(fake, target, { mode: 'manual', value: 5000 }, { onProgress: (p) => told.push(p), waitForScaleUp: { timeoutMs: 60_000, sleep: async () => {} } });
    expect(r.scaleUp).to.equal(undefined);
    expect(told).to.deep.equal([]);
  });

  it('docferry throughput raise --wait-for-scale-up prints a line per read of the pending offer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docferry-throughput-progress-'));
    try {
      const fake = asyncOffer(2);
      const logs: string[] = [];
      const opts = parseRaiseFlags({
        subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages',
        to: '20000', acknowledgeFloor: true, stateFile: join(dir, 'w.json'), waitForScaleUp: '2h', progressInterval: '10s',
      });
      expect(opts.waitForScaleUpMs).to.equal(7_200_000);
      expect(opts.progressIntervalMs).to.equal(10_000);
      const { sleep, waits } = recordingSleep();
      const r = await runThroughputRaise(opts, { out: { log: (l) => logs.push(l), result: () => {} }, createClient: () => fake, retry: { sleep } });
      expect(r.scaleUp).to.equal('applied');
      expect(waits).to.deep.equal([10_000, 10_000, 10_000]);
      expect(logs.filter((l) => l.includes('is still being applied'))).to.have.length(3);
      expect(logs.some((l) => l.includes('the scale-up to 20000 RU/s (manual) is applied'))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Pulumi window provider logs each read while it waits (pulumi up is not silent)', async () => {
    const fake = asyncOffer(2);
    const lines: string[] = [];
    const provider = makeThroughputWindowProvider(async () => fake, { retry: { sleep: async () => {} }, log: (m) => lines.push(m), progressIntervalMs: 1000 });
    const created = await provider.create!({
      subscriptionId: 'sub-1', resourceGroupName: 'rg', accountName: 'acct', databaseName: 'copilot', containerName: 'messages',
      mode: 'manual', value: 20_000, acknowledgeFloorIncrease: true, waitForScaleUpSeconds: 3600,
    });
    expect(created.outs.raisedTo).to.deep.equal({ mode: 'manual', value: 20_000 });
    expect(lines.filter((l) => l.includes('is still being applied'))).to.have.length(3);
    expect(lines.at(-1)).to.match(/is applied \(after/);
    expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 20_000 });
  });
});
