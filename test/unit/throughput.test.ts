import { expect } from 'chai';
import {
  AuthenticationError,
  DocferryError,
  ExitCode,
} from '../../src/core/errors.js';
import {
  armThroughputClient,
  armUpdateParameters,
  backoffDelayMs,
  instantScaleLimit,
  isRetryableArmError,
  planRaise,
  raiseRetryPolicy,
  raiseThroughput,
  readingFromArm,
  restoreRetryPolicy,
  restoreThroughput,
  retryAfterMs,
  throughputFloor,
  throughputTargetId,
  ThroughputRaiseError,
  ThroughputRefusedError,
  ThroughputRestoreError,
  withArmRetry,
  type CosmosThroughputApi,
  type ThroughputTarget,
} from '../../src/azure/throughput/index.js';
import { armError, FakeThroughputClient, recordingSleep } from '../pulumi/support/fake-throughput-client.js';

const container: ThroughputTarget = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };
const database: ThroughputTarget = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('throughput window: floors and plans', () => {
  it('manual floor is max(400, highest-ever / 100, GB x 1), rounded up to a multiple of 100', () => {
    expect(throughputFloor({ mode: 'manual', highestEver: 10_000 }).value).to.equal(400);
    expect(throughputFloor({ mode: 'manual', highestEver: 50_000 }).value).to.equal(500);
    expect(throughputFloor({ mode: 'manual', highestEver: 45_050 }).value).to.equal(500); // 451 -> 500
    const gb = throughputFloor({ mode: 'manual', highestEver: 10_000, storageGb: 1_234.5 });
    expect(gb.value).to.equal(1_300);
    expect(gb.basis).to.match(/storage 1234.5 GB x 1/);
  });

  it('autoscale floor is max(1000, highest-ever / 10, GB x 10), rounded up to a multiple of 1000', () => {
    expect(throughputFloor({ mode: 'autoscale', highestEver: 4_000 }).value).to.equal(1_000);
    expect(throughputFloor({ mode: 'autoscale', highestEver: 40_000 }).value).to.equal(4_000);
    expect(throughputFloor({ mode: 'autoscale', highestEver: 41_000 }).value).to.equal(5_000);
    expect(throughputFloor({ mode: 'autoscale', highestEver: 4_000, storageGb: 250 }).value).to.equal(3_000);
    expect(throughputFloor({ mode: 'autoscale', highestEver: 4_000, serviceMinimum: 6_000 }).basis).to.match(/reported by the service/);
  });

  it('a manual raise within 100x keeps the restore possible; beyond it needs an acknowledgement', () => {
    const ok = planRaise({ settings: { mode: 'manual', value: 400 } }, { to: { mode: 'manual', value: 40_000 } });
    expect(ok.refusal).to.equal(undefined);
    expect(ok.newFloor.value).to.equal(400);
    expect(ok.restorable).to.equal(true);
    const tooFar = planRaise({ settings: { mode: 'manual', value: 400 } }, { to: { mode: 'manual', value: 50_000 } });
    expect(tooFar.restorable).to.equal(false);
    expect(tooFar.newFloor.value).to.equal(500);
    expect(tooFar.refusalNeeds).to.equal('acknowledgeFloorIncrease');
    expect(tooFar.refusal).to.match(/floor to 500 RU\/s.*above the 400 RU\/s to restore/);
    const acked = planRaise({ settings: { mode: 'manual', value: 400 } }, { to: { mode: 'manual', value: 50_000 }, acknowledgeFloorIncrease: true });
    expect(acked.refusal).to.equal(undefined);
    expect(acked.warnings.join('\n')).to.match(/acknowledged/);
  });

  it('an autoscale raise beyond 10x the maximum to restore is refused without acknowledgement', () => {
    const plan = planRaise({ settings: { mode: 'autoscale', value: 1_000 } }, { to: { mode: 'autoscale', value: 20_000 } });
    expect(plan.newFloor.value).to.equal(2_000);
    expect(plan.refusalNeeds).to.equal('acknowledgeFloorIncrease');
    expect(planRaise({ settings: { mode: 'autoscale', value: 4_000 } }, { to: { mode: 'autoscale', value: 40_000 } }).refusal).to.equal(undefined);
  });

  it('the storage floor can make a raise unrestorable even within 100x', () => {
    const plan = planRaise({ settings: { mode: 'manual', value: 1_000 } }, { to: { mode: 'manual', value: 20_000 }, storageGb: 1_200 });
    expect(plan.newFloor.value).to.equal(1_200);
    expect(plan.restorable).to.equal(false);
    expect(plan.refusal).to.match(/storage 1200 GB/);
  });

  it('refuses a target below the current value unless allowed, and a mode change always', () => {
    const down = planRaise({ settings: { mode: 'manual', value: 10_000 } }, { to: { mode: 'manual', value: 4_000 } });
    expect(down.direction).to.equal('decrease');
    expect(down.refusalNeeds).to.equal('allowDecrease');
    expect(planRaise({ settings: { mode: 'manual', value: 10_000 } }, { to: { mode: 'manual', value: 4_000 }, allowDecrease: true }).refusal).to.equal(undefined);
    const mode = planRaise({ settings: { mode: 'autoscale', value: 4_000 } }, { to: { mode: 'manual', value: 10_000 }, acknowledgeFloorIncrease: true, allowDecrease: true });
    expect(mode.refusal).to.match(/--autoscale-max/);
    expect(mode.refusalNeeds).to.equal(undefined);
    expect(planRaise({ settings: { mode: 'manual', value: 400 } }, { to: { mode: 'manual', value: 450 } }).refusal).to.match(/multiple of 100/);
  });

  it('reports the instant-scale limit: from the service, from a partition count, or estimated', () => {
    const reported = instantScaleLimit({ settings: { mode: 'manual', value: 6_000 }, instantMaximumThroughput: 20_000 }, { mode: 'manual', value: 30_000 });
    expect(reported).to.deep.equal({ limit: 20_000, source: 'reported', exceeded: true });
    const fromPartitions = instantScaleLimit({ settings: { mode: 'manual', value: 6_000 } }, { mode: 'manual', value: 30_000 }, { physicalPartitions: 4 });
    expect(fromPartitions).to.deep.include({ limit: 40_000, source: 'partitions', exceeded: false });
    const estimated = instantScaleLimit({ settings: { mode: 'manual', value: 12_000 } }, { mode: 'manual', value: 30_000 });
    expect(estimated).to.deep.include({ limit: 20_000, source: 'estimated', physicalPartitions: 2, exceeded: true });
    const byStorage = instantScaleLimit({ settings: { mode: 'manual', value: 400 } }, { mode: 'manual', value: 30_000 }, { storageGb: 120 });
    expect(byStorage).to.deep.include({ limit: 30_000, physicalPartitions: 3, exceeded: false });
    const plan = planRaise({ settings: { mode: 'manual', value: 6_000 }, instantMaximumThroughput: 10_000 }, { to: { mode: 'manual', value: 30_000 } });
    expect(plan.instantScale.exceeded).to.equal(true);
    expect(plan.warnings.join('\n')).to.match(/instant-scale limit of 10000 RU\/s.*takes hours/);
  });
});

