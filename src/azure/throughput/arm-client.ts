/**
 * Adapter from @azure/arm-cosmosdb's CosmosDBManagementClient to {@link ThroughputManagementClient}.
 * Type-only imports: this file holds no reference to the SDK at run time, so the Pulumi dynamic
 * provider can capture it (its closure is serialized) and load the SDK itself.
 */
import type { SqlResources, ThroughputSettingsGetPropertiesResource, ThroughputSettingsUpdateParameters } from '@azure/arm-cosmosdb';
import { AuthenticationError, DocferryError } from '../../core/errors.js';
import { statusOf } from './retry.js';
import { describeTarget, type ThroughputManagementClient, type ThroughputReading, type ThroughputSettings, type ThroughputTarget } from './types.js';

/** The part of CosmosDBManagementClient the window uses. */
export interface CosmosThroughputApi {
  sqlResources: Pick<
    SqlResources,
    'getSqlContainerThroughput' | 'getSqlDatabaseThroughput' | 'beginUpdateSqlContainerThroughputAndWait' | 'beginUpdateSqlDatabaseThroughputAndWait'
  >;
}

function num(v: string | number | undefined): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses ARM's throughput resource (numbers arrive as strings in several fields). */
export function readingFromArm(resource: Partial<ThroughputSettingsGetPropertiesResource> | undefined, what: string): ThroughputReading {
  if (!resource) throw new DocferryError(`The management API returned no throughput settings for ${what}.`);
  let settings: ThroughputSettings;
  const max = resource.autoscaleSettings?.maxThroughput;
  if (typeof max === 'number' && max > 0) settings = { mode: 'autoscale', value: max };
  else if (typeof resource.throughput === 'number' && resource.throughput > 0) settings = { mode: 'manual', value: resource.throughput };
  else throw new DocferryError(`The throughput settings of ${what} have neither a throughput nor an autoscale maximum.`);
  const reading: ThroughputReading = { settings };
  const minimum = num(resource.minimumThroughput);
  const instant = num(resource.instantMaximumThroughput);
  const soft = num(resource.softAllowedMaximumThroughput);
  if (minimum !== undefined) reading.minimumThroughput = minimum;
  if (instant !== undefined) reading.instantMaximumThroughput = instant;
  if (soft !== undefined) reading.softAllowedMaximumThroughput = soft;
  const pending = resource.offerReplacePending;
  if (pending !== undefined) reading.offerReplacePending = String(pending).toLowerCase() === 'true';
  return reading;
}

export function armUpdateParameters(settings: ThroughputSettings): ThroughputSettingsUpdateParameters {
  return {
    resource: settings.mode === 'manual' ? { throughput: settings.value } : { autoscaleSettings: { maxThroughput: settings.value } },
  };
}

function explain(err: unknown, target: ThroughputTarget): unknown {
  const status = statusOf(err);
  const what = describeTarget(target);
  const msg = err instanceof Error ? err.message : String(err);
  if (status === 404) {
    return new DocferryError(
      target.container !== undefined
        ? `No dedicated throughput found for ${what}: the container does not exist, or it shares its database's throughput (then omit --container to work on the database). (${msg})`
        : `No shared throughput found for ${what}: the database does not exist, or its containers have dedicated throughput (then name one with --container). (${msg})`,
      undefined,
      { cause: err },
    );
  }
  if (status === 401 || status === 403) {
    return new AuthenticationError(
      `The management API refused access to ${what} (${status}): the identity needs a management-plane role on the account, such as "Cosmos DB Operator" or "DocumentDB Account Contributor" (data-plane roles cannot change throughput). (${msg})`,
      { cause: err },
    );
  }
  const name = (err as { name?: string } | null)?.name;
  if (name === 'AggregateAuthenticationError' || name === 'CredentialUnavailableError' || name === 'AuthenticationRequiredError') {
    return new AuthenticationError(
      `No Azure credential to reach the management API for ${what}: sign in (az login), or give the pipeline a workload identity / AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret or federated token. (${msg})`,
      { cause: err },
    );
  }
  return err; // 429 and transient errors stay as they are so the retry policy sees them.
}

export function armThroughputClient(api: CosmosThroughputApi): ThroughputManagementClient {
  const sql = api.sqlResources;
  return {
    async read(t) {
      try {
        const res = t.container !== undefined
          ? await sql.getSqlContainerThroughput(t.resourceGroup, t.accountName, t.database, t.container)
          : await sql.getSqlDatabaseThroughput(t.resourceGroup, t.accountName, t.database);
        return readingFromArm(res.resource, describeTarget(t));
      } catch (err) {
        throw explain(err, t);
      }
    },
    async update(t, settings) {
      try {
        const params = armUpdateParameters(settings);
        const res = t.container !== undefined
          ? await sql.beginUpdateSqlContainerThroughputAndWait(t.resourceGroup, t.accountName, t.database, t.container, params)
          : await sql.beginUpdateSqlDatabaseThroughputAndWait(t.resourceGroup, t.accountName, t.database, params);
        return res.resource ? readingFromArm(res.resource, describeTarget(t)) : { settings };
      } catch (err) {
        throw explain(err, t);
      }
    },
  };
}
