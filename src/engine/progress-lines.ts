/**
 * The plain progress lines of a run (one when a collection starts, one every few seconds while it
 * runs, one when it ends, the first rejections), for both front doors: the CLI prints them on
 * stderr when it has no terminal, the pipeline tasks in the step's log.
 */
import type { EngineEvent, EventSink } from './events.js';
import type { SinkStats } from '../stores/types.js';

export interface Output {
  /** Human-readable lines (progress, warnings): stderr, so stdout can carry --json. */
  log(line: string): void;
  /** The final result: stdout. */
  result(text: string): void;
}


/** Time between two plain lines of a collection, unless told (`--progress-interval`). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export function rate(done: number, ms: number): number {
  return ms > 0 ? Math.round((done * 1000) / ms) : 0;
}

const MAX_REJECT_LINES = 20;

/**
 * Time left at the rate so far; "ETA --" while it cannot be known (no total yet, no documents
 * yet), where cli-progress's own {eta_formatted} printed "ETA NFs" or "ETA INFs".
 */
export function etaText(done: number, total: number | undefined, docsPerSecond: number): string {
  if (!total || total <= 0 || !(docsPerSecond > 0) || !Number.isFinite(docsPerSecond)) return 'ETA --';
  const left = Math.max(0, Math.ceil((total - done) / docsPerSecond));
  if (left < 60) return `ETA ${left}s`;
  if (left < 3600) return `ETA ${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`;
  return `ETA ${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`;
}

/** 1.5 MB/s from bytes over milliseconds. */
export function mbPerSecondText(bytes: number | undefined, ms: number): string {
  if (!bytes || ms <= 0) return '';
  return `${((bytes * 1000) / ms / 1024 / 1024).toFixed(1)} MB/s`;
}

/**
 * The share of requests throttled (429) over the last minute, from the cumulative counts of
 * successive progress events: "3% throttled (1 min)".
 */
export class ThrottleWindow {
  private readonly samples: { at: number; requests: number; throttled: number }[] = [];

  constructor(private readonly windowMs = 60_000) {}

