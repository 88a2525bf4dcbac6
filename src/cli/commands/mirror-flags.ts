import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_MAX_DELETES_CAP, DEFAULT_MAX_DELETES_SHARE, mirrorOptions, type MirrorOptions, type RunMode } from '../../engine/mirror.js';
import { nonNegativeInt } from '../options.js';

export interface MirrorFlags {
  mode: RunMode;
  maxDeletes?: number;
  dryRun?: boolean;
  deletesFile?: string;
}

export const MODE_HELP =
  'upsert overwrites existing documents; merge keeps them and counts them as skipped; mirror upserts, then deletes the target documents the source lacks (see --max-deletes)';

/** --max-deletes, --dry-run and --deletes-file, worded the same on import and migrate. */
export function addMirrorOptions(cmd: Command): Command {
  return cmd
    .option(
      '--max-deletes <n>',
      `--mode mirror: refuse, before deleting anything, to delete more documents than this (default: ${Math.round(DEFAULT_MAX_DELETES_SHARE * 100)}% of the target's documents, at most ${DEFAULT_MAX_DELETES_CAP})`,
      nonNegativeInt('--max-deletes'),
    )
    .option('--dry-run', '--mode mirror: read the source and list the target documents that would be deleted; write and delete nothing')
    .option('--deletes-file <file>', '--mode mirror: write the id of every target document the source lacks to this NDJSON file');
}

export function checkMode(mode: string): void {
  if (mode !== 'upsert' && mode !== 'merge' && mode !== 'mirror') throw new UsageError(`--mode must be upsert, merge or mirror, not "${mode}".`);
}

/** The engine's mirror fields from the flags that were given. */
export function mirrorFrom(flags: MirrorFlags): MirrorOptions {
  return mirrorOptions(flags);
}
