/**
 * Pure decisions of the RU/s window: the floor a raise leaves behind, the instant-scale limit,
 * and whether a raise is allowed. No I/O: the CLI, the Pulumi provider and the tests call these.
 *
 * Cosmos DB rules (see shared FACTS §3):
 * - manual minimum        = max(400,  storage GB x 1,  highest RU/s ever / 100)
 * - autoscale max minimum = max(1000, storage GB x 10, highest max RU/s ever / 10)
 * - scaling up is instant up to physical partitions x 10,000 RU/s; above, partitions split (hours).
 */
import { describeSettings, type ThroughputMode, type ThroughputReading, type ThroughputSettings } from './types.js';

export const RU_PER_PHYSICAL_PARTITION = 10_000;
export const GB_PER_PHYSICAL_PARTITION = 50;

/** The step a value must be a multiple of: 100 for manual RU/s, 1000 for an autoscale maximum. */
export function stepFor(mode: ThroughputMode): number {
  return mode === 'manual' ? 100 : 1000;
}

export function absoluteMinimumFor(mode: ThroughputMode): number {
  return mode === 'manual' ? 400 : 1000;
}

export function roundUpTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** Problems with a requested value, or [] when it can be set. */
export function settingsProblems(s: ThroughputSettings): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(s.value) || s.value <= 0) problems.push(`${s.mode === 'manual' ? 'manual throughput' : 'autoscale maximum'} must be a positive whole number of RU/s (got ${s.value})`);
  else {
    if (s.value < absoluteMinimumFor(s.mode)) problems.push(`${s.mode === 'manual' ? 'manual throughput' : 'autoscale maximum'} must be at least ${absoluteMinimumFor(s.mode)} RU/s (got ${s.value})`);
    if (s.value % stepFor(s.mode) !== 0) problems.push(`${s.mode === 'manual' ? 'manual throughput' : 'autoscale maximum'} must be a multiple of ${stepFor(s.mode)} (got ${s.value})`);
  }
  return problems;
}

export interface FloorInputs {
  mode: ThroughputMode;
  /** The highest value ever set (at least the current one). */
  highestEver: number;
  /** Data stored, when known. */
  storageGb?: number;
  /** The minimum the service reports now; it already accounts for storage and history. */
  serviceMinimum?: number;
}

export interface FloorReport {
  /** The lowest value the offer can be set to, rounded up to a settable value. */
  value: number;
  /** Which rule gives the value, e.g. `highest-ever 40000 / 100 = 400`. */
  basis: string;
  /** Every rule considered, for reports. */
  terms: { rule: string; value: number }[];
}

/** The floor: the lowest value the offer can be brought back down to. */
export function throughputFloor(input: FloorInputs): FloorReport {
  const manual = input.mode === 'manual';
  const divisor = manual ? 100 : 10;
  const perGb = manual ? 1 : 10;
  const terms: { rule: string; value: number }[] = [
    { rule: `${manual ? 'manual' : 'autoscale'} minimum ${absoluteMinimumFor(input.mode)}`, value: absoluteMinimumFor(input.mode) },
    { rule: `highest-ever ${input.highestEver} / ${divisor} = ${Math.ceil(input.highestEver / divisor)}`, value: Math.ceil(input.highestEver / divisor) },
  ];
  if (input.storageGb !== undefined && input.storageGb > 0) {
    terms.push({ rule: `storage ${input.storageGb} GB x ${perGb} = ${Math.ceil(input.storageGb * perGb)}`, value: Math.ceil(input.storageGb * perGb) });
  }
  if (input.serviceMinimum !== undefined && input.serviceMinimum > 0) {
    terms.push({ rule: `minimum reported by the service ${input.serviceMinimum}`, value: input.serviceMinimum });
  }
  let top = terms[0]!;
  for (const t of terms) if (t.value > top.value) top = t;
  return { value: roundUpTo(top.value, stepFor(input.mode)), basis: top.rule, terms };
}

export interface InstantScaleReport {
  /** The highest value reachable at once; above it the change is asynchronous (partition splits, hours). */
  limit: number;
  /** reported: by the service; partitions: from a given physical partition count; estimated: from current RU/s and storage. */
  source: 'reported' | 'partitions' | 'estimated';
  physicalPartitions?: number;
  exceeded: boolean;
}

