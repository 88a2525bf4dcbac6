/**
 * Which RU/s budget a collection's requests steer by: the rule the RU controllers of a run follow
 * (ru-budget.ts) and that `docferry plan` estimates durations by. SDK-free, so the Cosmos DB
 * descriptor can use it without loading the SDK.
 */
import type { CollectionScope } from '../../core/layout.js';
import type { ProvisionedRu } from '../types.js';
import type { CosmosRuOptions } from './ru-budget.js';

export interface RuOptionNames {
  maxRu: string;
  ruShare: string;
}

/** The options' names for messages: the front door's, else export's and import's flags. */
export function ruOptionNames(options: Pick<CosmosRuOptions, 'names'>): RuOptionNames {
  return options.names ?? { maxRu: '--max-ru', ruShare: '--ru-share' };
}

export interface RuBudgetChoice {
  /** Collections with the same key share one budget: `*` (the whole run), a database, or `db/container`. */
  key: string;
  /** RU/s; undefined: no budget is known, the run is steered by 429s alone. */
  budget?: number;
  /** Where the budget comes from. */
  from: '--max-ru' | '--ru-share' | 'provisioned' | 'none';
}

/**
 * `--max-ru` alone: one budget for the whole run. `--ru-share`: that share of the container's
 * provisioned RU/s (its database's when shared), at most `--max-ru`. Neither: the provisioned
 * RU/s when known, else none. A `problem` is what stops a run before it writes.
 */
export function ruBudgetChoice(options: CosmosRuOptions, provisioned: ProvisionedRu | undefined, scope: CollectionScope): RuBudgetChoice | { problem: string } {
  const { maxRu, ruShare } = options;
  const own = `${scope.database}/${scope.collection}`;
  if (ruShare === undefined && maxRu !== undefined) return { key: '*', budget: maxRu, from: '--max-ru' };
  const key = provisioned?.level === 'database' ? scope.database : own;
  if (ruShare === undefined) return provisioned ? { key, budget: provisioned.ru, from: 'provisioned' } : { key: own, from: 'none' };
  if (!provisioned) {
    const names = ruOptionNames(options);
    return { problem: `${names.ruShare}: ${scope.database}.${scope.collection} has no provisioned throughput (a serverless account). Pass ${names.maxRu} <RU/s> instead.` };
  }
  const share = Math.max(1, Math.floor(provisioned.ru * ruShare));
  return { key, budget: maxRu !== undefined ? Math.min(maxRu, share) : share, from: '--ru-share' };
}
