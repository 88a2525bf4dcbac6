import type { CollectionScope } from '../../core/layout.js';
import type { SinkStats, SourceStore } from '../../stores/types.js';
import type { CollectionCounts, EventSink } from '../events.js';

/** How long a collection waits for its document count before it starts without one. */
export const COUNT_HEAD_START_MS = 250;

/**
 * The collection's document count, for progress only. A count that is slow (a full scan on some
 * servers, FerretDB among them) must not hold the transfer back: it gets a head start, then
 * runs alongside and fills `total` in when it arrives. A count that fails leaves it unknown.
 */
export async function countWithHeadStart(source: SourceStore, scope: CollectionScope, headStartMs = COUNT_HEAD_START_MS): Promise<{ total?: number }> {
  const count: { total?: number } = {};
  const counting = source.count(scope).then(
    (n) => {
      if (n !== undefined) count.total = n;
    },
    () => {},
  );
  await Promise.race([counting, new Promise((resolve) => setTimeout(resolve, headStartMs).unref())]);
  return count;
}

/**
 * Progress events of one collection, at most one per interval (a forced one at the end): the
 * counts, the total when known, and the sink's (or else the source's) request statistics.
 */
export class ProgressReporter {
  private last = 0;

  constructor(
    private readonly scope: CollectionScope,
    private readonly events: EventSink,
    private readonly counts: CollectionCounts,
    private readonly count: { total?: number },
    private readonly stats: () => SinkStats | undefined,
    private readonly everyMs = 250,
    private readonly bytes: () => number = () => 0,
  ) {}

  /** Called per document: cheap unless the interval has passed. */
  tick(force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    const stats = this.stats();
    const { total } = this.count;
    const bytes = this.bytes();
    this.events({ type: 'progress', database: this.scope.database, collection: this.scope.collection, ...this.counts, ...(total !== undefined ? { total } : {}), ...(stats ? { stats } : {}), ...(bytes > 0 ? { bytes } : {}) });
  }
}
