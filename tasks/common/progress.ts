/**
 * Engine events -> one overall percentage for the platform's progress display, plus the CLI's
 * plain log lines (a line per collection start/end, one every few seconds while it runs).
 */
import { plainProgress } from '../../src/engine/progress-lines.js';
import type { EngineEvent, EventSink } from '../../src/engine/events.js';
import type { TaskLog } from './context.js';

export interface ProgressReporter {
  events: EventSink;
  expectCollections(n: number): void;
}

export function progressReporter(log: TaskLog, report: (percent: number, label: string) => void, options: { intervalMs?: number } = {}): ProgressReporter {
  const lines = plainProgress({ log: (l) => log.info(l), result: (l) => log.info(l) }, options);
  let expected = 0;
  const running = new Map<string, number>();
  let finished = 0;
  let lastPercent = -1;
  const emit = (label: string) => {
    if (expected <= 0) return;
    let share = finished;
    for (const f of running.values()) share += f;
    const percent = Math.min(100, Math.floor((100 * share) / expected));
    if (percent === lastPercent) return;
    lastPercent = percent;
    report(percent, label);
  };
  const events: EventSink = (ev: EngineEvent) => {
    if (ev.type === 'warning') log.warning(ev.message);
    else lines(ev);
    if (ev.type === 'collection-start') {
      running.set(`${ev.phase === 'verify' ? 'verify ' : ''}${ev.database}.${ev.collection}`, 0);
      emit(`${ev.database}.${ev.collection}`);
    } else if (ev.type === 'progress') {
      const key = `${ev.database}.${ev.collection}`;
      if (ev.total) running.set(key, Math.min(1, (ev.written + ev.skipped + ev.rejected) / ev.total));
      emit(key);
    } else if (ev.type === 'compare-progress') {
      const key = `verify ${ev.database}.${ev.collection}`;
      if (ev.total) running.set(key, Math.min(1, ev.compared / ev.total));
      emit(key);
    } else if (ev.type === 'collection-end' || ev.type === 'compare-end') {
      const c = ev.type === 'collection-end' ? ev.summary : ev.result;
      const key = `${ev.type === 'compare-end' ? 'verify ' : ''}${c.database}.${c.collection}`;
      running.delete(key);
      finished++;
      emit(key);
    }
  };
  return { events, expectCollections: (n) => (expected = n) };
}
