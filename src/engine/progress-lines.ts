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
  let rejectLines = 0;
  return (ev: EngineEvent) => {
    switch (ev.type) {
      case 'collection-start': {
        const key = `${ev.database}.${ev.collection}`;
        started.set(key, Date.now());
        out.log(`${key}: started${ev.total !== undefined ? ` (${ev.total} documents)` : ''}`);
        break;
      }
      case 'progress': {
        const key = `${ev.database}.${ev.collection}`;
        const now = Date.now();
        if (now - (lastLine.get(key) ?? started.get(key) ?? 0) < interval) break;
        lastLine.set(key, now);
        const done = ev.written + ev.skipped + ev.rejected;
        const pct = ev.total ? ` (${Math.floor((100 * done) / Math.max(ev.total, 1))}%)` : '';
        const ru = ruText(ev.stats) ? `, ${ruText(ev.stats)}` : '';
        out.log(`${key}: ${done}${ev.total !== undefined ? `/${ev.total}` : ''} documents${pct}, ${rate(done, now - (started.get(key) ?? now))} docs/s${ru}`);
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
