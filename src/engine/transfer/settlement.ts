import type { CollectionScope } from '../../core/layout.js';
import { zeroCounts } from '../events.js';
import type { CollectionCheckpoint } from '../checkpoint.js';
import type { RejectsWriter } from '../rejects.js';
import type { JournalUnit } from './journal-units.js';

/**
 * Settles journal units one at a time, in the order they are settled: a unit's rejects are
 * written (and synced, when there is a journal) right before the journal line that confirms it,
 * so that the rejects file holds each document once across an interruption: a resume cuts it back
 * to the size the last journal line recorded (docs/reliability.md).
 *
 * Units handed out to be written are tracked until they are confirmed: when the run fails, their
 * rejects are still listed, after those of every confirmed unit, where a resume cuts them off
 * before it finds them again.
 */
export class Settlement {
  private settling: Promise<void> = Promise.resolve();
  /** Units handed out and not yet confirmed, in the order they were handed out. */
  private readonly unconfirmed = new Set<JournalUnit>();

  constructor(
    private readonly scope: CollectionScope,
    private readonly rejects: RejectsWriter,
    private readonly checkpoint?: CollectionCheckpoint,
  ) {}

  /** A unit is on its way to the sink: until it is settled, a failure lists its rejects as unconfirmed. */
  handOut(unit: JournalUnit): void {
    this.unconfirmed.add(unit);
  }

  /** The unit is done: its rejects are written, then its journal line (with the sink's state after it). */
  settle(unit: JournalUnit, sinkState?: unknown): Promise<void> {
    return this.inOrder(async () => {
      const rejectsSize = await this.writeRejects(unit);
      const cp = this.checkpoint;
      if (cp) await cp.commit({ lines: unit.lines, keys: unit.keys, delta: unit.delta, ...(sinkState !== undefined ? { sinkState } : {}), ...(rejectsSize !== undefined ? { rejectsSize } : {}) });
      this.unconfirmed.delete(unit);
    });
  }

  /**
   * The run failed: the rejects of every unit it did not confirm, in the order they were handed
   * out, then those of `last` (rejected before sending, never handed out). Best effort: the
   * failure that stopped the run is the one to report.
   */
  async listUnconfirmed(last: JournalUnit): Promise<void> {
    for (const u of [...this.unconfirmed, last]) await this.inOrder(async () => void (await this.writeRejects(u))).catch(() => {});
  }

  /** Rejects-file writes and journal lines, one at a time in this order. */
  private inOrder(step: () => Promise<void>): Promise<void> {
    const next = this.settling.then(step);
    this.settling = next.catch(() => {});
    return next;
  }

  /** Writes and forgets the unit's rejects; the file's size after them, when there were any. */
  private async writeRejects(u: JournalUnit): Promise<number | undefined> {
    if (u.rejects.length === 0) return undefined;
    const { database, collection } = this.scope;
    const cp = this.checkpoint;
    if (cp && cp.rejectsSize === undefined) {
      // Where the file stood before this collection's first reject, for a resume to cut back to.
      const base = await this.rejects.size(database, collection);
      await cp.commit({ lines: [], keys: [], delta: zeroCounts(), rejectsSize: base });
    }
    const lines = u.rejects;
    u.rejects = [];
    // On disk before the journal line that confirms them, when there is a journal.
    return this.rejects.write(database, collection, lines, cp !== undefined);
  }
}
