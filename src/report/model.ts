/**
 * What a run report shows, built from the run's event-stream records (src/engine/events-stream.ts)
 * and its summary: the time series of the charts and the per-collection table. Pure: the HTML
 * and Markdown renderers (html.ts, markdown.ts) only lay this out.
 */
import type { RunSummary } from '../engine/events.js';
import { describeMapping } from '../core/namespace-map.js';
import type { StreamRecord } from '../engine/events-stream.js';
import { RETRY_KINDS, RETRY_KIND_TEXT, type RetryKind } from '../core/retry-kinds.js';

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
  collections: { name: string; leftCount: number; rightCount: number; matched: number; missing: number; extra: number; differing: number; equal: boolean; durationMs?: number }[];
}

/** Requests sent again, per collection and kind (`throttled`: the 429s the RU controller retried). */
export interface ReportRetry {
  collection: string;
  kind: string;
  count: number;
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
  /** Retries other than 429 per bucket, one series per kind. */
  retriesOverTime: Series[];
  retries: ReportRetry[];
  verify?: ReportVerify;
  warnings: string[];
}

/** At most this many points per chart. */
const MAX_POINTS = 120;

type Stats = Extract<StreamRecord, { event: 'stats' }>;
type Sampled = Extract<StreamRecord, { event: 'stats' | 'verify-stats' }>;

function bucketOf(t: number, width: number): number {
  return Math.floor(t / 1000 / width) * width;
}

/** Averages of `value` per bucket, one series per key. */
function perKey<R extends Sampled>(records: R[], width: number, key: (r: R) => string, value: (r: R) => number | undefined, combine: 'mean' | 'max' = 'mean'): Series[] {
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

  const retriesOverTime = new Map<string, Map<number, number>>();
  const retryRecords = records.filter((r): r is Extract<StreamRecord, { event: 'retry' }> => r.event === 'retry');
  for (const r of retryRecords) {
    const byBucket = retriesOverTime.get(r.kind) ?? new Map<number, number>();
    byBucket.set(bucketOf(r.t, bucketSeconds), (byBucket.get(bucketOf(r.t, bucketSeconds)) ?? 0) + r.count);
    retriesOverTime.set(r.kind, byBucket);
  }
  const retries: ReportRetry[] = [];
  for (const c of summary.collections) {
    if (c.stats?.throttled) retries.push({ collection: name(c), kind: 'throttled', count: c.stats.throttled });
    for (const kind of RETRY_KINDS) {
      const n = c.stats?.retries?.[kind];
      if (n) retries.push({ collection: name(c), kind, count: n });
    }
  }
  const compared = records.filter((r): r is Extract<StreamRecord, { event: 'verify-stats' }> => r.event === 'verify-stats');
  const verifyEnds = new Map(records.filter((r): r is Extract<StreamRecord, { event: 'verify-end' }> => r.event === 'verify-end').map((r) => [name(r), r]));
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
    docsPerSecond: [...perKey(stats, bucketSeconds, name, (r) => r.docsPerSecond), ...perKey(compared, bucketSeconds, name, (r) => r.docsPerSecond)],
    ruPerSecond: [...ru, ...budget].filter((s) => s.points.length > 0),
    throttled: throttles.size > 0 || ru.length > 0 ? [{ name: '429s', points: [...throttles].sort((a, b) => a[0] - b[0]) }] : [],
    concurrency: perKey(stats, bucketSeconds, name, (r) => r.concurrency, 'max'),
    retriesOverTime: [...retriesOverTime].map(([kind, byBucket]) => ({ name: kind, points: [...byBucket].sort((a, b) => a[0] - b[0]) })),
    retries,
    ...(v
      ? {
          verify: {
            equal: v.equal,
            mode: v.mode,
            collections: v.collections.map((c) => {
              const ended = verifyEnds.get(name(c));
              return {
                name: describeMapping(c),
                leftCount: c.leftCount,
                rightCount: c.rightCount,
                matched: c.matchedTotal,
                missing: c.missingTotal,
                extra: c.extraTotal,
                differing: c.differingTotal,
                equal: c.equal,
                ...(ended ? { durationMs: ended.durationMs } : {}),
              };
            }),
          },
        }
      : {}),
    warnings: [...summary.warnings],
  };
}

/** The run's totals in a phrase: a verify compares, the others move documents. */
export function totalsText(r: RunReport): string {
  const t = r.totals;
  if (r.operation === 'verify') return `${t.read} documents compared`;
  return `${t.read} read, ${t.written} written, ${t.skipped} skipped, ${t.rejected} rejected`;
}

export const VERIFY_HEADER = ['collection', 'left', 'right', 'matched', 'missing', 'extra', 'different', 'time', 'result'];

export function verifyRows(v: ReportVerify): (string | number)[][] {
  return v.collections.map((c) => [c.name, c.leftCount, c.rightCount, c.matched, c.missing, c.extra, c.differing, c.durationMs !== undefined ? secondsText(c.durationMs) : '–', c.equal ? 'equal' : 'different']);
}

export const RETRY_HEADER = ['collection', 'kind', 'operations sent again', 'what it means'];

export function retryRows(r: RunReport): (string | number)[][] {
  return r.retries.map((x) => [x.collection, x.kind, x.count, x.kind === 'throttled' ? 'HTTP 429 (or 16500): throttled, retried by the RU controller' : (RETRY_KIND_TEXT[x.kind as RetryKind] ?? x.kind)]);
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
