/**
 * What a run report shows, built from the run's event-stream records (src/engine/events-stream.ts)
 * and its summary: the time series of the charts and the per-collection table. Pure: the HTML
 * and Markdown renderers (html.ts, markdown.ts) only lay this out.
 */
import type { RunSummary } from '../engine/events.js';
import { describeMapping } from '../core/namespace-map.js';
import type { StreamRecord } from '../engine/events-stream.js';

/** A point of a chart: seconds since the run started, and the value. */
export type Point = [number, number];

export interface Series {
  name: string;
  points: Point[];
}

export interface ReportCollection {
  name: string;
  status: 'ok' | 'failed';
  error?: string;
  read: number;
  written: number;
  skipped: number;
  rejected: number;
  deleted?: number;
  durationMs: number;
  bytes?: number;
  requestCharge?: number;
  throttled?: number;
  /** Rejections grouped by reason, most frequent first. */
  rejectReasons: { reason: string; count: number }[];
}

export interface ReportVerify {
  equal: boolean;
  mode: string;
  collections: { name: string; leftCount: number; rightCount: number; missing: number; extra: number; differing: number; equal: boolean }[];
}

export interface RunReport {
  operation: string;
  source: string;
  target: string;
  startedAt: string;
  durationMs: number;
  exitCode: number;
  totals: { read: number; written: number; skipped: number; rejected: number };
  collections: ReportCollection[];
  /** Seconds per chart point (samples are averaged into buckets so a long run stays readable). */
  bucketSeconds: number;
  docsPerSecond: Series[];
  /** RU/s consumed (the busiest collection's view of the shared budget) and the budget. */
  ruPerSecond: Series[];
  /** Requests answered 429 per bucket. */
  throttled: Series[];
  /** Requests in flight the RU controller chose, per collection. */
  concurrency: Series[];
  verify?: ReportVerify;
  warnings: string[];
}

/** At most this many points per chart. */
const MAX_POINTS = 120;

type Stats = Extract<StreamRecord, { event: 'stats' }>;

function bucketOf(t: number, width: number): number {
  return Math.floor(t / 1000 / width) * width;
}

/** Averages of `value` per bucket, one series per key. */
function perKey(records: Stats[], width: number, key: (r: Stats) => string, value: (r: Stats) => number | undefined, combine: 'mean' | 'max' = 'mean'): Series[] {
  const byKey = new Map<string, Map<number, number[]>>();
  for (const r of records) {
    const v = value(r);
    if (v === undefined || !Number.isFinite(v)) continue;
    const k = key(r);
    let buckets = byKey.get(k);
    if (!buckets) byKey.set(k, (buckets = new Map()));
    const b = bucketOf(r.t, width);
    buckets.set(b, [...(buckets.get(b) ?? []), v]);
  }
  return [...byKey].map(([name, buckets]) => ({
    name,
    points: [...buckets]
      .sort((a, b) => a[0] - b[0])
      .map(([b, vs]): Point => [b, combine === 'max' ? Math.max(...vs) : Math.round((vs.reduce((x, y) => x + y, 0) / vs.length) * 10) / 10]),
  }));
}

export function buildReport(records: readonly StreamRecord[], summary: RunSummary): RunReport {
  const stats = records.filter((r): r is Stats => r.event === 'stats');
  const lastT = Math.max(summary.durationMs, ...records.map((r) => r.t));
  const bucketSeconds = Math.max(1, Math.ceil(lastT / 1000 / MAX_POINTS));
  const name = (r: { database: string; collection: string }) => `${r.database}.${r.collection}`;

  const reasons = new Map<string, Map<string, number>>();
  for (const r of records) {
    if (r.event !== 'reject') continue;
    const byReason = reasons.get(name(r)) ?? new Map<string, number>();
    byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    reasons.set(name(r), byReason);
  }

  const throttles = new Map<number, number>();
  for (const r of records) if (r.event === 'throttle') throttles.set(bucketOf(r.t, bucketSeconds), (throttles.get(bucketOf(r.t, bucketSeconds)) ?? 0) + r.count);

  const ru = perKey(stats, bucketSeconds, () => 'RU/s', (r) => r.ruPerSecond, 'max');
  const budget = perKey(stats, bucketSeconds, () => 'budget', (r) => r.ruBudget, 'max');
  const v = summary.verify;
  return {
    operation: summary.operation,
    source: summary.source,
    target: summary.target,
    startedAt: summary.startedAt,
    durationMs: summary.durationMs,
    exitCode: summary.exitCode,
    totals: { ...summary.totals },
    collections: summary.collections.map((c) => ({
      // --map: both names (`copilot.messages -> copilot_staging.messages`).
      name: describeMapping(c),
      status: c.status,
      ...(c.error !== undefined ? { error: c.error } : {}),
      read: c.read,
      written: c.written,
      skipped: c.skipped,
      rejected: c.rejected,
      ...(c.deleted !== undefined ? { deleted: c.deleted } : {}),
      durationMs: c.durationMs,
      ...(c.bytes !== undefined ? { bytes: c.bytes } : {}),
      ...(c.stats?.requestCharge !== undefined ? { requestCharge: c.stats.requestCharge } : {}),
      ...(c.stats?.throttled !== undefined ? { throttled: c.stats.throttled } : {}),
      rejectReasons: [...(reasons.get(name(c)) ?? new Map<string, number>())].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    })),
    bucketSeconds,
    docsPerSecond: perKey(stats, bucketSeconds, name, (r) => r.docsPerSecond),
    ruPerSecond: [...ru, ...budget].filter((s) => s.points.length > 0),
    throttled: throttles.size > 0 || ru.length > 0 ? [{ name: '429s', points: [...throttles].sort((a, b) => a[0] - b[0]) }] : [],
    concurrency: perKey(stats, bucketSeconds, name, (r) => r.concurrency, 'max'),
    ...(v
      ? {
          verify: {
            equal: v.equal,
            mode: v.mode,
            collections: v.collections.map((c) => ({ name: describeMapping(c), leftCount: c.leftCount, rightCount: c.rightCount, missing: c.missingTotal, extra: c.extraTotal, differing: c.differingTotal, equal: c.equal })),
          },
        }
      : {}),
    warnings: [...summary.warnings],
  };
}

/** 1234567 -> "1.2 MB". */
export function bytesText(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
