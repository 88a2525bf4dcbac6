import type { CollectionFilter } from '../core/filter.js';
import type { SinkStats } from '../stores/types.js';
import type { MirrorSummary } from './mirror.js';
import type { CollectionVerify, VerifySummary } from './verify.js';

export interface CollectionCounts {
  read: number;
  written: number;
  skipped: number;
  rejected: number;
}

export interface CollectionSummary extends CollectionCounts {
  /** The source's names (an export's, as its manifest has them). */
  database: string;
  collection: string;
  /** `--map`: the target database and collection, when they differ from the source's. */
  target?: { database: string; collection: string };
  status: 'ok' | 'failed';
  error?: string;
  durationMs: number;
  stats?: SinkStats;
  /** Bytes of the documents handed to the target (as the target sends them, where it told). */
  bytes?: number;
  /** Documents an interrupted earlier run had completed (included in the counts); with --resume. */
  resumed?: number;
  /** `--mode mirror`: target documents the source lacks that were deleted (details in `RunSummary.mirror`). */
  deleted?: number;
}

export type Operation = 'export' | 'import' | 'migrate' | 'verify';

export interface RunSummary {
  operation: Operation;
  source: string;
  target: string;
  mode?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  collections: CollectionSummary[];
  totals: CollectionCounts;
  /** Where rejected documents were written, when any were. */
  rejectsDir?: string;
  exportDir?: string;
  warnings: string[];
  exitCode: number;
  /** With --verify: the comparison of source and target after the run. */
  verify?: VerifySummary;
  /** Where the run's checkpoint is kept while it can be resumed. */
  checkpointDir?: string;
  /** The run read (or imported) a subset: `db.coll` -> the filters its documents were read with (docs/filters.md). */
  subset?: Record<string, CollectionFilter[]>;
  /** `--mode mirror`: what was deleted (or, in a dry run, would be), per collection, or why not. */
  mirror?: MirrorSummary;
}

/** What the engine tells the CLI, a pipeline task or a test while it works. */
export type EngineEvent =
  /**
   * `phase: 'verify'`: a verify's comparison (its total counts both sides), also after a transfer with --verify.
   * `target` (`--map`): where it goes, when renamed.
   */
  | { type: 'collection-start'; database: string; collection: string; total?: number; phase?: 'verify'; target?: { database: string; collection: string } }
  | ({ type: 'progress'; database: string; collection: string; total?: number; stats?: SinkStats; bytes?: number } & CollectionCounts)
  | { type: 'collection-end'; summary: CollectionSummary }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | { type: 'reject'; database: string; collection: string; id?: string; file?: string; line?: number; reason: string }
  /** verify: documents read from both sides so far, of `total` (both sides' counts, when known). */
  | { type: 'compare-progress'; database: string; collection: string; compared: number; total?: number }
  /** verify: a collection compared. */
  | { type: 'compare-end'; result: CollectionVerify; durationMs: number };

export type EventSink = (event: EngineEvent) => void;

export const ignoreEvents: EventSink = () => {};

export function zeroCounts(): CollectionCounts {
  return { read: 0, written: 0, skipped: 0, rejected: 0 };
}

export function addCounts(a: CollectionCounts, b: CollectionCounts): CollectionCounts {
  return { read: a.read + b.read, written: a.written + b.written, skipped: a.skipped + b.skipped, rejected: a.rejected + b.rejected };
}
