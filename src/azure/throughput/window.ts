/**
 * The RU/s window: raise = read what is there, plan, then raise; restore = put back exactly
 * what was read. One implementation for `docferry throughput raise|restore` and the Pulumi
 * throughput program (create = raise, delete = restore).
 */
import { errorMessage } from '../../core/errors.js';
import { ThroughputRaiseError, ThroughputRefusedError, ThroughputRestoreError } from './errors.js';
import { describePlan, planRaise, roundUpTo, stepFor, type RaisePlan, type RaiseRequest } from './plan.js';
import {
  raiseRetryPolicy,
  readRetryPolicy,
  restoreRetryPolicy,
  withArmRetry,
  type RetryHooks,
  type RetryPolicy,
} from './retry.js';
import {
  describeSettings,
  describeTarget,
  sameSettings,
  sameTarget,
  throughputTargetId,
  type ThroughputManagementClient,
  type ThroughputReading,
  type ThroughputSettings,
  type ThroughputTarget,
} from './types.js';

export const WINDOW_STATE_KIND = 'docferry-throughput-window';

/** What a raise leaves behind so the restore can put back exactly what was read. JSON-safe. */
export interface WindowState {
  kind: typeof WINDOW_STATE_KIND;
  version: 1;
  targetId: string;
  target: ThroughputTarget;
  /** What was read before the first raise: the restore puts back exactly this. */
  before: ThroughputSettings;
  raisedTo: ThroughputSettings;
  /** ISO time of the raise. */
  raisedAt: string;
  /** raising: the update was about to be sent (or failed); raised: it succeeded. */
  status: 'raising' | 'raised';
  newFloor: number;
  acknowledgedFloorIncrease: boolean;
}

export interface WindowLog {
  info?: (msg: string) => void;
  warn?: (msg: string) => void;
}

/** What a raise tells while it waits: the update call, then an asynchronous scale-up. */
export interface ThroughputProgress {
  target: ThroughputTarget;
  /**
   * updating: the update call (a long-running ARM operation) has not returned yet; pending: the
   * service is applying it (offerReplacePending: partition splits, hours); applied: done;
   * still-pending: the wait ended before the scale-up did (the service carries on).
   */
  phase: 'updating' | 'pending' | 'applied' | 'still-pending';
  requested: ThroughputSettings;
  /** What the offer reads now (absent while the update call runs). */
  current?: ThroughputSettings;
  /** Since the update was sent. */
  elapsedMs: number;
  /** Reads of the offer while waiting for the scale-up. */
  polls: number;
  /** One line for a log. */
  message: string;
}

/** How long a raise waits for an asynchronous scale-up (offerReplacePending) to finish. */
export interface ScaleUpWait {
  /** 0: do not wait (the raise returns with the scale-up pending, as before). */
  timeoutMs: number;
  /** Between two reads of the offer (default 30 s). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_SCALE_UP_POLL_MS = 30_000;
/** Between two `updating` progress calls while the update call runs. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 30_000;

function minutesText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface RaiseOptions extends Omit<RaiseRequest, 'to'> {
  /** Plan and report only. */
  dryRun?: boolean;
  /** An open window on the same target: keep its `before` (a second raise must not forget the original value). */
  previous?: WindowState;
  /** Called with the state just before the update is sent (the CLI writes its state file here). */
  beforeUpdate?: (state: WindowState) => Promise<void> | void;
  retry?: { read?: RetryPolicy; update?: RetryPolicy } & RetryHooks;
  log?: WindowLog;
  now?: () => Date;
  /**
   * Told while the raise waits (the CLI's lines, the tasks' log, Pulumi's log): every phase. The
   * last one (applied, still-pending) also goes to `log`, so a caller may print only the others.
   */
  onProgress?: (p: ThroughputProgress) => void;
  /** Time between two `updating` calls of onProgress while the update call runs (default 30 s). */
  progressIntervalMs?: number;
  /** Wait for an asynchronous scale-up to finish, reporting each poll; default: do not wait. */
  waitForScaleUp?: ScaleUpWait;
}

