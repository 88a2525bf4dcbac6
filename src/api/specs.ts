/**
 * Connection specs of the library API, from the catalogue values of one side: the values the CLI
 * takes (endpoint, key or `useRbac`, MongoDB URI), plus an Entra ID credential object. Unlike the
 * CLI (src/cli/options.ts), nothing falls back to environment variables and there is no default
 * MongoDB URI: a library must not connect where its caller did not say.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { registerSecret, registerUriSecrets } from '../core/secrets.js';
import { defaultAzureCredential } from '../azure/credential.js';
import { prefixed, type Side, type TransferCommand } from '../options/catalogue.js';
import { ruBudgetFrom, type OptionValues } from '../options/values.js';
import { validateEndpoint } from '../stores/cosmos/endpoint.js';
import type { CosmosConnection } from '../stores/cosmos/connection.js';
import { checkMongoUri } from '../stores/mongo/uri.js';
import type { DatabaseSpec, StoreSpec } from '../stores/factory.js';
import { API_FUNCTIONS } from './catalogue-options.js';

/** An Entra ID credential (`@azure/identity`'s TokenCredential: DefaultAzureCredential, ManagedIdentityCredential, ...). */
export type CosmosCredential = NonNullable<CosmosConnection['credential']>;

/** The extras a side may carry beside its catalogue values. */
export type SideExtras = Readonly<Record<string, unknown>>;

function cosmosSpec(fn: string, values: OptionValues, extras: SideExtras, side: Side): DatabaseSpec {
  const key = (k: string) => prefixed(side.prefix, k);
  const endpoint = validateEndpoint(values[key('cosmosEndpoint')] as string | undefined, `option "${key('cosmosEndpoint')}" of ${fn}`);
  const caFile = values[key('cosmosCaFile')] as string | undefined;
  let caCertificate: string | undefined;
  if (caFile) {
    try {
      caCertificate = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`${fn}: cannot read option "${key('cosmosCaFile')}" ${caFile}: ${(err as NodeJS.ErrnoException).code ?? err}.`);
    }
  }
  const ca = caCertificate ? { caCertificate } : {};
  const ru = ruBudgetFrom(values, side.prefix);
  const budget = ru ? { ru } : {};
  const credential = extras[key('cosmosCredential')];
  if (credential !== undefined) {
    if (typeof (credential as { getToken?: unknown }).getToken !== 'function') {
      throw new UsageError(`${fn}: option "${key('cosmosCredential')}" takes a TokenCredential (an object with getToken, e.g. new DefaultAzureCredential() of @azure/identity).`);
    }
    return { type: 'cosmos', connection: { endpoint, credential: credential as CosmosCredential, ...ca }, ...budget };
  }
  // Asked for by name, as --use-rbac: DefaultAzureCredential reads its own environment (AZURE_*), as it does for any program.
  if (values[key('useRbac')]) return { type: 'cosmos', connection: { endpoint, credential: defaultAzureCredential(), ...ca }, ...budget };
  const accountKey = values[key('cosmosKey')] as string | undefined;
  if (!accountKey) {
    throw new UsageError(`${fn}: no Cosmos DB credential for ${endpoint}: pass "${key('cosmosKey')}", a "${key('cosmosCredential')}" (TokenCredential), or "${key('useRbac')}: true".`);
  }
  registerSecret(accountKey);
  return { type: 'cosmos', connection: { endpoint, key: accountKey, ...ca }, ...budget };
}

function mongoSpec(fn: string, values: OptionValues, side: Side): DatabaseSpec {
  const key = prefixed(side.prefix, 'mongoUri');
  const uri = values[key] as string | undefined;
  if (!uri) throw new UsageError(`${fn}: option "${key}" is required with ${side.typeKey}: "mongodb" (the library has no default URI and reads no environment variable).`);
  registerUriSecrets(uri);
  checkMongoUri(uri, `${fn}: option "${key}"`);
  return { type: 'mongodb', uri };
}

/** The connect timeout into a spec, where it applies. */
function withConnectTimeout<T extends StoreSpec>(spec: T, ms: unknown): T {
  if (typeof ms !== 'number') return spec;
  if (spec.type === 'cosmos') return { ...spec, connection: { ...spec.connection, connectTimeoutMs: ms } };
  if (spec.type === 'mongodb') return { ...spec, connectTimeoutMs: ms };
  return spec;
}

/** The database of one side (export's source, import's target, migrate's from/to). */
export function databaseSpecOf(command: TransferCommand, values: OptionValues, extras: SideExtras, side: Side): DatabaseSpec {
  const fn = API_FUNCTIONS[command];
  const type = values[side.typeKey];
  let spec: DatabaseSpec;
  if (type === 'cosmos') {
    spec = cosmosSpec(fn, values, extras, side);
    if (side.direction === 'source' && values.pageSize !== undefined && spec.type === 'cosmos') spec = { ...spec, pageSize: values.pageSize as number };
  } else if (type === 'mongodb') {
    spec = mongoSpec(fn, values, side);
    if (side.direction === 'target' && values.restoreObjectIds && spec.type === 'mongodb') spec = { ...spec, restoreObjectIds: true };
  } else {
    throw new UsageError(`${fn}: option "${side.typeKey}" must be cosmos or mongodb, not ${JSON.stringify(type)}.`);
  }
  if (values.restoreObjectIds && side.direction === 'target' && type !== 'mongodb') {
    throw new UsageError(`${fn}: option "restoreObjectIds" applies to a MongoDB target (${side.typeKey}: "mongodb").`);
  }
  return withConnectTimeout(spec, values.connectTimeout);
}

/** A side of a verify: a database, or an export directory. */
export function verifySideOf(values: OptionValues, extras: SideExtras, side: Side): StoreSpec {
  const type = values[side.typeKey];
  if (type === 'dir') {
    const key = prefixed(side.prefix, 'dir');
    const path = values[key];
    if (typeof path !== 'string' || !path) throw new UsageError(`verify: ${side.typeKey}: "dir" needs option "${key}" (the export directory).`);
    return { type: 'dir', path };
  }
  if (type !== 'cosmos' && type !== 'mongodb') throw new UsageError(`verify: option "${side.typeKey}" must be cosmos, mongodb or dir, not ${JSON.stringify(type)}.`);
  return databaseSpecOf('verify', values, extras, side);
}
