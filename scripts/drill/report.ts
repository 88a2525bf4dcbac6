/**
 * The drill's report: a table on the terminal, and the same as Markdown, HTML and JSON files,
 * with the run report's charts (src/report) for each data stage: Mermaid in the Markdown,
 * inline SVG in the HTML.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redact } from '../../src/core/secrets.js';
import { chartsHtml, REPORT_CSS } from '../../src/report/html.js';
import { chartsMarkdown } from '../../src/report/markdown.js';
import type { RunReport } from '../../src/report/model.js';
import { escapeXml } from '../../src/report/svg.js';
import type { StageResult } from './runner.js';

/** One engine run of a data stage (export, import, verify; a stage may run one per target) and what its report shows. */
export interface DrillRun {
  stage: string;
  /** Which run of the stage: "into cosmos", "mongodb against the archive". */
  label: string;
  report: RunReport;
}

export interface CollectionCheck {
  database: string;
  collection: string;
  /** What the archive's manifest says was exported. */
  manifest: number;
  /** Read back from the pulled export directory. */
  archive: number;
  /** Found in the restored target. */
  target: number;
  missing: number;
  extra: number;
  differing: number;
  equal: boolean;
}

export interface TargetCheck {
  /** `cosmos` (the DR target) or `mongodb` (the optional second leg). */
  target: string;
  collections: CollectionCheck[];
  reportFile?: string;
}

export interface DrillReport {
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  exitCode: number;
  inject: string | null;
  archive: { container: string; prefix?: string };
  setup: StageResult[];
  stages: StageResult[];
  verification: TargetCheck[];
  /** The data stages' runs, in the order they ran, with their charts. */
  runs: DrillRun[];
}

