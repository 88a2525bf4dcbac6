/**
 * The end of a run, the same on both platforms: output values, the markdown summary page and the
 * step's result. The step fails on anything the engine would exit non-zero for, except rejected
 * documents within the author's allowedRejects (then it succeeds with issues, loudly).
 */
import { ExitCode } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';
import { describeMapping } from '../../src/core/namespace-map.js';
import type { RunSummary } from '../../src/engine/events.js';
import { verifyRunSummary, type VerifySummary } from '../../src/engine/verify.js';
import type { OperationResult } from './context.js';

/** The run a step's report charts: a transfer's summary, else a verify's as a run. */
export function reportedRun(result: OperationResult): RunSummary | undefined {
  return result.summary ?? (result.verify ? verifyRunSummary(result.verify) : undefined);
}

export function transferOutputs(summary: RunSummary): Record<string, string> {
  return {
    documentsRead: String(summary.totals.read),
    documentsWritten: String(summary.totals.written),
    documentsSkipped: String(summary.totals.skipped),
    documentsRejected: String(summary.totals.rejected),
  };
}

/**
 * What a step reports when it failed before the operation could hand back a result (a wrong
 * password, a missing input): zero counts, so a later step reading them never finds them unset,
 * and the failure itself.
 */
export function failedResult(operation: string, title: string, message: string): OperationResult {
  const counts: Record<string, string> = ['export', 'import', 'migrate'].includes(operation)
    ? { documentsRead: '0', documentsWritten: '0', documentsSkipped: '0', documentsRejected: '0' }
    : operation === 'verify'
      ? { verifyEqual: 'false' }
      : {};
  return { title, outputs: { ...counts, failure: redact(message) }, failure: message };
}

export interface JudgeOptions {
  /** Warnings the step logged (engine warnings, input advice); they make it succeed with issues. */
  warnings?: string[];
  /** failOnWarnings: any warning fails the step. */
  failOnWarnings?: boolean;
}

export type StepStatus = 'succeeded' | 'succeededWithIssues' | 'failed';