  add(at: number, stats: SinkStats | undefined): void {
    if (stats?.requests === undefined) return;
    this.samples.push({ at, requests: stats.requests, throttled: stats.throttled ?? 0 });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Throttled / requests in the window, or undefined before two samples. */
  share(): number | undefined {
    if (this.samples.length < 2) return undefined;
    const first = this.samples[0]!;
    const last = this.samples.at(-1)!;
    const requests = last.requests - first.requests;
    return requests > 0 ? Math.max(0, last.throttled - first.throttled) / requests : 0;
  }

  text(): string {
    const s = this.share();
    return s === undefined ? '' : `${(100 * s).toFixed(s > 0 && s < 0.01 ? 1 : 0)}% throttled (1 min)`;
  }
}

/** Cosmos DB consumption: total RU, the current RU/s against the budget, and throttled operations. */
export function ruText(stats: SinkStats | undefined): string {
  if (!stats?.requestCharge) return '';
  const parts = [`${Math.round(stats.requestCharge)} RU`];
  if (stats.ruPerSecond !== undefined) parts.push(`${stats.ruPerSecond}${stats.ruBudget !== undefined ? `/${Math.round(stats.ruBudget)}` : ''} RU/s`);
  if (stats.throttled) parts.push(`${stats.throttled} throttled`);
  return parts.join(', ');
}

/**
 * Plain log lines for pipelines and files: one line when a collection starts, one every few
 * seconds while it runs, one when it ends. Rejections are listed (the first few) as they happen.
 */
export function plainProgress(out: Output, options: { intervalMs?: number } = {}): EventSink {
  const interval = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const started = new Map<string, number>();
  const lastLine = new Map<string, number>();
  const windows = new Map<string, ThrottleWindow>();
  let rejectLines = 0;
  return (ev: EngineEvent) => {
    switch (ev.type) {
      case 'collection-start': {
        const name = `${ev.database}.${ev.collection}`;
        const verify = ev.phase === 'verify';
        started.set(verify ? `verify ${name}` : name, Date.now());
        out.log(`${name}: ${verify ? 'verify ' : ''}started${ev.target ? ` (to ${ev.target.database}.${ev.target.collection})` : ''}${ev.total !== undefined ? ` (${ev.total} documents${verify ? ' on both sides' : ''})` : ''}`);
        break;
      }
      case 'progress': {
        const key = `${ev.database}.${ev.collection}`;
        const now = Date.now();
        let window = windows.get(key);
        if (!window) windows.set(key, (window = new ThrottleWindow()));
        window.add(now, ev.stats);
        if (now - (lastLine.get(key) ?? started.get(key) ?? 0) < interval) break;
        lastLine.set(key, now);
        const done = ev.written + ev.skipped + ev.rejected;
        const elapsed = now - (started.get(key) ?? now);
        const pct = ev.total ? ` (${Math.floor((100 * done) / Math.max(ev.total, 1))}%)` : '';
        const docsPerSecond = rate(done, elapsed);
        const extra = [mbPerSecondText(ev.bytes, elapsed), ruText(ev.stats), window.text(), ev.total !== undefined && done < ev.total ? etaText(done, ev.total, docsPerSecond) : ''].filter(Boolean);
        out.log(`${key}: ${done}${ev.total !== undefined ? `/${ev.total}` : ''} documents${pct}, ${docsPerSecond} docs/s${extra.length ? `, ${extra.join(', ')}` : ''}`);
        break;
      }
      case 'compare-progress': {
        const name = `${ev.database}.${ev.collection}`;
        const key = `verify ${name}`;
        const now = Date.now();
        if (now - (lastLine.get(key) ?? started.get(key) ?? 0) < interval) break;
        lastLine.set(key, now);
        const docsPerSecond = rate(ev.compared, now - (started.get(key) ?? now));
        const pct = ev.total ? ` (${Math.floor((100 * ev.compared) / Math.max(ev.total, 1))}%)` : '';
        const eta = ev.total !== undefined && ev.compared < ev.total ? `, ${etaText(ev.compared, ev.total, docsPerSecond)}` : '';
        out.log(`${name}: ${ev.compared}${ev.total !== undefined ? `/${ev.total}` : ''} documents compared${pct}, ${docsPerSecond} docs/s${eta}`);
        break;
      }
      case 'collection-end': {
        const s = ev.summary;
        const key = `${s.database}.${s.collection}`;
        if (s.status === 'failed') out.log(`${key}: FAILED: ${s.error}`);
        else {
          const ru = s.stats?.requestCharge ? ` (${Math.round(s.stats.requestCharge)} RU, ${rate(s.stats.requestCharge, s.durationMs)} RU/s${s.stats.ruBudget !== undefined ? ` of a ${Math.round(s.stats.ruBudget)} RU/s budget` : ''}${s.stats.throttled ? `, ${s.stats.throttled} operations throttled` : ''})` : '';
          out.log(`${key}: done: ${s.read} read, ${s.written} written, ${s.skipped} skipped, ${s.rejected} rejected in ${(s.durationMs / 1000).toFixed(1)}s, ${rate(s.written + s.skipped, s.durationMs)} docs/s${ru}`);
        }
        break;
      }
      case 'reject':
        rejectLines++;
        if (rejectLines <= MAX_REJECT_LINES) {
          const where = [ev.file, ev.line !== undefined ? `line ${ev.line}` : undefined, ev.id !== undefined ? `id ${ev.id}` : undefined].filter(Boolean).join(', ');
          out.log(`rejected ${ev.database}.${ev.collection}${where ? ` (${where})` : ''}: ${ev.reason}`);
        } else if (rejectLines === MAX_REJECT_LINES + 1) {
          out.log('more documents rejected; see the rejects files for all of them');
        }
        break;
      case 'warning':
        out.log(`warning: ${ev.message}`);
        break;
      case 'info':
        out.log(ev.message);
        break;
    }
  };
}
