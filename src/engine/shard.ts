/**
 * Running one shard of a run split across parallel jobs (docs/sharding.md). The split of every
 * collection is made once, by the source (`SourceStore.shardPlan`), and kept in a plan that
 * every shard reads the same: a plan file when one is given (the first shard to start writes it,
 * atomically, and the others read it), else each shard makes it alike from the same data. The
 * engine never knows how a store splits: it hands the plan back to `readShard`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { DocferryError, InputRefusedError, UsageError, errorMessage } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { countKey, isoSeconds, type ManifestShard } from '../core/manifest.js';
import { formatShard, spreadBounds, type Shard } from '../core/shard.js';
import type { ListedCollection, ShardPlanPart, SinkStats, SourceItem, SourceStore } from '../stores/types.js';
import type { OpenedSource } from '../stores/descriptor.js';
import type { CollectionSchema } from '../core/layout.js';
import type { EventSink } from './events.js';
import { databaseStore, type DatabaseSpec } from '../stores/registry.js';
import { leaseShardBudget } from './shard-budget-lease.js';

export const SHARD_PLAN_FORMAT_VERSION = 1;

/** The plan file: every collection's split into `shards` parts. */
export interface ShardPlan {
  format_version: number;
  shards: number;
  /** The source's address (no credentials): a plan made for another source is refused. */
  source: string;
  created_at: string;
  /** `db.coll` -> its split, as the source made it. */
  collections: Record<string, ShardPlanPart>;
}

export interface ShardOptions {
  shard?: Shard;
  /** Where the plan is kept, for every shard to read the same one. */
  shardPlan?: string;
  /** A budget record the shards share their RU budget through (`--shard-budget`), instead of a fixed 1/N each. */
  shardBudget?: ShardBudgetTarget;
}

/** The shared budget record: a Blob every shard of the run can read and write. */
export interface ShardBudgetTarget {
  /** The record's blob URL (a SAS query is accepted and never printed). */
  url: string;
  /** A storage connection string (local storage such as Azurite); without one, the SAS or Entra ID. */
  connectionString?: string;
  /** How often a shard renews its lease (default 5 s); a lease not renewed for three periods expires. */
  periodMs?: number;
}

export const DEFAULT_SHARD_BUDGET_PERIOD_MS = 5000;


function parsePlan(text: string, file: string): ShardPlan {
  let value: ShardPlan;
  try {
    value = JSON.parse(text) as ShardPlan;
  } catch (err) {
    throw new InputRefusedError(`The shard plan ${file} is not valid JSON (${errorMessage(err)}). Delete it and start every shard again.`);
  }
  if (typeof value !== 'object' || value === null || typeof value.shards !== 'number' || typeof value.collections !== 'object' || value.collections === null) {
    throw new InputRefusedError(`${file} is not a docferry shard plan (no "shards" or "collections"). Pass another --shard-plan path.`);
  }
  if (value.format_version > SHARD_PLAN_FORMAT_VERSION) throw new InputRefusedError(`The shard plan ${file} has format version ${value.format_version}, newer than this docferry understands: upgrade it.`);
  return value;
}

