import { resolve } from 'node:path';
import { runVerify, type VerifyEndpoint } from '../../../src/engine/verify.js';
import { UsageError } from '../../../src/core/errors.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { cosmosStore, layoutInputs, mongoStore } from '../stores.js';
import { reportPath } from './report-file.js';
import { readGroup } from '../option-inputs.js';
import { ruBudgetFrom } from '../../../src/options/values.js';

const SIDE_TYPES = ['cosmos', 'mongodb', 'dir'] as const;

function dirSide(ctx: OperationContext, path: string | undefined, input: string): VerifyEndpoint {
  if (!path) throw new UsageError(`Input "${ctx.inputs.label(input)}" is required for a dir side (the export directory, holding manifest.json).`);
  return { type: 'dir', path: resolve(path) };
}

/** Compare two stores (Cosmos DB, MongoDB or an export directory) document by document. */
async function verifyRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const useRbac = inputs.getBoolInput('useRbac');
  // One budget for each Cosmos DB side, as migrate: a verify against a production container stays within it.
  const ru = ruBudgetFrom(readGroup(ctx, 'verify', 'ru-budget'));
  const leftType = inputs.getRequiredChoiceInput('leftType', SIDE_TYPES);
  const rightType = inputs.getRequiredChoiceInput('rightType', SIDE_TYPES);
  let left: VerifyEndpoint;
  if (leftType === 'cosmos') {
    left = cosmosStore(ctx, { endpoint: inputs.getInput('leftCosmosEndpoint'), endpointInput: 'leftCosmosEndpoint', key: inputs.getSecretInput('leftCosmosKey'), keyInput: 'leftCosmosKey' }, useRbac, ru);
  } else if (leftType === 'mongodb') {
    left = mongoStore(ctx, inputs.getQuietInput('leftMongoUri'), 'leftMongoUri');
  } else {
    left = dirSide(ctx, inputs.getInput('leftDir'), 'leftDir');
  }
  let right: VerifyEndpoint;
  if (rightType === 'cosmos') {
    right = cosmosStore(ctx, { endpoint: inputs.getInput('rightCosmosEndpoint'), endpointInput: 'rightCosmosEndpoint', key: inputs.getSecretInput('rightCosmosKey'), keyInput: 'rightCosmosKey' }, useRbac, ru);
  } else if (rightType === 'mongodb') {
    right = mongoStore(ctx, inputs.getQuietInput('rightMongoUri'), 'rightMongoUri');
  } else {
    right = dirSide(ctx, inputs.getInput('rightDir'), 'rightDir');
  }
  const { layout, collections } = layoutInputs(ctx);
  const reportFile = reportPath(ctx, inputs.getInput('reportFile'));
  const maxListed = inputs.getIntInput('maxListed', 1);
  const verify = await runVerify({
    left,
    right,
    layout,
    reportFile,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(maxListed !== undefined ? { maxListed } : {}),
    ...(inputs.getBoolInput('allowPartial') ? { allowPartial: true } : {}),
    ...(inputs.getBoolInput('ignoreExtra') ? { ignoreExtra: true } : {}),
  });
  return {
    title: `Verify ${verify.left} against ${verify.right}`,
    verify,
    outputs: { reportFile, verifyEqual: String(verify.equal) },
  };
}

/** Errors and warnings name this task's inputs, not the CLI's flags. */
export const verifyOperation = withInputNames('verify', verifyRun);
