/**
 * The RU/s window with its state file, for both front doors (`docferry throughput` and the
 * DocferryThroughput task / the action): raise reads the offer, writes the state file before the
 * update and raises; restore puts back exactly what the state file says was read, then deletes it.
 * Callers pass typed options; parsing flags or task inputs is theirs.
 */
import { UsageError } from '../../core/errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, checkReachable, proxiedByEnvironment } from '../../core/reachable.js';
import { ThroughputRaiseError } from './errors.js';
import { raiseThroughput, restoreThroughput, type RaiseResult, type RestoreResult, type WindowState } from './window.js';
import { readStateFile, removeStateFile, writeStateFile } from './state-file.js';
import type { RetryHooks } from './retry.js';
import { describeSettings, describeTarget, sameTarget, throughputTargetId, type ThroughputManagementClient, type ThroughputSettings, type ThroughputTarget } from './types.js';

/** Lines for people go to `log` (stderr); the result (or --json) to `result` (stdout). Matches the CLI's Output. */
export interface ThroughputOutput {
  log(line: string): void;
  result(text: string): void;
}

export interface ThroughputWindowDeps {
  out?: ThroughputOutput;
  /** Injected in tests; the default is DefaultAzureCredential + CosmosDBManagementClient. */
  createClient?: (subscriptionId: string) => ThroughputManagementClient | Promise<ThroughputManagementClient>;
  retry?: RetryHooks;
  /** `--connect-timeout` of the default client: how long reaching the management API may take. */
  connectTimeoutMs?: number;
}

/** The management API of public Azure, which the default client talks to. */
export const PUBLIC_ARM_URL = 'https://management.azure.com';

/**
 * The management SDK retries a connection it cannot make for minutes; a first resolve-and-connect
 * says in seconds that this machine cannot reach the management API.
 */
export async function checkArmReachable(armUrl: string, connectTimeoutMs: number | undefined): Promise<void> {
  if (proxiedByEnvironment()) return;
  await checkReachable(armUrl, connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, {
    service: 'the Azure management API',
    advice: "Check that this machine can reach it (firewall, proxy; a sovereign cloud's Resource Manager endpoint comes from the service connection).",
  });
}

const defaultOut: ThroughputOutput = {
  log: (line) => process.stderr.write(`${line}\n`),
  result: (text) => process.stdout.write(`${text}\n`),
};

async function defaultCreateClient(subscriptionId: string, connectTimeoutMs: number | undefined): Promise<ThroughputManagementClient> {
  await checkArmReachable(PUBLIC_ARM_URL, connectTimeoutMs);
  // Loaded on use: the management SDK is not needed by any other command.
  const { createArmThroughputClient } = await import('./arm.js');
  return createArmThroughputClient(subscriptionId);
}


export interface RaiseCommandOptions {
  target: ThroughputTarget;
  to: ThroughputSettings;
  stateFile: string;
  acknowledgeFloorIncrease: boolean;
  allowDecrease: boolean;
  storageGb?: number;
  physicalPartitions?: number;
  dryRun: boolean;
  json: boolean;
  /** How long to wait for an asynchronous scale-up (offerReplacePending) to finish; 0 or absent: do not wait. */
  waitForScaleUpMs?: number;
  /** Between two progress lines while the update runs, and two reads of a pending offer (default 30 s). */
  progressIntervalMs?: number;
}

export interface RestoreCommandOptions {
  stateFile: string;
  /** Optional check: when any target flag is given, the state file must be for that target. */
  expect?: Partial<ThroughputTarget>;
  dryRun: boolean;
  json: boolean;
}


export interface RaiseCommandResult extends RaiseResult {
  stateFile: string;
  dryRun: boolean;
}

