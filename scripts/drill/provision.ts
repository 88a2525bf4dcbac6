/**
 * The drill's "provision" stage: databases and containers created from the layout through the
 * Cosmos DB SDK, as pulumi/target creates them through ARM (partition key kind and version,
 * indexing policy, unique keys, TTL, throughput; the never-migrated containers too), so the
 * import meets containers that already exist, as it does with RBAC in a real pipeline.
 */
import type { ContainerRequest, CosmosClient } from '@azure/cosmos';
import { PartitionKeyKind } from '@azure/cosmos';
import { resolvePartitionKey, type Layout, type ThroughputSpec } from '../../src/core/layout.js';

export interface ProvisionedTarget {
  databases: string[];
  /** `db/container`, as pulumi/target's containerNames output. */
  containers: string[];
}

/** Manual RU/s or an autoscale maximum, as the request body takes them. */
function throughput(spec: ThroughputSpec | undefined): { throughput?: number; maxThroughput?: number } {
  if (!spec) return {};
  if (spec.manual !== undefined) return { throughput: spec.manual };
  return { maxThroughput: spec.autoscaleMax };
}

export async function provisionFromLayout(client: CosmosClient, layout: Layout): Promise<ProvisionedTarget> {
  const out: ProvisionedTarget = { databases: [], containers: [] };
  for (const db of layout.databases) {
    const { database } = await client.databases.create({ id: db.name, ...throughput(db.throughput) });
    out.databases.push(db.name);
    for (const c of db.containers) {
      const pk = resolvePartitionKey(c.partitionKey);
      const definition: ContainerRequest = {
        id: c.name,
        partitionKey: { paths: pk.paths, kind: pk.kind === 'MultiHash' ? PartitionKeyKind.MultiHash : PartitionKeyKind.Hash, version: pk.version },
        ...(c.indexingPolicy ? { indexingPolicy: structuredClone(c.indexingPolicy) } : {}),
        ...(c.uniqueKeys?.length ? { uniqueKeyPolicy: { uniqueKeys: c.uniqueKeys.map((paths) => ({ paths: [...paths] })) } } : {}),
        ...(c.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}),
        ...throughput(c.throughput),
      };
      await database.containers.create(definition);
      out.containers.push(`${db.name}/${c.name}`);
    }
  }
  return out;
}

/** The teardown's counterpart of `pulumi destroy`: every database the provision created. */
export async function deprovision(client: CosmosClient, target: ProvisionedTarget): Promise<void> {
  for (const name of target.databases) await client.database(name).delete();
}
