/**
 * The scale-out part's figures (bench/scaleout.ts): the correctness check, the speedups and the
 * tables. Pure, so that test/unit/bench-scaleout.test.ts runs it without servers.
 */

export const SHARD_COUNTS = [1, 2, 4] as const;

/** One row: a run of N shard processes started at once. */
export interface ScaleRow {
  section: string;
  what: 'export' | 'import';
  shards: number;
  /** Documents moved by the shards together (checked against the source). */
  docs: number;
  /** Per shard, in shard order. */
  shardDocs: number[];
  /** First start to last end, process start and the shard plan included. */
  wallSeconds: number;
  /** `docferry manifest merge` of the shards, after the last one ended (exports only). */
  mergeSeconds?: number;
  /** Exports in 2 or more shards: from shard 1's start until it had written the plan, when the others started. */
  planSeconds?: number;
  /** The merged export's bytes (exports only): what the merge copied. */
  bytes?: number;
  /** Client CPU (user + system) of the shard processes together, seconds. */
  cpuSeconds: number;
  /** Peak RSS of each shard process, MB. */
  peakRssMb: number[];
  /** Cosmos DB: what the shards consumed together, against the one budget they share. */
  ru?: { consumed: number; perSecond: number; budget?: number; throttledRequests: number; requests: number };
  /** CPU of the benchmark process meanwhile (cosmosdb-server and the RU proxy run in it). */
  serverCpuSeconds?: number;
}

/**
 * Refuses a run that did not move every document of the source exactly as often as it holds
 * them, per collection: a plan whose ranges overlapped or left a gap shows here. Throws, naming
 * each collection that differs; returns the total.
 */
export function checkCounts(what: string, expected: Record<string, number>, actual: Record<string, number>): number {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const wrong = keys.filter((k) => (expected[k] ?? 0) !== (actual[k] ?? 0));
  if (wrong.length > 0) {
    throw new Error(`${what}: the shards did not move the source's documents once each: ${wrong.map((k) => `${k} ${actual[k] ?? 0} instead of ${expected[k] ?? 0}`).join(', ')}`);
  }
  return keys.reduce((n, k) => n + (expected[k] ?? 0), 0);
}

/** Speedup of each row over the 1-shard row of the same section and operation (undefined without one). */
export function speedups(rows: readonly ScaleRow[]): { wall?: number; withMerge?: number }[] {
  return rows.map((r) => {
    const one = rows.find((x) => x.section === r.section && x.what === r.what && x.shards === 1);
    if (!one) return {};
    return {
      wall: one.wallSeconds / r.wallSeconds,
      ...(r.mergeSeconds !== undefined ? { withMerge: one.wallSeconds / (r.wallSeconds + r.mergeSeconds) } : {}),
    };
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One Markdown table per section; the notes give each run's documents per shard. */
export function scaleTables(rows: readonly ScaleRow[]): string {
  const ups = speedups(rows);
  const sections = [...new Set(rows.map((r) => r.section))];
  return sections
    .map((section) => {
      const lines = [
        `### ${section}`,
        '',
        '| run | shards | documents | wall s (first start to last end) | docs/s | speedup vs 1 shard | merge s | speedup with the merge | client CPU, shards together | peak RSS per shard | RU/s (budget) | throttled requests |',
        '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ];
      const notes: string[] = [];
      rows.forEach((r, i) => {
        if (r.section !== section) return;
        const up = ups[i]!;
        const ru = r.ru ? `${fmt(r.ru.perSecond)}${r.ru.budget !== undefined ? ` (${fmt(r.ru.budget)}: ${fmt((100 * r.ru.perSecond) / r.ru.budget)} %)` : ''}` : '';
        const thr = r.ru && r.ru.requests > 0 ? `${fmt(r.ru.throttledRequests)} of ${fmt(r.ru.requests)}` : '';
        const per = [`documents per shard ${r.shardDocs.map((d) => fmt(d)).join(' / ')}`];
        if (r.planSeconds !== undefined) per.push(`shard 1 had written the plan after ${fmt(r.planSeconds, 1)} s, when the others started`);
        if (r.mergeSeconds !== undefined && r.bytes !== undefined && r.mergeSeconds > 0) per.push(`the merge copied ${fmt(r.bytes / 2 ** 20)} MB at ${fmt(r.bytes / 2 ** 20 / r.mergeSeconds)} MB/s`);
        if (r.ru) per.push(`${fmt(r.ru.consumed / r.docs, 1)} RU a document`);
        if (r.serverCpuSeconds !== undefined) per.push(`cosmosdb-server and the RU proxy (in the benchmark process) used ${fmt(r.serverCpuSeconds, 1)} s of CPU meanwhile`);
        const what = `${r.what} [${notes.push(per.join('; '))}]`;
        lines.push(
          `| ${what} | ${r.shards} | ${fmt(r.docs)} | ${fmt(r.wallSeconds, 1)} | ${fmt(r.docs / r.wallSeconds)} | ${up.wall !== undefined ? `${fmt(up.wall, 2)}x` : ''} | ${r.mergeSeconds !== undefined ? fmt(r.mergeSeconds, 1) : ''} | ${up.withMerge !== undefined ? `${fmt(up.withMerge, 2)}x` : ''} | ${fmt(r.cpuSeconds, 1)} s (${fmt((1e6 * r.cpuSeconds) / r.docs)} µs a document) | ${r.peakRssMb.map((m) => fmt(m)).join(' / ')} MB | ${ru} | ${thr} |`,
        );
      });
      if (notes.length > 0) lines.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
      return lines.join('\n');
    })
    .join('\n\n');
}

/** The terminal's view of the same rows. */
export function scaleText(rows: readonly ScaleRow[]): string {
  const ups = speedups(rows);
  return rows
    .map((r, i) => {
      const up = ups[i]!;
      return `${r.section}: ${r.what}, ${r.shards} shard(s): ${fmt(r.docs)} docs in ${fmt(r.wallSeconds, 1)} s (${fmt(r.docs / r.wallSeconds)} docs/s${up.wall !== undefined ? `, ${fmt(up.wall, 2)}x` : ''})` +
        `${r.mergeSeconds !== undefined ? `, merge ${fmt(r.mergeSeconds, 1)} s${r.bytes !== undefined ? ` (${fmt(r.bytes / 2 ** 20)} MB)` : ''}` : ''}, CPU ${fmt(r.cpuSeconds, 1)} s, RSS ${r.peakRssMb.map((m) => fmt(m)).join('/')} MB` +
        `${r.ru ? `, ${fmt(r.ru.perSecond)} RU/s of ${fmt(r.ru.budget ?? 0)}, ${fmt(r.ru.consumed / r.docs, 1)} RU/doc, ${r.ru.throttledRequests} throttled` : ''}; per shard ${r.shardDocs.join('/')}`;
    })
    .join('\n');
}
