/**
 * Sharding a Cosmos DB container by feed range (docs/sharding.md), as the Spark connector does:
 * the container's feed ranges (one per physical partition), in key order, are the units the engine
 * spreads over the shards, with the other containers' (src/engine/shard.ts), and each shard reads
 * only its own. A shard reads whole ranges: a run has work for at most as many shards as all its
 * containers have ranges together.
 */
import { spreadOf, type Shard } from '../../core/shard.js';

export const FEED_RANGE_PLAN = 'cosmos-feed-range';

/** A feed range by its effective partition key bounds (hex strings, `""` to `"FF"`). */
export interface EpkRange {
  min: string;
  max: string;
}

export interface FeedRangePlan {
  kind: typeof FEED_RANGE_PLAN;
  /** Every range of the container, in key order: together they cover it. */
  ranges: EpkRange[];
  /** Units a shard takes whole: the ranges (the engine spreads them over the shards, `assign`). */
  units: number;
  /** What a shard takes whole, for the engine's messages. */
  unit: 'feed range';
  /** The shard of each range, as the engine spread them with the other containers' ranges. */
  assign?: number[];
}

export function isFeedRangePlan(value: unknown): value is FeedRangePlan {
  const v = value as FeedRangePlan;
  return typeof v === 'object' && v !== null && v.kind === FEED_RANGE_PLAN && Array.isArray(v.ranges) && v.ranges.every((r) => typeof r.min === 'string' && typeof r.max === 'string');
}

/** The whole key space as the service bounds it. */
export const EPK_MIN = '';
export const EPK_MAX = 'FF';

/**
 * The plan of a container from its feed ranges (`container.getFeedRanges()`, or a pkranges
 * response's `minInclusive`/`maxExclusive`), checked to tile the key space with no gap or overlap.
 */
export function feedRangePlan(ranges: readonly { minInclusive: string; maxExclusive: string }[], name: string): FeedRangePlan {
  const sorted = ranges.map((r) => ({ min: r.minInclusive, max: r.maxExclusive })).sort((a, b) => compareEpk(a.min, b.min));
  const problem = tilingProblem(sorted);
  if (problem) throw new Error(`The feed ranges of ${name} do not cover its key space once (${problem}); a partition split may be under way: try again in a few minutes.`);
  return { kind: FEED_RANGE_PLAN, ranges: sorted, units: sorted.length, unit: 'feed range' };
}

/** EPK strings compare as hex of any length, `""` lowest: case-insensitively, shorter prefixes first. */
export function compareEpk(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function tilingProblem(ranges: readonly EpkRange[]): string | undefined {
  if (ranges.length === 0) return 'no range at all';
  if (ranges[0]!.min !== EPK_MIN) return `the first range starts at "${ranges[0]!.min}", not ""`;
  if (ranges.at(-1)!.max.toUpperCase() !== EPK_MAX) return `the last range ends at "${ranges.at(-1)!.max}", not "FF"`;
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.min.toUpperCase() !== ranges[i - 1]!.max.toUpperCase()) return `a range ends at "${ranges[i - 1]!.max}" and the next starts at "${ranges[i]!.min}"`;
  }
  return undefined;
}

/** The ranges shard `shard` reads: those the engine assigned it, else its even share of this container's. */
export function rangesOf(plan: FeedRangePlan, shard: Shard): EpkRange[] {
  if (Array.isArray(plan.assign) && plan.assign.length === plan.ranges.length) return plan.ranges.filter((_, k) => plan.assign![k] === shard.index);
  return spreadOf(plan.ranges, shard);
}

/** Whether these are all the container's ranges: the shard can read it with one ordinary query. */
export function coversAll(plan: FeedRangePlan, mine: readonly EpkRange[]): boolean {
  return mine.length === plan.ranges.length;
}

/** The container's ranges now, matched to the plan's by their bounds; a range that split since the plan was made is not found. */
export function matchRanges<R extends { minInclusive: string; maxExclusive: string }>(live: readonly R[], wanted: readonly EpkRange[], name: string): R[] {
  return wanted.map((w) => {
    const hit = live.find((r) => r.minInclusive.toUpperCase() === w.min.toUpperCase() && r.maxExclusive.toUpperCase() === w.max.toUpperCase());
    if (!hit) {
      throw new Error(
        `The feed range ["${w.min}", "${w.max}") of ${name} in the shard plan no longer exists: the container's partitions split since the plan was made. Make a new plan (a new --shard-plan path) and run every shard again.`,
      );
    }
    return hit;
  });
}
