import { DocferryError, ExitCode, UsageError, errorMessage } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { SinkStore, SourceStore, StoredId, TargetDeletes, WriteMode } from '../stores/types.js';
import { addCounts, zeroCounts, type CollectionCounts, type CollectionSummary, type EventSink, type Operation, type RunSummary } from './events.js';
import { SourceIds, watchSink, watchSource, type WatchHooks } from './mirror-watch.js';
import { forEachLimit } from '../core/concurrency.js';
import { NdjsonReport } from './ndjson-report.js';
import { describeMapping, destinationOf } from '../core/namespace-map.js';

/** How import and migrate write: `mirror` upserts, then deletes the target documents the source lacks. */
export type RunMode = WriteMode | 'mirror';
export const RUN_MODES: readonly RunMode[] = ['upsert', 'merge', 'mirror'];

export interface MirrorOptions {
  /** Mirror: refuse, before deleting anything, to delete more than this many documents (default: `defaultMaxDeletes`). */
  maxDeletes?: number;
  /** Mirror: read the source and list what would be deleted; write nothing and delete nothing. */
  dryRun?: boolean;
  /** Mirror: every target document the source lacks (ids only) to this NDJSON file. */
  deletesFile?: string;
}

/** Without --max-deletes, a run deletes at most this share of the target documents it listed... */
export const DEFAULT_MAX_DELETES_SHARE = 0.1;
/** ...and never more than this many. */
export const DEFAULT_MAX_DELETES_CAP = 1000;
/** Ids listed per collection in the summary; --deletes-file has all. */
const LISTED_IDS = 20;

/**
 * A mirror that would delete a tenth of the target, or more than a thousand documents, is much
 * more likely a wrong source (an empty database, a mistyped name, a test export) than a promotion:
 * the deletes are refused unless --max-deletes says that many are meant.
 */
export function defaultMaxDeletes(targetDocuments: number): number {
  return Math.min(DEFAULT_MAX_DELETES_CAP, Math.floor(targetDocuments * DEFAULT_MAX_DELETES_SHARE));
}

