import type { Doc } from '../core/documents.js';
import { DocferryError, ExitCode } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { printableId } from '../core/type-mapping.js';
import { documentIdIn, namingStore } from '../stores/registry.js';
import type { CollectionSink, SinkItem, SinkStore, SourceItem, SourceStore, StoreKind, WriteMode } from '../stores/types.js';
import { addCounts, zeroCounts, type CollectionCounts, type CollectionSummary, type EventSink } from './events.js';
import type { CollectionCheckpoint } from './checkpoint.js';
import type { RejectsWriter } from './rejects.js';

/** How long a collection waits for its document count before it starts without one. */
const COUNT_HEAD_START_MS = 250;

/** `--max-errors`: shared by every collection of a run. */
export class ErrorBudget {
  count = 0;
  /** Rejects an interrupted run confirmed, counted again by the resumed one. */
  private carried = 0;
  constructor(readonly max?: number) {}
  spend(): void {
    this.count++;
    this.check();
  }
  /** A resumed run starts from the rejects its checkpoint confirmed, as if it had not stopped. */
  carry(rejected: number): void {
    if (rejected <= 0) return;
    this.count += rejected;
    this.carried += rejected;
    this.check();
  }
  private check(): void {
    if (this.max !== undefined && this.count > this.max) {
      const earlier = this.carried > 0 ? `, ${this.carried} of them by the interrupted run this one resumed` : '';
      throw new DocferryError(`Stopped: more than ${this.max} documents were rejected (--max-errors ${this.max}${earlier}). See the rejects files for each document and reason.`, ExitCode.rejected);
    }
  }
}

export interface TransferOptions {
  source: SourceStore;
  sink: SinkStore;
  scope: CollectionScope;
  mode: WriteMode;
  batchSize: number;
  /** A batch is also sent once its documents reach this many bytes (as far as sizes are known). */
  batchBytes?: number;
  /** Batches in flight at once (the sink may allow fewer). */
  concurrency: number;
  rejects: RejectsWriter;
  errorBudget: ErrorBudget;
  events: EventSink;
  progressIntervalMs?: number;
  /** Confirmed units go to this journal; items an earlier run confirmed are skipped. */
  checkpoint?: CollectionCheckpoint;
}

/**
 * The id a message names a document by: the one the store it is going to identifies it by
 * (`_id` for MongoDB, `id` for Cosmos DB), or for an export the one of the store it came from.
 * The other one stands in when a document lacks it, as the sinks themselves fill it in.
 */
export function idForMessages(doc: Doc, store: StoreKind): string | undefined {
  const id = documentIdIn(doc, store);
  return id === undefined ? undefined : printableId(id);
}

/**
 * The one loop every operation runs: read a collection from a source, prepare each document
 * for the sink, write batches with bounded concurrency, send bad documents to the rejects
 * file. Memory is bounded by batch (documents and bytes) x concurrency, whatever the collection
 * size.
 */
