import cliProgress from 'cli-progress';
import { etaText, mbPerSecondText, rate, ruText, ThrottleWindow, type Output } from '../engine/progress-lines.js';

export { etaText, plainProgress, ruText, type Output } from '../engine/progress-lines.js';
import type { EventSink, RunSummary } from '../engine/events.js';
import { redact } from '../core/secrets.js';
import { mirrorLines } from '../engine/mirror.js';

export const processOutput: Output = {
  log: (line) => process.stderr.write(`${redact(line)}\n`),
  result: (text) => process.stdout.write(`${redact(text)}\n`),
};

interface BarEntry {
  bar: cliProgress.SingleBar;
  started: number;
  total?: number;
  done: number;
  bytes: number;
  finished: boolean;
  window: ThrottleWindow;
}

/** What follows the counts on a bar: MB/s, RU/s against the budget and the throttled share of the last minute. */
function detailText(bytes: number, ms: number, ru: string, throttled: string): string {
  return [mbPerSecondText(bytes, ms), ru, throttled].filter(Boolean).join(' | ');
}

/**
 * A bar per collection with documents, docs/s, MB/s, RU/s (Cosmos DB) and ETA, and an overall
 * bar once there are two collections, for an interactive terminal.
 */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): { events: EventSink; stop(): void } {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {name} |{bar}| {value}/{total} docs | {rate} docs/s | {detail} | {etaText}',
      formatValue: (v, _o, type) => (type === 'total' && v === 0 ? '?' : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, BarEntry>();
  const runStarted = Date.now();
  let overall: cliProgress.SingleBar | undefined;
  const updateOverall = () => {
    if (bars.size < 2) return;
    const entries = [...bars.values()];
    const known = entries.every((e) => e.total !== undefined);
    const total = known ? entries.reduce((n, e) => n + (e.total ?? 0), 0) : 0;
    const done = entries.reduce((n, e) => n + e.done, 0);
    const bytes = entries.reduce((n, e) => n + e.bytes, 0);
    const elapsed = Date.now() - runStarted;
    const docsPerSecond = rate(done, elapsed);
    if (!overall) overall = multi.create(total, done, { name: 'overall'.padEnd(22), rate: 0, detail: '', etaText: 'ETA --' });
    if (overall.getTotal() !== total && done <= total) overall.setTotal(total);
    const all = entries.every((e) => e.finished);
    overall.update(done, { rate: docsPerSecond, detail: detailText(bytes, elapsed, '', ''), etaText: all ? 'done' : etaText(done, known ? total : undefined, docsPerSecond) });
  };
  const events: EventSink = (ev) => {
    if (ev.type === 'collection-start') {
      const verify = ev.phase === 'verify';
      const name = `${ev.database}.${ev.collection}${verify ? ' (verify)' : ''}`.padEnd(22);
      bars.set(`${verify ? 'verify ' : ''}${ev.database}.${ev.collection}`, {
        bar: multi.create(ev.total ?? 0, 0, { name, rate: 0, detail: '', etaText: etaText(0, ev.total, 0) }),
        started: Date.now(),
        ...(ev.total !== undefined ? { total: ev.total } : {}),
        done: 0,
        bytes: 0,
        finished: false,
        window: new ThrottleWindow(),
      });
      updateOverall();
    } else if (ev.type === 'progress' || ev.type === 'compare-progress') {
      const entry = bars.get(`${ev.type === 'compare-progress' ? 'verify ' : ''}${ev.database}.${ev.collection}`);
      if (!entry) return;
      // A verify's bar counts the documents read from both sides (its total is both counts).
      const done = ev.type === 'progress' ? ev.written + ev.skipped + ev.rejected : ev.compared;
      const stats = ev.type === 'progress' ? ev.stats : undefined;
      const bytes = ev.type === 'progress' ? ev.bytes : undefined;
      if (ev.total === undefined && done > entry.bar.getTotal()) entry.bar.setTotal(0);
      // The count may arrive after the collection started (it never holds the transfer back).
      if (ev.total !== undefined && entry.bar.getTotal() !== ev.total && done <= ev.total) entry.bar.setTotal(ev.total);
      if (ev.total !== undefined) entry.total = ev.total;
      entry.done = done;
      entry.bytes = bytes ?? entry.bytes;
      const now = Date.now();
      entry.window.add(now, stats);
      const docsPerSecond = rate(done, now - entry.started);
      entry.bar.update(done, { rate: docsPerSecond, detail: detailText(entry.bytes, now - entry.started, ruText(stats), entry.window.text()), etaText: etaText(done, entry.bar.getTotal(), docsPerSecond) });
      updateOverall();
    } else if (ev.type === 'collection-end' || ev.type === 'compare-end') {
      const c = ev.type === 'collection-end' ? ev.summary : ev.result;
      const entry = bars.get(`${ev.type === 'compare-end' ? 'verify ' : ''}${c.database}.${c.collection}`);
      const done = ev.type === 'collection-end' ? ev.summary.written + ev.summary.skipped + ev.summary.rejected : ev.result.leftCount + ev.result.rightCount;
      if (entry) {
        entry.bar.setTotal(Math.max(entry.bar.getTotal(), done));
        entry.bar.update(done, { etaText: 'done' });
        Object.assign(entry, { done, total: Math.max(entry.total ?? 0, done), finished: true });
      }
      updateOverall();
    } else if (ev.type === 'warning') {
      multi.log(`${redact(`warning: ${ev.message}`)}\n`);
    }
  };
  return { events, stop: () => multi.stop() };
}

export function summaryTable(summary: RunSummary): string {
  // A mirror run has a column for what it deleted.
  const mirror = summary.mirror;
  // --map: a column for where each collection went (its target's names).
  const mapped = summary.collections.some((c) => c.target);
  const rows = summary.collections.map((c) => [
    `${c.database}.${c.collection}`,
    ...(mapped ? [c.target ? `${c.target.database}.${c.target.collection}` : `${c.database}.${c.collection}`] : []),
    String(c.read),
    String(c.written),
    String(c.skipped),
    String(c.rejected),
    ...(mirror ? [String(c.deleted ?? 0)] : []),
    `${(c.durationMs / 1000).toFixed(1)}s`,
    c.status === 'ok' ? 'ok' : `FAILED: ${c.error ?? ''}`,
  ]);
  const header = ['collection', ...(mapped ? ['target'] : []), 'read', 'written', 'skipped', 'rejected', ...(mirror ? ['deleted'] : []), 'time', 'status'];
  const last = header.length - 1;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (i === last ? 0 : r[i]!.length))));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 || (mapped && i === 1) || i === last ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  const t = summary.totals;
  lines.push(`${summary.operation}: ${t.read} read, ${t.written} written, ${t.skipped} skipped, ${t.rejected} rejected${mirror ? `, ${mirror.deleted} deleted` : ''} in ${(summary.durationMs / 1000).toFixed(1)}s`);
  if (mirror) lines.push(...mirrorLines(mirror));
  if (summary.rejectsDir) lines.push(`rejected documents: ${summary.rejectsDir}`);
  if (summary.exportDir && summary.operation === 'export') lines.push(`export directory: ${summary.exportDir}`);
  return lines.join('\n');
}
