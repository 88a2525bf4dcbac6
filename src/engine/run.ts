import { join } from 'node:path';
import { DocferryError, ExitCode, abortErrorOf, errorMessage } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { SinkStore, SourceStore, WriteMode } from '../stores/types.js';
import { addCounts, zeroCounts, type CollectionSummary, type EventSink, type Operation, type RunSummary } from './events.js';
import { newRunId, type RunCheckpoint } from './checkpoint.js';
import { RejectsWriter } from './rejects.js';
import { forEachLimit } from '../core/concurrency.js';
import { ErrorBudget, transferCollection } from './transfer.js';

export interface TuningOptions {
  /** Documents per write batch. */
  batchSize?: number;
  /**
   * Bytes per write batch, as well: a batch is sent when either bound is reached, so that
   * large documents do not multiply memory by the batch size.
   */
  batchBytes?: number;
  /** Write batches in flight per collection. */
  concurrency?: number;
  /** Collections moved at once. */
  parallelCollections?: number;
  /** Stop after this many rejected documents (default: never stop early). */
  maxErrors?: number;
  /**
   * Cancels the run (the library's `signal`; not a tuning knob, but it travels with these through
   * every operation's pickTuning). Reading stops at the next document, the batches in flight
   * settle, no further collection starts, and the run rejects with an AbortError: its checkpoint
   * stays consistent, so a resume continues it.
   */
  signal?: AbortSignal;
}

export interface RunCollectionsOptions extends TuningOptions {
  operation: Operation;
  source: SourceStore;
  sink: SinkStore;
  scopes: CollectionScope[];
  mode: WriteMode;
  /** Each run writes its rejects to `<rejectsDir>/<run id>/<db>.<collection>.ndjson`. */
  rejectsDir: string;
  events: EventSink;
  warnings?: string[];
  /** Resume support: finished collections are skipped, the others continue from their journal. */
  checkpoint?: RunCheckpoint;
}

export const DEFAULT_TUNING = { batchSize: 500, batchBytes: 2 * 1024 * 1024, concurrency: 4, parallelCollections: 2 } as const;

/**
 * Prepares every target, then moves each collection. A collection that fails is recorded and
 * the others go on, except when the failure would repeat everywhere (authentication, --max-errors).
 */
