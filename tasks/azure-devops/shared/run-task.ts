/**
 * The Azure DevOps side of every docferry task: inputs through task-lib (secrets masked first),
 * engine events as log lines and ##vso[task.setprogress], the engine's errors as error issues,
 * output variables, a markdown summary attached to the run, and the step's result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocferryError, errorMessage } from '../../../src/core/errors.js';
import { redact } from '../../../src/core/secrets.js';
import type { AzureAuth, Operation, OperationContext, OperationResult, TaskLog } from '../../common/context.js';
import { failedResult, judge, reportedRun, summaryMarkdown, type Verdict } from '../../common/outcome.js';
import { progressReporter } from '../../common/progress.js';
import { reportRecorder, type ReportRecorder } from '../../../src/report/recorder.js';
import { taskInputs } from './inputs.js';
import { serviceConnectionAuth } from './service-connection.js';
import { tl } from './tl.js';

/** Every warning the step logs, for its result: a warning makes it SucceededWithIssues (or Failed with failOnWarnings). */
const warnings: string[] = [];

const log: TaskLog = {
  info: (line) => console.log(redact(line)),
  warning: (line) => {
    warnings.push(redact(line));
    tl.warning(redact(line));
  },
};

function fail(message: string): void {
  tl.setResult(tl.TaskResult.Failed, redact(message));
  process.exitCode = 1;
}

/**
 * Output variables and the summary page (with the run's charts), on success and failure alike;
 * a transfer's or a verify's HTML report is attached to the run as well (type docferry.report).
 */
function report(taskName: string, result: OperationResult, verdict: Verdict, tempDir: string, recorder?: ReportRecorder): void {
  for (const [name, value] of Object.entries(result.outputs)) tl.setVariable(name, redact(value), false, true);
  try {
    mkdirSync(tempDir, { recursive: true });
    const run = reportedRun(result);
    const charts = run && recorder ? recorder.chartsMarkdown(run) : '';
    const page = charts ? { ...result, markdown: [...(result.markdown ?? []), charts] } : result;
    const file = join(tempDir, `docferry-${taskName}-summary-${process.pid}.md`);
    writeFileSync(file, summaryMarkdown(page, verdict));
    tl.uploadSummary(file);
    if (run && recorder) {
      // The charts alone, for a report that joins several steps (the DR drill template's).
      const chartsFile = join(tempDir, `docferry-${taskName}-charts-${process.pid}.md`);
      writeFileSync(chartsFile, charts, { mode: 0o600 });
      tl.setVariable('reportMarkdown', chartsFile, false, true);
      const html = join(tempDir, `docferry-${taskName}-report-${process.pid}.html`);
      writeFileSync(html, recorder.html(run), { mode: 0o600 });
      tl.addAttachment('docferry.report', `docferry-${taskName}-report.html`, html);
    }
  } catch (err) {
    log.warning(`Could not attach the run summary: ${errorMessage(err)}`);
  }
}

export async function runTask(taskName: string, operation: Operation): Promise<void> {
  let tempDir = tmpdir();
  let failOnWarnings = false;
  let recorder: ReportRecorder | undefined;
  try {
    const inputs = taskInputs();
    failOnWarnings = inputs.getBoolInput('failOnWarnings');
    const endpointId = inputs.getInput('azureSubscription');
    let azure: AzureAuth | undefined;
    tempDir = tl.getVariable('Agent.TempDirectory') || tmpdir();
    const staging = tl.getVariable('Build.ArtifactStagingDirectory');
    const progress = progressReporter(log, (percent, label) => tl.setProgress(percent, redact(label)));
    recorder = reportRecorder();
    const recording = recorder;
    const ctx: OperationContext = {
      inputs,
      azure: () => (endpointId ? (azure ??= serviceConnectionAuth(endpointId, inputs)) : undefined),
      azureInputHint: '"azureSubscription" (an Azure Resource Manager service connection)',
      events: (ev) => {
        progress.events(ev);
        recording.events(ev);
      },
      log,
      // Not Build.ArtifactStagingDirectory: publish steps upload it, and exports hold personal data.
      defaultExportParent: tempDir,
      tempDir,
      ...(staging ? { publishedDir: { name: 'Build.ArtifactStagingDirectory', path: staging } } : {}),
      expectCollections: progress.expectCollections,
    };
    const result = await operation(ctx);
    const verdict = judge(result, (name) => name, { warnings, failOnWarnings });
    report(taskName, result, verdict, tempDir, recorder);
    if (verdict.status === 'failed') fail(verdict.message);
    else if (verdict.status === 'succeededWithIssues') tl.setResult(tl.TaskResult.SucceededWithIssues, verdict.message);
    else tl.setResult(tl.TaskResult.Succeeded, verdict.message);
  } catch (err) {
    if (!(err instanceof DocferryError)) tl.debug(redact(String((err as Error)?.stack ?? err)));
    const message = redact(errorMessage(err));
    const result = failedResult(taskName, `docferry ${taskName}`, message);
    try {
      report(taskName, result, judge(result, (name) => name, { warnings, failOnWarnings }), tempDir);
    } catch (reportErr) {
      tl.debug(redact(`Could not report the failure: ${errorMessage(reportErr)}`));
    }
    fail(message);
  }
}
