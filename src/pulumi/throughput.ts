/**
 * MigrationThroughputWindow (pulumi/throughput is a stack over it): the migration RU/s window as resources. `pulumi up` opens it (raise),
 * `pulumi destroy` closes it (restore exactly what was read). One ThroughputWindow per container
 * (or database with shared throughput); they are chained so updates go one at a time (the
 * control plane allows ~25 throughput updates per 5 minutes per account).
 */
import * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../core/errors.js';
import { settingsProblems } from '../azure/throughput/plan.js';
import type { ThroughputSettings } from '../azure/throughput/types.js';
import { makeThroughputWindowProvider, type WindowInputs } from './throughput-provider.js';

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

export interface MigrationThroughputWindowArgs {
  /** Each may be another resource's output (e.g. a CosmosTargetFromLayout's accountName). */
  subscriptionId: pulumi.Input<string>;
  resourceGroupName: pulumi.Input<string>;
  accountName: pulumi.Input<string>;
  windows: WindowSpec[];
  acknowledgeFloorIncrease?: boolean;
  allowDecrease?: boolean;
  /**
   * Wait up to this many seconds for a scale-up the service applies asynchronously
   * (offerReplacePending: above the instant-scale limit, hours), with a pulumi.log.info line per
   * read of the offer. Absent: the window opens at once and the scale-up goes on in the service.
   */
  waitForScaleUpSeconds?: number;
  /** Tests inject a provider built over a fake client. */
  provider?: pulumi.dynamic.ResourceProvider;
}

type AccountKey = 'subscriptionId' | 'resourceGroupName' | 'accountName';
/** A window resource's inputs: the account's coordinates may still be outputs of other resources. */
export type WindowResourceInputs = Omit<WindowInputs, AccountKey> & { [K in AccountKey]: pulumi.Input<string> };

/** Inputs of one window resource; refuses a bad spec before anything is registered. */
export function windowInputs(o: MigrationThroughputWindowArgs, w: WindowSpec): WindowResourceInputs {
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
    ...(o.waitForScaleUpSeconds ? { waitForScaleUpSeconds: o.waitForScaleUpSeconds } : {}),
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

  constructor(name: string, inputs: WindowResourceInputs, provider: pulumi.dynamic.ResourceProvider, opts?: pulumi.CustomResourceOptions) {
    const outputs = { targetId: undefined, before: undefined, raisedTo: undefined, raisedAt: undefined, newFloor: undefined, restorable: undefined, instantScaleLimit: undefined, instantScaleLimitSource: undefined, exceedsInstantLimit: undefined, warnings: undefined };
    super(provider, name, { ...outputs, ...inputs }, opts, 'docferry', 'ThroughputWindow');
  }
}

/** Per window: what the destroy restores, the raise, and its cost afterwards. */
export interface WindowSummary {
  targetId: string;
  before: ThroughputSettings;
  raisedTo: ThroughputSettings;
  newFloor: number;
  exceedsInstantLimit: boolean;
  warnings: string[];
}

export const THROUGHPUT_WINDOW_TYPE = 'docferry:index:MigrationThroughputWindow';

/** Pulumi resource name of a window (the component's name, then the target). */
export function windowName(componentName: string, w: Pick<WindowInputs, 'databaseName' | 'containerName'>): string {
  return `${componentName}-window-${w.databaseName}${w.containerName ? `-${w.containerName}` : ''}`;
}

/**
 * The RU/s window of a migration: `pulumi up` raises every listed target (one at a time, in
 * order), `pulumi destroy` restores each to exactly what was read before the first raise (in
 * reverse order). Same code as `docferry throughput raise|restore`.
 */
export class MigrationThroughputWindow extends pulumi.ComponentResource {
  readonly windows: ThroughputWindow[];
  readonly summary: pulumi.Output<WindowSummary[]>;

  constructor(name: string, args: MigrationThroughputWindowArgs, opts?: pulumi.ComponentResourceOptions) {
    for (const k of ['subscriptionId', 'resourceGroupName', 'accountName'] as const) {
      if (!args[k]) throw new UsageError(`${k} is required (docferry-throughput:${k}).`);
    }
    if (args.windows.length === 0) throw new UsageError('No window configured: set docferry-throughput:databaseName (and containerName, throughput or autoscaleMax), or docferry-throughput:windows.');
    const inputs = args.windows.map((w) => windowInputs(args, w));
    const names = inputs.map((i) => windowName(name, i));
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new UsageError(`Two windows on the same target (${dup}).`);
    super(THROUGHPUT_WINDOW_TYPE, name, {}, opts);

    const provider = args.provider ?? makeThroughputWindowProvider();
    const windows: ThroughputWindow[] = [];
    inputs.forEach((i, n) => {
      // One at a time: raises in order on up, restores in reverse order on destroy.
      windows.push(new ThroughputWindow(names[n]!, i, provider, { parent: this, ...(n > 0 ? { dependsOn: [windows[n - 1]!] } : {}) }));
    });
    this.windows = windows;
    // The raise's warnings (floor raised, above the instant-scale limit) belong on the console of `pulumi up`.
    for (const w of windows) w.warnings.apply((ws) => ws?.forEach((msg) => pulumi.log.warn(msg, w)));
    this.summary = pulumi.all(
      windows.map((w) =>
        pulumi.all([w.targetId, w.before, w.raisedTo, w.newFloor, w.exceedsInstantLimit, w.warnings]).apply(([targetId, before, raisedTo, newFloor, exceedsInstantLimit, warnings]) => ({
          targetId, before, raisedTo, newFloor, exceedsInstantLimit, warnings: warnings ?? [],
        })),
      ),
    );
    this.registerOutputs({ summary: this.summary });
  }
}
