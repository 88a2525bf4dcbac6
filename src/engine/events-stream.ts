/**
 * The machine-readable event stream of a run (`--progress json`, `--events FILE`): one JSON
 * object per line, versioned by its `v` field, for a wrapper (a pipeline, a dashboard, the
 * library API) that follows a run without parsing human text. docs/events.md describes it and
 * docs/events.schema.json is its JSON Schema. Records carry counts, rates and messages only:
 * never a document's contents, and every text goes through the secret redaction.
 */
import { redact } from '../core/secrets.js';
import { RETRY_KINDS, type RetryCounts, type RetryKind } from '../core/retry-kinds.js';
import type { CollectionSummary, EngineEvent, EventSink, Operation, RunSummary } from './events.js';
import type { VerifySummary } from './verify.js';

/** Bumped when a field changes meaning or goes away (new fields and records keep the version). */
export const EVENT_STREAM_VERSION = 1;

interface RecordBase {
  v: typeof EVENT_STREAM_VERSION;
  /** When it happened, ISO 8601. */
  ts: string;
  /** Milliseconds since the run started. */
  t: number;
}

interface CollectionRef {
  database: string;
  collection: string;
}

export interface RunStartRecord extends RecordBase {
  event: 'run-start';
  operation: Operation;
}

export interface CollectionStartRecord extends RecordBase, CollectionRef {
  event: 'collection-start';
  total?: number;
  /** A verify's comparison of the collection (its total counts both sides), also after a transfer with --verify. */
  phase?: 'verify';
  /** `--map`: the target's names, when they differ from the source's (database, collection). */
  target?: CollectionRef;
}

/** A collection's counts and rates, every interval while it runs (and one as it ends). */
export interface StatsRecord extends RecordBase, CollectionRef {
  event: 'stats';
  read: number;
  written: number;
  skipped: number;
  rejected: number;
  /** written + skipped + rejected: what is settled of `total`. */
  done: number;
  total?: number;
  bytes?: number;
  /** Over the time since the collection's previous stats record. */
  docsPerSecond: number;
  bytesPerSecond?: number;
  requestCharge?: number;
  ruPerSecond?: number;
  ruBudget?: number;
  requests?: number;
  throttled?: number;
  /** Requests in flight the RU controller chose. */
  concurrency?: number;
}

/** Requests answered 429 since the collection's previous record; the RU controller retried them. */
export interface ThrottleRecord extends RecordBase, CollectionRef {
  event: 'throttle';
  /** Throttled since the previous record. */
  count: number;
  /** Throttled since the collection started. */
  throttled: number;
  ruPerSecond?: number;
  ruBudget?: number;
  concurrency?: number;
}

/**
 * Operations sent again after a transient failure other than 429 (those are `throttle`
 * records), one record per kind that grew since the collection's previous record.
 */
export interface RetryRecord extends RecordBase, CollectionRef {
  event: 'retry';
  kind: RetryKind;
  /** Sent again since the previous record of this kind. */
  count: number;
  /** Sent again for this kind since the collection started. */
  retries: number;
}

/** verify: a collection's comparison, every interval while it runs (and one as it ends). */
export interface VerifyStatsRecord extends RecordBase, CollectionRef {
  event: 'verify-stats';
  /** Documents read from both sides so far. */
  compared: number;
  /** Both sides' document counts, when known. */
  total?: number;
  /** Over the time since the collection's previous verify-stats record. */
  docsPerSecond: number;
}

/** verify: a collection compared. */
export interface VerifyEndRecord extends RecordBase, CollectionRef {
  event: 'verify-end';
  equal: boolean;
  leftCount: number;
  rightCount: number;
  matched: number;
  missing: number;
  extra: number;
  differing: number;
  /** Unreadable lines, duplicate ids, a missing container. */
  problems: number;
  extraIgnored?: boolean;
  durationMs: number;
}

export interface RejectRecord extends RecordBase, CollectionRef {
  event: 'reject';
  reason: string;
  id?: string;
  file?: string;
  line?: number;
}

