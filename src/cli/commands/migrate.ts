import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runMigrate } from '../../engine/migrate.js';
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
  type Direction,
  withConnectTimeout,
} from '../options.js';

type StoreType = 'cosmos' | 'mongodb';

interface MigrateFlags extends TuningOptions, ReportingFlags, ResumeFlags, MirrorFlags {
  from: StoreType;
  to: StoreType;
  rejectsDir?: string;
  restoreObjectids?: boolean;
  layout?: string;
  collections?: string[];
  fromCosmosEndpoint?: string;
  fromCosmosKey?: string;
  fromUseRbac?: boolean;
  fromCosmosCaFile?: string;
  fromMaxRu?: number;
  fromRuShare?: number;
  fromPriority?: 'low' | 'high';
  fromMongoUri?: string;
  toCosmosEndpoint?: string;
  toCosmosKey?: string;
  toUseRbac?: boolean;
  toCosmosCaFile?: string;
  toMaxRu?: number;
  toRuShare?: number;
  toPriority?: 'low' | 'high';
  toMongoUri?: string;
}

function side(flags: MigrateFlags, which: 'from' | 'to', ctx: CliContext): DatabaseSpec {
  const direction: Direction = which === 'from' ? 'source' : 'target';
  const type = flags[which];
  if (type === 'cosmos') {
    const f = which === 'from'
      ? { cosmosEndpoint: flags.fromCosmosEndpoint, cosmosKey: flags.fromCosmosKey, useRbac: flags.fromUseRbac, cosmosCaFile: flags.fromCosmosCaFile, maxRu: flags.fromMaxRu, ruShare: flags.fromRuShare, priority: flags.fromPriority }
      : { cosmosEndpoint: flags.toCosmosEndpoint, cosmosKey: flags.toCosmosKey, useRbac: flags.toUseRbac, cosmosCaFile: flags.toCosmosCaFile, maxRu: flags.toMaxRu, ruShare: flags.toRuShare, priority: flags.toPriority };
    return cosmosSpec(f, direction, ctx.env, `${which}-`);
  }
  const uri = mongoUri({ mongoUri: which === 'from' ? flags.fromMongoUri : flags.toMongoUri }, direction, ctx.env);
  return { type: 'mongodb', uri, ...(which === 'to' && flags.restoreObjectids ? { restoreObjectIds: true } : {}) };
}

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('migrate')
    .description('move collections straight from one database to another (Cosmos DB or MongoDB, either way), without an export directory')
    .requiredOption('--from <type>', 'source: cosmos or mongodb (credentials: --from-… flags, else SRC_* variables)')
    .requiredOption('--to <type>', 'target: cosmos or mongodb (credentials: --to-… flags, else DST_* variables)')
    .option('--mode <mode>', MODE_HELP, 'upsert')
    .option('--rejects-dir <dir>', 'where rejected documents are written (default: docferry-rejects-<UTC yyyymmddTHHMMSS>)')
    .option('--restore-objectids', 'MongoDB target: turn 24-hex string _ids back into ObjectIds');
  addCosmosOptions(cmd, 'source', 'from-');
  addMongoOptions(cmd, 'source', 'from-');
  addCosmosOptions(cmd, 'target', 'to-');
  addMongoOptions(cmd, 'target', 'to-');
  addLayoutOptions(cmd);
  addTuningOptions(cmd);
  addOutputOptions(cmd);
  addResumeOptions(cmd, 'migrate');
  addMirrorOptions(cmd);
  cmd.action(async (flags: MigrateFlags) => {
    for (const which of ['from', 'to'] as const) {
      if (flags[which] !== 'cosmos' && flags[which] !== 'mongodb') throw new UsageError(`--${which} must be cosmos or mongodb, not "${flags[which]}".`);
    }
    checkMode(flags.mode);
    if (flags.restoreObjectids && flags.to !== 'mongodb') throw new UsageError('--restore-objectids applies to a MongoDB target (--to mongodb).');
    const layout = layoutFrom(flags);
    const source = withConnectTimeout(side(flags, 'from', ctx), flags.connectTimeout);
    const target = withConnectTimeout(side(flags, 'to', ctx), flags.connectTimeout);
    const summary = await runReported(ctx, flags, (events) =>
      runMigrate({
        source,
        target,
        layout,
        mode: flags.mode,
        events,
        ...(flags.collections ? { collections: flags.collections } : {}),
        ...(flags.rejectsDir ? { rejectsDir: flags.rejectsDir } : {}),
        ...runControlFrom(flags),
        ...mirrorFrom(flags),
        ...pickTuning(flags),
      }),
    );
    printVerification(ctx, flags, summary);
  });
}
