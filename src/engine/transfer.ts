import type { Doc } from '../core/documents.js';
import { forEachLimit } from '../core/concurrency.js';
import { DocferryError, abortErrorOf, errorMessage } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { printableId } from '../core/type-mapping.js';
import { documentIdIn, namingStore, storeByKind } from '../stores/registry.js';
import type { CollectionSink, SinkItem, SinkStore, SourceItem, SourceStore, StoreKind, WriteMode } from '../stores/types.js';
import { zeroCounts, type CollectionSummary, type EventSink } from './events.js';
import type { CollectionCheckpoint } from './checkpoint.js';
import type { RejectsWriter } from './rejects.js';
import { Batcher } from './transfer/batcher.js';
import { EncodeAhead } from './transfer/encode-ahead.js';
import { ErrorBudget } from './transfer/error-budget.js';
import { UnitLedger, type JournalUnit } from './transfer/journal-units.js';
import { ProgressReporter, countWithHeadStart } from './transfer/progress.js';
import { Rejections } from './transfer/rejections.js';
import { Settlement } from './transfer/settlement.js';

export { ErrorBudget };

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
  /** Cancels the transfer: see TuningOptions.signal (src/engine/run.ts). */
  signal?: AbortSignal;
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
 * size. The parts: transfer/batcher.ts (batches by count and bytes), transfer/journal-units.ts
 * (the counts and resume units), transfer/rejections.ts, transfer/settlement.ts (rejects before
 * their journal line, in order), transfer/progress.ts, and core/concurrency.ts (batches in flight).
 */
