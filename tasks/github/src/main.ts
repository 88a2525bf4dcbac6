/**
 * The docferry GitHub Action: one `command` input picks the operation; the rest are the Azure
 * DevOps tasks' inputs in kebab-case. Counts and paths become step outputs, the per-collection
 * table goes to the job summary, and the step fails as the Azure DevOps task would.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { DocferryError, errorMessage } from '../../../src/core/errors.js';
import { redact } from '../../../src/core/secrets.js';
import type { AzureAuth, Operation, OperationContext, OperationResult, TaskLog } from '../../common/context.js';
import { kebabCase } from '../../common/inputs.js';
import { archiveOperation } from '../../common/ops/archive.js';
import { exportOperation } from '../../common/ops/export.js';
import { importOperation } from '../../common/ops/import.js';
import { migrateOperation } from '../../common/ops/migrate.js';
import { throughputOperation } from '../../common/ops/throughput.js';
import { verifyOperation } from '../../common/ops/verify.js';
import { failedResult, judge, reportedRun, summaryMarkdown, type Verdict } from '../../common/outcome.js';
import { progressReporter } from '../../common/progress.js';
import { reportRecorder, type ReportRecorder } from '../../../src/report/recorder.js';
import { githubAzure } from './azure.js';
import { actionInputs } from './inputs.js';

export const COMMANDS = ['export', 'import', 'migrate', 'verify', 'archive-push', 'archive-pull', 'archive-list', 'throughput-raise', 'throughput-restore'] as const;
type Command = (typeof COMMANDS)[number];

const OPERATIONS: Record<Command, Operation> = {
  export: exportOperation,
  import: importOperation,
  migrate: migrateOperation,
  verify: verifyOperation,
  'archive-push': (ctx) => archiveOperation(ctx, 'push'),
  'archive-pull': (ctx) => archiveOperation(ctx, 'pull'),
  'archive-list': (ctx) => archiveOperation(ctx, 'list'),
  'throughput-raise': (ctx) => throughputOperation(ctx, 'raise'),
  'throughput-restore': (ctx) => throughputOperation(ctx, 'restore'),
};

/** Every warning the step logs (as ::warning:: annotations), for its result: fail-on-warnings fails the step on any. */
const warnings: string[] = [];

const log: TaskLog = {
  info: (line) => core.info(redact(line)),
  warning: (line) => {
    warnings.push(redact(line));
    core.warning(redact(line));
  },
};

/** Step outputs and the job summary (with a transfer's or a verify's charts), on success and failure alike. */
async function report(result: OperationResult, verdict: Verdict, recorder?: ReportRecorder): Promise<void> {
  for (const [name, value] of Object.entries(result.outputs)) core.setOutput(kebabCase(name), redact(value));
  try {
    const run = reportedRun(result);
    const charts = run && recorder ? recorder.chartsMarkdown(run) : '';
    if (run && recorder) {
      // The charts alone, for a report that joins several steps (the DR drill workflow's).
      const file = join(process.env.RUNNER_TEMP || tmpdir(), `docferry-charts-${process.pid}-${Date.now()}.md`);
      writeFileSync(file, charts, { mode: 0o600 });
      core.setOutput('report-markdown', file);
    }
    const page = charts ? { ...result, markdown: [...(result.markdown ?? []), charts] } : result;
    await core.summary.addRaw(summaryMarkdown(page, verdict)).write();
  } catch (err) {
    log.warning(`Could not write the job summary: ${errorMessage(err)}`);
  }
}

async function run(): Promise<void> {
  let command = 'action';
  let failOnWarnings = false;
  try {
    const inputs = actionInputs();
    failOnWarnings = inputs.getBoolInput('failOnWarnings');
    command = inputs.getRequiredChoiceInput('command', COMMANDS);
    let azure: AzureAuth | undefined;
    // Progress goes to the log as plain lines; the runner has no progress display.
    const progress = progressReporter(log, () => {});
    const recorder = reportRecorder();
    const ctx: OperationContext = {
      inputs,
      azure: () => (azure ??= githubAzure(inputs)),
      azureInputHint: '"client-id" and "tenant-id" (OIDC, with `permissions: id-token: write`), or run azure/login before this step',
      events: (ev) => {
        progress.events(ev);
        recorder.events(ev);
      },
      log,
      defaultExportParent: process.env.GITHUB_WORKSPACE || process.cwd(),
      tempDir: process.env.RUNNER_TEMP || tmpdir(),
      expectCollections: progress.expectCollections,
    };
    const result = await OPERATIONS[command as Command](ctx);
    const verdict = judge(result, kebabCase, { warnings, failOnWarnings });
    await report(result, verdict, recorder);
    if (verdict.status === 'failed') core.setFailed(verdict.message);
    else if (verdict.status === 'succeededWithIssues') core.warning(verdict.message);
    else core.info(verdict.message);
  } catch (err) {
    if (!(err instanceof DocferryError)) core.debug(redact(String((err as Error)?.stack ?? err)));
    const message = redact(errorMessage(err));
    const operation = command.startsWith('archive') ? 'archive' : command.startsWith('throughput') ? 'throughput' : command;
    const result = failedResult(operation, `docferry ${command}`, message);
    await report(result, judge(result, kebabCase, { warnings, failOnWarnings })).catch(() => {});
    core.setFailed(message);
  }
}

void run();
