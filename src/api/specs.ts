/**
 * Connection specs of the library API: the third front door of the stores' `specFromOptions`
 * (src/stores/registry.ts), beside the CLI's (src/cli/options.ts) and the tasks'
 * (tasks/common/stores.ts). It hands a store the catalogue values of one side as the caller passed
 * them, plus an Entra ID credential object when one is given. Unlike the CLI, nothing falls back to
 * environment variables and there is no default MongoDB URI: a library must not connect where its
 * caller did not say.
 */
import { UsageError } from '../core/errors.js';
import { defaultAzureCredential } from '../azure/credential.js';
import { commandOptions, prefixed, type ResolvedOption, type Side, type TransferCommand } from '../options/catalogue.js';
import type { OptionValues } from '../options/values.js';
import type { CosmosConnection } from '../stores/cosmos/connection.js';
import { registeredReaders, type ConnectionValues } from '../stores/descriptor.js';
import { DATABASE_STORE_TYPES, SPEC_OPTIONS, isDatabaseStoreType, isStoreKind, specFromOptions, storeTypeList, targetOptionMisfit, type DatabaseSpec, type StoreSpec } from '../stores/registry.js';
import { API_FUNCTIONS } from './catalogue-options.js';

/** An Entra ID credential (`@azure/identity`'s TokenCredential: DefaultAzureCredential, ManagedIdentityCredential, ...). */
export type CosmosCredential = NonNullable<CosmosConnection['credential']>;

/** The extras a side may carry beside its catalogue values. */
export type SideExtras = Readonly<Record<string, unknown>>;

/** The option a side's store asks for: the side's own (prefixed) option, else a command option (connectTimeout, restoreObjectIds). */
function optionFor(command: TransferCommand, side: Side, key: string): ResolvedOption | undefined {
  const options = commandOptions(command);
  return options.find((o) => o.side === side && o.baseKey === key) ?? options.find((o) => !o.side && o.key === key);
}

/**
 * The API's credential object for a store whose account key is option `<name>Key` is the extra
 * `<name>Credential` of the side (`cosmosKey`: `cosmosCredential`, `fromCosmosCredential`).
 */
const credentialExtraOf = (side: Side, keyKey: string) => prefixed(side.prefix, keyKey.replace(/Key$/, 'Credential'));

/** One side's values as the API's caller gave them, named in messages by their option keys. */
function apiConnection(command: TransferCommand, values: OptionValues, extras: SideExtras, side: Side): ConnectionValues {
  const fn = API_FUNCTIONS[command];
  const keyOf = (key: string) => optionFor(command, side, key)?.key ?? prefixed(side.prefix, key);
  const value = (key: string): unknown => {
    const o = optionFor(command, side, key);
    return o ? values[o.key] : undefined;
  };
  const connection: ConnectionValues = {
    direction: side.direction,
    value,
    ...registeredReaders(value),
    how: (key) => `option "${keyOf(key)}" of ${fn}`,
    subject: (key) => `${fn}: option "${keyOf(key)}"`,
    missing: (key) => new UsageError(`${fn}: option "${keyOf(key)}" is required with ${side.typeKey}: ${JSON.stringify(values[side.typeKey])} (the library has no default and reads no environment variable).`),
    azureCredential({ service, resource, keyKey, entraKey }) {
      const extra = credentialExtraOf(side, keyKey);
      const credential = extras[extra];
      if (credential !== undefined) {
        if (typeof (credential as { getToken?: unknown }).getToken !== 'function') {
          throw new UsageError(`${fn}: option "${extra}" takes a TokenCredential (an object with getToken, e.g. new DefaultAzureCredential() of @azure/identity).`);
        }
        return { credential: credential as CosmosCredential };
      }
      // Asked for by name, as --use-rbac: DefaultAzureCredential reads its own environment (AZURE_*), as it does for any program.
      if (value(entraKey)) return { credential: defaultAzureCredential() };
      const key = connection.secret(keyKey);
      if (!key) throw new UsageError(`${fn}: no ${service} credential for ${resource}: pass "${keyOf(keyKey)}", a "${extra}" (TokenCredential), or "${keyOf(entraKey)}: true".`);
      return { key };
    },
  };
  return connection;
}

/** A target-only store option given for a target whose store does not take it (`restoreObjectIds` with a Cosmos DB target). */
function checkTargetOptions(command: TransferCommand, values: OptionValues, side: Side): void {
  if (side.direction !== 'target') return;
  for (const key of SPEC_OPTIONS) {
    const o = optionFor(command, side, key);
    if (!o || o.side) continue;
    const misfit = targetOptionMisfit(key, values[o.key], values[side.typeKey]);
    if (misfit) {
      const types = misfit.types.map((t) => `${side.typeKey}: ${JSON.stringify(t)}`).join(' or ');
      throw new UsageError(`${API_FUNCTIONS[command]}: option "${o.key}" applies to a ${storeTypeList(misfit.names)} target (${types}).`);
    }
  }
}

/** Any side's spec, built by its store from the caller's values. */
function sideSpecOf(command: TransferCommand, values: OptionValues, extras: SideExtras, side: Side): StoreSpec {
  const type = values[side.typeKey];
  // readApiOptions has checked it against the command's choices; this guards a caller of this module.
  if (!isStoreKind(type)) throw new UsageError(`${API_FUNCTIONS[command]}: option "${side.typeKey}" names no store: ${JSON.stringify(type)}.`);
  checkTargetOptions(command, values, side);
  return specFromOptions(type, apiConnection(command, values, extras, side));
}

/** The database of one side (export's source, import's target, migrate's from/to). */
export function databaseSpecOf(command: TransferCommand, values: OptionValues, extras: SideExtras, side: Side): DatabaseSpec {
  if (!isDatabaseStoreType(values[side.typeKey])) {
    throw new UsageError(`${API_FUNCTIONS[command]}: option "${side.typeKey}" must be ${storeTypeList(DATABASE_STORE_TYPES)}, not ${JSON.stringify(values[side.typeKey])}.`);
  }
  return sideSpecOf(command, values, extras, side) as DatabaseSpec;
}

/** A side of a verify: a database, or an export directory. */
export function verifySideOf(values: OptionValues, extras: SideExtras, side: Side): StoreSpec {
  return sideSpecOf('verify', values, extras, side);
}
