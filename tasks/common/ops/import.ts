import { resolve } from 'node:path';
import { filterByNames } from '../../../src/core/layout.js';
import { runImport } from '../../../src/engine/import.js';
import { readManifest } from '../../../src/stores/exportdir/manifest-io.js';
import { DATABASE_STORE_TYPES } from '../../../src/stores/registry.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';
import { transferOutputs } from '../outcome.js';
import { WRITE_MODES, layoutInputs, sideSpec } from '../stores.js';
import { readGroup } from '../option-inputs.js';
import { transferInputs } from '../run-inputs.js';
import { foreignFilesOf, mirrorFrom, shardFrom } from '../../../src/options/values.js';
import { reportPath } from './report-file.js';
import { warnIfPublished } from '../published-dir.js';

/** How many collections the import will move, for the progress bar only: the engine does the real check. */
async function countCollections(exportDir: string, collections: string[] | undefined): Promise<number | undefined> {
  try {
    const read = await readManifest(exportDir);
    if (!read) return undefined;
    const names = Object.entries(read.manifest.databases ?? {}).flatMap(([database, colls]) => (colls as string[]).map((collection) => ({ database, collection })));
    return filterByNames(names, collections).length;
  } catch {
    return undefined;
  }
}

/** A checked export directory -> Cosmos DB or MongoDB, optionally verified afterwards. */
async function importRun(ctx: OperationContext): Promise<OperationResult> {
  const { inputs } = ctx;
  const destType = inputs.getRequiredChoiceInput('destType', DATABASE_STORE_TYPES);
  const exportDir = resolve(inputs.getRequiredInput('exportDir', '(the directory an export wrote, holding manifest.json)'));
  const mode = inputs.getChoiceInput('mode', WRITE_MODES, 'upsert')!;
  const target = sideSpec(ctx, 'import', '', destType);
  const { layout, collections } = layoutInputs(ctx);
  const map = ctx.inputs.getListInput('map');
  // Files without a manifest (mongoexport's and other tools'): patterns in exportDir, paired with their targets.
  const foreign = foreignFilesOf({ files: ctx.inputs.getListInput('files'), to: ctx.inputs.getListInput('to'), jsonFormat: inputs.getInput('jsonFormat') });
  const { tuning, allowedRejects, resume } = transferInputs(ctx, readGroup(ctx, 'import', 'tuning'));
  const rejectsDir = inputs.getInput('rejectsDir');
  warnIfPublished(ctx, 'rejectsDir', rejectsDir);
  const reportFile = inputs.getBoolInput('verify') ? reportPath(ctx, inputs.getInput('reportFile')) : undefined;
  const allowPartial = inputs.getBoolInput('allowPartial');
  const fromRejects = inputs.getInput('fromRejects');
  const expected = await countCollections(exportDir, collections);
  if (expected !== undefined) ctx.expectCollections(expected);
  const summary = await runImport({
    exportDir,
    target,
    layout,
    mode,
    events: ctx.events,
    ...(collections ? { collections } : {}),
    ...(map ? { map } : {}),
    ...foreign,
    ...(allowPartial ? { allowPartial: true } : {}),
    ...(fromRejects ? { fromRejects: resolve(fromRejects) } : {}),
    ...(rejectsDir ? { rejectsDir: resolve(rejectsDir) } : {}),
    ...(reportFile ? { verify: true, reportFile } : {}),
    ...(inputs.getBoolInput('noIndexes') ? { noIndexes: true } : {}),
    ...resume,
    ...mirrorFrom(readGroup(ctx, 'import', 'mirror')),
    ...shardFrom(readGroup(ctx, 'import', 'shard')),
    ...tuning,
  });
  return {
    title: `Import into ${summary.target}`,
    summary,
    allowedRejects,
    ...(summary.verify ? { verify: summary.verify } : {}),
    outputs: { ...transferOutputs(summary), exportDir, ...(summary.verify && reportFile ? { reportFile } : {}) },
  };
}

/** Errors and warnings name this task's inputs, not the CLI's flags. */
export const importOperation = withInputNames('import', importRun);
