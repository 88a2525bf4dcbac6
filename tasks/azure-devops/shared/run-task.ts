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
import type { AzureAuth, Operation, OperationContext, TaskLog } from '../../common/context.js';
import { judge, summaryMarkdown } from '../../common/outcome.js';
import { progressReporter } from '../../common/progress.js';
import { taskInputs } from './inputs.js';
import { serviceConnectionAuth } from './service-connection.js';
import { tl } from './tl.js';

const log: TaskLog = {
  info: (line) => console.log(redact(line)),
  warning: (line) => tl.warning(redact(line)),
};

function fail(message: string): void {
  tl.setResult(tl.TaskResult.Failed, redact(message));
  process.exitCode = 1;
}

export async function runTask(taskName: string, operation: Operation): Promise<void> {
  try {
    const inputs = taskInputs();
    const endpointId = inputs.getInput('azureSubscription');
    let azure: AzureAuth | undefined;
    const tempDir = tl.getVariable('Agent.TempDirectory') || tmpdir();
    const progress = progressReporter(log, (percent, label) => tl.setProgress(percent, redact(label)));
    const ctx: OperationContext = {
      inputs,
      azure: () => (endpointId ? (azure ??= serviceConnectionAuth(endpointId, inputs)) : undefined),
      azureInputHint: '"azureSubscription" (an Azure Resource Manager service connection)',
      events: progress.events,
      log,
      defaultExportParent: tl.getVariable('Build.ArtifactStagingDirectory') || tl.getVariable('System.DefaultWorkingDirectory') || process.cwd(),
      tempDir,
      expectCollections: progress.expectCollections,
    };
    const result = await operation(ctx);
    const verdict = judge(result, (name) => name);
    for (const [name, value] of Object.entries(result.outputs)) tl.setVariable(name, value, false, true);
    try {
      mkdirSync(tempDir, { recursive: true });
      const file = join(tempDir, `docferry-${taskName}-summary-${process.pid}.md`);
      writeFileSync(file, summaryMarkdown(result, verdict));
      tl.uploadSummary(file);
    } catch (err) {
      log.warning(`Could not attach the run summary: ${errorMessage(err)}`);
    }
    if (verdict.status === 'failed') fail(verdict.message);
    else if (verdict.status === 'succeededWithIssues') tl.setResult(tl.TaskResult.SucceededWithIssues, verdict.message);
    else tl.setResult(tl.TaskResult.Succeeded, verdict.message);
  } catch (err) {
    if (!(err instanceof DocferryError)) tl.debug(redact(String((err as Error)?.stack ?? err)));
    fail(errorMessage(err));
  }
}
