import cliProgress from 'cli-progress';
import { rate, ruText, type Output } from '../engine/progress-lines.js';

export { plainProgress, ruText, type Output } from '../engine/progress-lines.js';
import type { EventSink, RunSummary } from '../engine/events.js';
import { redact } from '../core/secrets.js';
import { mirrorLines } from '../engine/mirror.js';

export const processOutput: Output = {
  log: (line) => process.stderr.write(`${redact(line)}\n`),
  result: (text) => process.stdout.write(`${redact(text)}\n`),
};

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

/** A bar per collection with documents, docs/s and ETA, for an interactive terminal. */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): { events: EventSink; stop(): void } {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {name} |{bar}| {value}/{total} docs | {rate} docs/s | {ru} | {etaText}',
      formatValue: (v, _o, type) => (type === 'total' && v === 0 ? '?' : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
  const events: EventSink = (ev) => {
    if (ev.type === 'collection-start') {
      const name = `${ev.database}.${ev.collection}`.padEnd(22);
      bars.set(`${ev.database}.${ev.collection}`, { bar: multi.create(ev.total ?? 0, 0, { name, rate: 0, ru: '', etaText: etaText(0, ev.total, 0) }), started: Date.now() });
    } else if (ev.type === 'progress') {
      const entry = bars.get(`${ev.database}.${ev.collection}`);
      if (!entry) return;
      const done = ev.written + ev.skipped + ev.rejected;
      if (ev.total === undefined && done > entry.bar.getTotal()) entry.bar.setTotal(0);
      // The count may arrive after the collection started (it never holds the transfer back).
      if (ev.total !== undefined && entry.bar.getTotal() !== ev.total && done <= ev.total) entry.bar.setTotal(ev.total);
      const docsPerSecond = rate(done, Date.now() - entry.started);
      entry.bar.update(done, { rate: docsPerSecond, ru: ruText(ev.stats), etaText: etaText(done, entry.bar.getTotal(), docsPerSecond) });
    } else if (ev.type === 'collection-end') {
      const entry = bars.get(`${ev.summary.database}.${ev.summary.collection}`);
      const done = ev.summary.written + ev.summary.skipped + ev.summary.rejected;
      entry?.bar.setTotal(Math.max(entry.bar.getTotal(), done));
      entry?.bar.update(done, { etaText: 'done' });
    } else if (ev.type === 'warning') {
      multi.log(`${redact(`warning: ${ev.message}`)}\n`);
    }
  };
  return { events, stop: () => multi.stop() };
}

export function summaryTable(summary: RunSummary): string {
  // A mirror run has a column for what it deleted.
  const mirror = summary.mirror;
  const rows = summary.collections.map((c) => [
    `${c.database}.${c.collection}`,
    String(c.read),
    String(c.written),
    String(c.skipped),
    String(c.rejected),
    ...(mirror ? [String(c.deleted ?? 0)] : []),
    `${(c.durationMs / 1000).toFixed(1)}s`,
    c.status === 'ok' ? 'ok' : `FAILED: ${c.error ?? ''}`,
  ]);
  const header = ['collection', 'read', 'written', 'skipped', 'rejected', ...(mirror ? ['deleted'] : []), 'time', 'status'];
  const last = header.length - 1;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (i === last ? 0 : r[i]!.length))));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 || i === last ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  const t = summary.totals;
  lines.push(`${summary.operation}: ${t.read} read, ${t.written} written, ${t.skipped} skipped, ${t.rejected} rejected${mirror ? `, ${mirror.deleted} deleted` : ''} in ${(summary.durationMs / 1000).toFixed(1)}s`);
  if (mirror) lines.push(...mirrorLines(mirror));
  if (summary.rejectsDir) lines.push(`rejected documents: ${summary.rejectsDir}`);
  if (summary.exportDir && summary.operation === 'export') lines.push(`export directory: ${summary.exportDir}`);
  return lines.join('\n');
}
