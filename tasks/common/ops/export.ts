import { join, resolve } from 'node:path';
import { JSON_FORMATS, defaultExportDirName } from '../../../src/core/manifest.js';
import { resolveScope } from '../../../src/core/layout.js';
import { runExport } from '../../../src/engine/export.js';
import { DATABASE_STORE_TYPES } from '../../../src/stores/registry.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { filterInputs } from '../filter-inputs.js';
import { transferOutputs } from '../outcome.js';
import { layoutInputs, sideSpec } from '../stores.js';
import { readGroup } from '../option-inputs.js';
import { discoveryInputs } from '../discovery-inputs.js';
import { shardFrom } from '../../../src/options/values.js';
import { transferInputs } from '../run-inputs.js';
import { reportPath } from './report-file.js';
import { warnIfPublished } from '../published-dir.js';

/** Cosmos DB or MongoDB -> a checked export directory, optionally re-read and compared with the source. */
async function exportRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const sourceType = inputs.getRequiredChoiceInput('sourceType', DATABASE_STORE_TYPES);
  const source = sideSpec(ctx, 'export', '', sourceType);
  const { layout, collections } = layoutInputs(ctx);
  const { tuning, allowedRejects, resume } = transferInputs(ctx, readGroup(ctx, 'export', 'tuning'));
  const chosen = inputs.getChoiceInput('jsonFormat', ['auto', ...JSON_FORMATS], 'auto');
  const format = chosen === 'auto' ? undefined : chosen;
  const outputDir = resolve(inputs.getInput('outputDir') ?? join(ctx.defaultExportParent, defaultExportDirName()));
  warnIfPublished(ctx, 'outputDir', inputs.getInput('outputDir'));
  const verify = inputs.getBoolInput('verify');
  const reportFile = verify ? reportPath(ctx, inputs.getInput('reportFile')) : undefined;
  const discovery = discoveryInputs(ctx);
  // With all, what is moved is known only once the source is listed: no percentage rather than a wrong one.
  if (!discovery.all) ctx.expectCollections(resolveScope(layout.layout, collections).length);
  const summary = await runExport({
    source,
    layout,
    outputDir,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(format ? { format } : {}),
    ...(inputs.getBoolInput('gzip') ? { gzip: true } : {}),
    ...(inputs.getBoolInput('overwrite') ? { overwrite: true } : {}),
    ...filterInputs(ctx),
    ...(reportFile ? { verify: true, reportFile } : {}),
    ...discovery,
    ...resume,
    ...shardFrom(readGroup(ctx, 'export', 'shard')),
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
