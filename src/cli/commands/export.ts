import type { Command } from 'commander';
import { defaultExportDirName, type JsonFormat } from '../../core/manifest.js';
import { runExport, type ExportOptions } from '../../engine/export.js';
import type { EventSink } from '../../engine/events.js';
import { sidesOf } from '../../options/catalogue.js';
import { discoveryFrom, filterFrom, runControlFrom, shardFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, checkSides, layoutFrom, optionValues, sideSpec } from '../options.js';

const [SOURCE] = sidesOf('export');

export function sourceSpec(values: OptionValues, ctx: CliContext): DatabaseSpec {
  return sideSpec(values, SOURCE!, ctx.env) as DatabaseSpec;
}

export function registerExportCommand(program: Command, ctx: CliContext): void {
  const cmd = program.command('export').description('export collections from Cosmos DB or MongoDB to an NDJSON directory with a checksummed manifest');
  addCatalogueOptions(cmd, 'export');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'export');
    const base = exportOptionsFrom(values, ctx);
    const summary = await runReported(ctx, values, (events) => runExport({ ...base, events }));
    printVerification(ctx, values, summary);
  });
}

/** The engine's export options from the command's flags: `docferry export`'s, and `docferry plan export`'s. */
export function exportOptionsFrom(values: OptionValues, ctx: CliContext, events?: EventSink): ExportOptions {
  checkSides(values, 'export');
  const layout = layoutFrom(values);
  const source = sourceSpec(values, ctx);
  const outputDir = (values.outputDir as string | undefined) ?? defaultExportDirName();
  const collections = values.collections as string[] | undefined;
  return {
    source,
    layout,
    outputDir,
    ...(events ? { events } : {}),
    ...(collections ? { collections } : {}),
    ...(values.jsonFormat ? { format: values.jsonFormat as JsonFormat } : {}),
    ...(values.gzip ? { gzip: true } : {}),
    ...(values.encodeThreads ? { encodeThreads: values.encodeThreads as NonNullable<ExportOptions['encodeThreads']> } : {}),
    ...(values.overwrite ? { overwrite: true } : {}),
    ...runControlFrom(values),
    ...filterFrom(values),
    ...discoveryFrom(values),
    ...shardFrom(values),
    ...tuningFrom(values),
  };
}
