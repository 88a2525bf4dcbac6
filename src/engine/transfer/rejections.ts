import type { Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import type { Position } from '../../stores/types.js';
import type { EventSink } from '../events.js';
import type { RejectsWriter } from '../rejects.js';
import type { ErrorBudget } from './error-budget.js';
import type { JournalUnit, UnitLedger } from './journal-units.js';

/** What a reject names besides its reason. */
export interface RejectDetail {
  id?: string;
  position?: Position;
  doc?: Doc;
  raw?: string;
}

/**
 * A rejected document: counted in its unit, told to the events, formatted into the unit's
 * rejects lines (written when the unit is settled), and spent from `--max-errors`, which throws
 * once the run has rejected too many.
 */
export class Rejections {
  constructor(
    private readonly scope: CollectionScope,
    private readonly ledger: UnitLedger,
    private readonly rejects: RejectsWriter,
    private readonly budget: ErrorBudget,
    private readonly events: EventSink,
  ) {}

  record(u: JournalUnit, reason: string, extra: RejectDetail): void {
    const { database, collection } = this.scope;
    this.events({ type: 'reject', database, collection, reason, ...(extra.id ? { id: extra.id } : {}), ...(extra.position?.file ? { file: extra.position.file } : {}), ...(extra.position?.line ? { line: extra.position.line } : {}) });
    this.ledger.rejected(u, this.rejects.format({ database, collection, reason, ...extra }));
    this.budget.spend();
  }
}
