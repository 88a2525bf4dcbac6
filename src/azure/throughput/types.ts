/**
 * The RU/s window: types shared by the `docferry throughput` command and the Pulumi
 * throughput program. Nothing here imports an Azure SDK: the management API sits behind
 * {@link ThroughputManagementClient} so the logic is tested with a fake.
 */

/** manual: `value` is the provisioned RU/s. autoscale: `value` is the autoscale maximum RU/s. */
export type ThroughputMode = 'manual' | 'autoscale';

export interface ThroughputSettings {
  mode: ThroughputMode;
  value: number;
}

/** Where the throughput lives: a container's dedicated throughput, or a database's shared one (no container). */
export interface ThroughputTarget {
  subscriptionId: string;
  resourceGroup: string;
  accountName: string;
  database: string;
  /** Omit for database-level (shared) throughput. */
  container?: string;
}

/** What the management API says about a throughput offer, numbers already parsed. */
export interface ThroughputReading {
  settings: ThroughputSettings;
  /** The lowest value the offer can be set to now (in the unit of `settings.value`), when the service reports it. */
  minimumThroughput?: number;
  /** The highest value reachable without partition splits (instant scale), when the service reports it. */
  instantMaximumThroughput?: number;
  /** The highest value that may be set at all without a support request, when the service reports it. */
  softAllowedMaximumThroughput?: number;
  /** A previous change is still being applied (an asynchronous scale-up with partition splits). */
  offerReplacePending?: boolean;
}

/** The management-plane operations the window needs. An adapter over @azure/arm-cosmosdb is in arm-client.ts. */
export interface ThroughputManagementClient {
  read(target: ThroughputTarget): Promise<ThroughputReading>;
  /** Applies the settings and waits for the operation to finish; returns what the service reports afterwards. */
  update(target: ThroughputTarget, settings: ThroughputSettings): Promise<ThroughputReading>;
}

/** ARM id of the throughput settings resource of a target. */
export function throughputTargetId(t: ThroughputTarget): string {
  const base =
    `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}` +
    `/providers/Microsoft.DocumentDB/databaseAccounts/${t.accountName}/sqlDatabases/${t.database}`;
  return `${base}${t.container !== undefined ? `/containers/${t.container}` : ''}/throughputSettings/default`;
}

/** A short human name: `account/db/container` or `account/db (database-level)`. */
export function describeTarget(t: ThroughputTarget): string {
  return t.container !== undefined ? `${t.accountName}/${t.database}/${t.container}` : `${t.accountName}/${t.database} (database-level shared throughput)`;
}

export function describeSettings(s: ThroughputSettings): string {
  return s.mode === 'manual' ? `${s.value} RU/s (manual)` : `autoscale max ${s.value} RU/s`;
}

export function sameSettings(a: ThroughputSettings, b: ThroughputSettings): boolean {
  return a.mode === b.mode && a.value === b.value;
}

export function sameTarget(a: ThroughputTarget, b: ThroughputTarget): boolean {
  return throughputTargetId(a).toLowerCase() === throughputTargetId(b).toLowerCase();
}