export interface CollectionEndRecord extends RecordBase, CollectionRef {
  event: 'collection-end';
  /** `--map`: the target's names, when they differ from the source's. */
  target?: CollectionRef;
  status: 'ok' | 'failed';
  error?: string;
  read: number;
  written: number;
  skipped: number;
  rejected: number;
  durationMs: number;
  bytes?: number;
  requestCharge?: number;
  throttled?: number;
  /** Operations sent again after other transient failures, by kind. */
  retries?: RetryCounts;
  resumed?: number;
  deleted?: number;
}

export interface MessageRecord extends RecordBase {
  event: 'warning' | 'info';
  message: string;
}

export interface RunEndRecord extends RecordBase {
  event: 'run-end';
  operation: Operation;
  /** The stores, as the summary names them (no credentials). */
  source: string;
  target: string;
  exitCode: number;
  durationMs: number;
  read: number;
  written: number;
  skipped: number;
  rejected: number;
  warnings: number;
  verify?: { equal: boolean; matched: number; missing: number; extra: number; differing: number };
}

export type StreamRecord =
  | RunStartRecord
  | CollectionStartRecord
  | StatsRecord
  | ThrottleRecord
  | RetryRecord
  | RejectRecord
  | CollectionEndRecord
  | VerifyStatsRecord
  | VerifyEndRecord
  | MessageRecord
  | RunEndRecord;

export interface EventStream {
  /** Feed the engine's events here. */
  events: EventSink;
  start(info: { operation: Operation }): void;
  end(summary: RunSummary): void;
}

export interface EventStreamOptions {
  /** Least time between two stats records of a collection (default 10 s). */
  intervalMs?: number;
  now?: () => number;
}

export const DEFAULT_STATS_INTERVAL_MS = 10_000;

/** Keys a verify's state apart from a transfer's of the same collection (migrate --verify has both). */
const COMPARING = 'verify\u0000';

interface CollectionState {
  /** The collection's latest progress event, and the one its last stats record came from. */
  latest?: Extract<EngineEvent, { type: 'progress' }>;
  emitted?: Extract<EngineEvent, { type: 'progress' }>;
  lastAt: number;
  lastDone: number;
  lastBytes: number;
  lastThrottled: number;
  lastRetries: RetryCounts;
  /** verify: the latest compare-progress event, and the one the last verify-stats came from. */
  latestCompared?: Extract<EngineEvent, { type: 'compare-progress' }>;
  emittedCompared?: Extract<EngineEvent, { type: 'compare-progress' }>;
}

function freshState(at: number): CollectionState {
  return { lastAt: at, lastDone: 0, lastBytes: 0, lastThrottled: 0, lastRetries: {} };
}

function verifyBrief(v: VerifySummary): RunEndRecord['verify'] {
  const sum = (f: (c: VerifySummary['collections'][number]) => number) => v.collections.reduce((n, c) => n + f(c), 0);
  return { equal: v.equal, matched: sum((c) => c.matchedTotal), missing: sum((c) => c.missingTotal), extra: sum((c) => c.extraTotal), differing: sum((c) => c.differingTotal) };
}

function endOf(s: CollectionSummary): Omit<CollectionEndRecord, keyof RecordBase> {
  return {
    event: 'collection-end',
    database: s.database,
    collection: s.collection,
    ...(s.target ? { target: { database: s.target.database, collection: s.target.collection } } : {}),
    status: s.status,
    ...(s.error !== undefined ? { error: redact(s.error) } : {}),
    read: s.read,
    written: s.written,
    skipped: s.skipped,
    rejected: s.rejected,
    durationMs: s.durationMs,
    ...(s.bytes !== undefined ? { bytes: s.bytes } : {}),
    ...(s.stats?.requestCharge !== undefined ? { requestCharge: Math.round(s.stats.requestCharge * 100) / 100 } : {}),
    ...(s.stats?.throttled !== undefined ? { throttled: s.stats.throttled } : {}),
    ...(s.stats?.retries !== undefined ? { retries: { ...s.stats.retries } } : {}),
    ...(s.resumed !== undefined ? { resumed: s.resumed } : {}),
    ...(s.deleted !== undefined ? { deleted: s.deleted } : {}),
  };
}

