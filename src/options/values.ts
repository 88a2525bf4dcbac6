/**
 * Parsed option values (catalogue key -> value) and the engine options both front doors build
 * from them, so that a value the CLI or a task read reaches the engine the same way.
 */
import { mirrorOptions, type MirrorOptions } from '../engine/mirror.js';
import type { TuningOptions } from '../engine/run.js';
import type { CosmosRuOptions } from '../stores/cosmos/ru-budget.js';
import type { Shard } from '../core/shard.js';
import { prefixed } from './catalogue.js';

export type OptionValues = Record<string, unknown>;

const TUNING_KEYS = ['batchSize', 'batchBytes', 'concurrency', 'parallelCollections', 'maxErrors'] as const;

/** Only the tuning values that were given, so engine defaults apply to the rest. */
export function tuningFrom(values: OptionValues): TuningOptions {
  const t: TuningOptions = {};
  for (const k of TUNING_KEYS) if (values[k] !== undefined) t[k] = values[k] as number;
  return t;
}

/** A side's Cosmos DB request-unit budget: its own prefixed values, else the command's shared ones. */
export function ruBudgetFrom(values: OptionValues, prefix = ''): CosmosRuOptions | undefined {
  const get = (key: string) => values[prefixed(prefix, key)] ?? values[key];
  const ru: CosmosRuOptions = {};
  const maxRu = get('maxRu');
  const ruShare = get('ruShare');
  const priority = get('priority');
  if (maxRu !== undefined) ru.maxRu = maxRu as number;
  if (ruShare !== undefined) ru.ruShare = ruShare as number;
  if (priority) ru.priority = priority as 'low' | 'high';
  return Object.keys(ru).length > 0 ? ru : undefined;
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

/** --shard and --shard-plan (docs/sharding.md), as the engine takes them: only those given. */
export function shardFrom(values: OptionValues): { shard?: Shard; shardPlan?: string } {
  return { ...(values.shard ? { shard: values.shard as Shard } : {}), ...(values.shardPlan ? { shardPlan: values.shardPlan as string } : {}) };
}
