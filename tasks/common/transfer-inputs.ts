import type { TuningOptions } from '../../src/engine/run.js';
import type { OperationContext } from './context.js';

/** Tuning and the reject budget of a transfer (export, import, migrate). */
export function transferInputs(ctx: OperationContext): { tuning: TuningOptions; allowedRejects: number } {
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
  return { tuning, allowedRejects: inputs.getIntInput('allowedRejects', 0) ?? 0 };
}