export interface Verdict {
  status: StepStatus;
  /** One line for the step's result; with the error issue when it failed. */
  message: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `label` spells an input name the platform's way, for advice in the message. */
export function judge(result: OperationResult, label: (name: string) => string, options: JudgeOptions = {}): Verdict {
  const s = result.summary;
  const problems: string[] = [];
  let issues: string | undefined;
  const warnings = [...new Set([...(options.warnings ?? []), ...(s?.warnings ?? [])])];
  // A transfer that read nothing is seldom what was meant: an empty or wrong server, a mistyped name.
  if (s && s.totals.read === 0 && s.collections.length > 0 && s.collections.every((c) => c.status === 'ok')) {
    warnings.push(`no documents were read from ${s.source} (${plural(s.collections.length, 'collection')}): check that it is the right server and that the collections hold data`);
  }
  if (s) {
    const failed = s.collections.filter((c) => c.status === 'failed');
    if (failed.length > 0) {
      problems.push(`${plural(failed.length, 'collection')} failed: ${failed.map((c) => `${c.database}.${c.collection}: ${c.error ?? 'failed'}`).join('; ')}`);
    } else if (s.exitCode !== ExitCode.ok && s.exitCode !== ExitCode.rejected && !(s.exitCode === ExitCode.differences && result.verify)) {
      problems.push(`${s.operation} ended with exit code ${s.exitCode}`);
    }
    const rejected = s.totals.rejected;
    const allowed = result.allowedRejects ?? 0;
    const where = s.rejectsDir ? ` (see ${s.rejectsDir})` : '';
    if (rejected > allowed) {
      problems.push(`${plural(rejected, 'document')} rejected${where}; ${label('allowedRejects')} is ${allowed}`);
    } else if (rejected > 0) {
      issues = `${plural(rejected, 'document')} rejected${where}, within ${label('allowedRejects')} (${allowed})`;
      // An export with rejects is never marked complete: say what that means for the next stage.
      if (s.operation === 'export') issues += `; the manifest marks the export incomplete, so importing it needs ${label('allowPartial')}`;
    }
  }
  if (result.verify && !result.verify.equal) problems.push(verifyProblem(result.verify));
  if (result.failure) problems.push(result.failure);
  if (warnings.length > 0) {
    const text = `${plural(warnings.length, 'warning')}: ${warnings.join('; ')}`;
    if (options.failOnWarnings) problems.push(`${text} (${label('failOnWarnings')} is set)`);
    else issues = issues ? `${issues}; ${text}` : text;
  }
  if (problems.length > 0) return { status: 'failed', message: redact(`${result.title}: ${problems.map((p) => p.replace(/[.\s]+$/, '')).join('. ')}.`) };
  if (issues) return { status: 'succeededWithIssues', message: redact(`${result.title}: ${issues}.`) };
  return { status: 'succeeded', message: redact(`${result.title}: done.`) };
}

function verifyProblem(v: VerifySummary): string {
  const differ = v.collections.filter((c) => !c.equal);
  const parts = differ.map((c) => `${c.database}.${c.collection} (${c.missingTotal} missing, ${c.extraTotal} extra, ${c.differingTotal} differing${c.problems.length ? `; ${c.problems.join('; ')}` : ''})`);
  return `verification found differences in ${plural(differ.length, 'collection')}: ${parts.join(', ')}`;
}

const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function transferTable(s: RunSummary): string[] {
  const lines = [
    '| Collection | Read | Written | Skipped | Rejected | Time | Docs/s | Status |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of s.collections) {
    const done = c.written + c.skipped + c.rejected;
    const rate = c.durationMs > 0 ? Math.round((done * 1000) / c.durationMs) : 0;
    const status = c.status === 'ok' ? (c.rejected > 0 ? 'rejects' : 'ok') : `**failed**: ${cell(c.error ?? '')}`;
    lines.push(`| ${cell(describeMapping(c))} | ${c.read} | ${c.written} | ${c.skipped} | ${c.rejected} | ${seconds(c.durationMs)} | ${rate} | ${status} |`);
  }
  const t = s.totals;
  lines.push(`| **Total** | **${t.read}** | **${t.written}** | **${t.skipped}** | **${t.rejected}** | **${seconds(s.durationMs)}** | | |`);
  return lines;
}

function verifyTable(v: VerifySummary): string[] {
  const lines = [
    `Left: ${cell(v.left)}, right: ${cell(v.right)} (${v.mode} comparison, ${seconds(v.durationMs)})`,
    '',
    '| Collection | Left | Right | Missing | Extra | Differing | Equal |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of v.collections) {
    lines.push(`| ${cell(describeMapping(c))} | ${c.leftCount} | ${c.rightCount} | ${c.missingTotal} | ${c.extraTotal} | ${c.differingTotal} | ${c.equal ? 'yes' : '**no**'} |`);
  }
  const listed = v.collections.filter((c) => !c.equal);
  for (const c of listed) {
    const ids = (label: string, list: string[], total: number) => (total ? [`- ${label} (${total}): ${list.map((id) => `\`${cell(id)}\``).join(', ')}${total > list.length ? ', …' : ''}`] : []);
    lines.push('', `**${cell(describeMapping(c))}**`, ...ids('missing on the right', c.missing, c.missingTotal), ...ids('extra on the right', c.extra, c.extraTotal), ...ids('differing', c.differing, c.differingTotal), ...c.problems.map((p) => `- ${cell(p)}`));
  }
  if (v.reportFile) lines.push('', `Report: \`${v.reportFile}\``);
  return lines;
}

/** The summary page: markdown for ##vso[task.uploadsummary] and $GITHUB_STEP_SUMMARY alike. */
export function summaryMarkdown(result: OperationResult, verdict: Verdict): string {
  const lines: string[] = [`## docferry: ${cell(result.title)}`, ''];
  const icon = verdict.status === 'succeeded' ? '✅' : verdict.status === 'succeededWithIssues' ? '⚠️' : '❌';
  lines.push(`${icon} ${cell(verdict.message)}`, '');
  const s = result.summary;
  if (s) {
    lines.push(`${cell(s.source)} → ${cell(s.target)}${s.mode ? ` (mode ${s.mode})` : ''}, started ${s.startedAt}`, '');
    lines.push(...transferTable(s), '');
    if (s.rejectsDir) lines.push(`Rejected documents: \`${s.rejectsDir}\``, '');
    for (const w of s.warnings) lines.push(`> ⚠️ ${cell(w)}`, '');
  }
  if (result.verify) lines.push('### Verification', '', ...verifyTable(result.verify), '');
  for (const block of result.markdown ?? []) lines.push(block, '');
  return redact(`${lines.join('\n').trimEnd()}\n`);
}
