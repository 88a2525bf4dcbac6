import { readGroup } from '../option-inputs.js';
import { shardFrom } from '../../../src/options/values.js';
import { runVerify, type VerifyEndpoint } from '../../../src/engine/verify.js';
import { STORE_KINDS } from '../../../src/stores/registry.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { discoveryInputs } from '../discovery-inputs.js';
import { filterInputs } from '../filter-inputs.js';
import { layoutInputs, sideSpec } from '../stores.js';
import { reportPath } from './report-file.js';

/** Compare two stores (Cosmos DB, MongoDB or an export directory) document by document. */
async function verifyRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const leftType = inputs.getRequiredChoiceInput('leftType', STORE_KINDS);
  const rightType = inputs.getRequiredChoiceInput('rightType', STORE_KINDS);
  // useRbac and the RU budget are shared inputs, as in migrate: a verify against a production container stays within its budget.
  const left: VerifyEndpoint = sideSpec(ctx, 'verify', 'left', leftType);
  const right: VerifyEndpoint = sideSpec(ctx, 'verify', 'right', rightType);
  const { layout, collections } = layoutInputs(ctx);
  const map = ctx.inputs.getListInput('map');
  const reportFile = reportPath(ctx, inputs.getInput('reportFile'));
  const maxListed = inputs.getIntInput('maxListed', 1);
  const verify = await runVerify({
    left,
    right,
    layout,
    reportFile,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(map ? { map } : {}),
    ...(maxListed !== undefined ? { maxListed } : {}),
    ...(inputs.getBoolInput('allowPartial') ? { allowPartial: true } : {}),
    ...(inputs.getBoolInput('ignoreExtra') ? { ignoreExtra: true } : {}),
    ...discoveryInputs(ctx),
    ...filterInputs(ctx),
    ...shardFrom(readGroup(ctx, 'verify', 'shard')),
  });
  return {
    title: `Verify ${verify.left} against ${verify.right}`,
    verify,
    outputs: { reportFile, verifyEqual: String(verify.equal) },
  };
}

/** Errors and warnings name this task's inputs, not the CLI's flags. */
export const verifyOperation = withInputNames('verify', verifyRun);