describe('throughput window: raise and restore against a fake management plane', () => {
  it('raises a manual container and restores exactly what was read', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const raised = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 });
    expect(raised.applied).to.equal(true);
    expect(raised.state.before).to.deep.equal({ mode: 'manual', value: 400 });
    expect(raised.state.raisedTo).to.deep.equal({ mode: 'manual', value: 10_000 });
    expect(raised.state.targetId).to.equal(throughputTargetId(container));
    expect(fake.current(container)).to.deep.equal({ mode: 'manual', value: 10_000 });
    const restored = await restoreThroughput(fake, raised.state);
    expect(restored.outcome).to.equal('restored');
    expect(fake.current(container)).to.deep.equal({ mode: 'manual', value: 400 });
    expect(fake.updates).to.deep.equal([{ mode: 'manual', value: 10_000 }, { mode: 'manual', value: 400 }]);
  });

  it('keeps autoscale as autoscale with the same maximum', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'autoscale', value: 4_000 });
    const raised = await raiseThroughput(fake, container, { mode: 'autoscale', value: 20_000 });
    expect(fake.current(container)).to.deep.equal({ mode: 'autoscale', value: 20_000 });
    await restoreThroughput(fake, raised.state);
    expect(fake.current(container)).to.deep.equal({ mode: 'autoscale', value: 4_000 });
    expect(fake.updates.every((s) => s.mode === 'autoscale')).to.equal(true);
  });

  it('works on database-level shared throughput', async () => {
    const fake = new FakeThroughputClient().set(database, { mode: 'manual', value: 1_000 }).set(container, { mode: 'manual', value: 400 });
    const raised = await raiseThroughput(fake, database, { mode: 'manual', value: 20_000 });
    expect(raised.state.targetId).to.not.include('/containers/');
    expect(raised.state.target.container).to.equal(undefined);
    expect(fake.current(database)!.value).to.equal(20_000);
    expect(fake.current(container)!.value).to.equal(400);
    await restoreThroughput(fake, raised.state);
    expect(fake.current(database)!.value).to.equal(1_000);
  });

  it('refuses an unrestorable raise without acknowledgement and changes nothing', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    let wrote = false;
    const err = await rejection(raiseThroughput(fake, container, { mode: 'manual', value: 100_000 }, { beforeUpdate: () => { wrote = true; } }));
    expect(err).to.be.instanceOf(ThroughputRefusedError);
    expect((err as ThroughputRefusedError).exitCode).to.equal(ExitCode.usage);
    expect(err.message).to.match(/floor to 1000 RU\/s/).and.match(/--acknowledge-floor/);
    expect(fake.updates).to.have.length(0);
    expect(wrote).to.equal(false);
  });

  it('with the acknowledgement, raises; the restore then gets down to the floor and says so', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const warnings: string[] = [];
    const raised = await raiseThroughput(fake, container, { mode: 'manual', value: 100_000 }, { acknowledgeFloorIncrease: true, log: { warn: (m) => warnings.push(m) } });
    expect(raised.plan.newFloor.value).to.equal(1_000);
    expect(raised.state.acknowledgedFloorIncrease).to.equal(true);
    const restored = await restoreThroughput(fake, raised.state, { log: { warn: (m) => warnings.push(m) } });
    expect(restored.outcome).to.equal('floor');
    expect(restored.restoredTo).to.deep.equal({ mode: 'manual', value: 1_000 });
    expect(fake.current(container)).to.deep.equal({ mode: 'manual', value: 1_000 });
    expect(warnings.join('\n')).to.match(/cannot go back to 400 RU\/s/);
  });

  it('refuses a cut unless allowed', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 10_000 });
    const err = await rejection(raiseThroughput(fake, container, { mode: 'manual', value: 4_000 }));
    expect(err).to.be.instanceOf(ThroughputRefusedError);
    expect(err.message).to.match(/not a raise/);
    expect(fake.updates).to.have.length(0);
    await raiseThroughput(fake, container, { mode: 'manual', value: 4_000 }, { allowDecrease: true });
    expect(fake.current(container)!.value).to.equal(4_000);
  });

  it('a failed raise that changed nothing: the error says so, and the restore has nothing to do', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    fake.updateFailures.push({ error: armError(400, 'BadRequest: something the service disliked') });
    const err = await rejection(raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }));
    expect(err).to.be.instanceOf(ThroughputRaiseError);
    const e = err as ThroughputRaiseError;
    expect(e.changed).to.equal(false);
    expect(e.message).to.match(/nothing needs restoring/);
    expect(e.state.before).to.deep.equal({ mode: 'manual', value: 400 });
    const restored = await restoreThroughput(fake, e.state);
    expect(restored.outcome).to.equal('unchanged');
    expect(fake.updates).to.have.length(1); // only the failed raise
  });

  it('a failed raise that took effect anyway: the restore still puts back what was read', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    fake.updateFailures.push({ error: Object.assign(new Error('the long-running operation could not be polled'), { code: 'PollerLost' }), applied: true });
    const err = (await rejection(raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }))) as ThroughputRaiseError;
    expect(err).to.be.instanceOf(ThroughputRaiseError);
    expect(err.changed).to.equal(true);
    expect(err.current).to.deep.equal({ mode: 'manual', value: 10_000 });
    expect(err.message).to.match(/run the restore/);
    const restored = await restoreThroughput(fake, err.state);
    expect(restored.outcome).to.equal('restored');
    expect(fake.current(container)).to.deep.equal({ mode: 'manual', value: 400 });
  });

  it('calls beforeUpdate with the state before sending the update', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const seen: number[] = [];
    await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }, {
      beforeUpdate: (s) => {
        seen.push(fake.updates.length);
        expect(s.before).to.deep.equal({ mode: 'manual', value: 400 });
        expect(s.status).to.equal('raising');
      },
    });
    expect(seen).to.deep.equal([0]);
  });

  it('a second raise keeps the value read before the first one', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const first = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 });
    const second = await raiseThroughput(fake, container, { mode: 'manual', value: 30_000 }, { previous: first.state });
    expect(second.state.before).to.deep.equal({ mode: 'manual', value: 400 });
    await restoreThroughput(fake, second.state);
    expect(fake.current(container)!.value).to.equal(400);
    const other = await rejection(raiseThroughput(fake, database, { mode: 'manual', value: 1_000 }, { previous: first.state }));
    expect(other).to.be.instanceOf(ThroughputRefusedError);
  });

  it('dry run reads and plans but sends nothing', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const r = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }, { dryRun: true });
    expect(r.applied).to.equal(false);
    expect(r.plan.direction).to.equal('raise');
    expect(fake.updates).to.have.length(0);
  });

  it('the restore refuses while a change is still pending, and when the mode was changed outside', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const raised = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 });
    fake.offers.get(throughputTargetId(container))!.offerReplacePending = true;
    const pending = await rejection(restoreThroughput(fake, raised.state));
    expect(pending).to.be.instanceOf(ThroughputRestoreError);
    expect(pending.message).to.match(/offerReplacePending/);
    fake.set(container, { mode: 'autoscale', value: 10_000 });
    const mode = await rejection(restoreThroughput(fake, raised.state));
    expect(mode.message).to.match(/mode was changed outside docferry/);
    expect(fake.updates).to.have.length(1);
  });
});