export interface RaiseResult {
  plan: RaisePlan;
  state: WindowState;
  /** An update was sent and succeeded. */
  applied: boolean;
  /** What the service reported after the update (absent when nothing was sent); the last poll's reading after a wait. */
  after?: ThroughputReading;
  /** The update started an asynchronous scale-up: applied during the wait, or still pending. */
  scaleUp?: 'applied' | 'pending';
}

function hooksOf(retry: RetryHooks | undefined, log: WindowLog | undefined): RetryHooks {
  return {
    ...(retry?.sleep ? { sleep: retry.sleep } : {}),
    onRetry: (info) => {
      retry?.onRetry?.(info);
      log?.warn?.(`${info.what}: ${errorMessage(info.error)}; retrying in ${Math.round(info.delayMs / 1000)} s (try ${info.attempt + 1})`);
    },
  };
}

export async function raiseThroughput(
  client: ThroughputManagementClient,
  target: ThroughputTarget,
  to: ThroughputSettings,
  options: RaiseOptions = {},
): Promise<RaiseResult> {
  const hooks = hooksOf(options.retry, options.log);
  if (options.previous && !sameTarget(options.previous.target, target)) {
    throw new ThroughputRefusedError(`The open window is for ${describeTarget(options.previous.target)}, not ${describeTarget(target)}: restore it first.`);
  }
  const reading = await withArmRetry(`read throughput of ${describeTarget(target)}`, () => client.read(target), options.retry?.read ?? readRetryPolicy, hooks);
  const restoreTo = options.previous?.before ?? reading.settings;
  const plan = planRaise(reading, { ...options, to }, restoreTo);
  for (const line of describePlan(plan)) if (!line.startsWith('refused:')) options.log?.info?.(line);
  if (plan.refusal) throw new ThroughputRefusedError(`Throughput raise refused for ${describeTarget(target)}: ${plan.refusal}`);

  const state: WindowState = {
    kind: WINDOW_STATE_KIND,
    version: 1,
    targetId: throughputTargetId(target),
    target: { ...target },
    before: { ...restoreTo },
    raisedTo: { ...to },
    raisedAt: (options.now?.() ?? new Date()).toISOString(),
    status: 'raising',
    newFloor: plan.newFloor.value,
    acknowledgedFloorIncrease: !plan.restorable,
  };
  if (options.dryRun) return { plan, state, applied: false };
  await options.beforeUpdate?.(state);
  if (plan.direction === 'unchanged') return { plan, state: { ...state, status: 'raised' }, applied: false };

  const clock = options.waitForScaleUp?.now ?? Date.now;
  const sentAt = clock();
  const name = describeTarget(target);
  // The update call waits for ARM's long-running operation: say so now and then, not nothing.
  const heartbeat = options.onProgress
    ? setInterval(() => {
        const elapsedMs = clock() - sentAt;
        options.onProgress!({ target, phase: 'updating', requested: to, elapsedMs, polls: 0, message: `${name}: the management API is still applying ${describeSettings(to)} (${minutesText(elapsedMs)} so far)` });
      }, options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS)
    : undefined;
  heartbeat?.unref?.();
  let after: ThroughputReading;
  try {
    after = await withArmRetry(`raise throughput of ${name}`, () => client.update(target, to), options.retry?.update ?? raiseRetryPolicy, hooks);
  } catch (err) {
    if (heartbeat) clearInterval(heartbeat);
    // The update may have been applied even though the call failed (timeout, lost poll).
    let current: ThroughputSettings | undefined;
    try {
      current = (await withArmRetry(`read throughput of ${describeTarget(target)}`, () => client.read(target), options.retry?.read ?? readRetryPolicy, hooks)).settings;
    } catch {
      current = undefined;
    }
    const changed = current === undefined ? undefined : !sameSettings(current, restoreTo);
    const advice =
      changed === false
        ? `The offer is still ${describeSettings(restoreTo)}: nothing needs restoring.`
        : changed === true
          ? `The offer is now ${describeSettings(current!)}: run the restore to put back ${describeSettings(restoreTo)}.`
          : `Could not read the offer back: run the restore to make sure ${describeSettings(restoreTo)} is in place.`;
    throw new ThroughputRaiseError(`Raising ${describeTarget(target)} to ${describeSettings(to)} failed: ${errorMessage(err)}. ${advice}`, state, changed, current, { cause: err });
  }
  if (heartbeat) clearInterval(heartbeat);
  const raised = { plan, state: { ...state, status: 'raised' as const }, applied: true };
  if (!after.offerReplacePending) return { ...raised, after };
  const waited = await waitForScaleUp(client, target, to, after, options, hooks, sentAt);
  return { ...raised, after: waited.reading, scaleUp: waited.applied ? 'applied' : 'pending' };
}