export function instantScaleLimit(
  reading: ThroughputReading,
  to: ThroughputSettings,
  hints: { physicalPartitions?: number; storageGb?: number } = {},
): InstantScaleReport {
  if (reading.instantMaximumThroughput !== undefined && reading.instantMaximumThroughput > 0) {
    return { limit: reading.instantMaximumThroughput, source: 'reported', exceeded: to.value > reading.instantMaximumThroughput };
  }
  if (hints.physicalPartitions !== undefined && hints.physicalPartitions > 0) {
    const limit = hints.physicalPartitions * RU_PER_PHYSICAL_PARTITION;
    return { limit, source: 'partitions', physicalPartitions: hints.physicalPartitions, exceeded: to.value > limit };
  }
  // A container has at least as many physical partitions as its RU/s and its data need.
  const partitions = Math.max(
    1,
    Math.ceil(reading.settings.value / RU_PER_PHYSICAL_PARTITION),
    hints.storageGb !== undefined ? Math.ceil(hints.storageGb / GB_PER_PHYSICAL_PARTITION) : 1,
  );
  const limit = partitions * RU_PER_PHYSICAL_PARTITION;
  return { limit, source: 'estimated', physicalPartitions: partitions, exceeded: to.value > limit };
}

export interface RaiseRequest {
  to: ThroughputSettings;
  /** Allow a raise whose new floor is above the value to restore (the restore will only get down to the floor). */
  acknowledgeFloorIncrease?: boolean;
  /** Allow a target below the current value. */
  allowDecrease?: boolean;
  storageGb?: number;
  physicalPartitions?: number;
  /** The highest value ever set, when known (the service does not report it; the current value is a lower bound). */
  highestEver?: number;
}

export interface RaisePlan {
  current: ThroughputSettings;
  to: ThroughputSettings;
  /** What the restore puts back: what was read before the (first) raise. */
  restoreTo: ThroughputSettings;
  currentFloor: FloorReport;
  /** The floor once the raise is done: the lowest the restore can get to. */
  newFloor: FloorReport;
  /** newFloor <= restoreTo: the restore can put back exactly what was read. */
  restorable: boolean;
  direction: 'raise' | 'decrease' | 'unchanged';
  instantScale: InstantScaleReport;
  softAllowedMaximum?: number;
  warnings: string[];
  /** Why the raise is refused; absent when it may go ahead. */
  refusal?: string;
  /** Refused only for want of an acknowledgement or of allowDecrease (a flag would let it through). */
  refusalNeeds?: 'acknowledgeFloorIncrease' | 'allowDecrease';
}

