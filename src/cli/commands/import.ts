import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runImport, type ImportOptions } from '../../engine/import.js';
import type { EventSink } from '../../engine/events.js';
import { sidesOf } from '../../options/catalogue.js';
import { mirrorFrom, foreignFilesOf, runControlFrom, shardFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import { RUN_MODES, type RunMode } from '../../engine/mirror.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, checkSides, layoutFrom, optionValues, sideSpec } from '../options.js';

const [TARGET] = sidesOf('import');

export function targetSpec(values: OptionValues, ctx: CliContext): DatabaseSpec {
  return sideSpec(values, TARGET!, ctx.env) as DatabaseSpec;
}

export function registerImportCommand(program: Command, ctx: CliContext): void {
  const cmd = program.command('import').description('check an export directory, then import it into Cosmos DB or MongoDB');
  addCatalogueOptions(cmd, 'import');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'import');
    const base = importOptionsFrom(flags, values, ctx);
    const summary = await runReported(ctx, values, (events) => runImport({ ...base, events }));
    printVerification(ctx, values, summary);
  });
}

/** The engine's import options from the command's flags: `docferry import`'s, and `docferry plan import`'s. */
export function importOptionsFrom(flags: Record<string, unknown>, values: OptionValues, ctx: CliContext, events?: EventSink): ImportOptions {
  checkSides(values, 'import');
  if (!RUN_MODES.includes(values.mode as RunMode)) throw new UsageError(`--mode must be upsert, merge or mirror, not "${String(values.mode)}".`);
  const layout = layoutFrom(values);
  const target = targetSpec(values, ctx);
  const collections = values.collections as string[] | undefined;
  const map = values.map as string[] | undefined;
  return {
    ...(flags.indexes === false ? { noIndexes: true } : {}),
    exportDir: values.exportDir as string,
    target,
    layout,
    mode: values.mode as RunMode,
    ...(events ? { events } : {}),
    ...(collections ? { collections } : {}),
    ...(map ? { map } : {}),
    ...(values.allowPartial ? { allowPartial: true } : {}),
    ...(values.rejectsDir ? { rejectsDir: values.rejectsDir as string } : {}),
    ...(values.fromRejects ? { fromRejects: values.fromRejects as string } : {}),
    ...foreignFilesOf(values),
    ...runControlFrom(values),
    ...mirrorFrom(values),
    ...shardFrom(values),
    ...tuningFrom(values),
  };
}