export async function runCollections(o: RunCollectionsOptions): Promise<RunSummary> {
  const startedAt = new Date();
  // One rejects directory per run, so that runs never add to each other's files; a resumed run
  // continues the one of the run it resumes (see docs/reliability.md).
  const runId = o.checkpoint ? o.checkpoint.runId : newRunId();
  const rejectsDir = runId ? join(o.rejectsDir, runId) : o.rejectsDir;
  const rejects = new RejectsWriter(rejectsDir);
  const errorBudget = new ErrorBudget(o.maxErrors);
  const summaries: CollectionSummary[] = [];
  // Every warning of the run goes into the summary as well (--json, pipeline outcomes, the manifest).
  const warnings = [...(o.warnings ?? [])];
  const emit = o.events;
  o = {
    ...o,
    events: (ev) => {
      if (ev.type === 'warning') warnings.push(ev.message);
      emit(ev);
    },
  };
  let fatal: unknown;
  try {
    await o.sink.prepareAll(o.scopes);
    await forEachLimit(o.scopes, o.parallelCollections ?? DEFAULT_TUNING.parallelCollections, async (scope) => {
      if (fatal) return;
      // Cancelled: collections not started yet stay untouched (the checkpoint has them as not begun).
      if (o.signal?.aborted) {
        fatal = abortErrorOf(o.signal);
        return;
      }
      const started = Date.now();
      try {
        await warnIfMissing(o, scope);
        const done = o.checkpoint?.done(scope);
        if (done) {
          const adopted = o.sink.adoptFinished ? await o.sink.adoptFinished(scope, done.finished) : true;
          if (adopted) {
            errorBudget.carry(done.counts.rejected);
            const summary: CollectionSummary = { database: scope.database, collection: scope.collection, ...targetOf(scope), status: 'ok', ...done.counts, resumed: done.counts.read, durationMs: 0 };
            summaries.push(summary);
            o.events({ type: 'info', message: `${scope.database}.${scope.collection}: already finished by the interrupted run; not redone` });
            o.events({ type: 'collection-end', summary });
            return;
          }
          o.events({ type: 'warning', message: `${scope.database}.${scope.collection}: the output the interrupted run finished has changed since; doing this collection again.` });
          await o.checkpoint!.undone(scope);
          // Its rejects are found again too.
          if (done.rejects_base !== undefined) await rejects.truncate(scope.database, scope.collection, done.rejects_base);
        }
        const checkpoint = o.checkpoint ? await o.checkpoint.collection(scope) : undefined;
        summaries.push(
          await transferCollection({
            ...(checkpoint ? { checkpoint } : {}),
            source: o.source,
            sink: o.sink,
            scope,
            mode: o.mode,
            batchSize: o.batchSize ?? DEFAULT_TUNING.batchSize,
            batchBytes: o.batchBytes ?? DEFAULT_TUNING.batchBytes,
            concurrency: o.concurrency ?? DEFAULT_TUNING.concurrency,
            rejects,
            errorBudget,
            events: o.events,
            ...(o.signal ? { signal: o.signal } : {}),
          }),
        );
      } catch (err) {
        const summary: CollectionSummary = {
          database: scope.database,
          collection: scope.collection,
          ...targetOf(scope),
          status: 'failed',
          error: redact(errorMessage(err)),
          read: 0,
          written: 0,
          skipped: 0,
          rejected: 0,
          durationMs: Date.now() - started,
        };
        summaries.push(summary);
        o.events({ type: 'collection-end', summary });
        if (isRunWide(err)) fatal = err;
        return;
      }
      o.events({ type: 'collection-end', summary: summaries[summaries.length - 1]! });
    });
  } finally {
    await rejects.close();
  }
  if (fatal) throw fatal;
  // Keep the layout's order in the summary, whatever order collections finished in.
  const order = new Map(o.scopes.map((s, i) => [`${s.database}.${s.collection}`, i]));
  summaries.sort((a, b) => order.get(`${a.database}.${a.collection}`)! - order.get(`${b.database}.${b.collection}`)!);
  const totals = summaries.reduce((acc, s) => addCounts(acc, s), zeroCounts());
  const failed = summaries.some((s) => s.status === 'failed');
  const finishedAt = new Date();
  return {
    operation: o.operation,
    source: o.source.describe(),
    target: o.sink.describe(),
    mode: o.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    collections: summaries,
    totals,
    // A resumed run may have rejected nothing itself and still report the interrupted run's rejects.
    ...(rejects.used || totals.rejected > 0 ? { rejectsDir } : {}),
    warnings,
    exitCode: failed ? ExitCode.failed : totals.rejected > 0 ? ExitCode.rejected : ExitCode.ok,
  };
}

/**
 * A source that reads a missing collection as empty (MongoDB) would otherwise give a complete
 * run of nothing to someone who mistyped a name or pointed at the wrong server. An existing,
 * empty collection stays silent. Asked again for a collection a resumed run does not redo, so
 * the warning is not lost on resume.
 */
async function warnIfMissing(o: RunCollectionsOptions, scope: CollectionScope): Promise<void> {
  const found = await o.source.exists?.(scope).catch(() => undefined);
  if (!found || found.collection) return;
  const name = `${scope.database}.${scope.collection}`;
  const outcome = o.operation === 'export' ? 'its export file is empty' : `nothing was ${o.operation === 'migrate' ? 'migrated' : 'read'} from it`;
  o.events({
    type: 'warning',
    message:
      `${name} does not exist on the server ${o.source.describe()}${found.database ? '' : ` (there is no database ${scope.database} there at all)`}: ${outcome}. ` +
      'Check the database and collection names (the layout, --collections) and that the URI points at the right server.',
  });
}

/** A mapped scope's target, for its summary (src/core/namespace-map.ts). */
function targetOf(scope: CollectionScope): Pick<CollectionSummary, 'target'> {
  return scope.target ? { target: scope.target } : {};
}

/** Failures that every other collection would hit too (and a cancelled run): stop instead of repeating them. */
function isRunWide(err: unknown): boolean {
  return err instanceof DocferryError && (err.name === 'AuthenticationError' || err.exitCode === ExitCode.rejected || err.exitCode === ExitCode.aborted);
}

/** Only the tuning fields that were set, so engine defaults apply to the rest. */
export function pickTuning(o: TuningOptions): TuningOptions {
  const t: TuningOptions = {};
  if (o.batchSize !== undefined) t.batchSize = o.batchSize;
  if (o.batchBytes !== undefined) t.batchBytes = o.batchBytes;
  if (o.concurrency !== undefined) t.concurrency = o.concurrency;
  if (o.parallelCollections !== undefined) t.parallelCollections = o.parallelCollections;
  if (o.maxErrors !== undefined) t.maxErrors = o.maxErrors;
  if (o.signal !== undefined) t.signal = o.signal;
  return t;
}
