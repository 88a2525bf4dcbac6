import { expect } from 'chai';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { armError, FakeThroughputClient, recordingSleep } from './support/fake-throughput-client.js';
import { installMocks, ofType, resetRecorded, settled, valueOf } from './support/mocks.js';

type ProviderModule = typeof import('../../src/pulumi/throughput-provider.js');
type ProgramModule = typeof import('../../src/pulumi/throughput.js');
type ConfigModule = typeof import('../../pulumi/throughput/config.js');
type WindowModule = typeof import('../../src/azure/throughput/window.js');
type Inputs = import('../../src/pulumi/throughput-provider.js').WindowInputs;
type Outputs = import('../../src/pulumi/throughput-provider.js').WindowOutputs;

const inputs: Inputs = { subscriptionId: 'sub-1', resourceGroupName: 'rg', accountName: 'acct', databaseName: 'copilot', containerName: 'messages', mode: 'manual', value: 10_000 };
const target = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('pulumi/throughput', function () {
  this.timeout(60_000);
  let prov: ProviderModule;
  let program: ProgramModule;
  let cfg: ConfigModule;
  let windowModule: WindowModule;
  let fake: FakeThroughputClient;
  let factoryCalls: string[];

  before(async () => {
    await installMocks();
    prov = await import('../../src/pulumi/throughput-provider.js');
    program = await import('../../src/pulumi/throughput.js');
    cfg = await import('../../pulumi/throughput/config.js');
    windowModule = await import('../../src/azure/throughput/window.js');
  });
  beforeEach(() => {
    resetRecorded();
    fake = new FakeThroughputClient().set(target, { mode: 'manual', value: 400 });
    factoryCalls = [];
  });

  const provider = () =>
    prov.makeThroughputWindowProvider(async (sub) => {
      factoryCalls.push(sub);
      return fake;
    }, { retry: { sleep: async () => {} } });

  describe('the dynamic provider (called directly, fake client injected)', () => {
    it('create raises like raiseThroughput and delete restores like restoreThroughput', async () => {
      const p = provider();
      const created = await p.create(inputs);
      expect(created.id).to.equal('/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/acct/sqlDatabases/copilot/containers/messages/throughputSettings/default');
      const outs = created.outs as Outputs;
      expect(outs.before).to.deep.equal({ mode: 'manual', value: 400 });
      expect(outs.raisedTo).to.deep.equal({ mode: 'manual', value: 10_000 });
      expect(outs.newFloor).to.equal(400);
      expect(outs.restorable).to.equal(true);
      expect(outs.instantScaleLimit).to.equal(10_000);
      expect(outs.exceedsInstantLimit).to.equal(false);
      expect(fake.current(target)!.value).to.equal(10_000);

      // The same calls, in the same order, as the shared function makes on its own.
      const viaProvider = fake.calls.map((c) => c.op);
      const twin = new FakeThroughputClient().set(target, { mode: 'manual', value: 400 });
      await windowModule.raiseThroughput(twin, target, { mode: 'manual', value: 10_000 });
      expect(viaProvider).to.deep.equal(twin.calls.map((c) => c.op));

      await p.delete!(created.id, outs);
      expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 400 });
      expect(factoryCalls).to.deep.equal(['sub-1', 'sub-1']);
    });

    it('create refuses an unrestorable raise without acknowledgement, with the shared message', async () => {
      const err = await rejection(provider().create({ ...inputs, value: 100_000 }));
      expect(err.name).to.equal('ThroughputRefusedError');
      expect(err.message).to.match(/floor to 1000 RU\/s/);
      expect(fake.updates).to.have.length(0);
      const ok = await provider().create({ ...inputs, value: 100_000, acknowledgeFloorIncrease: true });
      expect((ok.outs as Outputs).restorable).to.equal(false);
      expect((ok.outs as Outputs).warnings.join('\n')).to.match(/acknowledged/);
    });

    it('update raises further but keeps the value read before the first raise', async () => {
      const p = provider();
      const created = await p.create(inputs);
      const updated = await p.update!(created.id, created.outs as Outputs, { ...inputs, value: 30_000 });
      expect((updated.outs as Outputs).before).to.deep.equal({ mode: 'manual', value: 400 });
      expect(fake.current(target)!.value).to.equal(30_000);
      await p.delete!(created.id, updated.outs as Outputs);
      expect(fake.current(target)!.value).to.equal(400);
    });

    it('a create whose raise failed after taking effect restores at once (no resource would be left to destroy)', async () => {
      fake.updateFailures.push({ error: armError(400, 'lost the operation'), applied: true });
      const err = await rejection(provider().create(inputs));
      expect(err.message).to.match(/restored to what was read before/);
      expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 400 });
      expect(fake.updates).to.deep.equal([{ mode: 'manual', value: 10_000 }, { mode: 'manual', value: 400 }]);
    });

    it('delete keeps retrying a throttled restore', async () => {
      const { sleep, waits } = recordingSleep();
      const p = prov.makeThroughputWindowProvider(async () => fake, { retry: { sleep } });
      const created = await p.create(inputs);
      for (let i = 0; i < 10; i++) fake.updateFailures.push({ error: armError(429, 'TooManyRequests', { 'retry-after': '60' }) });
      await p.delete!(created.id, created.outs as Outputs);
      expect(fake.current(target)!.value).to.equal(400);
      expect(waits).to.have.length(10);
      expect(waits.every((w) => w >= 60_000)).to.equal(true);
    });

    it('works on database-level throughput, autoscale', async () => {
      const db = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot' };
      fake.set(db, { mode: 'autoscale', value: 4_000 });
      const p = provider();
      const { containerName: _omit, ...dbInputs } = inputs;
      const created = await p.create({ ...dbInputs, mode: 'autoscale', value: 40_000 });
      expect(created.id).to.not.include('/containers/');
      expect(fake.current(db)).to.deep.equal({ mode: 'autoscale', value: 40_000 });
      expect(fake.current(target)!.value).to.equal(400);
      await p.delete!(created.id, created.outs as Outputs);
      expect(fake.current(db)).to.deep.equal({ mode: 'autoscale', value: 4_000 });
    });

    it('check flags bad values; diff replaces on another target and updates on another value', async () => {
      const p = provider();
      const checked = await p.check!({}, { ...inputs, value: 450 });
      expect(checked.failures!.map((f) => f.property)).to.deep.equal(['value']);
      expect((await p.check!({}, inputs)).failures).to.deep.equal([]);
      const outs = (await p.create(inputs)).outs as Outputs;
      expect(await p.diff!('id', outs, { ...inputs })).to.deep.include({ changes: false, replaces: [] });
      expect(await p.diff!('id', outs, { ...inputs, value: 20_000 })).to.deep.include({ changes: true, replaces: [] });
      const moved = await p.diff!('id', outs, { ...inputs, containerName: 'threads' });
      expect(moved).to.deep.include({ changes: true, replaces: ['containerName'], deleteBeforeReplace: true });
    });
  });

  describe('the program', () => {
    it('registers one window per target with its inputs, and a serialized provider', async () => {
      const r = new program.MigrationThroughputWindow('throughput', {
        subscriptionId: 'sub-1',
        resourceGroupName: 'rg',
        accountName: 'acct',
        windows: [
          { database: 'copilot', container: 'messages', throughput: 20_000 },
          { database: 'copilot', container: 'chunks', autoscaleMax: 40_000, storageGb: 120 },
          { database: 'auth', throughput: 4_000 },
        ],
        acknowledgeFloorIncrease: true,
      });
      await settled(r.windows);
      const ws = ofType('pulumi-nodejs:dynamic/docferry:ThroughputWindow');
      expect(ws.map((w) => w.name)).to.deep.equal(['throughput-window-copilot-messages', 'throughput-window-copilot-chunks', 'throughput-window-auth']);
      expect(ws[0]!.inputs).to.deep.include({ subscriptionId: 'sub-1', resourceGroupName: 'rg', accountName: 'acct', databaseName: 'copilot', containerName: 'messages', mode: 'manual', value: 20_000, acknowledgeFloorIncrease: true, allowDecrease: false });
      expect(ws[1]!.inputs).to.deep.include({ containerName: 'chunks', mode: 'autoscale', value: 40_000, storageGb: 120 });
      expect(ws[2]!.inputs.containerName).to.equal(undefined);
      expect(ws[2]!.inputs).to.deep.include({ databaseName: 'auth', mode: 'manual', value: 4_000 });
      for (const w of ws) {
        expect(w.inputs.__provider).to.be.a('string');
        expect(w.inputs.__provider).to.include('exports.handler');
      }
      // Mocks echo inputs as state, so the summary shows what was asked for.
      const summary = await valueOf(r.summary);
      expect(summary).to.have.length(3);
    });

    it('refuses a window with both or neither value, a bad value, or twice the same target', () => {
      const base = { subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a' };
      expect(() => new program.MigrationThroughputWindow('throughput', { ...base, windows: [{ database: 'd', container: 'c' }] })).to.throw(/exactly one of throughput/);
      expect(() => new program.MigrationThroughputWindow('throughput', { ...base, windows: [{ database: 'd', throughput: 1000, autoscaleMax: 4000 }] })).to.throw(/exactly one/);
      expect(() => new program.MigrationThroughputWindow('throughput', { ...base, windows: [{ database: 'd', autoscaleMax: 4500 }] })).to.throw(/multiple of 1000/);
      expect(() => new program.MigrationThroughputWindow('throughput', { ...base, windows: [{ database: 'd', throughput: 1000 }, { database: 'd', throughput: 2000 }] })).to.throw(/same target/);
      expect(() => new program.MigrationThroughputWindow('throughput', { ...base, windows: [] })).to.throw(/No window/);
    });

    it('the real provider survives Pulumi serialization and runs in a CommonJS host like the dynamic-provider plugin', async () => {
      // Serialize the default provider (the one `pulumi up` ships) and load it the way
      // @pulumi/pulumi/cmd/dynamic-provider does (require-from-string). Only check/diff run:
      // they touch no network.
      const sf = await pulumi.runtime.serializeFunction(() => prov.makeThroughputWindowProvider(), {});
      const pulumiRequire = createRequire(resolve('node_modules/@pulumi/pulumi/package.json'));
      const requireFromString = pulumiRequire('require-from-string') as (code: string) => { handler: () => pulumi.dynamic.ResourceProvider };
      const hosted = requireFromString(sf.text).handler();
      const checked = await hosted.check!({}, { ...inputs, value: 450 });
      expect(checked.failures).to.have.length(1);
      expect(sf.text).to.include('require(name)');
      const d = await hosted.diff!('id', { ...inputs } as Outputs, { ...inputs, accountName: 'other' });
      expect(d.replaces).to.deep.equal(['accountName']);
    });
  });

  describe('entry point (index.ts)', () => {
    it('reads docferry-throughput:* config and registers the windows', async () => {
      pulumi.runtime.setAllConfig({
        'docferry-throughput:subscriptionId': 'sub-entry',
        'docferry-throughput:resourceGroupName': 'rg-entry',
        'docferry-throughput:accountName': 'acct',
        'docferry-throughput:windows': JSON.stringify([{ database: 'copilot', container: 'chunks', autoscaleMax: 40000 }, { database: 'auth', throughput: 1000 }]),
      });
      const index = await import('../../pulumi/throughput/index.js');
      expect(await valueOf(index.windows)).to.have.length(2);
      const ws = ofType('pulumi-nodejs:dynamic/docferry:ThroughputWindow').filter((w) => w.inputs.resourceGroupName === 'rg-entry');
      expect(ws.map((w) => [w.name, w.inputs.subscriptionId, w.inputs.mode, w.inputs.value])).to.deep.equal([
        ['throughput-window-copilot-chunks', 'sub-entry', 'autoscale', 40000],
        ['throughput-window-auth', 'sub-entry', 'manual', 1000],
      ]);
    });
  });

  describe('stack config', () => {
    const reader = (values: Record<string, unknown>) => ({
      get: (k: string) => (values[k] === undefined ? undefined : String(values[k])),
      getBoolean: (k: string) => values[k] as boolean | undefined,
      getNumber: (k: string) => values[k] as number | undefined,
      getObject: <T>(k: string) => values[k] as T | undefined,
    });

    it('one window from flat keys, the subscription from azure-native or the environment', () => {
      const o = cfg.throughputOptionsFromConfig(reader({ resourceGroupName: 'rg', accountName: 'a', databaseName: 'copilot', containerName: 'messages', throughput: 20000 }), { get: () => 'sub-native' }, {});
      expect(o.subscriptionId).to.equal('sub-native');
      expect(o.windows).to.deep.equal([{ database: 'copilot', container: 'messages', throughput: 20000 }]);
      const env = cfg.throughputOptionsFromConfig(reader({ resourceGroupName: 'rg', accountName: 'a', databaseName: 'copilot', autoscaleMax: 20000 }), undefined, { AZURE_SUBSCRIPTION_ID: 'sub-env' });
      expect(env.subscriptionId).to.equal('sub-env');
      expect(env.windows).to.deep.equal([{ database: 'copilot', autoscaleMax: 20000 }]);
    });

    it('a list of windows, and clear errors', () => {
      const windows = [{ database: 'copilot', container: 'chunks', autoscaleMax: 40000 }];
      const o = cfg.throughputOptionsFromConfig(reader({ subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a', windows, acknowledgeFloorIncrease: true }), undefined, {});
      expect(o.windows).to.deep.equal(windows);
      expect(o.acknowledgeFloorIncrease).to.equal(true);
      expect(() => cfg.throughputOptionsFromConfig(reader({ resourceGroupName: 'rg', accountName: 'a', databaseName: 'd' }), undefined, {})).to.throw(/subscriptionId/);
      expect(() => cfg.throughputOptionsFromConfig(reader({ subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a' }), undefined, {})).to.throw(/databaseName/);
      expect(() => cfg.throughputOptionsFromConfig(reader({ subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a', windows, databaseName: 'd' }), undefined, {})).to.throw(/not both/);
    });
  });
});
