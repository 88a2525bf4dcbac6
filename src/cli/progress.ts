import cliProgress from 'cli-progress';
import type { EngineEvent, EventSink, RunSummary } from '../engine/events.js';
import { redact } from '../core/secrets.js';
import type { SinkStats } from '../stores/types.js';

export interface Output {
  /** Human-readable lines (progress, warnings): stderr, so stdout can carry --json. */
  log(line: string): void;
  /** The final result: stdout. */
  result(text: string): void;
}

export const processOutput: Output = {
  log: (line) => process.stderr.write(`${redact(line)}\n`),
  result: (text) => process.stdout.write(`${redact(text)}\n`),
};

function rate(done: number, ms: number): number {
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
  const interval = options.intervalMs ?? 5000;
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
  const rows = summary.collections.map((c) => [
    `${c.database}.${c.collection}`,
    String(c.read),
    String(c.written),
    String(c.skipped),
    String(c.rejected),
    `${(c.durationMs / 1000).toFixed(1)}s`,
    c.status === 'ok' ? 'ok' : `FAILED: ${c.error ?? ''}`,
  ]);
  const header = ['collection', 'read', 'written', 'skipped', 'rejected', 'time', 'status'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (i === 6 ? 0 : r[i]!.length))));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 || i === 6 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  const t = summary.totals;
  lines.push(`${summary.operation}: ${t.read} read, ${t.written} written, ${t.skipped} skipped, ${t.rejected} rejected in ${(summary.durationMs / 1000).toFixed(1)}s`);
  if (summary.rejectsDir) lines.push(`rejected documents: ${summary.rejectsDir}`);
  if (summary.exportDir && summary.operation === 'export') lines.push(`export directory: ${summary.exportDir}`);
  return lines.join('\n');
}
