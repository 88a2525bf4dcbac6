import { UsageError } from '../../../src/core/errors.js';
import type { LayoutRef } from '../../../src/engine/export.js';
import type { DatabaseSpec } from '../../../src/stores/factory.js';
import type { OperationContext, OperationResult } from '../context.js';

export type VerifySide = DatabaseSpec | { type: 'dir'; path: string };

/** `verify: true` on import/migrate: compare what was written with where it came from. */
export async function verifyAfter(
  ctx: OperationContext,
  _result: OperationResult,
  _left: VerifySide,
  _right: VerifySide,
  _layout: LayoutRef,
  _collections: string[] | undefined,
): Promise<void> {
  throw new UsageError(`Input "${ctx.inputs.label('verify')}" needs the verify engine, which this build does not have yet.`);
}
