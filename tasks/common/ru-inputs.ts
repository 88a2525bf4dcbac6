import { UsageError } from '../../src/core/errors.js';
import type { CosmosRuOptions } from '../../src/stores/cosmos/ru-budget.js';
import type { OperationContext } from './context.js';

const PRIORITIES = ['low', 'high'] as const;

/** The Cosmos DB request-unit budget of a run (CLI --max-ru, --ru-share, --priority). */
export function ruInputs(ctx: OperationContext): CosmosRuOptions | undefined {
  const { inputs } = ctx;
  const ru: CosmosRuOptions = {};
  const maxRu = inputs.getIntInput('maxRu', 1);
  if (maxRu !== undefined) ru.maxRu = maxRu;
  const share = inputs.getInput('ruShare');
  if (share !== undefined) {
    const n = share.endsWith('%') ? Number(share.slice(0, -1)) / 100 : Number(share);
    if (!Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`Input "${inputs.label('ruShare')}" takes a share between 0 and 1, such as 0.5 or 50%, not "${share}".`);
    ru.ruShare = n;
  }
  const priority = inputs.getChoiceInput('priority', PRIORITIES);
  if (priority) ru.priority = priority;
  return Object.keys(ru).length > 0 ? ru : undefined;
}
