/**
 * Runs stages in order the way the pipelines do: after a failure the remaining stages are
 * skipped, except the ones marked `always` (closing and cleaning up), which run regardless.
 */
import { DocferryError, ExitCode, errorMessage } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';

export type StageStatus = 'ok' | 'failed' | 'skipped';

/** What a stage reports about itself besides passing. */
export interface StageOutcome {
  documents?: number;
  detail?: string;
}

export interface StageResult extends StageOutcome {
  id: string;
  title: string;
  status: StageStatus;
  startedAt?: string;
  durationMs: number;
  error?: string;
  /** The exit code the failure maps to (src/core/errors.ts ExitCode). */
  exitCode?: number;
}

export interface RunnableStage {
  id: string;
  title: string;
  always: boolean;
  run(): Promise<StageOutcome>;
}

export interface RunHooks {
  onStart?(stage: RunnableStage): void;
  onEnd?(result: StageResult): void;
}

/** A stage that fails because what it found is wrong, not because it could not run. */
export class StageFailure extends DocferryError {}

export function exitCodeOf(err: unknown): number {
  return err instanceof DocferryError ? err.exitCode : ExitCode.failed;
}

/**
 * `failedBefore`: an earlier group of stages failed (the setup), so only `always` stages run.
 * Never throws for a stage's failure: it is in the results.
 */
export async function runStages(stages: readonly RunnableStage[], hooks: RunHooks = {}, failedBefore = false): Promise<StageResult[]> {
  const results: StageResult[] = [];
  let failed = failedBefore;
  for (const stage of stages) {
    if (failed && !stage.always) {
      const skipped: StageResult = { id: stage.id, title: stage.title, status: 'skipped', durationMs: 0, detail: 'an earlier stage failed' };
      results.push(skipped);
      hooks.onEnd?.(skipped);
      continue;
    }
    hooks.onStart?.(stage);
    const startedAt = new Date();
    let result: StageResult;
    try {
      const outcome = await stage.run();
      result = { id: stage.id, title: stage.title, status: 'ok', startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), ...outcome };
    } catch (err) {
      failed = true;
      result = {
        id: stage.id,
        title: stage.title,
        status: 'failed',
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        error: redact(errorMessage(err)),
        exitCode: exitCodeOf(err),
      };
    }
    results.push(result);
    hooks.onEnd?.(result);
  }
  return results;
}

/** The run's exit code: the first failure's, so a verify difference exits 5 and a refused archive 4. */
export function overallExitCode(results: readonly StageResult[]): number {
  const first = results.find((r) => r.status === 'failed');
  return first ? (first.exitCode ?? ExitCode.failed) : ExitCode.ok;
}
