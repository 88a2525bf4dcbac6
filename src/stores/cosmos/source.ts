import type { CollectionSchema } from '../../core/layout.js';
import { readCosmosSchema } from './schema.js';
import type { CosmosClient, FeedOptions, FeedRange } from '@azure/cosmos';
import { stripSystemProperties, type Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import { redactUri } from '../../core/secrets.js';
import type { Shard } from '../../core/shard.js';
import type { ListedCollection, ProvisionedRu, ShardPlanPart, SinkStats, SourceItem, SourceStore } from '../types.js';
import { coversAll, feedRangePlan, isFeedRangePlan, matchRanges, rangesOf } from './feed-ranges.js';
import { createCosmosClient, describeCosmosError, type CosmosConnection, type CosmosErrorContext } from './connection.js';
import { statusOf } from './status.js';
import type { RuController } from '../../core/ru-controller.js';
import { RuBudgets, readProvisionedThroughput, requestOptionsFor, type CosmosRuOptions } from './ru-budget.js';
import { ruOptionNames } from './ru-budget-rule.js';
import { UsageError } from '../../core/errors.js';
import { describeFilters } from '../../core/filter.js';
import { cosmosCondition, cosmosQueryText, type CosmosCondition } from './filter.js';

export interface CosmosSourceOptions {
  /** Documents per page of the query; bounds memory with the SDK's prefetch. */
  pageSize?: number;
  /** Partition ranges read at once (default: every range, at most 8). */
  maxParallelRanges?: number;
  /** RU budget and request priority. */
  ru?: CosmosRuOptions;
}

/** Documents per page when no document size is known (the change feed). */
const DEFAULT_PAGE_SIZE = 1000;
/**
 * Bytes per page to aim for: the service's own cap (about 4 MB), so that a read takes as few
 * pages (round trips, and on cosmosdb-server whole-container evaluations) as the service allows.
 */
const PAGE_BYTES = 4 * 1024 * 1024;
/**
 * Memory: the pages of the ranges read at once (the SDK buffers one ahead per range) share this;
 * 1,000 summaries of 17 KB held as text and objects at once cost some 70 MB.
 */
const READ_BYTES = 8 * 1024 * 1024;
/** Tiny documents: a page's objects cost more than its bytes say, so a page has at most this many. */
const MAX_PAGE_ITEMS = 20_000;
/**
 * Documents of the first page, which sizes the pages after it (no separate sample request): small
 * enough to be cheap whatever the documents, large enough for a fair average; a container that
 * small is read in one request.
 */
export const FIRST_PAGE_ITEMS = 100;
const DEFAULT_PARALLEL_RANGES = 8;

/** The condition of a scope's filters (none: every document); a filter that cannot be taken is a usage error. */
function conditionOf(scope: CollectionScope): CosmosCondition | undefined {
  if (!scope.filters || scope.filters.length === 0) return undefined;
  const c = cosmosCondition(`${scope.database}.${scope.collection}`, scope.filters);
  if (typeof c === 'string') throw new UsageError(c);
  return c;
}

/**
 * Reads every item of a container with a cross-partition `SELECT * FROM c` (with the scope's
 * filter as its WHERE clause: docs/filters.md), page by page. The
 * container's feed ranges (physical partitions) are read in parallel by the SDK's parallel query
 * (this SDK version cannot scope a query to one feed range), and every page is admitted by the
 * RU controller so an export from a live database stays within its budget.
 */
export class CosmosSource implements SourceStore {
  readonly kind = 'cosmos' as const;
  private readonly client: CosmosClient;
  private readonly budgets: RuBudgets;
  private readonly spent = new Map<string, { requestCharge: number; throttled: number; requests: number; controller: RuController }>();

  constructor(
    private readonly conn: CosmosConnection,
    private readonly options: CosmosSourceOptions = {},
  ) {
    this.client = createCosmosClient(conn);
    // Reads are charged per page, not per byte sent: the first page's charge is learnt, not guessed.
    this.budgets = new RuBudgets(this.client, conn.endpoint, options.ru, { initialConcurrency: 1, maxConcurrency: 1 });
  }

  /** For error advice: a source reads (export, verify, migrate), signed with a key or an Entra ID token. */
  private get errorContext(): CosmosErrorContext {
    return { auth: this.conn.key ? 'key' : 'rbac', access: 'read' };
  }

  describe(): string {
    return redactUri(this.conn.endpoint);
  }

  schema(scope: CollectionScope): Promise<CollectionSchema | undefined> {
    return readCosmosSchema(this.container(scope));
  }

  private container(scope: CollectionScope) {
    return this.client.database(scope.database).container(scope.collection);
  }

  /**
   * The container's document count: the service's own figure (`documentsCount` of the usage
   * header of a container read, a metadata request that reads no documents) when it sends one and
   * no filter applies; else a `COUNT(1)` query (cosmosdb-server sends no usage header, and a filter
   * needs the query), which the service answers by reading the index or, locally, the container.
   */
  async count(scope: CollectionScope): Promise<number | undefined> {
    const condition = conditionOf(scope);
    try {
      if (!condition) {
        const counted = documentsCountOf(await this.usageHeader(scope));
        if (counted !== undefined) return counted;
      }
      const { resources } = await this.container(scope).items.query<number>(cosmosQueryText('VALUE COUNT(1)', condition), requestOptionsFor(this.options.ru ?? {}) as FeedOptions).fetchAll();
      return resources.reduce((a, b) => a + b, 0);
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `counting ${scope.database}.${scope.collection}`, this.errorContext);
    }
  }

  /**
   * Runs the scope's filter once (for at most one document), so that one the service refuses
   * (bad SQL, an unknown function) fails the run before anything is written, naming its origin.
   */
  async checkFilter(scope: CollectionScope): Promise<void> {
    const condition = conditionOf(scope);
    if (!condition) return;
    const name = `${scope.database}.${scope.collection}`;
    try {
      await this.container(scope).items.query<Doc>(cosmosQueryText('TOP 1 *', condition), { ...(requestOptionsFor(this.options.ru ?? {}) as FeedOptions), maxItemCount: 1 }).fetchNext();
    } catch (err) {
      if (statusOf(err) === 400) {
        throw new UsageError(`Cosmos DB refuses the filter of ${name}: ${describeFilters(scope.filters!)}: ${firstLine(err)}. Nothing was written. Fix the query (a WHERE clause on the alias c, or SELECT * FROM c WHERE ...).`);
      }
      // A missing container or an unreachable account: the read says so, as it would without a filter.
      if (statusOf(err) === 404) return;
      throw describeCosmosError(err, this.conn.endpoint, `checking the filter of ${name}`, this.errorContext);
    }
  }

  async list(): Promise<ListedCollection[]> {
    try {
      const found: ListedCollection[] = [];
      const { resources: databases } = await this.client.databases.readAll().fetchAll();
      for (const db of databases) {
        const { resources: containers } = await this.client.database(db.id).containers.readAll().fetchAll();
        for (const c of containers) found.push({ database: db.id, collection: c.id });
      }
      return found;
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, 'listing databases and containers', this.errorContext);
    }
  }

  async *read(scope: CollectionScope): AsyncGenerator<SourceItem> {
    const name = `${scope.database}.${scope.collection}`;
    const controller = await this.budgets.controllerFor(scope);
    const spent = { requestCharge: 0, throttled: 0, requests: 0, controller };
    this.spent.set(`${scope.database}/${scope.collection}`, spent);
    const container = this.container(scope);
    let ranges = 1;
    try {
      ranges = (await container.getFeedRanges()).length;
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `reading the partition ranges of ${name}`, this.errorContext);
    }
    const parallel = Math.max(1, Math.min(ranges, this.options.maxParallelRanges ?? DEFAULT_PARALLEL_RANGES));
    const text = cosmosQueryText('*', conditionOf(scope));
    const pages = (maxItemCount: number, continuationToken?: string, ahead = true) =>
      container.items.query<Doc>(text, {
        ...(requestOptionsFor(this.options.ru ?? {}) as FeedOptions),
        maxItemCount,
        maxDegreeOfParallelism: parallel,
        // One page ahead per range keeps every range busy while the engine writes the previous
        // one; with one range too (a small container, cosmosdb-server), the next page's round
        // trip overlaps the writing of this one. The pages are sized for it (READ_BYTES).
        bufferItems: ahead,
        ...(continuationToken ? { continuationToken } : {}),
      });
    // `--page-size`: every page that size. Otherwise a first page of FIRST_PAGE_ITEMS sizes the
    // rest (about 4 MB of its average document), read on from its continuation token by a query
    // with the larger page: the SDK fixes a query's page size when it starts. No page is read
    // ahead of the first, which the second query would not use.
    let sizing = this.options.pageSize === undefined;
    let query = sizing ? pages(this.pageSizeFor(controller, undefined, parallel, FIRST_PAGE_ITEMS), undefined, false) : pages(this.pageSizeFor(controller, undefined, parallel));
    // Read again from the start (no continuation token to go on from): the first page's items, skipped once.
    let skip: Set<string> | undefined;
    let lastCharge = 0;
    while (query.hasMoreResults()) {
      const permit = await controller.acquire(lastCharge);
      let page;
      try {
        page = await query.fetchNext();
      } catch (err) {
        controller.complete(permit, { charge: 0, throttled: statusOf(err) === 429 });
        throw describeCosmosError(err, this.conn.endpoint, `reading ${name}`, this.errorContext);
      }
      // The SDK retries throttled reads itself; its diagnostics say how often.
      const retries = (page.diagnostics?.clientSideRequestStatistics?.retryDiagnostics?.failedAttempts ?? []).filter((a) => a.statusCode === 429).length;
      lastCharge = page.requestCharge ?? 0;
      controller.complete(permit, { charge: lastCharge, throttled: retries > 0 });
      spent.requestCharge += lastCharge;
      spent.throttled += retries;
      spent.requests++;
      let items = page.resources;
      if (skip) {
        const seen = skip;
        items = items.filter((item) => !seen.delete(itemKey(item)));
        if (seen.size === 0) skip = undefined;
      }
      // An empty first page (the service may send one) sizes nothing: the next one does.
      if (sizing && items.length > 0) {
        sizing = false;
        if (query.hasMoreResults()) {
          const size = this.pageSizeFor(controller, averageBytes(items), parallel);
          const token = page.continuationToken;
          if (token) query = pages(size, token);
          else {
            // The SDK keeps no token of a query it runs range by range itself: start again with
            // the larger page, in the same order, and skip what was read.
            query = pages(size);
            skip = new Set(items.map(itemKey));
          }
        }
      }
      for (const item of items) yield { doc: stripSystemProperties(item) };
    }
  }

  /** Sharding (docs/sharding.md): the container's feed ranges, in key order; shards take whole ranges. */
  async shardPlan(scope: CollectionScope): Promise<ShardPlanPart> {
    const name = `${scope.database}.${scope.collection}`;
    let ranges: readonly FeedRange[];
    try {
      ranges = await this.container(scope).getFeedRanges();
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `reading the partition ranges of ${name}`, this.errorContext);
    }
    return { ...feedRangePlan(ranges, name) };
  }

  /**
   * A shard's feed ranges: all of them read by the ordinary query (one range, or a single shard);
   * a part of them each read from the beginning of its change feed, which holds the latest version
   * of every item once (this SDK version cannot scope a query to a feed range).
   */
  async *readShard(scope: CollectionScope, plan: ShardPlanPart, shard: Shard): AsyncGenerator<SourceItem> {
    const name = `${scope.database}.${scope.collection}`;
    if (!isFeedRangePlan(plan)) throw new Error(`The shard plan of ${name} is a "${plan.kind}" plan, not a Cosmos DB feed-range plan: it was made for another source.`);
    const mine = rangesOf(plan, shard);
    if (mine.length === 0) return;
    if (coversAll(plan, mine)) {
      yield* this.read(scope);
      return;
    }
    const container = this.container(scope);
    let live: readonly FeedRange[];
    try {
      live = await container.getFeedRanges();
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `reading the partition ranges of ${name}`, this.errorContext);
    }
    const controller = await this.budgets.controllerFor(scope);
    const spent = { requestCharge: 0, throttled: 0, requests: 0, controller };
    this.spent.set(`${scope.database}/${scope.collection}`, spent);
    const { ChangeFeedStartFrom } = await import('@azure/cosmos');
    for (const range of matchRanges(live, mine, name)) {
      const feed = container.items.getChangeFeedIterator<Doc>({
        changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
        maxItemCount: this.pageSizeFor(controller, undefined, 1),
        ...(requestOptionsFor(this.options.ru ?? {}) as object),
      });
      let lastCharge = 0;
      for (;;) {
        const permit = await controller.acquire(lastCharge);
        let page;
        try {
          page = await feed.readNext();
        } catch (err) {
          controller.complete(permit, { charge: 0, throttled: statusOf(err) === 429 });
          throw describeCosmosError(err, this.conn.endpoint, `reading ${name} (feed range ["${range.minInclusive}", "${range.maxExclusive}"))`, this.errorContext);
        }
        lastCharge = page.requestCharge ?? 0;
        controller.complete(permit, { charge: lastCharge });
        spent.requestCharge += lastCharge;
        spent.requests++;
        // 304: nothing after the last page; the range is read.
        if (page.statusCode === 304 || page.result.length === 0) break;
        for (const item of page.result) yield { doc: withoutFeedPosition(stripSystemProperties(item)) };
      }
    }
  }

  /**
   * Pages of about PAGE_BYTES of the first page's average document (fewer per range when many ranges
   * are read at once, READ_BYTES in all), or `--page-size` documents when given. A page is one
   * request and cannot be paced once sent: under a budget, pages are kept to about a quarter
   * second of it (at some 2 RU per document, 1 RU per KB of a typical item).
   */
  private pageSizeFor(controller: RuController, avgBytes: number | undefined, parallel: number, unsized = DEFAULT_PAGE_SIZE): number {
    const size = this.options.pageSize ?? (avgBytes ? pageItemsFor(avgBytes, parallel) : unsized);
    if (controller.budget === undefined) return size;
    return Math.min(size, Math.max(10, Math.floor((controller.budget * 0.25) / 2)));
  }

  /**
   * `documentsSize` of the container's usage header (kilobytes), which the service sends when
   * asked for quota information; undefined when the endpoint sends none (cosmosdb-server).
   */
  async size(scope: CollectionScope): Promise<number | undefined> {
    try {
      return documentsBytesOf(await this.usageHeader(scope));
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `reading the usage of ${scope.database}.${scope.collection}`, this.errorContext);
    }
  }

  /** The container's `x-ms-resource-usage` header: a metadata read, which reads no documents. */
  private async usageHeader(scope: CollectionScope): Promise<unknown> {
    const { headers } = await this.container(scope).read({ populateQuotaInfo: true });
    return (headers as Record<string, unknown>)['x-ms-resource-usage'];
  }

  /** The first `n` items the service returns: one bounded query, never the whole container. */
  async *sample(scope: CollectionScope, n: number): AsyncGenerator<SourceItem> {
    const top = Math.max(1, Math.floor(n));
    const query = this.container(scope).items.query<Doc>(`SELECT TOP ${top} * FROM c`, { ...(requestOptionsFor(this.options.ru ?? {}) as FeedOptions), maxItemCount: Math.min(top, 1000) });
    let yielded = 0;
    try {
      while (yielded < top && query.hasMoreResults()) {
        const page = await query.fetchNext();
        for (const item of page.resources) {
          if (yielded++ >= top) return;
          yield { doc: stripSystemProperties(item) };
        }
      }
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `sampling ${scope.database}.${scope.collection}`, this.errorContext);
    }
  }

  throughput(scope: CollectionScope): Promise<ProvisionedRu | undefined> {
    return readProvisionedThroughput(this.container(scope), this.conn.endpoint, ruOptionNames(this.options.ru ?? {}));
  }

  stats(scope: CollectionScope): SinkStats | undefined {
    const s = this.spent.get(`${scope.database}/${scope.collection}`);
    if (!s) return undefined;
    const ru = s.controller.snapshot();
    return { requestCharge: s.requestCharge, throttled: s.throttled, requests: s.requests, ruPerSecond: Math.round(ru.ruPerSecond), concurrency: ru.concurrency, ...(ru.budget !== undefined ? { ruBudget: ru.budget } : {}) };
  }

  async close(): Promise<void> {
    this.budgets.close();
    this.client.dispose();
  }
}

