import type { Container, CosmosClient } from '@azure/cosmos';
import type { CollectionSchema, ContainerLayout, CosmosContainerSchema, PartitionKeySpec, SchemaOutcome, TargetSchema, ThroughputSpec } from '../../core/layout.js';
import { errorMessage } from '../../core/errors.js';
import { redact } from '../../core/secrets.js';

/**
 * A Cosmos DB container's properties as a layout holds them. The data plane (container.read(),
 * offers) and the management plane (@azure/arm-cosmosdb's sqlResources) describe a container with
 * the same resource shape, so one mapping serves both; the ARM side is tested on recorded answers.
 */

/** The container resource fields both planes report (data plane: the container definition; ARM: `resource`). */
export interface CosmosContainerResource {
  id: string;
  partitionKey?: { paths?: string[]; kind?: string; version?: number; systemKey?: boolean };
  indexingPolicy?: Record<string, unknown>;
  uniqueKeyPolicy?: { uniqueKeys?: { paths?: string[] }[] };
  defaultTtl?: number;
}

/** The layout of one container. A partition key without a version is version 1 (the service's default then). */
export function containerFromCosmos(resource: CosmosContainerResource, notes: string[] = [], where = resource.id): Omit<ContainerLayout, 'throughput'> {
  const paths = resource.partitionKey?.paths ?? [];
  let partitionKey: PartitionKeySpec;
  if (paths.length === 0) {
    notes.push(`${where} has no partition key (a legacy non-partitioned container): written as /_partitionKey; review it.`);
    partitionKey = { paths: ['/_partitionKey'], kind: 'Hash', version: 1 };
  } else {
    const kind = resource.partitionKey?.kind === 'MultiHash' ? 'MultiHash' : 'Hash';
    partitionKey = { paths: [...paths], kind, version: resource.partitionKey?.version === 2 ? 2 : 1 };
    if (resource.partitionKey?.systemKey) notes.push(`${where}: the partition key ${paths[0]} is a system key (a migrated non-partitioned container).`);
  }
  const container: Omit<ContainerLayout, 'throughput'> = { name: resource.id, partitionKey };
  if (resource.indexingPolicy) container.indexingPolicy = indexingPolicyOf(resource.indexingPolicy);
  const uniqueKeys = (resource.uniqueKeyPolicy?.uniqueKeys ?? []).map((k) => [...(k.paths ?? [])]).filter((p) => p.length > 0);
  if (uniqueKeys.length > 0) container.uniqueKeys = uniqueKeys;
  if (typeof resource.defaultTtl === 'number') container.defaultTtl = resource.defaultTtl;
  return container;
}

/** The policy as the service reports it, without the fields it adds on its own and that cannot be set. */
export function indexingPolicyOf(policy: Record<string, unknown>): Record<string, unknown> {
  const { _rid, _etag, _self, _ts, ...rest } = policy as Record<string, unknown> & { _rid?: unknown; _etag?: unknown; _self?: unknown; _ts?: unknown };
  void _rid, void _etag, void _self, void _ts;
  return rest;
}

/** ARM throughput settings (`resource` of getSql*Throughput): manual RU/s or an autoscale maximum. */
export function throughputFromArm(resource: { throughput?: number; autoscaleSettings?: { maxThroughput?: number } } | undefined): ThroughputSpec | undefined {
  if (!resource) return undefined;
  if (resource.autoscaleSettings?.maxThroughput) return { autoscaleMax: resource.autoscaleSettings.maxThroughput };
  if (resource.throughput) return { manual: resource.throughput };
  return undefined;
}

/** A data-plane offer (offer version V2): `content.offerThroughput`, or `content.offerAutopilotSettings.maxThroughput` for autoscale. */
export function throughputFromOffer(offer: { content?: { offerThroughput?: number; offerAutopilotSettings?: { maxThroughput?: number } } } | undefined): ThroughputSpec | undefined {
  const max = offer?.content?.offerAutopilotSettings?.maxThroughput;
  if (max) return { autoscaleMax: max };
  const manual = offer?.content?.offerThroughput;
  return manual ? { manual } : undefined;
}

export interface CosmosCapturedDatabase {
  name: string;
  throughput?: ThroughputSpec;
  containers: (ContainerLayout & { empty: boolean })[];
}

async function readOfferSafely(read: () => Promise<{ resource?: unknown }>): Promise<{ throughput?: ThroughputSpec; error?: string }> {
  try {
    const { resource } = await read();
    const throughput = throughputFromOffer(resource as Parameters<typeof throughputFromOffer>[0]);
    return throughput ? { throughput } : {};
  } catch (err) {
    return { error: redact(errorMessage(err)) };
  }
}

