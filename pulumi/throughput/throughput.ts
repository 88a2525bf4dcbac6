/**
 * pulumi/throughput: the migration RU/s window as resources. `pulumi up` opens it (raise),
 * `pulumi destroy` closes it (restore exactly what was read). One ThroughputWindow per container
 * (or database with shared throughput); they are chained so updates go one at a time (the
 * control plane allows ~25 throughput updates per 5 minutes per account).
 */
import * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../../src/core/errors.js';
import { settingsProblems } from '../../src/azure/throughput/plan.js';
import type { ThroughputSettings } from '../../src/azure/throughput/types.js';
import { makeThroughputWindowProvider, type WindowInputs } from './provider.js';

export interface WindowSpec {
  database: string;
  /** Omit for the database's shared throughput. */
  container?: string;
  /** Manual RU/s to raise to. */
  throughput?: number;
  /** Autoscale maximum to raise to. */
  autoscaleMax?: number;
  storageGb?: number;
  physicalPartitions?: number;
}

export interface ThroughputProgramOptions {
  subscriptionId: string;
  resourceGroupName: string;
  accountName: string;
  windows: WindowSpec[];
  acknowledgeFloorIncrease?: boolean;
  allowDecrease?: boolean;
  /** Tests inject a provider built over a fake client. */
  provider?: pulumi.dynamic.ResourceProvider;
}

/** Inputs of one window resource; refuses a bad spec before anything is registered. */
export function windowInputs(o: ThroughputProgramOptions, w: WindowSpec): WindowInputs {
  const where = `window ${w.database}${w.container ? `/${w.container}` : ''}`;
  if (!w.database) throw new UsageError('Every window needs a database.');
  if ((w.throughput === undefined) === (w.autoscaleMax === undefined)) throw new UsageError(`${where}: set exactly one of throughput (manual RU/s) or autoscaleMax.`);
  const to: ThroughputSettings = w.throughput !== undefined ? { mode: 'manual', value: w.throughput } : { mode: 'autoscale', value: w.autoscaleMax! };
  const problems = settingsProblems(to);
  if (problems.length > 0) throw new UsageError(`${where}: ${problems.join('; ')}.`);
  return {
    subscriptionId: o.subscriptionId,
    resourceGroupName: o.resourceGroupName,
    accountName: o.accountName,
    databaseName: w.database,
    ...(w.container ? { containerName: w.container } : {}),
    mode: to.mode,
    value: to.value,
    acknowledgeFloorIncrease: Boolean(o.acknowledgeFloorIncrease),
    allowDecrease: Boolean(o.allowDecrease),
    ...(w.storageGb !== undefined ? { storageGb: w.storageGb } : {}),
    ...(w.physicalPartitions !== undefined ? { physicalPartitions: w.physicalPartitions } : {}),
  };
}

export class ThroughputWindow extends pulumi.dynamic.Resource {
  declare readonly targetId: pulumi.Output<string>;
  declare readonly before: pulumi.Output<ThroughputSettings>;
  declare readonly raisedTo: pulumi.Output<ThroughputSettings>;
  declare readonly newFloor: pulumi.Output<number>;
  declare readonly restorable: pulumi.Output<boolean>;
  declare readonly instantScaleLimit: pulumi.Output<number>;
  declare readonly exceedsInstantLimit: pulumi.Output<boolean>;
  declare readonly warnings: pulumi.Output<string[]>;

  constructor(name: string, inputs: WindowInputs, provider: pulumi.dynamic.ResourceProvider, opts?: pulumi.CustomResourceOptions) {
    const outputs = { targetId: undefined, before: undefined, raisedTo: undefined, raisedAt: undefined, newFloor: undefined, restorable: undefined, instantScaleLimit: undefined, instantScaleLimitSource: undefined, exceedsInstantLimit: undefined, warnings: undefined };
    super(provider, name, { ...outputs, ...inputs }, opts, 'docferry', 'ThroughputWindow');
  }
}

export interface ThroughputProgramResult {
  windows: ThroughputWindow[];
  /** Per window: what the destroy restores, the raise, and its cost afterwards. */
  summary: pulumi.Output<{ targetId: string; before: ThroughputSettings; raisedTo: ThroughputSettings; newFloor: number; exceedsInstantLimit: boolean; warnings: string[] }[]>;
}

export function buildThroughputWindows(o: ThroughputProgramOptions): ThroughputProgramResult {
  for (const k of ['subscriptionId', 'resourceGroupName', 'accountName'] as const) {
    if (!o[k]) throw new UsageError(`${k} is required (docferry-throughput:${k}).`);
  }
  if (o.windows.length === 0) throw new UsageError('No window configured: set docferry-throughput:databaseName (and containerName, throughput or autoscaleMax), or docferry-throughput:windows.');
  const inputs = o.windows.map((w) => windowInputs(o, w));
  const names = inputs.map((i) => `window-${i.databaseName}${i.containerName ? `-${i.containerName}` : ''}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`Two windows on the same target (${dup}).`);
  const provider = o.provider ?? makeThroughputWindowProvider();
  const windows: ThroughputWindow[] = [];
  inputs.forEach((i, n) => {
    // One at a time: raises in order on up, restores in reverse order on destroy.
    windows.push(new ThroughputWindow(names[n]!, i, provider, n > 0 ? { dependsOn: [windows[n - 1]!] } : {}));
  });
  const summary = pulumi.all(
    windows.map((w) =>
      pulumi.all([w.targetId, w.before, w.raisedTo, w.newFloor, w.exceedsInstantLimit, w.warnings]).apply(([targetId, before, raisedTo, newFloor, exceedsInstantLimit, warnings]) => ({
        targetId, before, raisedTo, newFloor, exceedsInstantLimit, warnings: warnings ?? [],
      })),
    ),
  );
  return { windows, summary };
}
