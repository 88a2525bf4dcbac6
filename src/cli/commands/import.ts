import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runImport } from '../../engine/import.js';
import { pickTuning, type TuningOptions } from '../../engine/run.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import type { WriteMode } from '../../stores/types.js';
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
  layoutFrom,
  mongoUri,
  type CosmosFlags,
} from '../options.js';

interface ImportFlags extends CosmosFlags, TuningOptions, ReportingFlags, ResumeFlags {
  destType: 'cosmos' | 'mongodb';
  exportDir: string;
  mode: WriteMode;
  mongoUri?: string;
  restoreObjectids?: boolean;
  layout?: string;
  collections?: string[];
  allowPartial?: boolean;
  rejectsDir?: string;
  fromRejects?: string;
}

export function targetSpec(flags: ImportFlags, ctx: CliContext): DatabaseSpec {
  if (flags.destType === 'cosmos') return cosmosSpec(flags, 'target', ctx.env);
  return { type: 'mongodb', uri: mongoUri(flags, 'target', ctx.env), ...(flags.restoreObjectids ? { restoreObjectIds: true } : {}) };
}

export function registerImportCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('import')
    .description('check an export directory, then import it into Cosmos DB or MongoDB')
    .requiredOption('--dest-type <type>', 'cosmos or mongodb')
    .requiredOption('--export-dir <dir>', 'the directory an export wrote (holding manifest.json)')
    .option('--mode <mode>', 'upsert overwrites existing documents; merge keeps them and counts them as skipped', 'upsert')
    .option('--allow-partial', 'import even when the export is incomplete or does not match its manifest (loudly)')
    .option('--rejects-dir <dir>', 'where rejected documents are written (default: <export-dir>/_rejects)')
    .option('--from-rejects <path>', 'import the documents of a rejects file (or a directory of them) of this export, once fixed, instead of its files')
    .option('--restore-objectids', 'MongoDB target: turn 24-hex string _ids back into ObjectIds');
  addCosmosOptions(cmd, 'target');
  addMongoOptions(cmd, 'target');
  addLayoutOptions(cmd);
  addTuningOptions(cmd);
  addOutputOptions(cmd);
  addResumeOptions(cmd, 'import');
  cmd.action(async (flags: ImportFlags) => {
    if (flags.destType !== 'cosmos' && flags.destType !== 'mongodb') {
      throw new UsageError(`--dest-type must be cosmos or mongodb, not "${flags.destType}".`);
    }
    if (flags.mode !== 'upsert' && flags.mode !== 'merge') throw new UsageError(`--mode must be upsert or merge, not "${flags.mode}".`);
    if (flags.restoreObjectids && flags.destType !== 'mongodb') throw new UsageError('--restore-objectids applies to a MongoDB target (--dest-type mongodb).');
    const layout = layoutFrom(flags);
    const target = targetSpec(flags, ctx);
    const summary = await runReported(ctx, flags, (events) =>
      runImport({
        exportDir: flags.exportDir,
        target,
        layout,
        mode: flags.mode,
        events,
        ...(flags.collections ? { collections: flags.collections } : {}),
        ...(flags.allowPartial ? { allowPartial: true } : {}),
        ...(flags.rejectsDir ? { rejectsDir: flags.rejectsDir } : {}),
        ...(flags.fromRejects ? { fromRejects: flags.fromRejects } : {}),
        ...runControlFrom(flags),
        ...pickTuning(flags),
      }),
    );
    printVerification(ctx, flags, summary);
  });
}
