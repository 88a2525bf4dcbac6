/** Turns input values into the engine's store specs, with messages that name the inputs to fix. */
import { UsageError } from '../../src/core/errors.js';
import { loadLayout, defaultLayoutPath } from '../../src/core/layout.js';
import type { LayoutRef } from '../../src/engine/export.js';
import { resolve } from 'node:path';
import { RUN_MODES, type RunMode } from '../../src/engine/mirror.js';
import { registerUriSecrets } from '../../src/core/secrets.js';
import { sidesOf, type Side, type TransferCommand } from '../../src/options/catalogue.js';
import { taskInputNameOf, taskInputsOfSide, type TaskInput } from '../../src/options/task-inputs.js';
import type { ConnectionValues } from '../../src/stores/descriptor.js';
import { specFromOptions, type StoreKind, type StoreSpec } from '../../src/stores/registry.js';
import { readInput } from './option-inputs.js';
import type { OperationContext } from './context.js';

export const WRITE_MODES: readonly RunMode[] = RUN_MODES;

/**
 * The tasks' reading of one side's inputs for its store (src/stores/registry.ts builds the spec):
 * inputs named after the side (fromCosmosEndpoint), the shared ones (useRbac, maxRu), and the few
 * command inputs a store's spec takes (connectTimeout, restoreObjectIds). A key is read from a
 * secret input, a MongoDB URI masked by its password only, and Entra ID chosen when the author asks
 * for it (useRbac) or configured an Azure identity and gave no key; never both silently: with
 * useRbac the key is ignored, and said so.
 *
 * The static scan of the inputs a task reads (test/tasks/inputs-declared.test.ts) expands each
 * `sideSpec(ctx, '<command>', '<prefix>', …)` into `taskInputsOfSide(command, prefix)`.
 */
export function sideSpec<K extends StoreKind>(ctx: OperationContext, command: TransferCommand, prefix: Side['prefix'], type: K): Extract<StoreSpec, { type: K }> {
  const side = sidesOf(command).find((s) => s.prefix === prefix);
  if (!side) throw new Error(`internal: ${command} has no side ${JSON.stringify(prefix)}`);
  const { inputs } = ctx;
  const byName = new Map(taskInputsOfSide(command, prefix).map((i) => [i.name, i]));
  const inputOf = (key: string): TaskInput | undefined => {
    const name = taskInputNameOf(command, side, key);
    return name === undefined ? undefined : byName.get(name);
  };
  const nameOf = (key: string): string => {
    const input = inputOf(key);
    if (!input) throw new Error(`internal: the ${command} task has no input for ${JSON.stringify(key)} of its ${side.word.toLowerCase()} side`);
    return input.name;
  };
  const label = (key: string) => inputs.label(nameOf(key));
  const connection: ConnectionValues = {
    direction: side.direction,
    value: (key) => {
      const input = inputOf(key);
      return input ? readInput(ctx, input) : undefined;
    },
    secret: (key) => (inputOf(key) ? inputs.getSecretInput(nameOf(key)) : undefined),
    connectionString(key) {
      if (!inputOf(key)) return undefined;
      // Read without whole-value masking, so logs can name the server; its password is masked
      // (whole, as given) before the URI is looked at, even when it is then refused.
      const uri = inputs.getQuietInput(nameOf(key));
      if (uri) registerUriSecrets(uri, (secret) => inputs.mask(secret));
      return uri;
    },
    path(key) {
      const v = inputOf(key) ? inputs.getInput(nameOf(key)) : undefined;
      return v ? resolve(v) : undefined;
    },
    how: (key) => `input "${label(key)}"`,
    subject: (key) => `Input "${label(key)}"`,
    missing: (key, need) => new UsageError(`Input "${label(key)}" is required for ${need.for} (${need.what}).`),
    azureCredential({ service, resource, keyKey, entraKey }) {
      const key = connection.secret(keyKey);
      const useEntra = connection.value(entraKey) === true;
      const azure = ctx.azure();
      if (useEntra || (!key && azure && !azure.ambient)) {
        if (!azure) {
          throw new UsageError(`Input "${label(entraKey)}" asks for Entra ID authentication to ${resource}, but no Azure identity is configured: set ${ctx.azureInputHint}.`);
        }
        if (key && useEntra) ctx.log.warning(`"${label(keyKey)}" is ignored: "${label(entraKey)}" is true, so ${resource} is reached with ${azure.description}.`);
        return { credential: azure.credential };
      }
      if (!key) {
        throw new UsageError(
          `No credential for ${service} at ${resource}: set "${label(keyKey)}" (from a secret variable), ` +
            `or ${ctx.azureInputHint} with "${label(entraKey)}: true" for Entra ID (data-plane RBAC).`,
        );
      }
      return { key };
    },
  };
  return specFromOptions(type, connection);
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
