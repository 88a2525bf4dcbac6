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

/** One shard's `docferry export --shard I/N` process of a sharded drill (--shards N). */
export interface ShardRun {
  /** `I/N`. */
  shard: string;
  index: number;
  status: 'ok' | 'failed';
  pid: number;
  startedAt: string;
  /** Wall time of the process, start to exit. */
  durationMs: number;
  /** Null when a signal ended the process. */
  exitCode: number | null;
  signal: string | null;
  /** Documents the shard wrote (its --json summary), when it said. */
  documents?: number;
  /** Where the shard's export was pushed in the archive. */
  prefix?: string;
  error?: string;
}

/** The `docferry manifest merge` of the pulled shard exports (in the pull stage). */
export interface ShardMerge {
  status: 'ok' | 'failed' | 'not run';
  documents?: number;
  files?: number;
  durationMs?: number;
  exitCode?: number | null;
  error?: string;
}

export interface ShardsReport {
  count: number;
  /** How the shards agree on one split. */
  plan: string;
  runs: ShardRun[];
  merge: ShardMerge;
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
  /** Only with --shards N > 1: the shard processes and their merge. */
  shards?: ShardsReport;
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

function exitText(r: { exitCode?: number | null; signal?: string | null }): string {
  if (r.exitCode === undefined) return '';
  return r.exitCode === null ? `killed (${r.signal ?? 'signal'})` : String(r.exitCode);
}

/** `exit 4`, `killed (SIGTERM)`. */
function exitPhrase(r: { exitCode?: number | null; signal?: string | null }): string {
  if (r.exitCode === undefined) return '';
  return r.exitCode === null ? exitText(r) : `exit ${r.exitCode}`;
}

const SHARD_HEAD = ['shard', 'pid', 'archive prefix', 'documents', 'time', 'exit', 'result'];

function shardCells(r: ShardRun): string[] {
  return [r.shard, String(r.pid), r.prefix ?? '', r.documents === undefined ? '' : String(r.documents), seconds(r.durationMs), exitText(r), r.status === 'ok' ? 'ok' : `FAILED: ${r.error ?? ''}`];
}

/** The merge in one sentence. */
export function mergeLine(m: ShardMerge, count: number): string {
  if (m.status === 'not run') return `not run${m.error ? ` (${m.error})` : ' (an earlier stage failed)'}`;
  const time = m.durationMs === undefined ? '' : ` in ${seconds(m.durationMs)}`;
  if (m.status === 'failed') return `FAILED (${exitPhrase(m)})${time}: ${m.error ?? ''}`;
  return `ok: ${count} shards into ${m.files ?? '?'} files, ${m.documents ?? '?'} documents${time} (${exitPhrase(m)})`;
}

function shardsMarkdown(s: ShardsReport): string[] {
  return [
    `## Shards: the export as ${s.count} \`docferry export --shard I/${s.count}\` processes at once`,
    '',
    `Split: ${cell(s.plan)}.`,
    '',
    `| ${SHARD_HEAD.join(' | ')} |`,
    `|${SHARD_HEAD.map(() => '---').join('|')}|`,
    ...s.runs.map((r) => `| ${shardCells(r).map((c) => cell(c)).join(' | ')} |`),
    '',
    `Merge (\`docferry manifest merge\`, in the pull stage): ${cell(mergeLine(s.merge, s.count))}.`,
    '',
  ];
}

function shardsHtml(s: ShardsReport): string {
  const head = SHARD_HEAD.map((h) => `<th>${h}</th>`).join('');
  const rows = s.runs.map((r) => `<tr>${shardCells(r).map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<h2>Shards: the export as ${s.count} <code>docferry export --shard I/${s.count}</code> processes at once</h2>
<p>Split: ${escapeXml(s.plan)}.</p>
<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>
<p>Merge (<code>docferry manifest merge</code>, in the pull stage): ${escapeXml(mergeLine(s.merge, s.count))}.</p>`;
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
    ...(report.shards ? shardsMarkdown(report.shards) : []),
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
${report.shards ? shardsHtml(report.shards) : ''}
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
  if (report.shards) {
    for (const r of report.shards.runs) {
      out.push(`${'shard'.padEnd(6)} ${r.shard.padEnd(10)} ${(r.status === 'ok' ? 'ok' : 'FAILED').padEnd(16)} ${seconds(r.durationMs).padStart(9)} ${String(r.documents ?? '').padStart(9)}  ${exitPhrase(r)}${r.prefix ? `, ${r.prefix}` : ''}${r.error ? `; ${r.error}` : ''}`);
    }
    out.push(`${'shard'.padEnd(6)} ${'merge'.padEnd(10)} ${mergeLine(report.shards.merge, report.shards.count)}`);
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