/**
 * Every database and container of an account through the data plane. Throughput comes from the
 * offers where the credential and the server allow reading them (an Entra ID data-plane role
 * cannot; the local cosmosdb-server has no offers): otherwise it is left out with a note.
 */
export async function captureCosmosDatabases(client: CosmosClient, notes: string[]): Promise<CosmosCapturedDatabase[]> {
  const { resources: dbs } = await client.databases.readAll().fetchAll();
  const out: CosmosCapturedDatabase[] = [];
  const offerErrors: string[] = [];
  for (const dbDef of [...dbs].sort((a, b) => a.id.localeCompare(b.id))) {
    const database = client.database(dbDef.id);
    const captured: CosmosCapturedDatabase = { name: dbDef.id, containers: [] };
    const dbOffer = await readOfferSafely(() => database.readOffer());
    if (dbOffer.throughput) captured.throughput = dbOffer.throughput;
    else if (dbOffer.error) offerErrors.push(`${dbDef.id}: ${dbOffer.error}`);
    const { resources: defs } = await database.containers.readAll().fetchAll();
    for (const def of [...defs].sort((a, b) => a.id.localeCompare(b.id))) {
      const where = `${dbDef.id}.${def.id}`;
      const container = database.container(def.id);
      // container.read() is the container's own definition (readAll may leave fields out on older servers).
      const { resource } = await container.read();
      const layout: ContainerLayout & { empty: boolean } = { ...containerFromCosmos((resource ?? def) as CosmosContainerResource, notes, where), empty: false };
      const offer = await readOfferSafely(() => container.readOffer());
      if (offer.throughput) layout.throughput = offer.throughput;
      else if (offer.error) offerErrors.push(`${where}: ${offer.error}`);
      const { resources: first } = await container.items.query('SELECT TOP 1 c.id FROM c', { maxItemCount: 1 }).fetchNext();
      layout.empty = first.length === 0;
      captured.containers.push(layout);
    }
    out.push(captured);
  }
  if (offerErrors.length > 0) {
    notes.push(
      `Throughput left out: the data plane would not give the offers (${offerErrors[0]}${offerErrors.length > 1 ? `; and ${offerErrors.length - 1} more` : ''}). ` +
        'Pass --subscription, --resource-group and --account to read it through the management plane, or add it by hand.',
    );
  }
  return out;
}

/** The management-plane reads a capture needs (a subset of @azure/arm-cosmosdb's `sqlResources`). */
export interface CosmosSqlResourcesApi {
  listSqlDatabases(resourceGroup: string, accountName: string): AsyncIterable<{ name?: string; resource?: { id: string } }>;
  listSqlContainers(resourceGroup: string, accountName: string, database: string): AsyncIterable<{ name?: string; resource?: CosmosContainerResource }>;
  getSqlDatabaseThroughput(resourceGroup: string, accountName: string, database: string): Promise<{ resource?: { throughput?: number; autoscaleSettings?: { maxThroughput?: number } } }>;
  getSqlContainerThroughput(resourceGroup: string, accountName: string, database: string, container: string): Promise<{ resource?: { throughput?: number; autoscaleSettings?: { maxThroughput?: number } } }>;
}

function statusCodeOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Throughput that is not set at that level is a 404 (NotFound) from ARM: no throughput there, not an error. */
async function armThroughput(read: () => Promise<{ resource?: Parameters<typeof throughputFromArm>[0] }>): Promise<ThroughputSpec | undefined> {
  try {
    return throughputFromArm((await read()).resource);
  } catch (err) {
    if (statusCodeOf(err) === 404) return undefined;
    throw err;
  }
}

/**
 * The same capture through the management plane (subscription, resource group and account given):
 * the partition keys, policies and throughput as ARM reports them. Emptiness cannot be read there,
 * so `empty` stays unknown (left out).
 */
