/** The connectTimeout input, apart from the store inputs: archive reads it without reading a layout. */
import { UsageError } from '../../src/core/errors.js';
import { duration } from '../../src/cli/options.js';
import type { OperationContext } from './context.js';

/** Input connectTimeout (`30s`, `2m`; the engine's default 30 s when empty), in milliseconds. */
export function connectTimeoutInput(ctx: OperationContext): { connectTimeoutMs?: number } {
  const v = ctx.inputs.getInput('connectTimeout');
  if (v === undefined || v.trim() === '') return {};
  try {
    return { connectTimeoutMs: duration(`Input "${ctx.inputs.label('connectTimeout')}"`)(v) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
