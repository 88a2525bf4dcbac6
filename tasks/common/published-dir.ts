/**
 * Exports, rejects and reports hold personal data. A pipeline's generic publish steps upload the
 * whole artifact staging directory, so the tasks default to the agent's temp directory (emptied
 * after every job) and warn when the author points a path inside the staging directory: a
 * warning, so the step ends SucceededWithIssues and someone looks.
 */
import { relative, resolve, isAbsolute } from 'node:path';
import type { OperationContext } from './context.js';

function inside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Warns when `path` (the value of input `input`) lies in the directory the pipeline publishes. */
export function warnIfPublished(ctx: OperationContext, input: string, path: string | undefined): void {
  const published = ctx.publishedDir;
  if (!published || path === undefined || !inside(published.path, path)) return;
  ctx.log.warning(
    `Input "${ctx.inputs.label(input)}" (${resolve(path)}) is inside ${published.name} (${published.path}), which publish steps upload as an artifact: ` +
      'the documents in it are personal data. Choose a directory outside it, or publish it on purpose to a restricted artifact.',
  );
}
