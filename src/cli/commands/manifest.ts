/**
 * `docferry manifest merge`: the shard exports of one `export --shard I/N` joined into one
 * export (src/engine/manifest-merge.ts, docs/sharding.md). CLI-only: the templates' final job
 * runs it after the shard jobs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultExportDirName } from '../../core/manifest.js';
import type { CliContext } from '../context.js';

interface MergeFlags {
  out?: string;
  json?: boolean;
}

export function registerManifestCommand(program: Command, ctx: CliContext): void {
  const manifest = program.command('manifest').description('work with export manifests');
  manifest
    .command('merge')
    .description('join the shard exports of one sharded export (export --shard I/N) into one export that import and verify read as any other')
    .argument('<dirs...>', 'the shard export directories, one per shard, in any order')
    .option('--out <dir>', 'the merged export directory to create (default: data-export-<UTC yyyymmddTHHMMSS>)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (dirs: string[], flags: MergeFlags) => {
      const { mergeShards } = await import('../../engine/manifest-merge.js');
      const out = resolve(flags.out ?? defaultExportDirName());
      const result = await mergeShards({ dirs: dirs.map((d) => resolve(d)), out });
      if (flags.json) ctx.out.result(JSON.stringify(result, null, 2));
      else ctx.out.result(`Merged ${result.shards} shards into ${result.out}: ${result.files.length} files, ${result.documents} documents. Import or verify it as any export.`);
    });
}