export const REPORT_MARKDOWN = 'drill-report.md';
export const REPORT_HTML = 'drill-report.html';
export const REPORT_JSON = 'drill-report.json';

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function cell(text: string | undefined): string {
  return (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function resultWord(r: StageResult): string {
  return r.status === 'ok' ? 'ok' : r.status === 'failed' ? `FAILED (exit ${r.exitCode ?? 1})` : 'skipped';
}

function stageRows(results: readonly StageResult[]): string[] {
  return results.map((r, i) => `| ${i + 1} | ${r.id} | ${cell(r.title)} | ${resultWord(r)} | ${seconds(r.durationMs)} | ${r.documents ?? ''} | ${cell(r.error ?? r.detail)} |`);
}

export function renderMarkdown(report: DrillReport): string {
  const lines = [
    '# DR drill report',
    '',
    `Result: **${report.passed ? 'PASSED' : 'FAILED'}** (exit ${report.exitCode}). Started ${report.startedAt}, finished ${report.finishedAt}.`,
    `Archive: ${report.archive.container}${report.archive.prefix ? `, export ${report.archive.prefix}` : ''}.${report.inject ? ` Injected fault: ${report.inject}.` : ''}`,
    '',
    '## Setup: the "production" side',
    '',
    '| # | stage | what | result | time | documents | detail |',
    '|---|---|---|---|---|---|---|',
    ...stageRows(report.setup),
    '',
    '## DR stages (scripts/drill/stages.ts, as in the pipeline templates)',
    '',
    '| # | stage | what | result | time | documents | detail |',
    '|---|---|---|---|---|---|---|',
    ...stageRows(report.stages),
    '',
  ];
  for (const check of report.verification) {
    lines.push(`## Verification: ${check.target} target against the archive`, '');
    lines.push('| collection | manifest | archive | target | missing | extra | differing | result |', '|---|---|---|---|---|---|---|---|');
    for (const c of check.collections) {
      lines.push(`| ${c.database}.${c.collection} | ${c.manifest} | ${c.archive} | ${c.target} | ${c.missing} | ${c.extra} | ${c.differing} | ${c.equal ? 'equal' : 'DIFFERENT'} |`);
    }
    if (check.reportFile) lines.push('', `Differences, document by document: ${check.reportFile}`);
    lines.push('');
  }
  if (report.runs.length > 0) lines.push('## Over time, per data stage', '');
  for (const run of report.runs) {
    lines.push(`### ${run.stage}: ${cell(run.label)}`, '');
    // One level below the stage's heading.
    lines.push(chartsMarkdown(run.report).replace(/^### /gm, '#### '));
  }
  return `${redact(lines.join('\n'))}\n`;
}

function stageTable(results: readonly StageResult[]): string {
  const head = ['#', 'stage', 'what', 'result', 'time', 'documents', 'detail'].map((h) => `<th>${h}</th>`).join('');
  const rows = results
    .map((r, i) => `<tr>${[String(i + 1), r.id, r.title, resultWord(r), seconds(r.durationMs), String(r.documents ?? ''), r.error ?? r.detail ?? ''].map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** The same as one self-contained HTML page: the stage tables, then each data stage's charts as inline SVG. */
export function renderHtml(report: DrillReport): string {
  const verification = report.verification
    .map(
      (check) =>
        `<h2>Verification: ${escapeXml(check.target)} target against the archive</h2><table><thead><tr>${['collection', 'manifest', 'archive', 'target', 'missing', 'extra', 'differing', 'result'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${check.collections
          .map((c) => `<tr>${[`${c.database}.${c.collection}`, c.manifest, c.archive, c.target, c.missing, c.extra, c.differing, c.equal ? 'equal' : 'DIFFERENT'].map((v) => `<td>${escapeXml(String(v))}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
    )
    .join('\n');
  const runs = report.runs.map((run) => `<section class="run"><h3>${escapeXml(run.stage)}: ${escapeXml(run.label)}</h3>\n${chartsHtml(run.report)}</section>`).join('\n');
  return redact(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DR drill report</title>
<style>
${REPORT_CSS}
</style></head><body>
<h1>DR drill: <span class="${report.passed ? 'ok' : 'bad'}">${report.passed ? 'PASSED' : 'FAILED'}</span> (exit ${report.exitCode})</h1>
<p>Started ${escapeXml(report.startedAt)}, finished ${escapeXml(report.finishedAt)}. Archive: ${escapeXml(report.archive.container)}${report.archive.prefix ? `, export ${escapeXml(report.archive.prefix)}` : ''}.${report.inject ? ` Injected fault: ${escapeXml(report.inject)}.` : ''}</p>
<h2>Setup: the "production" side</h2>
${stageTable(report.setup)}
<h2>DR stages</h2>
${stageTable(report.stages)}
${verification}
${runs.length > 0 ? `<h2>Over time, per data stage</h2>\n${runs}` : ''}
</body></html>
`);
}

/** Fixed-width lines for a terminal or a CI log. */
export function renderTable(report: DrillReport): string {
  const rows = [...report.setup.map((r) => ({ group: 'setup', r })), ...report.stages.map((r) => ({ group: 'drill', r }))];
  const out = [`${'phase'.padEnd(6)} ${'stage'.padEnd(10)} ${'result'.padEnd(16)} ${'time'.padStart(9)} ${'documents'.padStart(9)}  detail`];
  for (const { group, r } of rows) {
    out.push(`${group.padEnd(6)} ${r.id.padEnd(10)} ${resultWord(r).padEnd(16)} ${seconds(r.durationMs).padStart(9)} ${String(r.documents ?? '').padStart(9)}  ${r.error ?? r.detail ?? ''}`);
  }
  out.push(`DR drill ${report.passed ? 'PASSED' : 'FAILED'} (exit ${report.exitCode})`);
  return out.join('\n');
}

export async function writeReport(dir: string, report: DrillReport): Promise<{ markdown: string; html: string; json: string }> {
  const markdown = join(dir, REPORT_MARKDOWN);
  const html = join(dir, REPORT_HTML);
  const json = join(dir, REPORT_JSON);
  await writeFile(markdown, renderMarkdown(report), 'utf8');
  await writeFile(html, renderHtml(report), 'utf8');
  await writeFile(json, `${redact(JSON.stringify(report, null, 2))}\n`, 'utf8');
  return { markdown, html, json };
}
