import { join, resolve } from 'node:path';
import { defaultExportDirName } from '../../../src/core/manifest.js';
import type { OperationContext } from '../context.js';
import { warnIfPublished } from '../published-dir.js';

/** `docferry-verify-20260212T170000.ndjson`, stamped like the export directories. */
export function defaultReportName(now: Date = new Date()): string {
  return `${defaultExportDirName(now).replace(/^data-export-/, 'docferry-verify-')}.ndjson`;
}

/** Where a verification report goes: the author's reportFile, else beside the default exports. */
export function reportPath(ctx: OperationContext, given: string | undefined): string {
  warnIfPublished(ctx, 'reportFile', given);
  return resolve(given ?? join(ctx.defaultExportParent, defaultReportName()));
}