export async function transferCollection(o: TransferOptions): Promise<CollectionSummary> {
  const { scope, events } = o;
  const started = Date.now();
  const cp = o.checkpoint;
  const count = await countWithHeadStart(o.source, scope);
  events({ type: 'collection-start', database: scope.database, collection: scope.collection, ...(count.total !== undefined ? { total: count.total } : {}), ...(scope.target ? { target: scope.target } : {}) });

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
  const ledger = new UnitLedger(cp ? { ...cp.counts } : zeroCounts(), cp ? (item) => cp.keyOf(item) : undefined);
  const counts = ledger.counts;
  const resumed = cp?.restored ?? 0;
  if (resumed > 0) events({ type: 'info', message: `${scope.database}.${scope.collection}: resuming after ${resumed} documents the last run completed` });
  const concurrency = Math.max(1, Math.min(o.concurrency, o.sink.maxConcurrency ?? Infinity));
  // Rejects name a document the way the store involved identifies it (an export: its source).
  const idStore = namingStore(o.sink.kind, o.source.kind);
  // The bytes handed to the target, read from the batcher once per batch (not per document).
  const volume = { bytes: 0 };
  const progress = new ProgressReporter(scope, events, counts, count, () => target.stats?.() ?? o.source.stats?.(scope), o.progressIntervalMs ?? 250, () => volume.bytes);
  const rejections = new Rejections(scope, ledger, o.rejects, o.errorBudget, events);
  const settlement = new Settlement(scope, o.rejects, cp);
  const maxBatchBytes = o.batchBytes ?? Infinity;
  // Set by the first failed batch: reading stops at the next document.
  let stopped = false;

  /** Settles the rejects gathered before sending as a unit of their own (listed even if that fails). */
  const settleRefused = (sinkState?: unknown) => {
    const unit = ledger.takeRefused();
    settlement.handOut(unit);
    return settlement.settle(unit, sinkState);
  };

  /** A document rejected before it is sent; a long run of them is settled on its own, not held until the next batch. */
  const refuse = async (item: { doc?: Doc; position?: SinkItem['position'] }, reason: string, extra: Parameters<Rejections['record']>[2]) => {
    ledger.read(item, true);
    rejections.record(ledger.refused, reason, extra);
    if (ledger.refusedFull(o.batchSize, maxBatchBytes)) await settleRefused();
  };

  /** A chunk the sink's encoder could not encode: the documents before it are written, none from it on. */
  const encodingFailed = (first: SourceItem, count: number, err: unknown) => {
    const id = first.doc ? idForMessages(first.doc, idStore) : undefined;
    const field = storeByKind(idStore).identity?.field ?? 'id';
    return new DocferryError(
      `${scope.database}.${scope.collection}: encoding ${count} documents in a worker thread, from the document with ${field} ${id ?? '(none)'} on, failed: ${errorMessage(err)}. ` +
        'The documents before it were exported; re-run with --resume to continue, or with --encode-threads 0 to encode on the main thread.',
      undefined,
      { cause: err },
    );
  };

  /** Reads, prepares and gathers the documents; yields each full batch with the journal unit it settles. */
  async function* batches(): AsyncGenerator<{ items: SinkItem[]; unit: JournalUnit }> {
    const batcher = new Batcher<SinkItem>(o.batchSize, maxBatchBytes);
    const handOut = (items: SinkItem[]) => {
      volume.bytes = batcher.bytesTaken;
      const unit = ledger.takeBatchUnit();
      settlement.handOut(unit);
      return { items, unit };
    };
    // A sink that encodes from BSON bytes (an export's canonical lines) skips the deserialisation.
    const bson = target.prepareBson !== undefined;
    const read = o.source.read(scope, bson ? { bson } : undefined);
    // One that can encode them in chunks off this thread (an export's worker) gets them ahead, in order.
    const ahead = bson && target.bsonEncoder ? new EncodeAhead(read, target.bsonEncoder, (item) => item.doc !== undefined && item.bson !== undefined && !(cp && resumed > 0 && cp.isConfirmed(item)), encodingFailed) : undefined;
    for await (const item of ahead ?? read) {
      // Cancelled: the partial batch is dropped unsent (its documents are not confirmed, so a
      // resume reads them again), and the loop below throws once the batches in flight settled.
      if (stopped || o.signal?.aborted) return;
      if (cp && resumed > 0 && cp.isConfirmed(item)) continue;
      if (!item.doc) {
        await refuse(item, item.reason, { ...(item.id ? { id: item.id } : {}), ...(item.position ? { position: item.position } : {}), ...(item.raw !== undefined ? { raw: item.raw } : {}) });
        continue;
      }
      // Encoded ahead: its item, or null for `prepare`; undefined: not encoded ahead (or no encoder).
      const early = ahead?.prepared;
      let prepared = early === undefined ? (item.bson && target.prepareBson ? target.prepareBson(item.bson, item.doc) : undefined) : (early ?? undefined);
      if (prepared === undefined) {
        const doc = item.whole ? item.whole() : item.doc;
        const fromDoc = target.prepare(doc);
        if (typeof fromDoc === 'string') {
          const id = idForMessages(doc, idStore);
          await refuse(item, fromDoc, { ...(id ? { id } : {}), ...(item.position ? { position: item.position } : {}), doc });
          continue;
        }
        prepared = fromDoc;
      }
      ledger.read(item);
      if (item.position) prepared.position = item.position;
      const full = batcher.add(prepared, prepared.bytes ?? item.bytes ?? 0);
      if (full) yield handOut(full);
      progress.tick();
    }
    const rest = batcher.take();
    if (rest && !stopped) yield handOut(rest);
  }

  /** Writes one batch, counts what became of each document, and settles its unit. */
  const write = async ({ items, unit }: { items: SinkItem[]; unit: JournalUnit }) => {
    try {
      const results = await target.write(items, o.mode);
      const sinkState = target.checkpointState?.();
      for (let i = 0; i < items.length; i++) {
        const r = results[i]!;
        if (r.status === 'written') ledger.written(unit);
        else if (r.status === 'skipped') ledger.skipped(unit);
        else {
          const item = items[i]!;
          rejections.record(unit, r.reason, { ...(item.id !== undefined ? { id: item.id } : {}), ...(item.position ? { position: item.position } : {}), doc: item.doc });
        }
      }
      await settlement.settle(unit, sinkState);
      progress.tick();
    } catch (err) {
      stopped = true;
      throw err;
    }
  };

  try {
    if (cutRejectsTo !== undefined) await o.rejects.truncate(scope.database, scope.collection, cutRejectsTo);
    // --max-errors counts the rejects the interrupted run confirmed.
    if (cp) o.errorBudget.carry(cp.counts.rejected);
    await forEachLimit(batches(), concurrency, write);
    // Before finish(): a cancelled collection must not look complete (nor be marked done).
    if (o.signal?.aborted) throw abortErrorOf(o.signal);
    if (ledger.refused.delta.read > 0) await settleRefused(target.checkpointState?.());
    await target.finish();
    if (cp) await cp.markDone({ ...counts }, target.checkpointState?.());
  } catch (err) {
    stopped = true;
    await settlement.listUnconfirmed(ledger.takeRefused());
    await target.abort(err).catch(() => {});
    throw err;
  } finally {
    progress.tick(true);
    await cp?.close().catch(() => {});
  }
  const stats = target.stats?.() ?? o.source.stats?.(scope);
  return {
    database: scope.database,
    collection: scope.collection,
    ...(scope.target ? { target: scope.target } : {}),
    status: 'ok',
    ...counts,
    ...(resumed > 0 ? { resumed } : {}),
    durationMs: Date.now() - started,
    ...(stats ? { stats } : {}),
    ...(volume.bytes > 0 ? { bytes: volume.bytes } : {}),
  };
}
