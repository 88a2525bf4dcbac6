import { cpus, totalmem } from 'node:os';
import { docsPerSecond, type Measurement } from './common.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (n: number) => `${fmt(n * 100, n < 0.1 ? 1 : 0)} %`;

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30, 0)} GB RAM, Node ${process.version}, ${process.platform}`;
}

/** Client CPU per document, µs; empty where it was not measured. */
export function cpuPerDoc(r: Measurement): string {
  return r.cpuSeconds !== undefined && r.docs > 0 ? `${fmt((1e6 * r.cpuSeconds) / r.docs)} µs` : '';
}

/** One Markdown table per section: the measured figures and, where there is one, the ratio to the limit. */
export function markdownTables(rows: Measurement[]): string {
  const sections = [...new Set(rows.map((r) => r.section))];
  return sections
    .map((section) => {
      const lines = [
        `### ${section}`,
        '',
        '| run | documents | seconds | docs/s | MB/s | client CPU per document | peak RSS | vs. limit | RU/s (budget) | throttled requests | throttled operations |',
        '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ];
      const notes: string[] = [];
      for (const r of rows.filter((x) => x.section === section)) {
        const mbs = r.bytes !== undefined && r.seconds > 0 ? fmt(r.bytes / 2 ** 20 / r.seconds, 1) : '';
        const versus = r.versus ? `${pct(r.versus.ratio)} of ${r.versus.label}` : '';
        const ru = r.ru
          ? `${fmt(r.ru.perSecond)}${r.ru.budget !== undefined ? ` (${fmt(r.ru.budget)}: ${pct(r.ru.perSecond / r.ru.budget)})` : ''}`
          : '';
        const thrReq = r.ru && r.ru.requests > 0 ? `${fmt(r.ru.throttledRequests)} of ${fmt(r.ru.requests)} (${pct(r.ru.throttledRequests / r.ru.requests)})` : '';
        const thrOps = r.ru && r.ru.ops > 0 ? `${fmt(r.ru.throttledOps)} of ${fmt(r.ru.ops)} (${pct(r.ru.throttledOps / r.ru.ops)})` : '';
        const what = r.note ? `${r.what} [${notes.push(r.note)}]` : r.what;
        lines.push(
          `| ${what} | ${fmt(r.docs)} | ${fmt(r.seconds, 1)} | ${fmt(docsPerSecond(r))} | ${mbs} | ${cpuPerDoc(r)} | ${r.peakRssMb !== undefined ? `${fmt(r.peakRssMb)} MB` : ''} | ${versus} | ${ru} | ${thrReq} | ${thrOps} |`,
        );
      }
      if (notes.length > 0) lines.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
      return lines.join('\n');
    })
    .join('\n\n');
}

/** A plain-text table for the terminal. */
export function textTable(rows: Measurement[]): string {
  const header = ['section / run', 'docs', 'docs/s', 'MB/s', 'CPU/doc', 'RSS MB', 'vs limit', 'RU/s', 'budget', 'thr req', 'thr ops'];
  const body = rows.map((r) => [
    `${r.section}: ${r.what}`,
    fmt(r.docs),
    fmt(docsPerSecond(r)),
    r.bytes !== undefined ? fmt(r.bytes / 2 ** 20 / r.seconds, 1) : '',
    cpuPerDoc(r),
    r.peakRssMb !== undefined ? fmt(r.peakRssMb) : '',
    r.versus ? pct(r.versus.ratio) : '',
    r.ru ? fmt(r.ru.perSecond) : '',
    r.ru?.budget !== undefined ? fmt(r.ru.budget) : '',
    r.ru && r.ru.requests ? pct(r.ru.throttledRequests / r.ru.requests) : '',
    r.ru && r.ru.ops ? pct(r.ru.throttledOps / r.ru.ops) : '',
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`, or appends the block. */
export function replaceBlock(document: string, name: string, content: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${content.trim()}\n${end}`;
  const i = document.indexOf(start);
  const j = document.indexOf(end);
  if (i >= 0 && j > i) return document.slice(0, i) + block + document.slice(j + end.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}
