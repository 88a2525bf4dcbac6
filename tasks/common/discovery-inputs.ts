/** The discovery inputs of export, migrate and verify (src/engine/discovery.ts): all and strict. */
import { discoveryFrom } from '../../src/options/values.js';
import type { OperationContext } from './context.js';

/** Inputs all and strict, as the engine takes them (only those set). */
export function discoveryInputs(ctx: OperationContext): { all?: true; strict?: true } {
  return discoveryFrom({ all: ctx.inputs.getBoolInput('all'), strict: ctx.inputs.getBoolInput('strict') });
}
