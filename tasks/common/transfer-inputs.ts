import { resolve } from 'node:path';
import type { TuningOptions } from '../../src/engine/run.js';
import type { OperationContext } from './context.js';

export interface TransferInputs {
  tuning: TuningOptions;
  allowedRejects: number;
  /** `resume` / `checkpointDir` as the engine takes them. */
  resume: { resume?: true; checkpointDir?: string };
}

/** Tuning, the reject budget and resuming of a transfer (export, import, migrate). */
export function transferInputs(ctx: OperationContext): TransferInputs {
  const { inputs } = ctx;
  const tuning: TuningOptions = {};
  const batchSize = inputs.getIntInput('batchSize', 1);
  const concurrency = inputs.getIntInput('concurrency', 1);
  const parallelCollections = inputs.getIntInput('parallelCollections', 1);
  const maxErrors = inputs.getIntInput('maxErrors', 0);
  if (batchSize !== undefined) tuning.batchSize = batchSize;
  if (concurrency !== undefined) tuning.concurrency = concurrency;
  if (parallelCollections !== undefined) tuning.parallelCollections = parallelCollections;
  if (maxErrors !== undefined) tuning.maxErrors = maxErrors;
  const checkpointDir = inputs.getInput('checkpointDir');
  return {
    tuning,
    allowedRejects: inputs.getIntInput('allowedRejects', 0) ?? 0,
    resume: { ...(inputs.getBoolInput('resume') ? { resume: true as const } : {}), ...(checkpointDir ? { checkpointDir: resolve(checkpointDir) } : {}) },
  };
}