/** Documents per page for pages of about 4 MB, READ_BYTES shared by `parallel` ranges, at least 10. */
export function pageItemsFor(avgBytes: number, parallel: number): number {
  const bytes = Math.min(PAGE_BYTES, READ_BYTES / Math.max(1, parallel));
  return Math.max(10, Math.min(MAX_PAGE_ITEMS, Math.floor(bytes / Math.max(1, avgBytes))));
}

/** The average size of items as the service counts them (JSON text, system properties included). */
function averageBytes(items: readonly Doc[]): number {
  return items.reduce((sum, d) => sum + JSON.stringify(d).length, 0) / items.length;
}

/** An item's identity within a read: its resource id, which every item the service returns has. */
function itemKey(item: Doc): string {
  return typeof item._rid === 'string' ? item._rid : JSON.stringify(item);
}

/** `documentsSize=12;documentsCount=3;...` -> the container's document count; undefined without it. */
export function documentsCountOf(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /(?:^|;)\s*documentsCount=(\d+)(?:;|$)/i.exec(header);
  return match ? Number(match[1]) : undefined;
}

/** `documentsSize=12;documentsCount=3;...` (sizes in kilobytes) -> bytes of the documents; undefined without it. */
export function documentsBytesOf(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /(?:^|;)\s*documentsSize=(\d+(?:\.\d+)?)/i.exec(header);
  return match ? Math.round(Number(match[1]) * 1024) : undefined;
}

/** The service's message without its diagnostics (the SDK appends JSON after the first line). */
function firstLine(err: unknown): string {
  const body = (err as { body?: { message?: unknown } }).body?.message;
  const text = typeof body === 'string' ? body : err instanceof Error ? err.message : String(err);
  return text.split(/\r?\n/)[0]!.replace(/^Message: /, '').slice(0, 400);
}

/** The change feed adds `_lsn` (the item's position in the feed) to every item: a system property too. */
function withoutFeedPosition(doc: Doc): Doc {
  if (!('_lsn' in doc)) return doc;
  const { _lsn: _position, ...rest } = doc;
  void _position;
  return rest;
}