export async function transferCollection(o: TransferOptions): Promise<CollectionSummary> {
  const { scope, events } = o;
  const started = Date.now();
  const cp = o.checkpoint;
  // The total is for progress only: a count that is slow (a full scan on some servers, FerretDB
  // among them) must not hold the transfer back, so it gets a moment and then runs alongside.
  let total: number | undefined;
  const counting = o.source.count(scope).then(
    (n) => void (total = n),
    () => {},
  );
  await Promise.race([counting, new Promise((resolve) => setTimeout(resolve, COUNT_HEAD_START_MS).unref())]);
  events({ type: 'collection-start', database: scope.database, collection: scope.collection, ...(total !== undefined ? { total } : {}) });

  const target: CollectionSink = await o.sink.open(scope, cp?.sinkState);
  // Rejects written after the last confirmed unit are of items read again now: they are cut off,
  // so that each document is listed once.
  let cutRejectsTo = cp?.rejectsSize;
  if (cp && target.resumeProblem) {
    events({ type: 'warning', message: `${scope.database}.${scope.collection}: cannot continue where the last run stopped (${target.resumeProblem}); starting this collection over.` });
    // Its rejects are found again too.
    cutRejectsTo = cp.rejectsBase;
    await cp.reset();
  }
  const counts: CollectionCounts = cp ? { ...cp.counts } : zeroCounts();
  const resumed = cp?.restored ?? 0;
  if (resumed > 0) events({ type: 'info', message: `${scope.database}.${scope.collection}: resuming after ${resumed} documents the last run completed` });
  const concurrency = Math.max(1, Math.min(o.concurrency, o.sink.maxConcurrency ?? Infinity));
  // Rejects name a document the way the store involved identifies it (an export: its source).
  const idStore = namingStore(o.sink.kind, o.source.kind);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastProgress = 0;
  const progressEvery = o.progressIntervalMs ?? 250;

  const progress = (force = false) => {
    const now = Date.now();
    if (!force && now - lastProgress < progressEvery) return;
    lastProgress = now;
    const stats = target.stats?.() ?? o.source.stats?.(scope);
    events({ type: 'progress', database: scope.database, collection: scope.collection, ...counts, ...(total !== undefined ? { total } : {}), ...(stats ? { stats } : {}) });
  };

  // A journal unit: items read, what became of them, and the reject lines they gave. Rejects are
  // written when their unit is settled, in order, right before its journal line, so that the
  // rejects file holds each document once across an interruption (see docs/reliability.md).
  type Unit = { lines: number[]; keys: string[]; delta: CollectionCounts; rejects: string[]; rejectBytes: number };
  const newUnit = (): Unit => ({ lines: [], keys: [], delta: zeroCounts(), rejects: [], rejectBytes: 0 });
  // The items of the batch being gathered, and those rejected since the last dispatch.
  let unit = newUnit();
  let rejected = newUnit();
  const remember = (u: Unit, item: { doc?: Doc; position?: SinkItem['position'] }) => {
    counts.read++;
    u.delta.read++;
    const k = cp?.keyOf(item);
    if (!k) return;
    if ('line' in k) u.lines.push(k.line);
    else u.keys.push(k.key);
  };

  const reject = (u: Unit, reason: string, extra: { id?: string; position?: SinkItem['position']; doc?: Doc; raw?: string }) => {
    counts.rejected++;
    u.delta.rejected++;
    events({ type: 'reject', database: scope.database, collection: scope.collection, reason, ...(extra.id ? { id: extra.id } : {}), ...(extra.position?.file ? { file: extra.position.file } : {}), ...(extra.position?.line ? { line: extra.position.line } : {}) });
    const line = o.rejects.format({ database: scope.database, collection: scope.collection, reason, ...extra });
    u.rejects.push(line);
    u.rejectBytes += line.length;
    o.errorBudget.spend();
  };

  // Rejects-file writes and journal lines, one at a time in this order.
  let settling: Promise<void> = Promise.resolve();
  const inOrder = (step: () => Promise<void>): Promise<void> => {
    const next = settling.then(step);
    settling = next.catch(() => {});
    return next;
  };
  const writeRejects = async (u: Unit): Promise<number | undefined> => {
    if (u.rejects.length === 0) return undefined;
    if (cp && cp.rejectsSize === undefined) {
      // Where the file stood before this collection's first reject, for a resume to cut back to.
      const base = await o.rejects.size(scope.database, scope.collection);
      await cp.commit({ lines: [], keys: [], delta: zeroCounts(), rejectsSize: base });
    }
    const lines = u.rejects;
    u.rejects = [];
    // On disk before the journal line that confirms them, when there is a journal.
    return o.rejects.write(scope.database, scope.collection, lines, cp !== undefined);
  };
  /** A unit is done: its rejects are written, then its journal line. */
  const settle = (u: Unit, sinkState?: unknown) =>
    inOrder(async () => {
      const rejectsSize = await writeRejects(u);
      if (cp) await cp.commit({ lines: u.lines, keys: u.keys, delta: u.delta, ...(sinkState !== undefined ? { sinkState } : {}), ...(rejectsSize !== undefined ? { rejectsSize } : {}) });
    });
  // Units the run failed before confirming. Their rejects are still listed, after those of every
  // confirmed unit, where a resume cuts them off before it finds them again.
  const abandoned: Unit[] = [];

  /** A document rejected before it is sent. */
  const refuse = async (item: SourceItem, reason: string, extra: Parameters<typeof reject>[2]) => {
    remember(rejected, item);
    reject(rejected, reason, extra);
    // A long run of bad documents is settled on its own, not held until the next batch.
    if (rejected.rejects.length >= o.batchSize || rejected.rejectBytes >= (o.batchBytes ?? Infinity)) {
      const done = rejected;
      rejected = newUnit();
      await settle(done);
    }
  };

  const dispatch = async (batch: SinkItem[]) => {
    const own: Unit = {
      lines: [...rejected.lines, ...unit.lines],
      keys: [...rejected.keys, ...unit.keys],
      delta: addCounts(rejected.delta, unit.delta),
      rejects: rejected.rejects,
      rejectBytes: rejected.rejectBytes,
    };
    unit = newUnit();
    rejected = newUnit();
    const p = (async () => {
      const results = await target.write(batch, o.mode);
      const sinkState = target.checkpointState?.();
      for (let i = 0; i < batch.length; i++) {
        const r = results[i]!;
        if (r.status === 'written') {
          counts.written++;
          own.delta.written++;
        } else if (r.status === 'skipped') {
          counts.skipped++;
          own.delta.skipped++;
        } else {
          const item = batch[i]!;
          reject(own, r.reason, { ...(item.id !== undefined ? { id: item.id } : {}), ...(item.position ? { position: item.position } : {}), doc: item.doc });
        }
      }
      await settle(own, sinkState);
      progress();
    })().catch((err) => {
      failure ??= err;
      abandoned.push(own);
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    while (inFlight.size >= concurrency && !failure) await Promise.race(inFlight);
  };

  try {
    if (cutRejectsTo !== undefined) await o.rejects.truncate(scope.database, scope.collection, cutRejectsTo);
    // --max-errors counts the rejects the interrupted run confirmed.
    if (cp) o.errorBudget.carry(cp.counts.rejected);
    let batch: SinkItem[] = [];
    let batchBytes = 0;
    const maxBatchBytes = o.batchBytes ?? Infinity;
    for await (const item of o.source.read(scope)) {
      if (failure) break;
      if (cp && resumed > 0 && cp.isConfirmed(item)) continue;
      if (!item.doc) {
        await refuse(item, item.reason, { ...(item.id ? { id: item.id } : {}), ...(item.position ? { position: item.position } : {}), ...(item.raw !== undefined ? { raw: item.raw } : {}) });
        continue;
      }
      const prepared = target.prepare(item.doc);
      if (typeof prepared === 'string') {
        const id = idForMessages(item.doc, idStore);
        await refuse(item, prepared, { ...(id ? { id } : {}), ...(item.position ? { position: item.position } : {}), doc: item.doc });
        continue;
      }
      remember(unit, item);
      if (item.position) prepared.position = item.position;
      batch.push(prepared);
      batchBytes += prepared.bytes ?? item.bytes ?? 0;
      if (batch.length >= o.batchSize || batchBytes >= maxBatchBytes) {
        const full = batch;
        batch = [];
        batchBytes = 0;
        await dispatch(full);
      }
      progress();
    }
    if (batch.length > 0 && !failure) await dispatch(batch);
    await Promise.all(inFlight);
    if (failure) throw failure;
    if (rejected.delta.read > 0) await settle(rejected, target.checkpointState?.());
    await target.finish();
    if (cp) await cp.markDone({ ...counts }, target.checkpointState?.());
  } catch (err) {
    failure ??= err;
    await Promise.allSettled(inFlight);
    for (const u of [...abandoned, rejected]) await inOrder(async () => void (await writeRejects(u))).catch(() => {});
    await target.abort(failure).catch(() => {});
    throw failure;
  } finally {
    progress(true);
    await cp?.close().catch(() => {});
  }
  const stats = target.stats?.() ?? o.source.stats?.(scope);
  return {
    database: scope.database,
    collection: scope.collection,
    status: 'ok',
    ...counts,
    ...(resumed > 0 ? { resumed } : {}),
    durationMs: Date.now() - started,
    ...(stats ? { stats } : {}),
  };
}

/** Runs `work` over items with at most `limit` at once, in order of start. */
export async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}