export async function captureCosmosArm(api: CosmosSqlResourcesApi, resourceGroup: string, accountName: string, notes: string[]): Promise<(Omit<CosmosCapturedDatabase, 'containers'> & { containers: ContainerLayout[] })[]> {
  const out: (Omit<CosmosCapturedDatabase, 'containers'> & { containers: ContainerLayout[] })[] = [];
  const dbNames: string[] = [];
  for await (const db of api.listSqlDatabases(resourceGroup, accountName)) dbNames.push(db.resource?.id ?? db.name ?? '');
  for (const name of dbNames.filter(Boolean).sort()) {
    const throughput = await armThroughput(() => api.getSqlDatabaseThroughput(resourceGroup, accountName, name));
    const containers: ContainerLayout[] = [];
    const resources: CosmosContainerResource[] = [];
    for await (const c of api.listSqlContainers(resourceGroup, accountName, name)) if (c.resource) resources.push(c.resource);
    for (const resource of resources.sort((a, b) => a.id.localeCompare(b.id))) {
      const container: ContainerLayout = containerFromCosmos(resource, notes, `${name}.${resource.id}`);
      const t = await armThroughput(() => api.getSqlContainerThroughput(resourceGroup, accountName, name, resource.id));
      if (t) container.throughput = t;
      containers.push(container);
    }
    out.push({ name, ...(throughput ? { throughput } : {}), containers });
  }
  return out;
}

/** A container's properties for an export's manifest. */
export async function readCosmosSchema(container: Container): Promise<CollectionSchema | undefined> {
  const { resource } = await container.read();
  if (!resource) return undefined;
  const { name: _name, ...cosmos } = containerFromCosmos(resource as CosmosContainerResource);
  void _name;
  return { cosmos: cosmos as CosmosContainerSchema };
}

/** The parts of an indexing policy that decide what is indexed, in a form two policies compare by. */
function policyShape(policy: Record<string, unknown> | undefined): string {
  const p = policy ?? {};
  const paths = (list: unknown) => ((list as { path: string }[] | undefined) ?? []).map((x) => x.path).sort();
  return JSON.stringify({
    indexingMode: String(p.indexingMode ?? 'consistent').toLowerCase(),
    included: paths(p.includedPaths),
    excluded: paths(p.excludedPaths).filter((x) => x !== '/"_etag"/?'),
    composite: ((p.compositeIndexes as { path: string; order?: string }[][] | undefined) ?? []).map((c) => c.map((x) => `${x.path} ${x.order ?? 'ascending'}`).join(',')).sort(),
    spatial: paths(p.spatialIndexes),
    vector: paths(p.vectorIndexes),
  });
}

/**
 * Compares a target container with the properties carried (or the layout's): partition key,
 * indexing policy, unique keys and TTL. Nothing is changed: unique keys and the partition key can
 * only be set when a container is created, and a policy change re-indexes a live container.
 */
export function cosmosDifferences(where: string, actual: CosmosContainerSchema, wanted: CosmosContainerSchema): string[] {
  const out: string[] = [];
  const pk = (k: PartitionKeySpec) => `${k.paths.join(', ')} (${k.kind ?? (k.paths.length > 1 ? 'MultiHash' : 'Hash')})`;
  if (pk(actual.partitionKey) !== pk(wanted.partitionKey)) out.push(`${where}: partition key is ${pk(actual.partitionKey)}, the schema says ${pk(wanted.partitionKey)}`);
  const uk = (k: string[][] | undefined) => JSON.stringify((k ?? []).map((p) => [...p].sort().join('+')).sort());
  if (uk(actual.uniqueKeys) !== uk(wanted.uniqueKeys)) out.push(`${where}: unique keys are ${uk(actual.uniqueKeys)}, the schema says ${uk(wanted.uniqueKeys)} (unique keys are set only when a container is created: recreate it to change them)`);
  if (actual.defaultTtl !== wanted.defaultTtl) out.push(`${where}: default TTL is ${actual.defaultTtl ?? 'off'}, the schema says ${wanted.defaultTtl ?? 'off'}`);
  if (wanted.indexingPolicy && policyShape(actual.indexingPolicy) !== policyShape(wanted.indexingPolicy)) out.push(`${where}: indexing policy differs: target ${policyShape(actual.indexingPolicy)}, the schema says ${policyShape(wanted.indexingPolicy)}`);
  return out;
}

/**
 * The check an import or migrate into Cosmos DB makes once a container's documents are written:
 * the warnings of translating a MongoDB schema (what a container cannot hold, or holds with
 * another meaning), then every difference between the container and what it should have. A
 * container docferry created has them already; an existing one is never changed.
 */
export async function checkCosmosSchema(container: Container, where: string, schema: TargetSchema): Promise<SchemaOutcome> {
  const outcome: SchemaOutcome = { created: [], problems: [...(schema.translation?.cosmos ?? [])], violations: [] };
  if (!schema.cosmos) return outcome;
  const actual = await readCosmosSchema(container);
  if (actual?.cosmos) outcome.problems.push(...cosmosDifferences(where, actual.cosmos, schema.cosmos));
  return outcome;
}
