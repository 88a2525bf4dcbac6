import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { defaultExportDirName, type JsonFormat } from '../../core/manifest.js';
import { runExport } from '../../engine/export.js';
import { pickTuning, type TuningOptions } from '../../engine/run.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runControlFrom } from '../run-control.js';
import { runReported, type CliContext, type ReportingFlags } from '../context.js';
import { addResumeOptions, printVerification, type ResumeFlags } from './verify.js';
import {
  addCosmosOptions,
  addLayoutOptions,
  addMongoOptions,
  addOutputOptions,
  addTuningOptions,
  cosmosSpec,
  jsonFormatOption,
  layoutFrom,
  mongoUri,
  positiveInt,
  type CosmosFlags,
} from '../options.js';

interface ExportFlags extends CosmosFlags, TuningOptions, ReportingFlags, ResumeFlags {
  sourceType: 'cosmos' | 'mongodb';
  mongoUri?: string;
  layout?: string;
  collections?: string[];
  outputDir?: string;
  jsonFormat?: JsonFormat;
  gzip?: boolean;
  pageSize?: number;
  overwrite?: boolean;
}

export function sourceSpec(flags: ExportFlags, ctx: CliContext): DatabaseSpec {
  if (flags.sourceType === 'cosmos') {
    const spec = cosmosSpec(flags, 'source', ctx.env);
    return flags.pageSize !== undefined && spec.type === 'cosmos' ? { ...spec, pageSize: flags.pageSize } : spec;
  }
  return { type: 'mongodb', uri: mongoUri(flags, 'source', ctx.env) };
}

export function registerExportCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('export')
    .description('export collections from Cosmos DB or MongoDB to an NDJSON directory with a checksummed manifest')
    .requiredOption('--source-type <type>', 'cosmos or mongodb')
    .option('--output-dir <dir>', 'directory to create (default: data-export-<UTC yyyymmddTHHMMSS>)')
    .addOption(jsonFormatOption())
    .option('--gzip', 'compress each collection file (.json.gz)')
    .option('--overwrite', 'start over: remove the earlier export (finished or partial) in --output-dir first; refused for a directory that is not a docferry export')
    .option('--page-size <n>', 'Cosmos DB source: documents per query page (default 1000; smaller pages mean less memory and finer resume)', positiveInt('--page-size'));
  addCosmosOptions(cmd, 'source');
  addMongoOptions(cmd, 'source');
  addLayoutOptions(cmd);
  addTuningOptions(cmd);
  addOutputOptions(cmd);
  addResumeOptions(cmd, 'export');
  cmd.action(async (flags: ExportFlags) => {
    if (flags.sourceType !== 'cosmos' && flags.sourceType !== 'mongodb') {
      throw new UsageError(`--source-type must be cosmos or mongodb, not "${flags.sourceType}".`);
    }
    const layout = layoutFrom(flags);
    const source = sourceSpec(flags, ctx);
    const outputDir = flags.outputDir ?? defaultExportDirName();
    const summary = await runReported(ctx, flags, (events) =>
      runExport({
        source,
        layout,
        outputDir,
        events,
        ...(flags.collections ? { collections: flags.collections } : {}),
        ...(flags.jsonFormat ? { format: flags.jsonFormat } : {}),
        ...(flags.gzip ? { gzip: true } : {}),
        ...(flags.overwrite ? { overwrite: true } : {}),
        ...runControlFrom(flags),
        ...pickTuning(flags),
      }),
    );
    printVerification(ctx, flags, summary);
  });
}