describe('throughput window: ARM throttling (429) and transient errors', () => {
  it('retries a throttled raise, honouring Retry-After, and succeeds', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    fake.updateFailures.push({ error: armError(429, 'TooManyRequests', { 'Retry-After': '3' }) }, { error: armError(429, 'TooManyRequests', { 'Retry-After': '3' }) });
    const { sleep, waits } = recordingSleep();
    const r = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }, { retry: { sleep } });
    expect(r.applied).to.equal(true);
    expect(fake.updates).to.have.length(3);
    expect(waits).to.deep.equal([3_000, 4_000]); // max(Retry-After, 2 s x 2^n)
  });

  it('gives up on the raise after its policy, but keeps restoring much longer', async () => {
    const throttled = () => ({ error: armError(429, 'TooManyRequests') });
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    for (let i = 0; i < raiseRetryPolicy.attempts; i++) fake.updateFailures.push(throttled());
    const { sleep, waits } = recordingSleep();
    const err = (await rejection(raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }, { retry: { sleep } }))) as ThroughputRaiseError;
    expect(err).to.be.instanceOf(ThroughputRaiseError);
    expect(err.changed).to.equal(false);
    expect(fake.updates).to.have.length(raiseRetryPolicy.attempts);
    expect(waits).to.have.length(raiseRetryPolicy.attempts - 1);

    const raised = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 }, { retry: { sleep } });
    const before = fake.updates.length;
    for (let i = 0; i < 12; i++) fake.updateFailures.push(throttled());
    const restored = await restoreThroughput(fake, raised.state, { retry: { sleep } });
    expect(restored.outcome).to.equal('restored');
    expect(fake.updates.length - before).to.equal(13);
    expect(fake.current(container)!.value).to.equal(400);
    expect(restoreRetryPolicy.attempts).to.be.greaterThan(12);
  });

  it('a restore that cannot get through says the state is kept and how much it was', async () => {
    const fake = new FakeThroughputClient().set(container, { mode: 'manual', value: 400 });
    const raised = await raiseThroughput(fake, container, { mode: 'manual', value: 10_000 });
    fake.updateFailures.push({ error: armError(403, 'Forbidden') });
    const err = await rejection(restoreThroughput(fake, raised.state));
    expect(err).to.be.instanceOf(ThroughputRestoreError);
    expect(err.message).to.match(/run the restore again/);
    expect(fake.updates).to.have.length(2); // 403 is not retried
  });

  it('classifies errors and reads Retry-After in its three forms', () => {
    expect(isRetryableArmError(armError(429, 'x'))).to.equal(true);
    expect(isRetryableArmError(armError(503, 'x'))).to.equal(true);
    expect(isRetryableArmError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).to.equal(true);
    expect(isRetryableArmError(armError(400, 'x'))).to.equal(false);
    expect(isRetryableArmError(armError(409, 'x'))).to.equal(false);
    expect(retryAfterMs(armError(429, 'x', { 'x-ms-retry-after-ms': '1500' }))).to.equal(1_500);
    expect(retryAfterMs(armError(429, 'x', { 'retry-after': '7' }))).to.equal(7_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(armError(429, 'x', { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).to.equal(30_000);
    expect(backoffDelayMs(restoreRetryPolicy, 10, armError(429, 'x'))).to.equal(restoreRetryPolicy.maxDelayMs);
  });

  it('withArmRetry does not retry what is not transient', async () => {
    let calls = 0;
    const { sleep, waits } = recordingSleep();
    const err = await rejection(withArmRetry('op', async () => { calls++; throw armError(404, 'NotFound'); }, raiseRetryPolicy, { sleep }));
    expect(err.message).to.equal('NotFound');
    expect(calls).to.equal(1);
    expect(waits).to.have.length(0);
  });
});

describe('throughput window: the @azure/arm-cosmosdb adapter', () => {
  function fakeSdk(resource: Record<string, unknown>, fail?: unknown) {
    const calls: { method: string; args: unknown[] }[] = [];
    const method = (name: string) => async (...args: unknown[]) => {
      calls.push({ method: name, args });
      if (fail) throw fail;
      return { resource };
    };
    const api = {
      sqlResources: {
        getSqlContainerThroughput: method('getSqlContainerThroughput'),
        getSqlDatabaseThroughput: method('getSqlDatabaseThroughput'),
        beginUpdateSqlContainerThroughputAndWait: method('beginUpdateSqlContainerThroughputAndWait'),
        beginUpdateSqlDatabaseThroughputAndWait: method('beginUpdateSqlDatabaseThroughputAndWait'),
      },
    } as unknown as CosmosThroughputApi;
    return { api, calls };
  }

  it('parses manual and autoscale readings, numbers sent as strings included', () => {
    expect(readingFromArm({ throughput: 400, minimumThroughput: '400', instantMaximumThroughput: '10000', offerReplacePending: 'False' }, 'x')).to.deep.equal({
      settings: { mode: 'manual', value: 400 },
      minimumThroughput: 400,
      instantMaximumThroughput: 10_000,
      offerReplacePending: false,
    });
    expect(readingFromArm({ autoscaleSettings: { maxThroughput: 4000 }, softAllowedMaximumThroughput: '1000000' }, 'x')).to.deep.equal({
      settings: { mode: 'autoscale', value: 4_000 },
      softAllowedMaximumThroughput: 1_000_000,
    });
    expect(() => readingFromArm({}, 'x')).to.throw(DocferryError);
  });

  it('calls the container or database operations with the right names and parameters', async () => {
    const { api, calls } = fakeSdk({ throughput: 10_000 });
    const client = armThroughputClient(api);
    await client.read(container);
    await client.update(container, { mode: 'manual', value: 10_000 });
    await client.read(database);
    await client.update(database, { mode: 'autoscale', value: 20_000 });
    expect(calls.map((c) => c.method)).to.deep.equal([
      'getSqlContainerThroughput',
      'beginUpdateSqlContainerThroughputAndWait',
      'getSqlDatabaseThroughput',
      'beginUpdateSqlDatabaseThroughputAndWait',
    ]);
    expect(calls[0]!.args).to.deep.equal(['rg', 'acct', 'copilot', 'messages']);
    expect(calls[1]!.args).to.deep.equal(['rg', 'acct', 'copilot', 'messages', { resource: { throughput: 10_000 } }]);
    expect(calls[2]!.args).to.deep.equal(['rg', 'acct', 'copilot']);
    expect(calls[3]!.args).to.deep.equal(['rg', 'acct', 'copilot', { resource: { autoscaleSettings: { maxThroughput: 20_000 } } }]);
    expect(armUpdateParameters({ mode: 'manual', value: 400 })).to.deep.equal({ resource: { throughput: 400 } });
  });

  it('explains 404 (shared throughput?) and 403 (management-plane role), and leaves 429 to the retry', async () => {
    const notFound = await rejection(armThroughputClient(fakeSdk({}, armError(404, 'NotFound')).api).read(container));
    expect(notFound).to.be.instanceOf(DocferryError);
    expect(notFound.message).to.match(/shares its database's throughput/);
    const forbidden = await rejection(armThroughputClient(fakeSdk({}, armError(403, 'Forbidden')).api).read(database));
    expect(forbidden).to.be.instanceOf(AuthenticationError);
    expect(forbidden.message).to.match(/Cosmos DB Operator/);
    const throttled = armError(429, 'TooManyRequests');
    expect(await rejection(armThroughputClient(fakeSdk({}, throttled).api).update(container, { mode: 'manual', value: 400 }))).to.equal(throttled);
  });
});
