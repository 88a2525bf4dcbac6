import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runImport } from '../../engine/import.js';
import { pickTuning, type TuningOptions } from '../../engine/run.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { MODE_HELP, addMirrorOptions, checkMode, mirrorFrom, type MirrorFlags } from './mirror-flags.js';
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
  withConnectTimeout,
} from '../options.js';

interface ImportFlags extends CosmosFlags, TuningOptions, ReportingFlags, ResumeFlags, MirrorFlags {
  destType: 'cosmos' | 'mongodb';
  exportDir: string;
  mongoUri?: string;
  restoreObjectids?: boolean;
  layout?: string;
  collections?: string[];
  allowPartial?: boolean;
  rejectsDir?: string;
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
    .option('--mode <mode>', MODE_HELP, 'upsert')
    .option('--allow-partial', 'import even when the export is incomplete or does not match its manifest (loudly)')
    .option('--rejects-dir <dir>', 'where rejected documents are written (default: <export-dir>/_rejects)')
    .option('--restore-objectids', 'MongoDB target: turn 24-hex string _ids back into ObjectIds');
  addCosmosOptions(cmd, 'target');
  addMongoOptions(cmd, 'target');
  addLayoutOptions(cmd);
  addTuningOptions(cmd);
  addOutputOptions(cmd);
  addResumeOptions(cmd, 'import');
  addMirrorOptions(cmd);
  cmd.action(async (flags: ImportFlags) => {
    if (flags.destType !== 'cosmos' && flags.destType !== 'mongodb') {
      throw new UsageError(`--dest-type must be cosmos or mongodb, not "${flags.destType}".`);
    }
    checkMode(flags.mode);
    if (flags.restoreObjectids && flags.destType !== 'mongodb') throw new UsageError('--restore-objectids applies to a MongoDB target (--dest-type mongodb).');
    const layout = layoutFrom(flags);
    const target = withConnectTimeout(targetSpec(flags, ctx), flags.connectTimeout);
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
        ...runControlFrom(flags),
        ...mirrorFrom(flags),
        ...pickTuning(flags),
      }),
    );
    printVerification(ctx, flags, summary);
  });
}
