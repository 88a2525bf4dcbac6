import type { CollectionFilter } from '../../src/core/filter.js';
import { filterFrom } from '../../src/options/values.js';
import type { OperationContext } from './context.js';

/** The document filter (`query`, or `queryFile`: docs/filters.md) as the engine takes it; messages name the inputs. */
export function filterInputs(ctx: OperationContext): { query?: CollectionFilter } {
  const query = ctx.inputs.getInput('query');
  const queryFile = ctx.inputs.getInput('queryFile');
  return filterFrom({ ...(query !== undefined ? { query } : {}), ...(queryFile !== undefined ? { queryFile } : {}) });
}
