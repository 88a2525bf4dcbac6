/**
 * `docferry throughput raise|restore`: the RU/s migration window without Pulumi.
 * raise reads the offer, reports what the raise costs afterwards (the floor), writes a state file
 * and raises; restore puts back exactly what the state file says was read, then deletes it.
 * The logic is src/azure/throughput (shared with pulumi/throughput); this file only parses flags.
 */
import type { Command } from 'commander';
import { THROUGHPUT_SUBSCRIPTION_ENV } from '../../options/catalogue.js';
import { addSubcommandOptions } from '../options.js';
import { DocferryError, ExitCode, UsageError, errorMessage } from '../../core/errors.js';
import { OptionValueError, duration } from '../../options/parsers.js';
import {
  DEFAULT_STATE_FILE,
  runThroughputRaise,
  runThroughputRestore,
  type RaiseCommandOptions,
  type RestoreCommandOptions,
  type ThroughputSettings,
  type ThroughputTarget,
  type ThroughputWindowDeps,
} from '../../azure/throughput/index.js';

export { runThroughputRaise, runThroughputRestore, type RaiseCommandOptions, type RestoreCommandOptions } from '../../azure/throughput/index.js';
export type { RaiseCommandResult, RestoreCommandResult, ThroughputOutput } from '../../azure/throughput/index.js';

export interface ThroughputCommandDeps extends ThroughputWindowDeps {
  env?: NodeJS.ProcessEnv;
  /** When given (the CLI context), its exitCode is set as well as process.exitCode. */
  exitCode?: number;
}

const defaultOut = {
  log: (line: string) => process.stderr.write(`${line}
`),
  result: (text: string) => process.stdout.write(`${text}
`),
};


/** Raw commander values. */
export interface ThroughputFlags {
  /** --connect-timeout, in milliseconds. */
  connectTimeout?: number;
  subscriptionId?: string;
  resourceGroup?: string;
  accountName?: string;
  database?: string;
  container?: string;
  to?: string;
  autoscaleMax?: string;
  stateFile?: string;
  acknowledgeFloor?: boolean;
  allowDecrease?: boolean;
  storageGb?: string;
  physicalPartitions?: string;
  dryRun?: boolean;
  json?: boolean;
  waitForScaleUp?: string;
  progressInterval?: string;
}

function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} takes a whole number of at least ${min} (got "${value}").`);
  return n;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a number of 0 or more (got "${value}").`);
  return n;
}

export function parseRaiseFlags(flags: ThroughputFlags, env: NodeJS.ProcessEnv = process.env): RaiseCommandOptions {
  const subscriptionId = flags.subscriptionId ?? env[THROUGHPUT_SUBSCRIPTION_ENV];
  const missing: string[] = [];
  if (!subscriptionId) missing.push(`--subscription-id (or ${THROUGHPUT_SUBSCRIPTION_ENV})`);
  if (!flags.resourceGroup) missing.push('--resource-group');
  if (!flags.accountName) missing.push('--account-name');
  if (!flags.database) missing.push('--database');
  if (missing.length > 0) throw new UsageError(`throughput raise needs ${missing.join(', ')}.`);
  if ((flags.to === undefined) === (flags.autoscaleMax === undefined)) {
    throw new UsageError('throughput raise needs exactly one of --to N (manual RU/s) or --autoscale-max N (autoscale maximum RU/s), matching the offer\'s current mode.');
  }
  const to: ThroughputSettings = flags.to !== undefined
    ? { mode: 'manual', value: wholeNumber('--to', flags.to, 1)! }
    : { mode: 'autoscale', value: wholeNumber('--autoscale-max', flags.autoscaleMax, 1)! };
  const target: ThroughputTarget = {
    subscriptionId: subscriptionId!,
    resourceGroup: flags.resourceGroup!,
    accountName: flags.accountName!,
    database: flags.database!,
    ...(flags.container !== undefined ? { container: flags.container } : {}),
  };
  const storageGb = positiveNumber('--storage-gb', flags.storageGb);
  const physicalPartitions = wholeNumber('--physical-partitions', flags.physicalPartitions, 1);
  return {
    target,
    to,
    stateFile: flags.stateFile ?? DEFAULT_STATE_FILE,
    acknowledgeFloorIncrease: Boolean(flags.acknowledgeFloor),
    allowDecrease: Boolean(flags.allowDecrease),
    ...(storageGb !== undefined ? { storageGb } : {}),
    ...(physicalPartitions !== undefined ? { physicalPartitions } : {}),
    dryRun: Boolean(flags.dryRun),
    json: Boolean(flags.json),
    ...durationFlag('--wait-for-scale-up', flags.waitForScaleUp, 'waitForScaleUpMs'),
    ...durationFlag('--progress-interval', flags.progressInterval, 'progressIntervalMs'),
  };
}