export async function runThroughputRaise(opts: RaiseCommandOptions, deps: ThroughputWindowDeps = {}): Promise<RaiseCommandResult> {
  const out = deps.out ?? defaultOut;
  const existing = await readStateFile(opts.stateFile);
  if (existing && !sameTarget(existing.target, opts.target)) {
    throw new UsageError(
      `${opts.stateFile} holds an open window on ${describeTarget(existing.target)} (raised ${existing.raisedAt}): ` +
        'restore it first (docferry throughput restore), or pass another --state-file for this target.',
    );
  }
  if (existing) out.log(`A window is already open on ${describeTarget(opts.target)} since ${existing.raisedAt}: the restore will still put back ${describeSettings(existing.before)}.`);
  const client = await (deps.createClient ?? ((s: string) => defaultCreateClient(s, deps.connectTimeoutMs)))(opts.target.subscriptionId);
  out.log(`${opts.dryRun ? 'Planning' : 'Raising'} throughput of ${describeTarget(opts.target)}`);
  let result: RaiseResult;
  try {
    result = await raiseThroughput(client, opts.target, opts.to, {
      acknowledgeFloorIncrease: opts.acknowledgeFloorIncrease,
      allowDecrease: opts.allowDecrease,
      ...(opts.storageGb !== undefined ? { storageGb: opts.storageGb } : {}),
      ...(opts.physicalPartitions !== undefined ? { physicalPartitions: opts.physicalPartitions } : {}),
      ...(existing ? { previous: existing } : {}),
      dryRun: opts.dryRun,
      // Written before the update is sent: a raise that fails half-way can still be restored.
      beforeUpdate: (state) => writeStateFile(opts.stateFile, state),
      ...(deps.retry ? { retry: deps.retry } : {}),
      log: { info: (m) => out.log(`  ${m}`), warn: (m) => out.log(`  warning: ${m}`) },
      // The last phases (applied, still pending) come through the log above.
      onProgress: (p) => {
        if (p.phase === 'updating' || p.phase === 'pending') out.log(`  ${p.message}`);
      },
      ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
      ...(opts.waitForScaleUpMs ? { waitForScaleUp: { timeoutMs: opts.waitForScaleUpMs, ...(opts.progressIntervalMs !== undefined ? { pollMs: opts.progressIntervalMs } : {}), ...(deps.retry?.sleep ? { sleep: deps.retry.sleep } : {}) } } : {}),
    });
  } catch (err) {
    if (err instanceof ThroughputRaiseError) {
      if (err.changed === false) {
        if (existing) await writeStateFile(opts.stateFile, existing);
        else await removeStateFile(opts.stateFile);
      } else {
        out.log(`The state file ${opts.stateFile} is kept: run \`docferry throughput restore --state-file ${opts.stateFile}\`.`);
      }
    }
    throw err;
  }
  if (!opts.dryRun) await writeStateFile(opts.stateFile, result.state);
  const summary = opts.dryRun
    ? `Dry run: would raise ${describeTarget(opts.target)} from ${describeSettings(result.plan.current)} to ${describeSettings(opts.to)}; nothing changed, no state written.`
    : result.applied
      ? `Raised ${describeTarget(opts.target)} to ${describeSettings(opts.to)}. State in ${opts.stateFile}: \`docferry throughput restore --state-file ${opts.stateFile}\` puts back ${describeSettings(result.state.before)}.`
      : `${describeTarget(opts.target)} is already ${describeSettings(opts.to)}: nothing changed. State in ${opts.stateFile}; the restore puts back ${describeSettings(result.state.before)}.`;
  if (opts.json) {
    out.log(summary);
    out.result(JSON.stringify({ action: 'raise', dryRun: opts.dryRun, applied: result.applied, stateFile: opts.dryRun ? null : opts.stateFile, targetId: throughputTargetId(opts.target), plan: result.plan, state: result.state }, null, 2));
  } else {
    out.result(summary);
  }
  return { ...result, stateFile: opts.stateFile, dryRun: opts.dryRun };
}

export interface RestoreCommandResult extends RestoreResult {
  state: WindowState;
  stateFile: string;
  stateFileRemoved: boolean;
}

export async function runThroughputRestore(opts: RestoreCommandOptions, deps: ThroughputWindowDeps = {}): Promise<RestoreCommandResult> {
  const out = deps.out ?? defaultOut;
  const state = await readStateFile(opts.stateFile);
  if (!state) {
    throw new UsageError(
      `No throughput window state at ${opts.stateFile}: nothing was raised with this state file, or it was already restored. ` +
        'Pass --state-file with the file `docferry throughput raise` wrote.',
    );
  }
  if (opts.expect) {
    const t = state.target as unknown as Record<string, string | undefined>;
    const wrong = Object.entries(opts.expect).filter(([k, v]) => (t[k] ?? '').toLowerCase() !== String(v).toLowerCase());
    if (wrong.length > 0) {
      throw new UsageError(`${opts.stateFile} is for ${describeTarget(state.target)}, not the one named by ${wrong.map(([k]) => k).join(', ')}: nothing restored.`);
    }
  }
  const client = await (deps.createClient ?? ((s: string) => defaultCreateClient(s, deps.connectTimeoutMs)))(state.target.subscriptionId);
  out.log(`Restoring throughput of ${describeTarget(state.target)} to ${describeSettings(state.before)} (read before the raise at ${state.raisedAt})`);
  const result = await restoreThroughput(client, state, {
    dryRun: opts.dryRun,
    ...(deps.retry ? { retry: deps.retry } : {}),
    log: { info: (m) => out.log(`  ${m}`), warn: (m) => out.log(`  warning: ${m}`) },
  });
  let removed = false;
  if (!opts.dryRun) {
    await removeStateFile(opts.stateFile);
    removed = true;
  }
  const summary =
    result.outcome === 'dry-run'
      ? `Dry run: would restore ${describeTarget(state.target)} from ${describeSettings(result.found)} to ${describeSettings(result.restoredTo)}; state file kept.`
      : result.outcome === 'unchanged'
        ? `${describeTarget(state.target)} is already ${describeSettings(result.found)}: nothing needed restoring. Removed ${opts.stateFile}.`
        : result.outcome === 'floor'
          ? `Restored ${describeTarget(state.target)} to ${describeSettings(result.restoredTo)}, its floor (${describeSettings(state.before)} is no longer allowed). Removed ${opts.stateFile}.`
          : `Restored ${describeTarget(state.target)} to ${describeSettings(result.restoredTo)}. Removed ${opts.stateFile}.`;
  if (opts.json) {
    out.log(summary);
    out.result(JSON.stringify({ action: 'restore', ...result, targetId: state.targetId, stateFile: opts.stateFile, stateFileRemoved: removed }, null, 2));
  } else {
    out.result(summary);
  }
  return { ...result, state, stateFile: opts.stateFile, stateFileRemoved: removed };
}