export function planRaise(reading: ThroughputReading, request: RaiseRequest, restoreTo: ThroughputSettings = reading.settings): RaisePlan {
  const current = reading.settings;
  const to = request.to;
  const warnings: string[] = [];
  const highestSoFar = Math.max(request.highestEver ?? 0, current.value, restoreTo.mode === current.mode ? restoreTo.value : 0);
  const currentFloor = throughputFloor({ mode: current.mode, highestEver: highestSoFar, storageGb: request.storageGb, serviceMinimum: reading.minimumThroughput });
  const newFloor = throughputFloor({ mode: to.mode, highestEver: Math.max(highestSoFar, to.value), storageGb: request.storageGb, serviceMinimum: reading.minimumThroughput });
  const restorable = newFloor.value <= restoreTo.value;
  const direction = to.value > current.value ? 'raise' : to.value < current.value ? 'decrease' : 'unchanged';
  const instantScale = instantScaleLimit(reading, to, { physicalPartitions: request.physicalPartitions, storageGb: request.storageGb });
  const plan: RaisePlan = {
    current, to, restoreTo, currentFloor, newFloor, restorable, direction, instantScale,
    ...(reading.softAllowedMaximumThroughput !== undefined ? { softAllowedMaximum: reading.softAllowedMaximumThroughput } : {}),
    warnings,
  };

  const problems = settingsProblems(to);
  if (problems.length > 0) return { ...plan, refusal: `Invalid target: ${problems.join('; ')}.` };
  if (to.mode !== current.mode) {
    return {
      ...plan,
      refusal:
        `The offer is ${describeSettings(current)} but the target is ${describeSettings(to)}. ` +
        `The window keeps the mode (a restore must put back exactly what was read): use ${current.mode === 'manual' ? '--to N (throughput N)' : '--autoscale-max N (autoscaleMax N)'}.`,
    };
  }
  if (restoreTo.mode !== to.mode) {
    return { ...plan, refusal: `The value to restore is ${describeSettings(restoreTo)} but the target is ${describeSettings(to)}: the mode changed since the window was opened.` };
  }
  if (reading.offerReplacePending) {
    warnings.push('A previous throughput change is still being applied (offerReplacePending): the service may refuse this one until it finishes.');
  }
  if (direction === 'decrease' && !request.allowDecrease) {
    return {
      ...plan,
      refusal: `The target ${describeSettings(to)} is below the current ${describeSettings(current)}: that is not a raise. Pass allowDecrease (--allow-decrease) if you mean it.`,
      refusalNeeds: 'allowDecrease',
    };
  }
  if (direction === 'decrease' && to.value < currentFloor.value) {
    return { ...plan, refusal: `The target ${to.value} is below the lowest value the offer can be set to now, ${currentFloor.value} (${currentFloor.basis}).` };
  }
  if (!restorable) {
    const msg =
      `Raising to ${describeSettings(to)} lifts the floor to ${newFloor.value} RU/s (${newFloor.basis}), above the ${restoreTo.value} RU/s to restore: ` +
      `after the window the offer can only come back down to ${newFloor.value} RU/s and will cost that much for good.`;
    if (!request.acknowledgeFloorIncrease) {
      return { ...plan, refusal: `${msg} Pass acknowledgeFloorIncrease (--acknowledge-floor) to accept that, or pick a target of at most ${maxRestorableTarget(restoreTo)}.`, refusalNeeds: 'acknowledgeFloorIncrease' };
    }
    warnings.push(`${msg} (acknowledged)`);
  }
  if (instantScale.exceeded) {
    warnings.push(
      `${to.value} RU/s is above the instant-scale limit of ${instantScale.limit} RU/s (${describeInstantSource(instantScale)}): ` +
        'Azure must split partitions first, which takes hours; the old throughput stays in effect until it finishes, and the extra partitions remain afterwards.',
    );
  }
  if (plan.softAllowedMaximum !== undefined && to.value > plan.softAllowedMaximum) {
    warnings.push(`${to.value} RU/s is above the account's allowed maximum of ${plan.softAllowedMaximum} RU/s: the service is likely to refuse it (raise the quota through a support request).`);
  }
  return plan;
}

/** The highest target that still lets the restore get back to `restoreTo` (ignoring storage and history floors). */
export function maxRestorableTarget(restoreTo: ThroughputSettings): number {
  return restoreTo.value * (restoreTo.mode === 'manual' ? 100 : 10);
}

function describeInstantSource(r: InstantScaleReport): string {
  if (r.source === 'reported') return 'reported by the service';
  if (r.source === 'partitions') return `${r.physicalPartitions} physical partitions x 10,000 RU/s`;
  return `estimated from current throughput and storage: ${r.physicalPartitions} physical partition${r.physicalPartitions === 1 ? '' : 's'} x 10,000 RU/s`;
}

/** Lines for a person: what the raise does and what it costs afterwards. */
export function describePlan(plan: RaisePlan): string[] {
  const lines = [
    `current:  ${describeSettings(plan.current)} (floor now ${plan.currentFloor.value}: ${plan.currentFloor.basis})`,
    `target:   ${describeSettings(plan.to)}${plan.direction === 'unchanged' ? ' (already set: nothing to change)' : ''}`,
    `restore:  ${describeSettings(plan.restoreTo)}`,
    `new floor after the raise: ${plan.newFloor.value} RU/s (${plan.newFloor.basis})${plan.restorable ? '' : ' -- ABOVE the value to restore'}`,
    `instant-scale limit: ${plan.instantScale.limit} RU/s (${describeInstantSource(plan.instantScale)})${plan.instantScale.exceeded ? ' -- EXCEEDED: the raise takes hours' : ''}`,
  ];
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  if (plan.refusal) lines.push(`refused: ${plan.refusal}`);
  return lines;
}
