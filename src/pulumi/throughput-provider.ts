/**
 * The Pulumi dynamic provider of the RU/s window: create = raise, update = raise further (keeping
 * the value read before the first raise), delete = restore exactly that. It calls the same
 * functions as `docferry throughput raise|restore` (src/azure/throughput).
 *
 * Pulumi serializes this provider's closure and runs it in a separate process. So nothing here
 * may capture an SDK imported by ESM `import` (the serializer cannot re-create it): the default
 * client factory loads @azure/arm-cosmosdb and @azure/identity with `require` when it runs.
 * Only `import type` from @pulumi/pulumi for the same reason.
 */
import type * as pulumi from '@pulumi/pulumi';
import { armThroughputClient, type CosmosThroughputApi } from '../azure/throughput/arm-client.js';
import { settingsProblems } from '../azure/throughput/plan.js';
import type { RetryHooks } from '../azure/throughput/retry.js';
import { throughputTargetId, type ThroughputManagementClient, type ThroughputSettings, type ThroughputTarget } from '../azure/throughput/types.js';
import { raiseThroughput, restoreThroughput, WINDOW_STATE_KIND, type RaiseResult, type ThroughputProgress, type WindowState } from '../azure/throughput/window.js';

/** The dynamic resource's inputs (all plain values). */
export interface WindowInputs {
  subscriptionId: string;
  resourceGroupName: string;
  accountName: string;
  databaseName: string;
  /** Absent: the database's shared throughput. */
  containerName?: string;
  mode: 'manual' | 'autoscale';
  /** Manual RU/s, or the autoscale maximum. */
  value: number;
  acknowledgeFloorIncrease?: boolean;
  allowDecrease?: boolean;
  storageGb?: number;
  physicalPartitions?: number;
  /** Wait up to this long for an asynchronous scale-up (offerReplacePending), logging each read; absent or 0: do not wait. */
  waitForScaleUpSeconds?: number;
}

export interface WindowOutputs extends WindowInputs {
  targetId: string;
  /** What was read before the first raise: what `pulumi destroy` puts back. */
  before: ThroughputSettings;
  raisedTo: ThroughputSettings;
  raisedAt: string;
  newFloor: number;
  restorable: boolean;
  instantScaleLimit: number;
  instantScaleLimitSource: string;
  exceedsInstantLimit: boolean;
  warnings: string[];
}

export type ClientFactory = (subscriptionId: string) => Promise<ThroughputManagementClient>;

/** DefaultAzureCredential + CosmosDBManagementClient, loaded when the provider runs. */
export async function loadArmThroughputClient(subscriptionId: string): Promise<ThroughputManagementClient> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const load = async (name: string): Promise<any> => (typeof require === 'function' ? require(name) : import(name));
  const sdk = await load('@azure/arm-cosmosdb');
  const identity = await load('@azure/identity');
  const api = new sdk.CosmosDBManagementClient(new identity.DefaultAzureCredential(), subscriptionId) as CosmosThroughputApi;
  return armThroughputClient(api);
}

export function targetOfInputs(i: WindowInputs): ThroughputTarget {
  return {
    subscriptionId: i.subscriptionId,
    resourceGroup: i.resourceGroupName,
    accountName: i.accountName,
    database: i.databaseName,
    ...(i.containerName ? { container: i.containerName } : {}),
  };
}

/** The window state kept in the resource's outputs (the provider's equivalent of the CLI's state file). */
export function stateOfOutputs(o: WindowOutputs): WindowState {
  return {
    kind: WINDOW_STATE_KIND,
    version: 1,
    targetId: o.targetId,
    target: targetOfInputs(o),
    before: o.before,
    raisedTo: o.raisedTo,
    raisedAt: o.raisedAt,
    status: 'raised',
    newFloor: o.newFloor,
    acknowledgedFloorIncrease: !o.restorable,
  };
}

function outputsOf(inputs: WindowInputs, r: RaiseResult): WindowOutputs {
  return {
    ...inputs,
    targetId: r.state.targetId,
    before: r.state.before,
    raisedTo: r.state.raisedTo,
    raisedAt: r.state.raisedAt,
    newFloor: r.plan.newFloor.value,
    restorable: r.plan.restorable,
    instantScaleLimit: r.plan.instantScale.limit,
    instantScaleLimitSource: r.plan.instantScale.source,
    exceedsInstantLimit: r.plan.instantScale.exceeded,
    warnings: r.plan.warnings,
  };
}

const IDENTITY_KEYS = ['subscriptionId', 'resourceGroupName', 'accountName', 'databaseName', 'containerName'] as const;
const SETTING_KEYS = ['mode', 'value', 'acknowledgeFloorIncrease', 'allowDecrease', 'storageGb', 'physicalPartitions'] as const;

