import { join, resolve } from 'node:path';
import { defaultExportDirName } from '../../../src/core/manifest.js';
import type { LayoutRef } from '../../../src/engine/export.js';
import { runVerify, type VerifyEndpoint } from '../../../src/engine/verify.js';
import type { OperationContext, OperationResult } from '../context.js';

/** `docferry-verify-20260212T170000.ndjson`, stamped like the export directories. */
export function defaultReportName(now: Date = new Date()): string {
  return `${defaultExportDirName(now).replace(/^data-export-/, 'docferry-verify-')}.ndjson`;
}

/** Where a verification report goes: the author's reportFile, else beside the default exports. */
export function reportPath(ctx: OperationContext, given: string | undefined): string {
  return resolve(given ?? join(ctx.defaultExportParent, defaultReportName()));
}

/**
 * `verify: true` on import/migrate: compare where the documents came from with where they went,
 * document by document. Differences fail the step (judge), the report path is an output.
 */
export async function verifyAfter(
  ctx: OperationContext,
  result: OperationResult,
  left: VerifyEndpoint,
  right: VerifyEndpoint,
  scope: { layout: LayoutRef; collections?: string[]; allowPartial?: boolean },
  reportFile: string,
): Promise<void> {
  ctx.log.info('Verifying: comparing every document of the source with the target');
  result.verify = await runVerify({
    left,
    right,
    layout: scope.layout,
    reportFile,
    events: ctx.events,
    ...(scope.collections ? { collections: scope.collections } : {}),
    ...(scope.allowPartial ? { allowPartial: true } : {}),
  });
  result.outputs.reportFile = reportFile;
}
