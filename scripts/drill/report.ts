/** The drill's report: a table on the terminal, and the same as markdown and JSON files. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageResult } from './runner.js';

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
}

export const REPORT_MARKDOWN = 'drill-report.md';
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
  return `${lines.join('\n')}\n`;
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

export async function writeReport(dir: string, report: DrillReport): Promise<{ markdown: string; json: string }> {
  const markdown = join(dir, REPORT_MARKDOWN);
  const json = join(dir, REPORT_JSON);
  await writeFile(markdown, renderMarkdown(report), 'utf8');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
  return { markdown, json };
}
