/** Turns input values into the engine's DatabaseSpec, with messages that name the inputs to fix. */
import { UsageError } from '../../src/core/errors.js';
import { loadLayout, defaultLayoutPath } from '../../src/core/layout.js';
import type { LayoutRef } from '../../src/engine/export.js';
import { validateEndpoint } from '../../src/stores/cosmos/endpoint.js';
import type { CosmosRuOptions } from '../../src/stores/cosmos/ru-budget.js';
import type { DatabaseSpec } from '../../src/stores/factory.js';
import { RUN_MODES, type RunMode } from '../../src/engine/mirror.js';
import { checkMongoUri } from '../../src/stores/mongo/uri.js';
import { connectTimeoutInput } from './connect-timeout.js';
import { registerUriSecrets } from '../../src/core/secrets.js';
import type { OperationContext } from './context.js';

export const WRITE_MODES: readonly RunMode[] = RUN_MODES;

export type StoreType = 'cosmos' | 'mongodb';
export const STORE_TYPES: readonly StoreType[] = ['cosmos', 'mongodb'];

export interface CosmosValues {
  endpoint: string | undefined;
  endpointInput: string;
  key: string | undefined;
  keyInput: string;
}

/**
 * Entra ID when the author asks for it (useRbac) or configured an Azure identity and gave no key;
 * the account key otherwise. Never both silently: with useRbac the key is ignored, and said so.
 */
export function cosmosStore(ctx: OperationContext, v: CosmosValues, useRbac: boolean, ru?: CosmosRuOptions): DatabaseSpec {
  const budget = ru ? { ru } : {};
  const { inputs } = ctx;
  const endpoint = validateEndpoint(v.endpoint, `input "${inputs.label(v.endpointInput)}"`);
  const azure = ctx.azure();
  if (useRbac || (!v.key && azure && !azure.ambient)) {
    if (!azure) {
      throw new UsageError(
        `Input "${inputs.label('useRbac')}" asks for Entra ID authentication to ${endpoint}, but no Azure identity is configured: set ${ctx.azureInputHint}.`,
      );
    }
    if (v.key && useRbac) ctx.log.warning(`"${inputs.label(v.keyInput)}" is ignored: "${inputs.label('useRbac')}" is true, so ${endpoint} is reached with ${azure.description}.`);
    return { type: 'cosmos', connection: { endpoint, credential: azure.credential, ...connectTimeoutInput(ctx) }, ...budget };
  }
  if (!v.key) {
    throw new UsageError(
      `No credential for Cosmos DB at ${endpoint}: set "${inputs.label(v.keyInput)}" (from a secret variable), ` +
        `or ${ctx.azureInputHint} with "${inputs.label('useRbac')}: true" for Entra ID (data-plane RBAC).`,
    );
  }
  return { type: 'cosmos', connection: { endpoint, key: v.key, ...connectTimeoutInput(ctx) }, ...budget };
}

export function mongoStore(ctx: OperationContext, uri: string | undefined, uriInput: string, restoreObjectIds = false): DatabaseSpec {
  // The URI is read without whole-value masking, so logs can name the server; its password is
  // masked (whole, as given) before the URI is looked at, even when it is then refused.
  if (uri) registerUriSecrets(uri, (secret) => ctx.inputs.mask(secret));
  if (!uri) throw new UsageError(`Input "${ctx.inputs.label(uriInput)}" is required for MongoDB (a mongodb:// or mongodb+srv:// connection string, from a secret variable).`);
  if (!/^mongodb(\+srv)?:\/\//i.test(uri)) throw new UsageError(`Input "${ctx.inputs.label(uriInput)}" must start with mongodb:// or mongodb+srv://.`);
  checkMongoUri(uri, `Input "${ctx.inputs.label(uriInput)}"`);
  return { type: 'mongodb', uri, ...(restoreObjectIds ? { restoreObjectIds: true } : {}), ...connectTimeoutInput(ctx) };
}

/** The layout file (or the built-in one) and the collection filter. */
export function layoutInputs(ctx: OperationContext): { layout: LayoutRef; collections?: string[] } {
  const file = ctx.inputs.getInput('layoutFile');
  const collections = ctx.inputs.getListInput('collections');
  return {
    layout: { layout: loadLayout(file ?? defaultLayoutPath), source: file ?? 'default' },
    ...(collections ? { collections } : {}),
  };
}
