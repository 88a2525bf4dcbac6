/** The connectTimeout input, apart from the store inputs: archive reads it without reading a layout. */
import { UsageError } from '../../src/core/errors.js';
import { OptionValueError, duration } from '../../src/options/parsers.js';
import type { OperationContext } from './context.js';

/** Input connectTimeout (`30s`, `2m`; the engine's default 30 s when empty), in milliseconds. */
export function connectTimeoutInput(ctx: OperationContext): { connectTimeoutMs?: number } {
  const v = ctx.inputs.getInput('connectTimeout');
  if (v === undefined || v.trim() === '') return {};
  try {
    return { connectTimeoutMs: duration(v) };
  } catch (err) {
    if (err instanceof OptionValueError) throw new UsageError(`Input "${ctx.inputs.label('connectTimeout')}" ${err.takes}, not "${v}".`);
    throw err;
  }
}

/** A duration input's value (`30s`, `2m`, `2h`; read by the caller under its literal name) in milliseconds; undefined when empty. */
export function durationInput(ctx: OperationContext, name: string, v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  try {
    return duration(v);
  } catch (err) {
    if (err instanceof OptionValueError) throw new UsageError(`Input "${ctx.inputs.label(name)}" ${err.takes}, not "${v}".`);
    throw err;
  }
}
