/**
 * Parsed option values (catalogue key -> value) and the engine options both front doors build
 * from them, so that a value the CLI or a task read reaches the engine the same way.
 */
import { mirrorOptions, type MirrorOptions } from '../engine/mirror.js';
import type { TuningOptions } from '../engine/run.js';
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { ForeignFiles } from '../engine/import.js';
import type { JsonFormat } from '../core/manifest.js';
import type { CollectionFilter } from '../core/filter.js';
import type { Shard } from '../core/shard.js';
import type { ShardBudgetTarget } from '../engine/shard.js';
import { prefixed } from './catalogue.js';

export type OptionValues = Record<string, unknown>;

const TUNING_KEYS = ['batchSize', 'batchBytes', 'concurrency', 'parallelCollections', 'maxErrors'] as const;

/** Only the tuning values that were given, so engine defaults apply to the rest. */
export function tuningFrom(values: OptionValues): TuningOptions {
  const t: TuningOptions = {};
  for (const k of TUNING_KEYS) if (values[k] !== undefined) t[k] = values[k] as number;
  return t;
}

/** --mode mirror's --max-deletes, --dry-run and --deletes-file, as the engine takes them. */
export function mirrorFrom(values: OptionValues): MirrorOptions {
  return mirrorOptions(values as MirrorOptions);
}

/** The flags export, import and migrate share for checkpoints and verification (--resume, --checkpoint, --verify, --report). */
export interface RunControl {
  resume?: true;
  checkpointDir?: string;
  verify?: true;
  reportFile?: string;
}

/** Only the run-control values that were given, as engine options, so engine defaults apply to the rest. */
export function runControlFrom(values: OptionValues): RunControl {
  return {
    ...(values.resume ? { resume: true as const } : {}),
    ...(values.checkpointDir ? { checkpointDir: values.checkpointDir as string } : {}),
    ...(values.verify ? { verify: true as const } : {}),
    ...(values.reportFile ? { reportFile: values.reportFile as string } : {}),
  };
}

/** --all and --strict (discovery), as the engine takes them: only those given. */
export function discoveryFrom(values: OptionValues): { all?: true; strict?: true } {
  return { ...(values.all ? { all: true as const } : {}), ...(values.strict ? { strict: true as const } : {}) };
}

/**
 * --query or --query-file (docs/filters.md), as the engine takes it: the filter's text and where
 * it came from, for messages and the manifest. Both given, an empty one or an unreadable file: a usage error.
 */
export function filterFrom(values: OptionValues): { query?: CollectionFilter } {
  const text = values.query as string | undefined;
  const file = values.queryFile as string | undefined;
  if (text !== undefined && file !== undefined) throw new UsageError('--query and --query-file both give the filter: pass one of them.');
  if (text !== undefined) {
    if (text.trim() === '') throw new UsageError('--query is empty: give a filter, or leave the option out to read every document.');
    return { query: { query: text, from: '--query' } };
  }
  if (file === undefined) return {};
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read the --query-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}. Pass an existing file holding the filter.`);
  }
  if (content.trim() === '') throw new UsageError(`--query-file ${file} is empty: it must hold the filter.`);
  return { query: { query: content.trim(), from: `--query-file ${file}` } };
}

/** --shard, --shard-plan and --shard-budget (docs/sharding.md), as the engine takes them: only those given. */
export function shardFrom(values: OptionValues): { shard?: Shard; shardPlan?: string; shardBudget?: ShardBudgetTarget } {
  const budget = values.shardBudget as string | undefined;
  if (!budget && values.shardBudgetConnectionString) throw new UsageError('--shard-budget-connection-string is the credential of --shard-budget: pass --shard-budget <blob-url> as well.');
  return {
    ...(values.shard ? { shard: values.shard as Shard } : {}),
    ...(values.shardPlan ? { shardPlan: values.shardPlan as string } : {}),
    ...(budget
      ? {
          shardBudget: {
            url: budget,
            ...(values.shardBudgetConnectionString ? { connectionString: values.shardBudgetConnectionString as string } : {}),
            ...(values.shardBudgetPeriod !== undefined ? { periodMs: values.shardBudgetPeriod as number } : {}),
          },
        }
      : {}),
  };
}

/** `--files` and `--to` pair by position: a missing or extra `--to` is a usage error, not a guess. */
export function foreignFilesOf(values: OptionValues): { files?: ForeignFiles[]; jsonFormat?: JsonFormat } {
  const patterns = (values.files as string[] | undefined) ?? [];
  const targets = (values.to as string[] | undefined) ?? [];
  const format = values.jsonFormat && values.jsonFormat !== 'auto' ? { jsonFormat: values.jsonFormat as JsonFormat } : {};
  if (patterns.length === 0 && targets.length === 0) return format;
  if (patterns.length !== targets.length) {
    throw new UsageError(`--files and --to go in pairs (one --to db.coll for each --files PATTERN): got ${patterns.length} --files and ${targets.length} --to.`);
  }
  return { files: patterns.map((pattern, i) => ({ pattern, to: targets[i]! })), ...format };
}

