import { join, resolve } from 'node:path';
import { resolveScope } from '../../../src/core/layout.js';
import { defaultRejectsDirName, runMigrate } from '../../../src/engine/migrate.js';
import { DATABASE_STORE_TYPES } from '../../../src/stores/registry.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { filterInputs } from '../filter-inputs.js';
import { transferOutputs } from '../outcome.js';
import { WRITE_MODES, layoutInputs, sideSpec } from '../stores.js';
import { readGroup } from '../option-inputs.js';
import { discoveryInputs } from '../discovery-inputs.js';
import { transferInputs } from '../run-inputs.js';
import { mirrorFrom, shardFrom } from '../../../src/options/values.js';
import { reportPath } from './report-file.js';
import { warnIfPublished } from '../published-dir.js';

/** Database -> database directly (no export directory), optionally verified afterwards. */
async function migrateRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const fromType = inputs.getRequiredChoiceInput('fromType', DATABASE_STORE_TYPES);
  const toType = inputs.getRequiredChoiceInput('toType', DATABASE_STORE_TYPES);
  // useRbac and the RU budget are shared inputs: a cosmos-to-cosmos migrate gives both accounts the same.
  const source = sideSpec(ctx, 'migrate', 'from', fromType);
  const target = sideSpec(ctx, 'migrate', 'to', toType);
  const mode = inputs.getChoiceInput('mode', WRITE_MODES, 'upsert')!;
  const { layout, collections } = layoutInputs(ctx);
  const map = ctx.inputs.getListInput('map');
  const { tuning, allowedRejects, resume } = transferInputs(ctx, readGroup(ctx, 'migrate', 'tuning'));
  warnIfPublished(ctx, 'rejectsDir', inputs.getInput('rejectsDir'));
  const rejectsDir = resolve(inputs.getInput('rejectsDir') ?? join(ctx.defaultExportParent, defaultRejectsDirName()));
  const reportFile = inputs.getBoolInput('verify') ? reportPath(ctx, inputs.getInput('reportFile')) : undefined;
  const discovery = discoveryInputs(ctx);
  // With all, what is moved is known only once the source is listed: no percentage rather than a wrong one.
  if (!discovery.all) ctx.expectCollections(resolveScope(layout.layout, collections).length);
  const summary = await runMigrate({
    source,
    target,
    layout,
    mode,
    rejectsDir,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(map ? { map } : {}),
    ...(reportFile ? { verify: true, reportFile } : {}),
    ...(inputs.getBoolInput('noIndexes') ? { noIndexes: true } : {}),
    ...discovery,
    ...filterInputs(ctx),
    ...resume,
    ...mirrorFrom(readGroup(ctx, 'migrate', 'mirror')),
    ...shardFrom(readGroup(ctx, 'migrate', 'shard')),
    ...tuning,
  });
  return {
    title: `Migrate ${summary.source} → ${summary.target}`,
    summary,
    allowedRejects,
    ...(summary.verify ? { verify: summary.verify } : {}),
    outputs: { ...transferOutputs(summary), ...(summary.verify && reportFile ? { reportFile } : {}) },
  };
}

/** Errors and warnings name this task's inputs, not the CLI's flags. */
export const migrateOperation = withInputNames('migrate', migrateRun);
