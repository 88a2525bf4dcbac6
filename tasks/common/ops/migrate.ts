import { join, resolve } from 'node:path';
import { resolveScope } from '../../../src/core/layout.js';
import { defaultRejectsDirName, runMigrate } from '../../../src/engine/migrate.js';
import type { DatabaseSpec } from '../../../src/stores/factory.js';
import type { OperationContext, OperationResult } from '../context.js';
import { transferOutputs } from '../outcome.js';
import { STORE_TYPES, WRITE_MODES, cosmosStore, layoutInputs, mongoStore } from '../stores.js';
import { transferInputs } from '../transfer-inputs.js';
import { reportPath, verifyAfter } from './verify-after.js';

/** Database -> database directly (no export directory), optionally verified afterwards. */
export async function migrateOperation(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const fromType = inputs.getRequiredChoiceInput('fromType', STORE_TYPES);
  const toType = inputs.getRequiredChoiceInput('toType', STORE_TYPES);
  const useRbac = inputs.getBoolInput('useRbac');
  let source: DatabaseSpec;
  if (fromType === 'cosmos') {
    source = cosmosStore(ctx, { endpoint: inputs.getInput('fromCosmosEndpoint'), endpointInput: 'fromCosmosEndpoint', key: inputs.getSecretInput('fromCosmosKey'), keyInput: 'fromCosmosKey' }, useRbac);
  } else {
    source = mongoStore(ctx, inputs.getSecretInput('fromMongoUri'), 'fromMongoUri');
  }
  let target: DatabaseSpec;
  if (toType === 'cosmos') {
    target = cosmosStore(ctx, { endpoint: inputs.getInput('toCosmosEndpoint'), endpointInput: 'toCosmosEndpoint', key: inputs.getSecretInput('toCosmosKey'), keyInput: 'toCosmosKey' }, useRbac);
  } else {
    target = mongoStore(ctx, inputs.getSecretInput('toMongoUri'), 'toMongoUri', inputs.getBoolInput('restoreObjectIds'));
  }
  const mode = inputs.getChoiceInput('mode', WRITE_MODES, 'upsert')!;
  const { layout, collections } = layoutInputs(ctx);
  const { tuning, allowedRejects } = transferInputs(ctx);
  const rejectsDir = resolve(inputs.getInput('rejectsDir') ?? join(ctx.defaultExportParent, defaultRejectsDirName()));
  const verify = inputs.getBoolInput('verify');
  ctx.expectCollections(resolveScope(layout.layout, collections).length);
  const summary = await runMigrate({ source, target, layout, mode, rejectsDir, events: ctx.events, ...(collections ? { collections } : {}), ...tuning });
  const result: OperationResult = { title: `Migrate ${summary.source} → ${summary.target}`, summary, allowedRejects, outputs: transferOutputs(summary) };
  if (verify && !summary.collections.some((c) => c.status === 'failed')) {
    await verifyAfter(ctx, result, source, target, { layout, ...(collections ? { collections } : {}) }, reportPath(ctx, inputs.getInput('reportFile')));
  }
  return result;
}
