import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { defaultExportDirName, type JsonFormat } from '../../core/manifest.js';
import { runExport } from '../../engine/export.js';
import { sidesOf } from '../../options/catalogue.js';
import { discoveryFrom, runControlFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, cosmosSpec, layoutFrom, mongoUri, optionValues, withConnectTimeout } from '../options.js';

const [SOURCE] = sidesOf('export');

export function sourceSpec(values: OptionValues, ctx: CliContext): DatabaseSpec {
  if (values.sourceType === 'cosmos') {
    const spec = cosmosSpec(values, SOURCE!, ctx.env);
    return values.pageSize !== undefined && spec.type === 'cosmos' ? { ...spec, pageSize: values.pageSize as number } : spec;
  }
  return { type: 'mongodb', uri: mongoUri(values, SOURCE!, ctx.env) };
}

export function registerExportCommand(program: Command, ctx: CliContext): void {
  const cmd = program.command('export').description('export collections from Cosmos DB or MongoDB to an NDJSON directory with a checksummed manifest');
  addCatalogueOptions(cmd, 'export');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'export');
    if (values.sourceType !== 'cosmos' && values.sourceType !== 'mongodb') {
      throw new UsageError(`--source-type must be cosmos or mongodb, not "${String(values.sourceType)}".`);
    }
    const layout = layoutFrom(values);
    const source = withConnectTimeout(sourceSpec(values, ctx), values.connectTimeout);
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
        ...tuningFrom(values),
      }),
    );
    printVerification(ctx, values, summary);
  });
}
