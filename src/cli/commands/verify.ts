import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runVerify, verifyTable, type VerifyEndpoint } from '../../engine/verify.js';
import { plainProgress } from '../progress.js';
import type { CliContext } from '../context.js';
import { addCosmosOptions, addLayoutOptions, addMongoOptions, addOutputOptions, cosmosSpec, layoutFrom, mongoUri, positiveInt, withConnectTimeout, type Direction } from '../options.js';

type Side = 'left' | 'right';

interface VerifyFlags {
  layout?: string;
  collections?: string[];
  maxListed?: number;
  report?: string;
  allowPartial?: boolean;
  ignoreExtra?: boolean;
  json?: boolean;
  quiet?: boolean;
  connectTimeout?: number;
  [flag: string]: unknown;
}

const DIRECTION: Record<Side, Direction> = { left: 'source', right: 'target' };

function flag(flags: VerifyFlags, side: Side, name: string): string | boolean | undefined {
  return flags[`${side}${name}`] as string | boolean | undefined;
}

/** `--left-…` / `--right-…` flags (env fallbacks: SRC_* for left, DST_* for right) -> an endpoint. */
export function endpointFromFlags(flags: VerifyFlags, side: Side, ctx: CliContext): VerifyEndpoint {
  const type = flag(flags, side, 'Type');
  switch (type) {
    case 'dir': {
      const path = flag(flags, side, 'Dir');
      if (typeof path !== 'string' || !path) throw new UsageError(`--${side}-type dir needs --${side}-dir <export directory>.`);
      return { type: 'dir', path };
    }
    case 'cosmos': {
      const endpoint = flag(flags, side, 'CosmosEndpoint');
      const key = flag(flags, side, 'CosmosKey');
      const ca = flag(flags, side, 'CosmosCaFile');
      return cosmosSpec(
        {
          ...(typeof endpoint === 'string' ? { cosmosEndpoint: endpoint } : {}),
          ...(typeof key === 'string' ? { cosmosKey: key } : {}),
          ...(flag(flags, side, 'UseRbac') ? { useRbac: true } : {}),
          ...(typeof ca === 'string' ? { cosmosCaFile: ca } : {}),
        },
        DIRECTION[side],
        ctx.env,
        `${side}-`,
      );
    }
    case 'mongodb': {
      const uri = flag(flags, side, 'MongoUri');
      return { type: 'mongodb', uri: mongoUri(typeof uri === 'string' ? { mongoUri: uri } : {}, DIRECTION[side], ctx.env) };
    }
    default:
      throw new UsageError(`--${side}-type must be cosmos, mongodb or dir, not "${String(type)}".`);
  }
}

export function registerVerifyCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('verify')
    .description('compare two stores (Cosmos DB, MongoDB, export directory) collection by collection: counts and per-document content digests; exit 5 on any difference')
    .requiredOption('--left-type <type>', 'cosmos, mongodb or dir')
    .requiredOption('--right-type <type>', 'cosmos, mongodb or dir')
    .option('--left-dir <dir>', 'export directory (with --left-type dir)')
    .option('--right-dir <dir>', 'export directory (with --right-type dir)')
    .option('--max-listed <n>', 'ids listed per kind of difference (default 20; --report lists all)', positiveInt('--max-listed'))
    .option('--report <file>', 'write every difference to this NDJSON file')
    .option('--allow-partial', 'compare an export directory even if it does not match its manifest')
    .option('--ignore-extra', 'documents only the right side holds are listed ("extra, ignored") but are no difference: for a target that may hold more');
  addCosmosOptions(cmd, 'source', 'left-');
  addMongoOptions(cmd, 'source', 'left-');
  addCosmosOptions(cmd, 'target', 'right-');
  addMongoOptions(cmd, 'target', 'right-');
  addLayoutOptions(cmd);
  addOutputOptions(cmd);
  cmd.action(async (flags: VerifyFlags) => {
    const layout = layoutFrom(flags);
    const left = withConnectTimeout(endpointFromFlags(flags, 'left', ctx), flags.connectTimeout);
    const right = withConnectTimeout(endpointFromFlags(flags, 'right', ctx), flags.connectTimeout);
    const summary = await runVerify({
      left,
      right,
      layout,
      ...(flags.collections ? { collections: flags.collections } : {}),
      ...(flags.maxListed ? { maxListed: flags.maxListed } : {}),
      ...(flags.report ? { reportFile: flags.report } : {}),
      ...(flags.allowPartial ? { allowPartial: true } : {}),
      ...(flags.ignoreExtra ? { ignoreExtra: true } : {}),
      ...(flags.quiet ? {} : { events: plainProgress(ctx.out) }),
    });
    ctx.out.result(flags.json ? JSON.stringify(summary, null, 2) : verifyTable(summary));
    ctx.exitCode = summary.exitCode;
  });
}

export interface ResumeFlags {
  resume?: boolean;
  checkpoint?: string;
  verify?: boolean;
  report?: string;
}

const CHECKPOINT_DEFAULT: Record<'export' | 'import' | 'migrate', string> = {
  export: '<output-dir>/_checkpoint',
  import: '<export-dir>/_checkpoints/import-<target hash>',
  migrate: 'docferry-checkpoints/migrate-<source and target hash>',
};

const VERIFY_WHAT: Record<'export' | 'import' | 'migrate', string> = {
  export: 're-read the finished export and compare it with the source',
  import: 'compare the export with the target afterwards',
  migrate: 'compare the source with the target afterwards',
};

/** --resume, --checkpoint, --verify and --report, worded the same on export, import and migrate. */
export function addResumeOptions(cmd: Command, operation: 'export' | 'import' | 'migrate'): Command {
  return cmd
    .option('--resume', `continue an interrupted ${operation} from its checkpoint (starts from the beginning when there is none)`)
    .option('--checkpoint <dir>', `where the checkpoint is kept (default: ${CHECKPOINT_DEFAULT[operation]})`)
    .option('--verify', `${VERIFY_WHAT[operation]}: exit 5 when they differ`)
    .option('--report <file>', 'with --verify: write every difference to this NDJSON file');
}

/** The verify part of a run's report, after its summary table (it is in the --json summary already). */
export function printVerification(ctx: CliContext, flags: { json?: boolean }, summary: { verify?: Parameters<typeof verifyTable>[0] }): void {
  if (summary.verify && !flags.json) ctx.out.result(verifyTable(summary.verify));
}