async function readPlanFile(file: string): Promise<ShardPlan | undefined> {
  try {
    return parsePlan(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes the plan unless another shard did first: written whole under a temporary name, then
 * hard-linked to its name, which fails when the name exists. So two shards starting at once
 * agree on one plan, and no shard ever reads half a file.
 */
async function createPlanFile(file: string, plan: ShardPlan): Promise<ShardPlan> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(plan, null, 2)}\n`, { flag: 'wx', flush: true });
  try {
    await link(temp, file);
    return plan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DocferryError(`Cannot write the shard plan ${file}: ${errorMessage(err)}`);
    return (await readPlanFile(file))!;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

function checkPlan(plan: ShardPlan, file: string, shard: Shard, source: string, scopes: readonly CollectionScope[]): void {
  if (plan.shards !== shard.count) {
    throw new UsageError(`The shard plan ${file} splits into ${plan.shards} shards, but this is shard ${formatShard(shard)}: give every shard the same N, or a new --shard-plan path.`);
  }
  if (plan.source !== source) throw new UsageError(`The shard plan ${file} was made for the source ${plan.source}, not ${source}: pass a new --shard-plan path for this source.`);
  const missing = scopes.map((s) => countKey(s.database, s.collection)).filter((k) => !plan.collections[k]);
  if (missing.length > 0) {
    throw new UsageError(
      `The shard plan ${file} has no split for ${missing.join(', ')} (it holds ${Object.keys(plan.collections).join(', ') || 'nothing'}): every shard must move the same collections (--collections, the layout). Pass a new --shard-plan path to split again.`,
    );
  }
}

/** Each collection's split, from the plan file or made now. */
export async function shardPlanFor(source: SourceStore, sourceAddress: string, scopes: readonly CollectionScope[], o: { shard: Shard; shardPlan?: string; events?: EventSink }): Promise<ShardPlan> {
  const plan = await makeOrReadPlan(source, sourceAddress, scopes, o);
  checkWork(plan, scopes, o.shard, o.events);
  return plan;
}

/**
 * A source that splits into whole units (Cosmos DB feed ranges) has work for at most as many
 * shards as the run's collections have units together: refused beyond that, and a shard that
 * gets no unit at all says so.
 */
function checkWork(plan: ShardPlan, scopes: readonly CollectionScope[], shard: Shard, events?: EventSink): void {
  const parts = scopes.map((s) => plan.collections[countKey(s.database, s.collection)]!);
  if (!parts.every((p) => typeof p.units === 'number')) return;
  const total = parts.reduce((n, p) => n + p.units!, 0);
  const unit = typeof parts[0]?.unit === 'string' ? parts[0].unit : 'part';
  const units = (n: number) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (total < shard.count) {
    const each = scopes.map((s, i) => `${countKey(s.database, s.collection)} ${units(parts[i]!.units!)}`).join(', ');
    throw new UsageError(
      `--shard ${formatShard(shard)}: at most ${total} shard${total === 1 ? '' : 's'} can work on this run: its collections have ${units(total)} together (${each}), and a shard reads whole ${unit}s. Run ${total} shard${total === 1 ? '' : 's'} (--shard I/${total}).`,
    );
  }
  const mine = parts.reduce((n, p) => n + (p.assign ?? []).filter((a) => a === shard.index).length, 0);
  if (mine === 0) events?.({ type: 'info', message: `shard ${formatShard(shard)} gets no ${unit} of any collection: it reads nothing.` });
}

/**
 * Spreads the whole units of every collection (in the run's order) over the shards as evenly as
 * they allow, contiguously: shard I reads the units `spreadBounds(total, I)` of that list. Each
 * unit goes to one shard, and N small collections of one unit each go to N shards.
 */
export function assignUnits(parts: readonly ShardPlanPart[], count: number): ShardPlanPart[] {
  if (!parts.every((p) => typeof p.units === 'number')) return [...parts];
  const total = parts.reduce((n, p) => n + p.units!, 0);
  const shardOf = (j: number) => {
    for (let index = 1; index <= count; index++) {
      const [start, end] = spreadBounds(total, { index, count });
      if (j >= start && j < end) return index;
    }
    return count;
  };
  let next = 0;
  return parts.map((p) => ({ ...p, assign: Array.from({ length: p.units! }, () => shardOf(next++)) }));
}

async function makeOrReadPlan(source: SourceStore, sourceAddress: string, scopes: readonly CollectionScope[], o: { shard: Shard; shardPlan?: string }): Promise<ShardPlan> {
  if (!source.shardPlan || !source.readShard) throw new UsageError(`--shard: a ${source.kind} source cannot be split into shards.`);
  if (o.shardPlan) {
    const existing = await readPlanFile(o.shardPlan);
    if (existing) {
      checkPlan(existing, o.shardPlan, o.shard, sourceAddress, scopes);
      return existing;
    }
  }
  const parts: ShardPlanPart[] = [];
  for (const s of scopes) parts.push(await source.shardPlan(s, o.shard.count));
  const collections: Record<string, ShardPlanPart> = {};
  assignUnits(parts, o.shard.count).forEach((part, i) => (collections[countKey(scopes[i]!.database, scopes[i]!.collection)] = part));
  const made: ShardPlan = { format_version: SHARD_PLAN_FORMAT_VERSION, shards: o.shard.count, source: sourceAddress, created_at: isoSeconds(), collections };
  if (!o.shardPlan) return made;
  const kept = await createPlanFile(o.shardPlan, made);
  checkPlan(kept, o.shardPlan, o.shard, sourceAddress, scopes);
  return kept;
}

/** What a shard's manifest keeps of the plan: its own number and the split of the collections it moved. */
export function shardRecord(shard: Shard, plan: ShardPlan, scopes: readonly CollectionScope[]): ManifestShard {
  const parts: Record<string, ShardPlanPart> = {};
  for (const s of scopes) parts[countKey(s.database, s.collection)] = plan.collections[countKey(s.database, s.collection)]!;
  return { index: shard.index, count: shard.count, plan: parts };
}

/** A source that reads only one shard of each collection. */
export class ShardedSource implements SourceStore {
  readonly kind: SourceStore['kind'];

  constructor(
    private readonly inner: SourceStore,
    private readonly shard: Shard,
    private readonly plan: ShardPlan,
  ) {
    this.kind = inner.kind;
    if (inner.exists) this.exists = (scope) => inner.exists!(scope);
    if (inner.schema) this.schema = (scope) => inner.schema!(scope);
    if (inner.list) this.list = () => inner.list!();
    if (inner.stats) this.stats = (scope) => inner.stats!(scope);
  }

  describe(): string {
    return `${this.inner.describe()} (shard ${formatShard(this.shard)})`;
  }

  /** Unknown per shard without reading it; progress shows counts without an ETA. */
  async count(): Promise<number | undefined> {
    return undefined;
  }

  read(scope: CollectionScope): AsyncIterable<SourceItem> {
    const part = this.plan.collections[countKey(scope.database, scope.collection)];
    if (!part) throw new Error(`internal: no shard plan for ${scope.database}.${scope.collection}`);
    return this.inner.readShard!(scope, part, this.shard);
  }

  // The inner source's optional abilities, only where it has them: the engine asks whether they exist.
  readonly exists?: (scope: CollectionScope) => Promise<{ collection: boolean; database: boolean } | undefined>;
  readonly schema?: (scope: CollectionScope) => Promise<CollectionSchema | undefined>;
  readonly list?: () => Promise<ListedCollection[]>;
  readonly stats?: (scope: CollectionScope) => SinkStats | undefined;

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * What a shard adds to its checkpoint's fingerprint: its number and its split, so that a resumed
 * shard continues only its own checkpoint, and only with the split it started with. Empty when
 * unsharded, so that checkpoints written before sharding existed still match.
 */
export function shardFingerprint(shard: ManifestShard | undefined): Record<string, unknown> {
  if (!shard) return {};
  return { shard: `${shard.index}/${shard.count}`, shard_plan: createHash('sha256').update(JSON.stringify(shard.plan)).digest('hex') };
}

/** What a sharded run cannot do, refused before anything is opened. */
export function checkShardOptions(o: ShardOptions & { mode?: string; verify?: boolean }, command: 'export' | 'import' | 'migrate'): void {
  if (o.shardPlan && !o.shard) throw new UsageError('--shard-plan is for a sharded run: pass --shard I/N as well.');
  if (o.shardBudget && !o.shard) throw new UsageError('--shard-budget shares one budget among the shards of a run: pass --shard I/N as well.');
  if (!o.shard) return;
  if (o.mode === 'mirror') {
    throw new UsageError('--mode mirror deletes the target documents the source lacks, and one shard lacks all the others\' documents: run the shards in upsert or merge mode, then one unsharded --mode mirror run if deletes are needed.');
  }
  if (o.verify) {
    const then = command === 'export' ? 'merge the shards (docferry manifest merge), then run docferry verify on the result' : 'run docferry verify once after every shard finished';
    throw new UsageError(`--verify compares everything, and this run moves one shard: ${then}.`);
  }
}

/**
 * A sharded run reads ranges of the whole collection: a Cosmos DB shard that owns only some
 * feed ranges reads them from the change feed, which takes no query, so filters (`--query`, a
 * layout filter) and shards are not combined yet (docs/sharding.md).
 */
export function refuseShardOfFiltered(scopes: readonly CollectionScope[]): void {
  const filtered = scopes.filter((s) => (s.filters?.length ?? 0) > 0).map((s) => `${s.database}.${s.collection}`);
  if (filtered.length > 0) throw new UsageError(`--shard reads whole collections, and ${filtered.slice(0, 5).join(', ')} ${filtered.length === 1 ? 'is' : 'are'} read through a filter (--query or the layout): run the filtered export unsharded.`);
}

/** The source as one shard reads it, and what its manifest or checkpoint records of the split. */
export async function shardedSource(source: SourceStore, sourceAddress: string, scopes: readonly CollectionScope[], o: ShardOptions & { events?: EventSink }): Promise<{ source: SourceStore; record?: ManifestShard }> {
  if (!o.shard) return { source };
  const plan = await shardPlanFor(source, sourceAddress, scopes, { shard: o.shard, ...(o.shardPlan ? { shardPlan: o.shardPlan } : {}), ...(o.events ? { events: o.events } : {}) });
  return { source: new ShardedSource(source, o.shard, plan), record: shardRecord(o.shard, plan, scopes) };
}

/**
 * One request budget across the shards, at its floor: each of N shards takes a fixed 1/N of
 * `--max-ru` and `--ru-share`, so that together they stay within it (a shared budget that a
 * finished shard gives back is `withShardBudget`, with a record: docs/sharding.md).
 */
export function budgetShare<S extends DatabaseSpec>(spec: S, shard: Shard | undefined, events?: EventSink): S {
  if (!shard || shard.count === 1) return spec;
  const store = databaseStore(spec);
  const shared = store.budgetShare?.(spec, 1 / shard.count);
  if (!shared || shared === spec) return spec;
  events?.({ type: 'info', message: `shard ${formatShard(shard)}: takes 1/${shard.count} of the ${store.name} request-unit budget (--max-ru, --ru-share), so that the ${shard.count} shards together stay within it.` });
  return shared;
}

/** The options without a budget record: the side of a migrate whose budget is not the shared one keeps the fixed 1/N. */
export function withoutShardBudget<O extends ShardOptions>(o: O): O {
  const { shardBudget: _, ...rest } = o;
  return rest as O;
}

/** Whether the spec carries a request budget its store can share (`--max-ru`, `--ru-share`). */
export function hasSharableBudget(spec: DatabaseSpec): boolean {
  const store = databaseStore(spec);
  return store.budgetShare !== undefined && store.budgetShare(spec, 1) !== spec;
}

/**
 * Opens the store of `spec` for one shard with its part of the request budget: the fixed 1/N,
 * or, with a shared budget record, a share that grows as other shards finish (docs/sharding.md,
 * "One RU budget"). The lease is given back when the store closes; a process that dies without
 * closing it leaves a lease that expires after three periods.
 */
export async function withShardBudget<S extends DatabaseSpec, T extends { close(): Promise<void> }>(
  spec: S,
  o: ShardOptions & { events?: EventSink },
  create: (spec: S) => Promise<T>,
): Promise<T> {
  if (!o.shard || o.shard.count === 1 || !o.shardBudget || !hasSharableBudget(spec)) return create(budgetShare(spec, o.shard, o.events));
  const store = databaseStore(spec);
  const { openBlobBudgetRecord } = await import('../stores/blob/budget-record.js');
  const record = await openBlobBudgetRecord({ url: o.shardBudget.url, ...(o.shardBudget.connectionString ? { connectionString: o.shardBudget.connectionString } : {}) });
  const lease = await leaseShardBudget(record, o.shard, { periodMs: o.shardBudget.periodMs ?? DEFAULT_SHARD_BUDGET_PERIOD_MS, ...(o.events ? { events: o.events } : {}) });
  let opened: T;
  try {
    opened = await create(store.budgetShare!(spec, lease.share));
  } catch (err) {
    await lease.release();
    throw err;
  }
  const close = opened.close.bind(opened);
  opened.close = async () => {
    try {
      await close();
    } finally {
      await lease.release();
    }
  };
  return opened;
}

/**
 * `verify --shard`: both sides read shard I of the left side's split. Only a split by identity
 * (MongoDB `_id` ranges) means the same documents on a right side of the same kind; a Cosmos DB
 * container's feed ranges, or an export file's lines, are its own.
 */
export async function shardedSides(
  left: OpenedSource,
  right: OpenedSource,
  leftAddress: string,
  scopes: readonly CollectionScope[],
  o: ShardOptions & { shard: Shard; events?: EventSink },
): Promise<[OpenedSource, OpenedSource]> {
  const refuse = (why: string) =>
    new UsageError(`verify --shard: ${why}. A sharded verify needs both sides split alike: MongoDB on both sides (by _id range). Run docferry verify without --shard.`);
  if (!left.source.readShard || !right.source.readShard) throw refuse(`the ${left.source.readShard ? 'right' : 'left'} side (${left.source.readShard ? right.describe : left.describe}) cannot be split`);
  if (left.source.kind !== right.source.kind) throw refuse(`the sides are stores of different kinds (${left.source.kind} and ${right.source.kind})`);
  const plan = await shardPlanFor(left.source, leftAddress, scopes, o);
  const own = Object.entries(plan.collections).find(([, p]) => p.byIdentity !== true);
  if (own) throw refuse(`the left side splits ${own[0]} by its own ${own[1].unit ?? 'layout'}s, not by document identity`);
  return [
    { ...left, source: new ShardedSource(left.source, o.shard, plan) },
    { ...right, source: new ShardedSource(right.source, o.shard, plan) },
  ];
}