/**
 * An update above the instant-scale limit returns with offerReplacePending: the old throughput
 * stays in effect while partitions split. Reads the offer every poll until that clears or the
 * wait is over, telling onProgress each time. A wait that ends first is no failure: the service
 * carries on and the state lets the restore run once it is done.
 */
async function waitForScaleUp(
  client: ThroughputManagementClient,
  target: ThroughputTarget,
  to: ThroughputSettings,
  first: ThroughputReading,
  options: RaiseOptions,
  hooks: RetryHooks,
  sentAt: number,
): Promise<{ reading: ThroughputReading; applied: boolean }> {
  const name = describeTarget(target);
  const wait = options.waitForScaleUp ?? { timeoutMs: 0 };
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const tell = (phase: ThroughputProgress['phase'], reading: ThroughputReading, polls: number, message: string) =>
    options.onProgress?.({ target, phase, requested: to, current: { ...reading.settings }, elapsedMs: now() - sentAt, polls, message });
  const started = now();
  let reading = first;
  let polls = 0;
  const pendingText = () => `${name}: the scale-up to ${describeSettings(to)} is still being applied (offerReplacePending: partitions splitting; the offer reads ${describeSettings(reading.settings)}), ${minutesText(now() - started)} so far`;
  if (wait.timeoutMs <= 0) {
    const message = `${name}: the scale-up to ${describeSettings(to)} is being applied asynchronously (offerReplacePending); it can take hours, and the restore waits until it is done.`;
    options.log?.info?.(message);
    tell('still-pending', reading, 0, message);
    return { reading, applied: false };
  }
  tell('pending', reading, 0, pendingText());
  while (now() - started < wait.timeoutMs) {
    await sleep(Math.min(wait.pollMs ?? DEFAULT_SCALE_UP_POLL_MS, Math.max(0, wait.timeoutMs - (now() - started))));
    try {
      reading = await withArmRetry(`read throughput of ${name}`, () => client.read(target), options.retry?.read ?? readRetryPolicy, hooks);
    } catch (err) {
      // The raise itself succeeded: a read that fails ends the wait, not the raise.
      const message = `${name}: could not read the offer while waiting for the scale-up (${errorMessage(err)}); the service carries on with it.`;
      options.log?.warn?.(message);
      tell('still-pending', reading, polls, message);
      return { reading, applied: false };
    }
    polls++;
    if (!reading.offerReplacePending) {
      const message = `${name}: the scale-up to ${describeSettings(to)} is applied (after ${minutesText(now() - started)}, ${polls} reads).`;
      options.log?.info?.(message);
      tell('applied', reading, polls, message);
      return { reading, applied: true };
    }
    tell('pending', reading, polls, pendingText());
  }
  const message = `${name}: stopped waiting after ${minutesText(now() - started)}; the scale-up to ${describeSettings(to)} is still being applied and the service carries on (the restore waits until it is done).`;
  options.log?.warn?.(message);
  tell('still-pending', reading, polls, message);
  return { reading, applied: false };
}

export interface RestoreOptions {
  dryRun?: boolean;
  retry?: { read?: RetryPolicy; update?: RetryPolicy } & RetryHooks;
  log?: WindowLog;
}

export interface RestoreResult {
  /** restored: put back exactly; unchanged: it already was what was read; floor: the floor kept it higher; dry-run: nothing sent. */
  outcome: 'restored' | 'unchanged' | 'floor' | 'dry-run';
  found: ThroughputSettings;
  restoredTo: ThroughputSettings;
  warnings: string[];
}

