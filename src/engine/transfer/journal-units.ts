import type { Doc } from '../../core/documents.js';
import { addCounts, zeroCounts, type CollectionCounts } from '../events.js';

/**
 * A resume journal unit: the items read, what became of them, and the reject lines they gave.
 * A unit is confirmed by one journal line (see settlement.ts); a batch's unit also holds the
 * items rejected before sending since the batch before it.
 */
export interface JournalUnit {
  /** Export-file lines of the items (an import from a directory). */
  lines: number[];
  /** Keys of the items (a database source). */
  keys: string[];
  delta: CollectionCounts;
  /** Formatted rejects-file lines, written when the unit is settled. */
  rejects: string[];
  rejectBytes: number;
}

export function newUnit(): JournalUnit {
  return { lines: [], keys: [], delta: zeroCounts(), rejects: [], rejectBytes: 0 };
}

/** How a journal names an item: its export-file line or its key; undefined without a journal. */
export type KeyOf = (item: { doc?: Doc; position?: { line?: number; element?: number } }) => { line: number } | { key: string } | undefined;

/**
 * The units being gathered and the collection's counts, kept together so that every count is
 * added to the collection and to exactly one unit.
 */
export class UnitLedger {
  /** Items of the batch being gathered. */
  private gathering = newUnit();
  /** Items rejected before sending, since the last batch was handed out. */
  private refusedUnit = newUnit();

  constructor(
    readonly counts: CollectionCounts,
    private readonly keyOf?: KeyOf,
  ) {}

  /** The unit rejects before sending go to. */
  get refused(): JournalUnit {
    return this.refusedUnit;
  }

  /** An item read that goes into the batch being gathered (`refused`: rejected before sending). */
  read(item: { doc?: Doc; position?: { line?: number; element?: number } }, refused = false): void {
    const u = refused ? this.refusedUnit : this.gathering;
    this.counts.read++;
    u.delta.read++;
    const k = this.keyOf?.(item);
    if (!k) return;
    if ('line' in k) u.lines.push(k.line);
    else u.keys.push(k.key);
  }

  written(u: JournalUnit): void {
    this.counts.written++;
    u.delta.written++;
  }

  skipped(u: JournalUnit): void {
    this.counts.skipped++;
    u.delta.skipped++;
  }

  /** A rejected item's line, written with its unit. */
  rejected(u: JournalUnit, line: string): void {
    this.counts.rejected++;
    u.delta.rejected++;
    u.rejects.push(line);
    u.rejectBytes += line.length;
  }

  /** Whether the rejects gathered before sending make a unit of their own (a long run of bad documents). */
  refusedFull(maxLines: number, maxBytes: number): boolean {
    return this.refusedUnit.rejects.length >= maxLines || this.refusedUnit.rejectBytes >= maxBytes;
  }

  /** The unit of a batch handed out: the items rejected before it, then its own. */
  takeBatchUnit(): JournalUnit {
    const r = this.refusedUnit;
    const g = this.gathering;
    this.refusedUnit = newUnit();
    this.gathering = newUnit();
    if (r.delta.read === 0) return g;
    return {
      lines: r.lines.length === 0 ? g.lines : [...r.lines, ...g.lines],
      keys: r.keys.length === 0 ? g.keys : [...r.keys, ...g.keys],
      delta: addCounts(r.delta, g.delta),
      rejects: r.rejects,
      rejectBytes: r.rejectBytes,
    };
  }

  /** The items rejected before sending, as a unit of their own. */
  takeRefused(): JournalUnit {
    const r = this.refusedUnit;
    this.refusedUnit = newUnit();
    return r;
  }
}
