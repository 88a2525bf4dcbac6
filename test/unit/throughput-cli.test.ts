import { expect } from 'chai';
import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { ThroughputRaiseError, ThroughputRefusedError, type ThroughputTarget } from '../../src/azure/throughput/index.js';
import {
  parseRaiseFlags,
  parseRestoreFlags,
  registerThroughputCommand,
  runThroughputRaise,
  runThroughputRestore,
  type ThroughputCommandDeps,
} from '../../src/cli/commands/throughput.js';
import { armError, FakeThroughputClient } from '../pulumi/support/fake-throughput-client.js';

const target: ThroughputTarget = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };
const flags = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('docferry throughput (CLI)', () => {
  let dir: string;
  let stateFile: string;
  let fake: FakeThroughputClient;
  let logs: string[];
  let results: string[];
  let subscriptions: string[];
  let deps: ThroughputCommandDeps;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docferry-throughput-'));
    stateFile = join(dir, 'window.json');
    fake = new FakeThroughputClient().set(target, { mode: 'manual', value: 400 });
    logs = [];
    results = [];
    subscriptions = [];
    deps = {
      out: { log: (l) => logs.push(l), result: (t) => results.push(t) },
      createClient: (sub) => {
        subscriptions.push(sub);
        return fake;
      },
      retry: { sleep: async () => {} },
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('flags', () => {
    it('needs the target and exactly one of --to / --autoscale-max', () => {
      expect(() => parseRaiseFlags({ to: '1000' }, {})).to.throw(UsageError, /--subscription-id.*--resource-group.*--account-name.*--database/);
      expect(() => parseRaiseFlags({ ...flags }, {})).to.throw(UsageError, /exactly one of --to/);
      expect(() => parseRaiseFlags({ ...flags, to: '1000', autoscaleMax: '4000' }, {})).to.throw(UsageError, /exactly one/);
      expect(() => parseRaiseFlags({ ...flags, to: 'lots' }, {})).to.throw(UsageError, /--to takes a whole number/);
    });

    it('takes the subscription from AZURE_SUBSCRIPTION_ID, defaults the state file, and omits the container for database level', () => {
      const o = parseRaiseFlags({ resourceGroup: 'rg', accountName: 'acct', database: 'copilot', autoscaleMax: '20000' }, { AZURE_SUBSCRIPTION_ID: 'sub-env' });
      expect(o.target).to.deep.equal({ subscriptionId: 'sub-env', resourceGroup: 'rg', accountName: 'acct', database: 'copilot' });
      expect(o.to).to.deep.equal({ mode: 'autoscale', value: 20_000 });
      expect(o.stateFile).to.equal('.docferry-throughput.json');
      expect(o.acknowledgeFloorIncrease).to.equal(false);
      expect(parseRestoreFlags({}).stateFile).to.equal('.docferry-throughput.json');
    });
  });

  describe('state file flow', () => {
    it('raise writes what was read; restore puts it back and deletes the file', async () => {
      const raised = await runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile }), deps);
      expect(raised.applied).to.equal(true);
      expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 10_000 });
      const state = JSON.parse(readFileSync(stateFile, 'utf8'));
      expect(state.kind).to.equal('docferry-throughput-window');
      expect(state.before).to.deep.equal({ mode: 'manual', value: 400 });
      expect(state.raisedTo).to.deep.equal({ mode: 'manual', value: 10_000 });
      expect(state.target).to.deep.equal(target);
      expect(state.status).to.equal('raised');
      expect(Date.parse(state.raisedAt)).to.be.a('number').and.not.NaN;
      expect(results.join('\n')).to.match(/Raised acct\/copilot\/messages to 10000 RU\/s/);

      const restored = await runThroughputRestore(parseRestoreFlags({ stateFile }), deps);
      expect(restored.outcome).to.equal('restored');
      expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 400 });
      expect(existsSync(stateFile)).to.equal(false);
      expect(subscriptions).to.deep.equal(['sub-1', 'sub-1']);
    });

    it('restore without a state file is a clear usage error', async () => {
      const err = await rejection(runThroughputRestore(parseRestoreFlags({ stateFile }), deps));
      expect(err).to.be.instanceOf(UsageError);
      expect(err.message).to.include(stateFile).and.match(/nothing was raised with this state file/);
      expect(fake.calls).to.have.length(0);
    });

    it('restore refuses a file that is not a window state', async () => {
      writeFileSync(stateFile, JSON.stringify({ hello: 'world' }));
      const err = await rejection(runThroughputRestore(parseRestoreFlags({ stateFile }), deps));
      expect(err.message).to.match(/not a docferry throughput window state/);
      expect(existsSync(stateFile)).to.equal(true);
    });

    it('a refused raise writes no state', async () => {
      const err = await rejection(runThroughputRaise(parseRaiseFlags({ ...flags, to: '100000', stateFile }), deps));
      expect(err).to.be.instanceOf(ThroughputRefusedError);
      expect(existsSync(stateFile)).to.equal(false);
      expect(fake.updates).to.have.length(0);
    });

    it('a failed raise that changed nothing removes its state; one that took effect keeps it for the restore', async () => {
      fake.updateFailures.push({ error: armError(400, 'BadRequest') });
      const e1 = await rejection(runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile }), deps));
      expect(e1).to.be.instanceOf(ThroughputRaiseError);
      expect(existsSync(stateFile)).to.equal(false);

      fake.updateFailures.push({ error: armError(400, 'lost the operation'), applied: true });
      const e2 = await rejection(runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile }), deps));
      expect((e2 as ThroughputRaiseError).changed).to.equal(true);
      expect(existsSync(stateFile)).to.equal(true);
      expect(logs.join('\n')).to.match(/is kept: run `docferry throughput restore/);
      await runThroughputRestore(parseRestoreFlags({ stateFile }), deps);
      expect(fake.current(target)).to.deep.equal({ mode: 'manual', value: 400 });
      expect(existsSync(stateFile)).to.equal(false);
    });

    it('dry run changes nothing and writes no state', async () => {
      const r = await runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile, dryRun: true }), deps);
      expect(r.applied).to.equal(false);
      expect(existsSync(stateFile)).to.equal(false);
      expect(fake.updates).to.have.length(0);
      expect(results.join('\n')).to.match(/Dry run/);
    });

    it('a second raise on the same target keeps the original value; another target is refused', async () => {
      await runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile }), deps);
      await runThroughputRaise(parseRaiseFlags({ ...flags, to: '20000', stateFile }), deps);
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).before).to.deep.equal({ mode: 'manual', value: 400 });
      const err = await rejection(runThroughputRaise(parseRaiseFlags({ ...flags, container: 'threads', to: '10000', stateFile }), deps));
      expect(err).to.be.instanceOf(UsageError);
      expect(err.message).to.match(/open window on acct\/copilot\/messages/);
      const wrong = await rejection(runThroughputRestore(parseRestoreFlags({ stateFile, container: 'threads' }), deps));
      expect(wrong.message).to.match(/not the one named by container/);
      await runThroughputRestore(parseRestoreFlags({ stateFile }), deps);
      expect(fake.current(target)!.value).to.equal(400);
    });

    it('--json prints the plan and state on the result stream', async () => {
      await runThroughputRaise(parseRaiseFlags({ ...flags, to: '10000', stateFile, json: true }), deps);
      const out = JSON.parse(results.join('\n'));
      expect(out.action).to.equal('raise');
      expect(out.plan.newFloor.value).to.equal(400);
      expect(out.plan.instantScale.limit).to.equal(10_000);
      expect(out.state.before).to.deep.equal({ mode: 'manual', value: 400 });
    });
  });

  describe('registerThroughputCommand', () => {
    let savedExitCode: typeof process.exitCode;
    beforeEach(() => {
      savedExitCode = process.exitCode;
    });
    afterEach(() => {
      process.exitCode = savedExitCode;
    });

    function program(ctx: ThroughputCommandDeps & { exitCode?: number }) {
      const p = new Command('docferry').exitOverride();
      registerThroughputCommand(p, ctx);
      return p;
    }
    const argv = (...args: string[]) => ['node', 'docferry', 'throughput', ...args];
    const targetArgs = ['--subscription-id', 'sub-1', '--resource-group', 'rg', '--account-name', 'acct', '--database', 'copilot', '--container', 'messages'];

    it('raise and restore through the command line set exit code 0', async () => {
      const ctx = { ...deps, exitCode: 0 };
      await program(ctx).parseAsync(argv('raise', ...targetArgs, '--to', '10000', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.ok);
      expect(fake.current(target)!.value).to.equal(10_000);
      await program(ctx).parseAsync(argv('restore', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.ok);
      expect(ctx.exitCode).to.equal(ExitCode.ok);
      expect(fake.current(target)!.value).to.equal(400);
    });

    it('usage problems exit 2, failures exit 1, with a message', async () => {
      const ctx = { ...deps, exitCode: 0 };
      await program(ctx).parseAsync(argv('restore', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.usage);
      expect(ctx.exitCode).to.equal(ExitCode.usage);
      expect(logs.join('\n')).to.match(/usage error: No throughput window state/);

      await program(ctx).parseAsync(argv('raise', ...targetArgs, '--to', '100000', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.usage); // refused: needs --acknowledge-floor
      await program(ctx).parseAsync(argv('raise', ...targetArgs, '--to', '100000', '--acknowledge-floor', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.ok);

      fake.updateFailures.push({ error: armError(403, 'Forbidden') });
      await program(ctx).parseAsync(argv('restore', '--state-file', stateFile));
      expect(process.exitCode).to.equal(ExitCode.failed);
      expect(ctx.exitCode).to.equal(ExitCode.failed);
      expect(existsSync(stateFile)).to.equal(true);
    });
  });
});