/**
 * Turns the engine's events into stream records and hands each to `emit`. Stats are thinned
 * to one per collection per interval from the engine's own throttled progress events, so the
 * transfer loop pays nothing more per document.
 */
export function eventStream(emit: (record: StreamRecord) => void, options: EventStreamOptions = {}): EventStream {
  const interval = options.intervalMs ?? DEFAULT_STATS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let startedAt = now();
  const state = new Map<string, CollectionState>();
  const base = (): RecordBase => {
    const at = now();
    return { v: EVENT_STREAM_VERSION, ts: new Date(at).toISOString(), t: at - startedAt };
  };
  type Body = StreamRecord extends infer R ? (R extends StreamRecord ? Omit<R, keyof RecordBase> : never) : never;
  const send = (r: Body) => emit({ ...base(), ...r } as StreamRecord);

  const stats = (ev: Extract<EngineEvent, { type: 'progress' }>, st: CollectionState, at: number) => {
    const done = ev.written + ev.skipped + ev.rejected;
    const seconds = Math.max((at - st.lastAt) / 1000, 0.001);
    const bytes = ev.bytes;
    const s = ev.stats;
    send({
      event: 'stats',
      database: ev.database,
      collection: ev.collection,
      read: ev.read,
      written: ev.written,
      skipped: ev.skipped,
      rejected: ev.rejected,
      done,
      ...(ev.total !== undefined ? { total: ev.total } : {}),
      ...(bytes !== undefined ? { bytes, bytesPerSecond: Math.round(Math.max(0, bytes - st.lastBytes) / seconds) } : {}),
      docsPerSecond: Math.round((Math.max(0, done - st.lastDone) / seconds) * 10) / 10,
      ...(s?.requestCharge !== undefined ? { requestCharge: Math.round(s.requestCharge * 100) / 100 } : {}),
      ...(s?.ruPerSecond !== undefined ? { ruPerSecond: s.ruPerSecond } : {}),
      ...(s?.ruBudget !== undefined ? { ruBudget: Math.round(s.ruBudget) } : {}),
      ...(s?.requests !== undefined ? { requests: s.requests } : {}),
      ...(s?.throttled !== undefined ? { throttled: s.throttled } : {}),
      ...(s?.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
    });
    const throttled = s?.throttled ?? 0;
    if (throttled > st.lastThrottled) {
      send({
        event: 'throttle',
        database: ev.database,
        collection: ev.collection,
        count: throttled - st.lastThrottled,
        throttled,
        ...(s?.ruPerSecond !== undefined ? { ruPerSecond: s.ruPerSecond } : {}),
        ...(s?.ruBudget !== undefined ? { ruBudget: Math.round(s.ruBudget) } : {}),
        ...(s?.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
      });
    }
    retries(ev, s?.retries, st);
    Object.assign(st, { emitted: ev, lastAt: at, lastDone: done, lastBytes: bytes ?? st.lastBytes, lastThrottled: Math.max(st.lastThrottled, throttled) });
  };

  const retries = (where: CollectionRef, counts: RetryCounts | undefined, st: CollectionState) => {
    if (!counts) return;
    for (const kind of RETRY_KINDS) {
      const n = counts[kind] ?? 0;
      const before = st.lastRetries[kind] ?? 0;
      if (n > before) send({ event: 'retry', database: where.database, collection: where.collection, kind, count: n - before, retries: n });
      if (n > before) st.lastRetries[kind] = n;
    }
  };

  const compared = (ev: Extract<EngineEvent, { type: 'compare-progress' }>, st: CollectionState, at: number) => {
    const seconds = Math.max((at - st.lastAt) / 1000, 0.001);
    send({
      event: 'verify-stats',
      database: ev.database,
      collection: ev.collection,
      compared: ev.compared,
      ...(ev.total !== undefined ? { total: ev.total } : {}),
      docsPerSecond: Math.round((Math.max(0, ev.compared - st.lastDone) / seconds) * 10) / 10,
    });
    Object.assign(st, { emittedCompared: ev, lastAt: at, lastDone: ev.compared });
  };

  const events: EventSink = (ev) => {
    switch (ev.type) {
      case 'collection-start':
        state.set(`${ev.phase === 'verify' ? COMPARING : ''}${ev.database}\u0000${ev.collection}`, freshState(now()));
        send({
          event: 'collection-start',
          database: ev.database,
          collection: ev.collection,
          ...(ev.total !== undefined ? { total: ev.total } : {}),
          ...(ev.phase ? { phase: ev.phase } : {}),
          ...(ev.target ? { target: { database: ev.target.database, collection: ev.target.collection } } : {}),
        });
        break;
      case 'progress': {
        const key = `${ev.database}\u0000${ev.collection}`;
        const at = now();
        let st = state.get(key);
        if (!st) state.set(key, (st = freshState(at)));
        if (at - st.lastAt >= interval) stats(ev, st, at);
        st.latest = ev;
        break;
      }
      case 'compare-progress': {
        const key = `${COMPARING}${ev.database}\u0000${ev.collection}`;
        const at = now();
        let st = state.get(key);
        if (!st) state.set(key, (st = freshState(at)));
        if (at - st.lastAt >= interval) compared(ev, st, at);
        st.latestCompared = ev;
        break;
      }
      case 'compare-end': {
        const c = ev.result;
        const key = `${COMPARING}${c.database}\u0000${c.collection}`;
        const st = state.get(key);
        if (st?.latestCompared && st.latestCompared !== st.emittedCompared) compared(st.latestCompared, st, now());
        state.delete(key);
        send({
          event: 'verify-end',
          database: c.database,
          collection: c.collection,
          equal: c.equal,
          leftCount: c.leftCount,
          rightCount: c.rightCount,
          matched: c.matchedTotal,
          missing: c.missingTotal,
          extra: c.extraTotal,
          differing: c.differingTotal,
          problems: c.problems.length,
          ...(c.extraIgnored ? { extraIgnored: true } : {}),
          durationMs: ev.durationMs,
        });
        break;
      }
      case 'collection-end': {
        const key = `${ev.summary.database}\u0000${ev.summary.collection}`;
        const st = state.get(key);
        // The last stats of the collection (a short one gets at least one sample).
        if (st?.latest && st.latest !== st.emitted) stats(st.latest, st, now());
        // Retries the last progress event did not see yet (the summary's counts are final).
        retries(ev.summary, ev.summary.stats?.retries, st ?? freshState(0));
        state.delete(key);
        send(endOf(ev.summary));
        break;
      }
      case 'reject':
        send({
          event: 'reject',
          database: ev.database,
          collection: ev.collection,
          reason: redact(ev.reason),
          ...(ev.id !== undefined ? { id: redact(ev.id) } : {}),
          ...(ev.file !== undefined ? { file: redact(ev.file) } : {}),
          ...(ev.line !== undefined ? { line: ev.line } : {}),
        });
        break;
      case 'warning':
      case 'info':
        send({ event: ev.type, message: redact(ev.message) });
        break;
    }
  };

  return {
    events,
    start(info) {
      startedAt = now();
      send({ event: 'run-start', operation: info.operation });
    },
    end(summary) {
      const t = summary.totals;
      send({
        event: 'run-end',
        operation: summary.operation,
        source: redact(summary.source),
        target: redact(summary.target),
        exitCode: summary.exitCode,
        durationMs: summary.durationMs,
        read: t.read,
        written: t.written,
        skipped: t.skipped,
        rejected: t.rejected,
        warnings: summary.warnings.length,
        ...(summary.verify ? { verify: verifyBrief(summary.verify) } : {}),
      });
    },
  };
}

/** One record as its NDJSON line. */
export function recordLine(record: StreamRecord): string {
  return JSON.stringify(record);
}
