import { resolve } from 'node:path';
import { tuningFrom, type OptionValues } from '../../src/options/values.js';
import type { TuningOptions } from '../../src/engine/run.js';
import type { OperationContext } from './context.js';

export interface TransferInputs {
  tuning: TuningOptions;
  allowedRejects: number;
  /** `resume` / `checkpointDir` as the engine takes them. */
  resume: { resume?: true; checkpointDir?: string };
}

/** Tuning (the values read for the catalogue group 'tuning'), the reject budget and resuming of a transfer. */
export function transferInputs(ctx: OperationContext, tuning: OptionValues): TransferInputs {
  const checkpointDir = ctx.inputs.getInput('checkpointDir');
  return {
    tuning: tuningFrom(tuning),
    allowedRejects: (tuning.allowedRejects as number | undefined) ?? 0,
    resume: { ...(ctx.inputs.getBoolInput('resume') ? { resume: true as const } : {}), ...(checkpointDir ? { checkpointDir: resolve(checkpointDir) } : {}) },
  };
}