/** Flags that only make sense together, checked before anything is read. */
export function checkMirrorOptions(o: MirrorOptions & { mode: RunMode; resume?: boolean; verify?: boolean }): void {
  if (o.mode !== 'mirror') {
    const given = [o.maxDeletes !== undefined && '--max-deletes', o.dryRun && '--dry-run', o.deletesFile !== undefined && '--deletes-file'].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to --mode mirror only (this run's mode is ${o.mode}).`);
    return;
  }
  if (o.maxDeletes !== undefined && (!Number.isInteger(o.maxDeletes) || o.maxDeletes < 0)) throw new UsageError(`--max-deletes must be a whole number of 0 or more, not ${o.maxDeletes}.`);
  if (o.dryRun && o.resume) throw new UsageError('--dry-run writes nothing, so there is no run to resume: leave out --resume.');
  if (o.dryRun && o.verify) throw new UsageError('--dry-run writes nothing, so there is nothing to verify: leave out --verify (verify after the real run).');
}

export interface CollectionMirror {
  database: string;
  collection: string;
  /** `--map`: the target collection the deletes are in, when it is not named as the source. */
  target?: { database: string; collection: string };
  /**
   * `deleted`: the documents the source lacks were deleted; `listed`: a dry run listed them;
   * `refused`: the run would have deleted more than --max-deletes, so no collection lost any;
   * `skipped`: not mirrored (see `reason`), nothing deleted; `failed`: the deletes failed.
   */
  outcome: 'deleted' | 'listed' | 'refused' | 'skipped' | 'failed';
  reason?: string;
  /** Documents in the target after the writes, before the deletes (when listed). */
  targetDocuments?: number;
  /** Target documents the source lacks. */
  extra: number;
  deleted: number;
  /** Documents the source lacks that cannot be deleted by identity (Cosmos DB: no partition-key value); left in place. */
  kept: number;
  /** The first ids of `extra`. */
  ids: string[];
}

export interface MirrorSummary {
  dryRun: boolean;
  maxDeletes: number;
  /** Whether --max-deletes was given, or the default rule set the limit. */
  maxDeletesFrom: 'option' | 'default';
  targetDocuments: number;
  extra: number;
  deleted: number;
  /** Why nothing was deleted at all: more than --max-deletes. */
  refused?: string;
  deletesFile?: string;
  collections: CollectionMirror[];
}

interface Listing {
  scope: CollectionScope;
  targetDocuments: number;
  extra: number;
  kept: number;
  ids: string[];
  /** What to delete, while the run's total stays within what it could be allowed to delete. */
  refs: StoredId[];
}

export interface MirrorRunOptions extends MirrorOptions {
  events: EventSink;
}

/**
 * One mirror run: collects the source's ids while the run writes (through `watchSource` and
 * `watchSink`), lists each collection's target as soon as its writes are done, and at the end
 * counts, decides and deletes. The decision is taken for the whole run before the first delete:
 * over the limit, no collection loses a document. A collection whose source was not read in full,
 * or could hold a document whose id is unknown, loses none.
 */
export class MirrorRun {
  private readonly deletes: TargetDeletes;
  private readonly ids = new Map<string, SourceIds>();
  private readonly listings = new Map<string, Listing>();
  /** Why no collection of this run may lose documents. */
  private distrusted: string | undefined;
  /** Refs held across the run; beyond the largest limit it could have, the deletes are refused anyway. */
  private held = 0;
  private readonly holdLimit: number;
  /** `--deletes-file`: a line per target document the source lacks, and one per collection with its outcome. */
  private readonly file: NdjsonReport | undefined;
  private readonly hooks: WatchHooks;

  constructor(
    private readonly sink: SinkStore,
    private readonly o: MirrorRunOptions,
  ) {
    const deletes = sink.deletes?.();
    if (!deletes) throw new UsageError(`--mode mirror needs a database target (Cosmos DB or MongoDB); ${sink.describe()} cannot delete documents.`);
    this.deletes = deletes;
    this.holdLimit = o.maxDeletes ?? DEFAULT_MAX_DELETES_CAP;
    this.file = o.deletesFile !== undefined ? new NdjsonReport(o.deletesFile) : undefined;
    this.hooks = { idsFor: (scope) => this.idsFor(scope), written: (ids) => this.list(ids) };
  }

  async open(): Promise<void> {
    await this.file?.open({ type: 'mirror', target: this.sink.describe(), dry_run: this.o.dryRun ?? false, started_at: new Date().toISOString() });
  }

  async close(): Promise<void> {
    await this.file?.close();
  }

  /** No collection of this run may lose documents, for this reason (an export imported with --allow-partial). */
  distrustAll(reason: string): void {
    this.distrusted ??= reason;
  }

  watchSource(source: SourceStore): SourceStore {
    return watchSource(source, this.hooks);
  }

  watchSink(sink: SinkStore): SinkStore {
    return watchSink(sink, this.deletes, this.hooks);
  }

  private idsFor(scope: CollectionScope): SourceIds {
    const key = nameOf(scope);
    let ids = this.ids.get(key);
    if (!ids) {
      ids = new SourceIds(scope);
      this.ids.set(key, ids);
    }
    return ids;
  }

  /** Lists the target collection against its source ids, holding only what it may delete. */
  private async list(ids: SourceIds): Promise<void> {
    const scope = ids.scope;
    if (ids.unsafe || this.distrusted || !ids.exact) {
      ids.release();
      return;
    }
    const listing: Listing = { scope, targetDocuments: 0, extra: 0, kept: 0, ids: [], refs: [] };
    try {
      for await (const stored of this.deletes.list(scope)) {
        listing.targetDocuments++;
        if (ids.has(stored.key, stored.idKey)) continue;
        if (stored.undeletable) {
          listing.kept++;
          continue;
        }
        listing.extra++;
        if (listing.ids.length < LISTED_IDS) listing.ids.push(stored.printable);
        if (this.held < this.holdLimit + 1) {
          listing.refs.push(stored);
          this.held++;
        }
        await this.file?.line({ type: 'extra', database: scope.database, collection: scope.collection, ...(scope.target ? { target: `${destinationOf(scope).database}.${destinationOf(scope).collection}` } : {}), id: stored.printable, ...(stored.partitionKey !== undefined ? { partition_key: stored.partitionKey } : {}) });
      }
    } catch (err) {
      throw new DocferryError(`mirror: cannot list the documents of ${nameOf(scope)} in the target: ${errorMessage(err)}`, err instanceof DocferryError ? err.exitCode : ExitCode.failed, { cause: err });
    } finally {
      ids.release();
    }
    this.listings.set(nameOf(scope), listing);
  }

  /** Why a collection of the run must not lose documents, or undefined when it may. */
  private reasonToSkip(c: CollectionSummary): string | undefined {
    const ids = this.ids.get(nameOf(c));
    if (c.status === 'failed') return `the collection failed, so its source may not have been read in full${c.error ? ` (${c.error})` : ''}`;
    if (c.resumed) return 'an interrupted run read part of it, so this run does not know every source id; run the mirror again without --resume to delete';
    if (this.distrusted) return this.distrusted;
    if (ids?.unsafe) return ids.unsafe;
    if (!this.listings.has(nameOf(c))) return 'this run did not read it';
    return undefined;
  }

  /**
   * After the writes: the deletes. Counts first, over every collection; refuses them all when
   * there are more than the limit; otherwise deletes collection by collection (a dry run lists).
   */
  async finish(summary: RunSummary): Promise<RunSummary> {
    const dryRun = this.o.dryRun ?? false;
    const warnings = [...summary.warnings];
    const warn = (message: string) => {
      warnings.push(message);
      this.o.events({ type: 'warning', message });
    };
    const entries = summary.collections.map((c) => {
      const listing = this.listings.get(nameOf(c));
      const reason = this.reasonToSkip(c);
      return { c, listing: reason ? undefined : listing, reason };
    });
    const eligible = entries.filter((e) => e.listing);
    const targetDocuments = eligible.reduce((n, e) => n + e.listing!.targetDocuments, 0);
    const extra = eligible.reduce((n, e) => n + e.listing!.extra, 0);
    const maxDeletes = this.o.maxDeletes ?? defaultMaxDeletes(targetDocuments);
    const from = this.o.maxDeletes !== undefined ? 'option' : 'default';
    let refused: string | undefined;
    if (extra > maxDeletes) {
      const first = eligible.flatMap((e) => e.listing!.ids.map((id) => `${describeMapping(e.c)} ${id}`)).slice(0, 5);
      refused =
        `mirror: ${dryRun ? 'would refuse' : 'refused'} to delete ${extra} target documents the source lacks: more than ${maxDeletes} ` +
        `(${from === 'option' ? '--max-deletes' : `the default limit, ${Math.round(DEFAULT_MAX_DELETES_SHARE * 100)}% of the ${targetDocuments} target documents and at most ${DEFAULT_MAX_DELETES_CAP}`}). ` +
        `Nothing was deleted${dryRun ? '' : '; the documents were written as by upsert'}. First of them: ${first.join(', ')}. ` +
        `Check that the source is the right one and complete, then ${dryRun ? 'run' : 'run again'} with --max-deletes ${extra} if they are meant to go.`;
      warn(refused);
    }
    const collections: CollectionMirror[] = [];
    let failure: string | undefined;
    for (const { c, listing, reason } of entries) {
      const base = { database: c.database, collection: c.collection, ...(c.target ? { target: c.target } : {}) };
      if (!listing) {
        collections.push({ ...base, outcome: 'skipped', reason: reason!, extra: 0, deleted: 0, kept: 0, ids: [] });
        warn(`mirror: ${describeMapping(c)}: nothing deleted: ${reason}.`);
        await this.file?.line({ type: 'collection', ...base, outcome: 'skipped', reason, deleted: 0 });
        continue;
      }
      const counted = { targetDocuments: listing.targetDocuments, extra: listing.extra, kept: listing.kept, ids: listing.ids };
      if (listing.kept > 0) {
        warn(`mirror: ${describeMapping(c)}: ${listing.kept} target documents the source lacks have no value at the partition-key path and cannot be deleted by identity; they were left in place.`);
      }
      if (refused) {
        collections.push({ ...base, outcome: 'refused', ...counted, deleted: 0 });
      } else if (dryRun) {
        collections.push({ ...base, outcome: 'listed', ...counted, deleted: 0 });
        this.o.events({ type: 'info', message: `mirror (dry run): ${describeMapping(c)}: would delete ${listing.extra} of ${listing.targetDocuments} target documents${listing.extra ? ` (${listing.ids.slice(0, 5).join(', ')}${listing.extra > 5 ? ', ...' : ''})` : ''}` });
      } else if (listing.extra === 0) {
        collections.push({ ...base, outcome: 'deleted', ...counted, deleted: 0 });
      } else {
        try {
          const deleted = await this.deletes.delete(listing.scope, listing.refs);
          collections.push({ ...base, outcome: 'deleted', ...counted, deleted });
          this.o.events({ type: 'info', message: `mirror: ${describeMapping(c)}: deleted ${deleted} target documents the source lacks` });
        } catch (err) {
          const message = redact(errorMessage(err));
          failure ??= `mirror: deleting in ${describeMapping(c)} failed: ${message}`;
          collections.push({ ...base, outcome: 'failed', reason: message, ...counted, deleted: 0 });
          warn(`mirror: deleting in ${describeMapping(c)} failed: ${message}`);
        }
      }
      await this.file?.line({ type: 'collection', ...base, outcome: collections.at(-1)!.outcome, extra: listing.extra, deleted: collections.at(-1)!.deleted });
    }
    const deleted = collections.reduce((n, m) => n + m.deleted, 0);
    await this.file?.line({ type: 'summary', dry_run: dryRun, extra, deleted, max_deletes: maxDeletes, refused: refused !== undefined });
    const mirror: MirrorSummary = {
      dryRun,
      maxDeletes,
      maxDeletesFrom: from,
      targetDocuments,
      extra,
      deleted,
      ...(refused ? { refused } : {}),
      ...(this.file ? { deletesFile: this.file.path } : {}),
      collections,
    };
    const byName = new Map(collections.map((m) => [nameOf(m), m]));
    return {
      ...summary,
      mode: 'mirror',
      collections: summary.collections.map((c) => ({ ...c, deleted: byName.get(nameOf(c))?.deleted ?? 0 })),
      warnings,
      mirror,
      exitCode: refused || failure ? ExitCode.failed : summary.exitCode,
    };
  }

  /**
   * `--dry-run`: every source document is read and prepared as the run would (so the rejects it
   * would have are counted), the target is listed, and the deletes are decided, but nothing is
   * written, deleted or created, and no rejects file is written.
   */
  async dryRun(o: { operation: Operation; source: SourceStore; scopes: CollectionScope[]; warnings: string[]; parallelCollections?: number }): Promise<RunSummary> {
    const startedAt = new Date();
    const source = this.watchSource(o.source);
    const sink = this.watchSink(this.sink);
    const summaries: CollectionSummary[] = [];
    this.o.events({ type: 'info', message: 'mirror dry run: the source is read and the target listed; nothing is written or deleted' });
    await forEachLimit(o.scopes, o.parallelCollections ?? 2, async (scope) => {
      const started = Date.now();
      const counts: CollectionCounts = zeroCounts();
      this.o.events({ type: 'collection-start', database: scope.database, collection: scope.collection, ...(scope.target ? { target: scope.target } : {}) });
      let summary: CollectionSummary;
      try {
        await source.exists?.(scope).catch(() => undefined);
        const target = await sink.open(scope);
        for await (const item of source.read(scope)) {
          counts.read++;
          if (!item.doc || typeof target.prepare(item.doc) === 'string') counts.rejected++;
        }
        await target.finish();
        summary = { database: scope.database, collection: scope.collection, ...(scope.target ? { target: scope.target } : {}), status: 'ok', ...counts, durationMs: Date.now() - started };
      } catch (err) {
        this.idsFor(scope).distrust('the collection failed');
        summary = { database: scope.database, collection: scope.collection, ...(scope.target ? { target: scope.target } : {}), status: 'failed', error: redact(errorMessage(err)), ...counts, durationMs: Date.now() - started };
      }
      summaries.push(summary);
      this.o.events({ type: 'collection-end', summary });
    });
    const order = new Map(o.scopes.map((s, i) => [nameOf(s), i]));
    summaries.sort((a, b) => order.get(nameOf(a))! - order.get(nameOf(b))!);
    const totals = summaries.reduce((acc, s) => addCounts(acc, s), zeroCounts());
    const finishedAt = new Date();
    return this.finish({
      operation: o.operation,
      source: o.source.describe(),
      target: this.sink.describe(),
      mode: 'mirror',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      collections: summaries,
      totals,
      warnings: [...o.warnings],
      exitCode: summaries.some((s) => s.status === 'failed') ? ExitCode.failed : totals.rejected > 0 ? ExitCode.rejected : ExitCode.ok,
    });
  }
}

function nameOf(c: { database: string; collection: string }): string {
  return `${c.database}.${c.collection}`;
}

/** Lines after the summary table: what mirror deleted, or would, or why not. */
export function mirrorLines(m: MirrorSummary): string[] {
  const lines: string[] = [];
  const limit = `limit ${m.maxDeletes}${m.maxDeletesFrom === 'default' ? ', the default' : ''}`;
  if (m.refused) lines.push(m.refused);
  else if (m.dryRun) lines.push(`mirror (dry run): would delete ${m.extra} of ${m.targetDocuments} target documents (${limit}); nothing was written or deleted`);
  else lines.push(`mirror: deleted ${m.deleted} of ${m.targetDocuments} target documents the source lacks (${limit})`);
  for (const c of m.collections) {
    const name = describeMapping(c);
    if (c.outcome === 'skipped' || c.outcome === 'failed') lines.push(`  ${name}: ${c.outcome === 'failed' ? 'FAILED' : 'nothing deleted'}: ${c.reason}`);
    else if (c.extra > 0) lines.push(`  ${name}: ${c.outcome === 'deleted' ? `${c.deleted} deleted` : `${c.extra} ${c.outcome === 'listed' ? 'to delete' : 'not deleted'}`} (${c.ids.slice(0, 5).join(', ')}${c.extra > 5 ? ', ...' : ''})`);
  }
  if (m.deletesFile) lines.push(`mirror ids: ${m.deletesFile}`);
  return lines;
}

/** Only the mirror fields that were set. */
export function mirrorOptions(o: MirrorOptions): MirrorOptions {
  return {
    ...(o.maxDeletes !== undefined ? { maxDeletes: o.maxDeletes } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.deletesFile !== undefined ? { deletesFile: o.deletesFile } : {}),
  };
}
