/** Stack config of pulumi/throughput (namespace docferry-throughput) turned into program options. */
import { UsageError } from '../../src/core/errors.js';
import type { MigrationThroughputWindowArgs, WindowSpec } from '../../src/pulumi/throughput.js';

export interface ConfigReader {
  get(key: string): string | undefined;
  getBoolean(key: string): boolean | undefined;
  getNumber(key: string): number | undefined;
  getObject<T>(key: string): T | undefined;
}

export function throughputOptionsFromConfig(cfg: ConfigReader, azureNative?: { get(key: string): string | undefined }, env: NodeJS.ProcessEnv = process.env): Omit<MigrationThroughputWindowArgs, 'provider'> & { subscriptionId: string; resourceGroupName: string; accountName: string } {
  const subscriptionId = cfg.get('subscriptionId') ?? azureNative?.get('subscriptionId') ?? env.AZURE_SUBSCRIPTION_ID;
  if (!subscriptionId) throw new UsageError('docferry-throughput:subscriptionId is required (or azure-native:subscriptionId, or AZURE_SUBSCRIPTION_ID).');
  const resourceGroupName = cfg.get('resourceGroupName');
  const accountName = cfg.get('accountName');
  if (!resourceGroupName || !accountName) throw new UsageError('docferry-throughput:resourceGroupName and docferry-throughput:accountName are required.');
  let windows = cfg.getObject<WindowSpec[]>('windows');
  const databaseName = cfg.get('databaseName');
  if (windows !== undefined && databaseName !== undefined) throw new UsageError('Set either docferry-throughput:windows or docferry-throughput:databaseName (one window), not both.');
  if (windows === undefined) {
    if (!databaseName) throw new UsageError('Set docferry-throughput:databaseName (with containerName and throughput or autoscaleMax), or docferry-throughput:windows.');
    const container = cfg.get('containerName');
    const throughput = cfg.getNumber('throughput');
    const autoscaleMax = cfg.getNumber('autoscaleMax');
    const storageGb = cfg.getNumber('storageGb');
    const physicalPartitions = cfg.getNumber('physicalPartitions');
    windows = [{
      database: databaseName,
      ...(container ? { container } : {}),
      ...(throughput !== undefined ? { throughput } : {}),
      ...(autoscaleMax !== undefined ? { autoscaleMax } : {}),
      ...(storageGb !== undefined ? { storageGb } : {}),
      ...(physicalPartitions !== undefined ? { physicalPartitions } : {}),
    }];
  }
  const waitForScaleUpSeconds = cfg.getNumber('waitForScaleUpSeconds');
  if (waitForScaleUpSeconds !== undefined && !(waitForScaleUpSeconds >= 0)) throw new UsageError('docferry-throughput:waitForScaleUpSeconds takes a number of seconds, 0 or more.');
  if (!Array.isArray(windows)) throw new UsageError('docferry-throughput:windows must be a list of { database, container?, throughput | autoscaleMax }.');
  return {
    subscriptionId,
    resourceGroupName,
    accountName,
    windows,
    acknowledgeFloorIncrease: cfg.getBoolean('acknowledgeFloorIncrease') ?? false,
    allowDecrease: cfg.getBoolean('allowDecrease') ?? false,
    ...(waitForScaleUpSeconds ? { waitForScaleUpSeconds } : {}),
  };
}