export interface ProviderOptions {
  retry?: RetryHooks;
  /** Where progress lines go while a raise waits; default pulumi.log.info (loaded when it runs). */
  log?: (message: string) => void;
  /** Between two progress lines / reads of a pending offer (default 30 s). */
  progressIntervalMs?: number;
}

/** pulumi.log.info in the provider's process, required there (the closure cannot capture an ESM import); stderr without it. */
function pulumiLog(message: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = typeof require === 'function' ? require('@pulumi/pulumi') : undefined;
    if (p?.log?.info) return void p.log.info(message);
  } catch {
    // fall through
  }
  process.stderr.write(`${message}\n`);
}

export function makeThroughputWindowProvider(createClient: ClientFactory = loadArmThroughputClient, options: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const raiseOptions = (i: WindowInputs) => ({
    acknowledgeFloorIncrease: Boolean(i.acknowledgeFloorIncrease),
    allowDecrease: Boolean(i.allowDecrease),
    ...(i.storageGb !== undefined ? { storageGb: i.storageGb } : {}),
    ...(i.physicalPartitions !== undefined ? { physicalPartitions: i.physicalPartitions } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    // pulumi up shows these while it waits, instead of a resource that sits there for minutes.
    onProgress: (p: ThroughputProgress) => (options.log ?? pulumiLog)(p.message),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(i.waitForScaleUpSeconds
      ? {
          waitForScaleUp: {
            timeoutMs: i.waitForScaleUpSeconds * 1000,
            ...(options.progressIntervalMs !== undefined ? { pollMs: options.progressIntervalMs } : {}),
            ...(options.retry?.sleep ? { sleep: options.retry.sleep } : {}),
          },
        }
      : {}),
  });

  return {
    async check(_olds: WindowInputs, news: WindowInputs) {
      const failures: { property: string; reason: string }[] = [];
      for (const k of ['subscriptionId', 'resourceGroupName', 'accountName', 'databaseName'] as const) {
        if (typeof news[k] !== 'string' || news[k] === '') failures.push({ property: k, reason: `${k} is required` });
      }
      if (news.mode !== 'manual' && news.mode !== 'autoscale') failures.push({ property: 'mode', reason: 'mode must be manual or autoscale' });
      else for (const reason of settingsProblems({ mode: news.mode, value: news.value })) failures.push({ property: 'value', reason });
      return { inputs: news, failures };
    },

    async diff(_id: string, olds: WindowOutputs, news: WindowInputs) {
      const replaces = IDENTITY_KEYS.filter((k) => (olds[k] ?? '') !== (news[k] ?? ''));
      const changed = SETTING_KEYS.filter((k) => olds[k] !== news[k]);
      // Another target is another window: restore the old one before raising the new one.
      return { changes: replaces.length > 0 || changed.length > 0, replaces: [...replaces], deleteBeforeReplace: true };
    },

    async create(inputs: WindowInputs) {
      const client = await createClient(inputs.subscriptionId);
      const target = targetOfInputs(inputs);
      try {
        const r = await raiseThroughput(client, target, { mode: inputs.mode, value: inputs.value }, raiseOptions(inputs));
        return { id: throughputTargetId(target), outs: outputsOf(inputs, r) };
      } catch (err) {
        const e = err as { name?: string; changed?: boolean; state?: WindowState; message?: string };
        if (e?.name === 'ThroughputRaiseError' && e.changed !== false && e.state) {
          // A failed create leaves no resource in the state, so `pulumi destroy` could not restore: do it now.
          try {
            await restoreThroughput(client, e.state, options.retry ? { retry: options.retry } : {});
          } catch (restoreErr) {
            throw new Error(
              `${e.message} Restoring it right away failed too: ${(restoreErr as Error).message} ` +
                `Restore ${e.state.before.mode === 'manual' ? `throughput ${e.state.before.value}` : `autoscale max ${e.state.before.value}`} RU/s by hand.`,
            );
          }
          throw new Error(`${e.message} It was restored to what was read before.`);
        }
        throw err;
      }
    },

    async update(_id: string, olds: WindowOutputs, news: WindowInputs) {
      const client = await createClient(news.subscriptionId);
      const previous = stateOfOutputs(olds);
      const r = await raiseThroughput(client, targetOfInputs(news), { mode: news.mode, value: news.value }, { ...raiseOptions(news), previous });
      return { outs: outputsOf(news, r) };
    },

    async delete(_id: string, olds: WindowOutputs) {
      if (!olds.before) return; // never raised
      const client = await createClient(olds.subscriptionId);
      await restoreThroughput(client, stateOfOutputs(olds), options.retry ? { retry: options.retry } : {});
    },
  };
}
