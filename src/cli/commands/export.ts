import type { Command } from 'commander';
import { defaultExportDirName, type JsonFormat } from '../../core/manifest.js';
import { runExport } from '../../engine/export.js';
import { sidesOf } from '../../options/catalogue.js';
import { discoveryFrom, runControlFrom, shardFrom, tuningFrom, type OptionValues } from '../../options/values.js';
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
    checkSides(values, 'export');
    const layout = layoutFrom(values);
    const source = sourceSpec(values, ctx);
    const outputDir = (values.outputDir as string | undefined) ?? defaultExportDirName();
    const collections = values.collections as string[] | undefined;
    const summary = await runReported(ctx, values, (events) =>
      runExport({
        source,
        layout,
        outputDir,
        events,
        ...(collections ? { collections } : {}),
        ...(values.jsonFormat ? { format: values.jsonFormat as JsonFormat } : {}),
        ...(values.gzip ? { gzip: true } : {}),
        ...(values.overwrite ? { overwrite: true } : {}),
        ...runControlFrom(values),
        ...discoveryFrom(values),
        ...shardFrom(values),
        ...tuningFrom(values),
      }),
    );
    printVerification(ctx, values, summary);
  });
}