function durationFlag<K extends string>(flag: string, value: string | undefined, key: K): Partial<Record<K, number>> {
  if (value === undefined) return {};
  try {
    return { [key]: duration(value) } as Record<K, number>;
  } catch (err) {
    if (err instanceof OptionValueError) throw new UsageError(`${flag} ${err.takes}, not "${value}".`);
    throw err;
  }
}

export function parseRestoreFlags(flags: ThroughputFlags): RestoreCommandOptions {
  const expect: Partial<ThroughputTarget> = {};
  if (flags.subscriptionId) expect.subscriptionId = flags.subscriptionId;
  if (flags.resourceGroup) expect.resourceGroup = flags.resourceGroup;
  if (flags.accountName) expect.accountName = flags.accountName;
  if (flags.database) expect.database = flags.database;
  if (flags.container) expect.container = flags.container;
  return {
    stateFile: flags.stateFile ?? DEFAULT_STATE_FILE,
    ...(Object.keys(expect).length > 0 ? { expect } : {}),
    dryRun: Boolean(flags.dryRun),
    json: Boolean(flags.json),
  };
}

function setExit(deps: ThroughputCommandDeps, code: number): void {
  process.exitCode = code;
  if (deps.exitCode !== undefined) deps.exitCode = code;
}

async function runAction(deps: ThroughputCommandDeps, body: () => Promise<unknown>): Promise<void> {
  const out = deps.out ?? defaultOut;
  try {
    await body();
    setExit(deps, ExitCode.ok);
  } catch (err) {
    const code = err instanceof DocferryError && err.exitCode === ExitCode.usage ? ExitCode.usage : ExitCode.failed;
    out.log(`docferry: ${code === ExitCode.usage ? 'usage error' : 'error'}: ${errorMessage(err)}`);
    if (!(err instanceof DocferryError) && process.env.DOCFERRY_DEBUG) out.log(String((err as Error).stack));
    setExit(deps, code);
  }
}

/**
 * Adds `throughput raise` and `throughput restore`. Pass the CLI context as `deps` so its
 * exitCode is set too; without it only process.exitCode is set (0 ok, 2 usage, 1 failure).
 */
/** --connect-timeout, for reaching the management API (the deps of a test may bring their own client). */
function withTimeout(deps: ThroughputCommandDeps, flags: ThroughputFlags): ThroughputCommandDeps {
  return flags.connectTimeout !== undefined ? { ...deps, connectTimeoutMs: flags.connectTimeout } : deps;
}

export function registerThroughputCommand(program: Command, deps: ThroughputCommandDeps = {}): void {
  const throughput = program
    .command('throughput')
    .description('Open and close an RU/s window for a migration through the management API (Entra ID, DefaultAzureCredential).');

  const raise = throughput.command('raise').description('read the current throughput, report the cost of the raise (new floor, instant-scale limit), save it to the state file and raise');
  addSubcommandOptions(raise, 'throughput', 'raise')
    .action(async (flags: ThroughputFlags) => {
      await runAction(deps, async () => runThroughputRaise(parseRaiseFlags(flags, deps.env ?? process.env), withTimeout(deps, flags)));
    });

  const restore = throughput.command('restore').description('put back exactly the throughput read before the raise (from the state file), then delete the state file');
  addSubcommandOptions(restore, 'throughput', 'restore')
    .action(async (flags: ThroughputFlags) => {
      await runAction(deps, async () => runThroughputRestore(parseRestoreFlags(flags), withTimeout(deps, flags)));
    });
}
