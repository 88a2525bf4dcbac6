/**
 * One shard of a run split across parallel jobs (`--shard I/N`, docs/sharding.md): which part of
 * the data it moves, and how its output is named. Pure: each store splits its own data (MongoDB
 * by `_id` range, Cosmos DB by feed range, an export directory by line range) through its source.
 */
export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `2/4`. */
export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** `part-2-of-4`: the suffix of a shard's export files. */
export function shardPart(s: Shard): string {
  return `part-${s.index}-of-${s.count}`;
}

/** Parses `I/N` with 1 <= I <= N; throws with what is wrong. */
export function parseShard(raw: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new Error('it is not of the form I/N');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1) throw new Error('the number of shards must be at least 1');
  if (index < 1 || index > count) throw new Error(`the shard number must be between 1 and ${count}`);
  return { index, count };
}

/**
 * The items of `items` that shard `s` takes when they are spread as evenly as their order allows:
 * contiguous runs whose sizes differ by at most one, the earlier shards taking the larger ones.
 * Every item goes to exactly one shard; a shard may take none when there are fewer items than shards.
 */
export function spreadOf<T>(items: readonly T[], s: Shard): T[] {
  const [start, end] = spreadBounds(items.length, s);
  return items.slice(start, end);
}

/** `[start, end)` of shard `s` among `total` items, as `spreadOf` takes them. */
export function spreadBounds(total: number, s: Shard): [number, number] {
  const base = Math.floor(total / s.count);
  const extra = total % s.count;
  const i = s.index - 1;
  const start = i * base + Math.min(i, extra);
  return [start, start + base + (i < extra ? 1 : 0)];
}

/** Positions (0-based, sorted order) of the N-1 boundaries that cut `total` sorted items into N near-equal ranges. */
export function boundaryPositions(total: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 2; i <= count; i++) {
    const [start] = spreadBounds(total, { index: i, count });
    if (start < total) out.push(start);
  }
  return out;
}
