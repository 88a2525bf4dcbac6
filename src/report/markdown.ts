/**
 * The run report as Markdown for pipeline summaries (GitHub job summary, Azure DevOps build
 * summary): tables, and Mermaid `xychart-beta` charts, which GitHub renders.
 */
import { bytesText, secondsText, totalsText, verifyRows, VERIFY_HEADER, RETRY_HEADER, retryRows, type RunReport, type Series } from './model.js';
import { chartsOf } from './html.js';

/** A table cell: no pipe or line break can split the row. */
function cell(v: string | number): string {
  return String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** Mermaid text: a quoted label without quotes inside. */
function label(text: string): string {
  return `"${text.replace(/"/g, "'")}"`;
}

/**
 * One xychart-beta block. Mermaid wants every series on the same x categories: the union of
 * the series' times, a missing value drawn as 0.
 */
export function mermaidChart(title: string, unit: string, series: Series[], kind: 'line' | 'bar' = 'line'): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const lines = ['```mermaid', 'xychart-beta', `    title ${label(title)}`, `    x-axis ${label('seconds')} [${xs.map((x) => `"${x}"`).join(', ')}]`, `    y-axis ${label(unit)} 0 --> ${Math.ceil(max * 1.1)}`];
  for (const s of series) {
    const at = new Map(s.points);
    lines.push(`    ${kind} [${xs.map((x) => at.get(x) ?? 0).join(', ')}]`);
  }
  lines.push('```');
  return lines.join('\n');
}

/** The charts alone, for a summary page that has its own tables (the pipeline tasks'). */
export function chartsMarkdown(r: RunReport): string {
  const out: string[] = [];
  for (const c of chartsOf(r)) {
    if (c.series.every((s) => s.points.length === 0)) continue;
    out.push(`### ${c.title}`, '');
    if (c.series.length > 1) out.push(`Lines, in order: ${c.series.map((s) => `\`${s.name}\``).join(', ')}.`, '');
    out.push(mermaidChart(c.title, c.unit, c.series, c.kind ?? 'line'), '');
  }
  return out.join('\n');
}

export function renderMarkdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`## docferry ${r.operation}: exit ${r.exitCode}`, '');
  out.push(`${cell(r.source)} → ${cell(r.target)}; started ${r.startedAt}, took ${secondsText(r.durationMs)}: ${cell(totalsText(r))}.`, '');
  out.push(chartsMarkdown(r));
  if (r.collections.length > 0) {
    out.push('### Collections', '');
    out.push(
      table(
        ['collection', 'read', 'written', 'skipped', 'rejected', 'time', 'bytes', 'RU', '429s', 'status'],
        r.collections.map((c) => [c.name, c.read, c.written, c.skipped, c.rejected, secondsText(c.durationMs), bytesText(c.bytes), c.requestCharge !== undefined ? Math.round(c.requestCharge) : '–', c.throttled ?? '–', c.status === 'ok' ? 'ok' : `FAILED: ${c.error ?? ''}`]),
      ),
      '',
    );
  }
  if (r.retries.length > 0) out.push('### Retries by kind', '', table(RETRY_HEADER, retryRows(r)), '');
  const rejected = r.collections.filter((c) => c.rejectReasons.length > 0);
  if (rejected.length > 0) {
    out.push('### Rejections by reason', '');
    out.push(table(['collection', 'count', 'reason'], rejected.flatMap((c) => c.rejectReasons.map((x) => [c.name, x.count, x.reason]))), '');
  }
  if (r.verify) {
    out.push(`### Verify: ${r.verify.equal ? 'equal' : 'DIFFERENCES'}`, '');
    out.push(table(VERIFY_HEADER, verifyRows(r.verify)), '');
  }
  if (r.warnings.length > 0) out.push('### Warnings', '', ...r.warnings.map((w) => `- ${cell(w)}`), '');
  return out.join('\n');
}
