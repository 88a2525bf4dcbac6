import type { Container, CosmosClient, OfferDefinition, RequestOptions } from '@azure/cosmos';
import { UsageError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import { RuController, type RuControllerOptions } from '../../core/ru-controller.js';
import type { BudgetShare } from '../../core/shard-budget.js';
import { describeCosmosError } from './connection.js';
import type { ProvisionedRu } from '../types.js';
import { ruBudgetChoice, ruOptionNames, type RuOptionNames } from './ru-budget-rule.js';
import { statusOf } from './status.js';

/** How much of a Cosmos DB account a run may use, and how politely. */
export interface CosmosRuOptions {
  /** RU/s for everything this store sends, all collections together (`--max-ru`). */
  maxRu?: number;
  /**
   * Share, in (0, 1], of each container's provisioned throughput, or of its database's when the
   * throughput is shared (`--ru-share`). With `maxRu` too, each container gets the smaller of both.
   */
  ruShare?: number;
  /** Priority-based execution: `low` requests are throttled first when the account is busy (`--priority`). */
  priority?: 'low' | 'high';
  /**
   * This shard's part of `maxRu`/`ruShare`, when N shards share one budget through a record
   * (`--shard-budget`): it moves while the run goes, and every controller follows it.
   */
  share?: BudgetShare;
  /**
   * How the user gave `maxRu` and `ruShare` (`--to-ru-share` in a migrate, `input "ruShare"` in a
   * task), so that a message names the option they typed.
   */
  names?: RuOptionNames;
}


/** The controller's least budget: a shard whose share is 0 for a moment waits at a trickle. */
const MIN_SHARED_BUDGET = 1;

/** RU/s of a container or its database (the same shape sources report for a plan). */
export type ProvisionedThroughput = ProvisionedRu;

function throughputOf(offer: OfferDefinition | undefined): { ru: number; autoscale: boolean } | undefined {
  if (!offer?.content) return undefined;
  const autoscaleMax = (offer.content as { offerAutopilotSettings?: { maxThroughput?: number } }).offerAutopilotSettings?.maxThroughput;
  if (typeof autoscaleMax === 'number' && autoscaleMax > 0) return { ru: autoscaleMax, autoscale: true };
  const manual = offer.content.offerThroughput;
  return typeof manual === 'number' && manual > 0 ? { ru: manual, autoscale: false } : undefined;
}

/**
 * The container's provisioned RU/s, or its database's when the throughput is shared; undefined
 * on a serverless account. Reading offers needs an account key: a data-plane RBAC token cannot.
 */
export async function readProvisionedThroughput(container: Container, endpoint: string, names: RuOptionNames = ruOptionNames({})): Promise<ProvisionedThroughput | undefined> {
  const name = `${container.database.id}.${container.id}`;
  try {
    const own = throughputOf((await container.readOffer()).resource);
    if (own) return { ...own, level: 'container' };
    const shared = throughputOf((await container.database.readOffer()).resource);
    if (shared) return { ...shared, level: 'database' };
    return undefined;
  } catch (err) {
    const code = statusOf(err);
    const why =
      code === 401 || code === 403
        ? 'the credential may not read throughput settings (a data-plane RBAC token cannot; an account key can)'
        : code === 404 || code === 400
          ? 'the endpoint does not serve throughput offers (an emulator such as cosmosdb-server has none)'
          : describeCosmosError(err, endpoint, `reading the throughput of ${name}`).message;
    throw new UsageError(`${names.ruShare} needs the provisioned throughput of ${name}, which could not be read (HTTP ${code ?? 'error'}): ${why}. Pass ${names.maxRu} <RU/s> instead.`);
  }
}

/** Request options every data request of the run carries. */
export function requestOptionsFor(options: CosmosRuOptions): RequestOptions {
  return options.priority ? { priorityLevel: options.priority === 'low' ? 'Low' : 'High' } as RequestOptions : {};
}

/**
 * Hands out the RU controller each collection steers by: one for the whole store under
 * `--max-ru` alone (the budget is the run's), one per container (or per shared-throughput
 * database) under `--ru-share`, and without either one per container at its provisioned
 * throughput when that can be read, or steered by 429s alone when it cannot.
 */
export class RuBudgets {
  private readonly controllers = new Map<string, RuController>();
  private readonly provisioned = new Map<string, Promise<ProvisionedThroughput | undefined>>();
  /** The whole budget of each controller, before this shard's share of it. */
  private readonly whole = new Map<string, number>();
  private readonly unwatch: (() => void) | undefined;

  constructor(
    private readonly client: CosmosClient,
    private readonly endpoint: string,
    readonly options: CosmosRuOptions = {},
    private readonly tuning: Omit<RuControllerOptions, 'budget'> = {},
  ) {
    const names = ruOptionNames(options);
    if (options.maxRu !== undefined && !(options.maxRu > 0)) throw new UsageError(`${names.maxRu} takes a positive number of RU/s, not ${options.maxRu}.`);
    if (options.ruShare !== undefined && !(options.ruShare > 0 && options.ruShare <= 1)) {
      throw new UsageError(`${names.ruShare} takes a share between 0 and 1 (or a percentage up to 100%), not ${options.ruShare}.`);
    }
    this.unwatch = options.share?.onChange((share) => {
      for (const [key, controller] of this.controllers) {
        const whole = this.whole.get(key);
        if (whole !== undefined) controller.setBudget(sharedBudget(whole, share));
      }
    });
  }

  /** Stops following the shared budget (the store is closed). */
  close(): void {
    this.unwatch?.();
  }

  /** Reads what `--ru-share` needs before anything is written, so a missing offer fails the run up front. */
  async prepare(scopes: CollectionScope[]): Promise<void> {
    if (this.options.ruShare === undefined) return;
    for (const scope of scopes) await this.throughputOf(scope);
  }

  async controllerFor(scope: CollectionScope): Promise<RuController> {
    const { key, budget } = await this.budgetFor(scope);
    let controller = this.controllers.get(key);
    if (!controller) {
      const share = this.options.share;
      if (budget !== undefined && share) this.whole.set(key, budget);
      const mine = budget !== undefined && share ? sharedBudget(budget, share.value) : budget;
      controller = new RuController({ ...this.tuning, ...(mine !== undefined ? { budget: mine } : { ...this.prior() }) });
      this.controllers.set(key, controller);
    }
    return controller;
  }

  /**
   * Without a budget, what the containers before learnt (where the server throttled, RU per KB)
   * starts the next one: in one account they are usually provisioned alike, and a fresh slow
   * start would overshoot into 429s again for every container.
   */
  private prior(): { prior?: { rate: number; ruPerKb: number } } {
    let best: { rate: number; ruPerKb: number } | undefined;
    for (const c of this.controllers.values()) {
      const s = c.snapshot();
      if (s.throttledAt > 0) best = { rate: s.throttledAt, ruPerKb: s.ruPerKb };
    }
    return best ? { prior: best } : {};
  }

  private async budgetFor(scope: CollectionScope): Promise<{ key: string; budget?: number }> {
    const { maxRu, ruShare } = this.options;
    // No budget given: the container's own throughput is the ceiling when it can be read (an
    // account key can), so its first second is not spent probing for the limit with 429s.
    // --ru-share needs it: a throughput that cannot be read fails the run (throughputOf throws).
    const provisioned = ruShare === undefined && maxRu !== undefined ? undefined : ruShare === undefined ? await this.throughputOf(scope).catch(() => undefined) : await this.throughputOf(scope);
    const choice = ruBudgetChoice(this.options, provisioned, scope);
    if ('problem' in choice) throw new UsageError(choice.problem);
    return { key: choice.key, ...(choice.budget !== undefined ? { budget: choice.budget } : {}) };
  }

  private throughputOf(scope: CollectionScope): Promise<ProvisionedThroughput | undefined> {
    const key = `${scope.database}/${scope.collection}`;
    let p = this.provisioned.get(key);
    if (!p) {
      p = readProvisionedThroughput(this.client.database(scope.database).container(scope.collection), this.endpoint, ruOptionNames(this.options));
      this.provisioned.set(key, p);
    }
    return p;
  }
}

function sharedBudget(whole: number, share: number): number {
  return Math.max(MIN_SHARED_BUDGET, whole * share);
}