export function validateWindowState(value: unknown, source: string): WindowState {
  const v = value as Partial<WindowState> | null;
  const okSettings = (s: unknown): boolean => {
    const x = s as Partial<ThroughputSettings> | null;
    return !!x && (x.mode === 'manual' || x.mode === 'autoscale') && typeof x.value === 'number' && x.value > 0;
  };
  const t = v?.target as Partial<ThroughputTarget> | undefined;
  if (
    !v || v.kind !== WINDOW_STATE_KIND || v.version !== 1 || !t ||
    typeof t.subscriptionId !== 'string' || typeof t.resourceGroup !== 'string' || typeof t.accountName !== 'string' || typeof t.database !== 'string' ||
    (t.container !== undefined && typeof t.container !== 'string') ||
    !okSettings(v.before) || !okSettings(v.raisedTo)
  ) {
    throw new ThroughputRestoreError(`${source} is not a docferry throughput window state (kind ${WINDOW_STATE_KIND}, version 1); it was not written by \`docferry throughput raise\` or it was edited.`);
  }
  return v as WindowState;
}

export async function restoreThroughput(client: ThroughputManagementClient, state: WindowState, options: RestoreOptions = {}): Promise<RestoreResult> {
  const hooks = hooksOf(options.retry, options.log);
  const target = state.target;
  const name = describeTarget(target);
  const read = () => withArmRetry(`read throughput of ${name}`, () => client.read(target), options.retry?.read ?? restoreRetryPolicy, hooks);
  let reading: ThroughputReading;
  try {
    reading = await read();
  } catch (err) {
    throw new ThroughputRestoreError(`Could not read the throughput of ${name} to restore it to ${describeSettings(state.before)}: ${errorMessage(err)}. Nothing was changed; run the restore again.`, { cause: err });
  }
  const found = reading.settings;
  if (found.mode !== state.before.mode) {
    throw new ThroughputRestoreError(
      `${name} is now ${describeSettings(found)} but the window opened on ${describeSettings(state.before)}: the throughput mode was changed outside docferry. ` +
        'Migrate it back (az cosmosdb sql container throughput migrate) and run the restore again.',
    );
  }
  if (reading.offerReplacePending) {
    throw new ThroughputRestoreError(
      `A throughput change on ${name} is still being applied (offerReplacePending; a raise above the instant-scale limit takes hours). ` +
        `It cannot be restored to ${describeSettings(state.before)} until that finishes: run the restore again later.`,
    );
  }
  if (found.value === state.before.value) {
    options.log?.info?.(`${name} is already ${describeSettings(found)}: nothing to restore.`);
    return { outcome: 'unchanged', found, restoredTo: found, warnings: [] };
  }
  const warnings: string[] = [];
  let desired: ThroughputSettings = { ...state.before };
  if (reading.minimumThroughput !== undefined && reading.minimumThroughput > state.before.value) {
    desired = { mode: state.before.mode, value: roundUpTo(reading.minimumThroughput, stepFor(state.before.mode)) };
    warnings.push(
      `${name} cannot go back to ${describeSettings(state.before)}: its floor is now ${reading.minimumThroughput} RU/s, so it is set to ${describeSettings(desired)}, the lowest allowed.`,
    );
  }
  if (desired.value === found.value) {
    for (const w of warnings) options.log?.warn?.(w);
    return { outcome: 'floor', found, restoredTo: found, warnings };
  }
  if (options.dryRun) {
    options.log?.info?.(`would restore ${name} from ${describeSettings(found)} to ${describeSettings(desired)}`);
    return { outcome: 'dry-run', found, restoredTo: desired, warnings };
  }
  options.log?.info?.(`restoring ${name} from ${describeSettings(found)} to ${describeSettings(desired)}`);
  try {
    await withArmRetry(`restore throughput of ${name}`, () => client.update(target, desired), options.retry?.update ?? restoreRetryPolicy, hooks);
  } catch (err) {
    throw new ThroughputRestoreError(
      `Restoring ${name} to ${describeSettings(desired)} failed: ${errorMessage(err)}. It was ${describeSettings(found)} before the attempt and may still be, at that cost: run the restore again.`,
      { cause: err },
    );
  }
  for (const w of warnings) options.log?.warn?.(w);
  return { outcome: warnings.length > 0 ? 'floor' : 'restored', found, restoredTo: desired, warnings };
}
