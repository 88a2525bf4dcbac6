import { join, resolve } from 'node:path';
import { JSON_FORMATS, defaultExportDirName } from '../../../src/core/manifest.js';
import { resolveScope } from '../../../src/core/layout.js';
import { runExport } from '../../../src/engine/export.js';
import type { DatabaseSpec } from '../../../src/stores/factory.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { transferOutputs } from '../outcome.js';
import { STORE_TYPES, cosmosStore, layoutInputs, mongoStore } from '../stores.js';
import { readGroup } from '../option-inputs.js';
import { transferInputs } from '../run-inputs.js';
import { ruBudgetFrom } from '../../../src/options/values.js';
import { reportPath } from './report-file.js';
import { warnIfPublished } from '../published-dir.js';

/** Cosmos DB or MongoDB -> a checked export directory, optionally re-read and compared with the source. */
async function exportRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const sourceType = inputs.getRequiredChoiceInput('sourceType', STORE_TYPES);
  let source: DatabaseSpec;
  if (sourceType === 'cosmos') {
    const values = { endpoint: inputs.getInput('cosmosEndpoint'), endpointInput: 'cosmosEndpoint', key: inputs.getSecretInput('cosmosKey'), keyInput: 'cosmosKey' };
    source = cosmosStore(ctx, values, inputs.getBoolInput('useRbac'), ruBudgetFrom(readGroup(ctx, 'export', 'ru-budget')));
  } else {
    source = mongoStore(ctx, inputs.getQuietInput('mongoUri'), 'mongoUri');
  }
  const { layout, collections } = layoutInputs(ctx);
  const { tuning, allowedRejects, resume } = transferInputs(ctx, readGroup(ctx, 'export', 'tuning'));
  const chosen = inputs.getChoiceInput('jsonFormat', ['auto', ...JSON_FORMATS], 'auto');
  const format = chosen === 'auto' ? undefined : chosen;
  const outputDir = resolve(inputs.getInput('outputDir') ?? join(ctx.defaultExportParent, defaultExportDirName()));
  warnIfPublished(ctx, 'outputDir', inputs.getInput('outputDir'));
  const verify = inputs.getBoolInput('verify');
  const reportFile = verify ? reportPath(ctx, inputs.getInput('reportFile')) : undefined;
  ctx.expectCollections(resolveScope(layout.layout, collections).length);
  const summary = await runExport({
    source,
    layout,
    outputDir,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(format ? { format } : {}),
    ...(inputs.getBoolInput('gzip') ? { gzip: true } : {}),
    ...(inputs.getBoolInput('overwrite') ? { overwrite: true } : {}),
    ...(reportFile ? { verify: true, reportFile } : {}),
    ...resume,
    ...tuning,
  });
  return {
    title: `Export from ${summary.source}`,
    summary,
    allowedRejects,
    ...(summary.verify ? { verify: summary.verify } : {}),
    outputs: { ...transferOutputs(summary), exportDir: outputDir, ...(summary.verify && reportFile ? { reportFile } : {}) },
  };
}

/** Errors and warnings name this task's inputs, not the CLI's flags. */
export const exportOperation = withInputNames('export', exportRun);
