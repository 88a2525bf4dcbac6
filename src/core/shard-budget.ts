/**
 * A request-unit budget shared by the N shards of one run through a small record every shard
 * reads and writes (docs/sharding.md, "One RU budget"). Pure arithmetic: the record's storage
 * (a Blob with conditional writes) and the timers live elsewhere.
 *
 * Every shard holds a lease `{share, renewedAt}` and renews it every period. Its share is
 * `1 / shards still counted`, but never more than what the leases of the others leave over, so
 * that the shares of all leases add up to at most 1 at every moment: a shard that joins while the
 * others hold everything waits (share 0) until they give part of it back at their next renewal.
 * Counted are the shards with a live lease, and the shards that have not started yet while the
 * record is young (their 1/N stays reserved for `reserveMs`). A shard that finished leaves a
 * `done` mark; a lease not renewed for `expiryPeriods` periods (a killed agent) no longer counts.
 * Every time here is the record store's clock (the server's `Date`), never an agent's.
 */
import { UsageError } from './errors.js';

/** One shard's hold on the budget. */
export interface BudgetLease {
  /** The share of the whole budget it uses, in [0, 1]. */
  share: number;
  /** Server time (ms since the epoch) of its last renewal. */
  renewedAt: number;
}

/** The whole record, as stored (JSON). It holds no credential and no data, only shares. */
export interface BudgetRecord {
  /** `docferry-shard-budget/1`. */
  format: string;
  /** N: the run's shard count. A record of another N belongs to another run. */
  count: number;
  /** Server time the record was made: shards not started yet are reserved their 1/N until `createdAt + reserveMs`. */
  createdAt: number;
  /** Live leases by shard index (1-based, as in `--shard I/N`). */
  leases: Record<string, BudgetLease>;
  /** Shards that finished (their share is free for good, until one is run again). */
  done: number[];
}

export const BUDGET_RECORD_FORMAT = 'docferry-shard-budget/1';

export interface BudgetTiming {
  /** How often a shard renews its lease (ms). */
  periodMs: number;
  /** A lease not renewed for this many periods is expired (default 3). */
  expiryPeriods?: number;
  /** How long a shard that has not started yet keeps its 1/N reserved (default: `expiryPeriods` periods). */
  reserveMs?: number;
}

/** The record after shard `me` renews at server time `now`, and the share it may now use. */
export interface Renewal {
  record: BudgetRecord;
  share: number;
  /** Shards counted in the division (live, reserved or me). */
  counted: number;
}

/**
 * The service's clock comes from HTTP `Date` headers, which count whole seconds: a lease is
 * judged expired only a second past its periods, or a short period would expire live leases.
 */
export const CLOCK_RESOLUTION_MS = 1000;

function expiryMs(t: BudgetTiming): number {
  return t.periodMs * (t.expiryPeriods ?? 3) + CLOCK_RESOLUTION_MS;
}

export function newRecord(count: number, now: number): BudgetRecord {
  return { format: BUDGET_RECORD_FORMAT, count, createdAt: now, leases: {}, done: [] };
}

/** Refuses a record that is not ours to share: another format, or another run's N. */
export function checkRecord(value: unknown, count: number, where: string): BudgetRecord {
  const r = value as Partial<BudgetRecord> | null;
  if (!r || typeof r !== 'object' || r.format !== BUDGET_RECORD_FORMAT || typeof r.leases !== 'object' || !Array.isArray(r.done) || typeof r.count !== 'number' || typeof r.createdAt !== 'number') {
    throw new UsageError(`${where} is not a docferry shard budget record (${BUDGET_RECORD_FORMAT}): give each run its own record, or delete this one.`);
  }
  if (r.count !== count) throw new UsageError(`${where} is the budget record of a run of ${r.count} shards, and this run has ${count}: give each run its own record (a name with the pipeline's run id).`);
  return r as BudgetRecord;
}

/** Whether a lease still holds its share at server time `now`. */
export function leaseLive(lease: BudgetLease, now: number, t: BudgetTiming): boolean {
  return now - lease.renewedAt < expiryMs(t);
}

/**
 * Shard `me` (1..N) renews at server time `now`: expired leases are dropped, its own share is
 * recomputed, and the shares of all live leases still add up to at most 1.
 */
export function renew(record: BudgetRecord, me: number, now: number, t: BudgetTiming): Renewal {
  const leases: Record<string, BudgetLease> = {};
  for (const [key, lease] of Object.entries(record.leases)) {
    if (Number(key) !== me && leaseLive(lease, now, t)) leases[key] = lease;
  }
  const done = record.done.filter((d) => d !== me);
  const reserving = now - record.createdAt < (t.reserveMs ?? expiryMs(t));
  let counted = 1;
  let othersHold = 0;
  for (let i = 1; i <= record.count; i++) {
    if (i === me) continue;
    const lease = leases[String(i)];
    if (lease) {
      counted++;
      othersHold += lease.share;
    } else if (reserving && !done.includes(i) && !(String(i) in record.leases)) {
      // Not started yet (never held a lease): its 1/N stays reserved while the record is young.
      counted++;
      othersHold += 1 / record.count;
    }
  }
  const share = Math.max(0, Math.min(1 / counted, 1 - othersHold));
  // Rounding must never let the sum pass 1.
  const kept = share < 1e-9 ? 0 : Math.floor(share * 1e9) / 1e9;
  return { record: { ...record, leases: { ...leases, [String(me)]: { share: kept, renewedAt: now } }, done }, share: kept, counted };
}

/** Shard `me` finished: its lease goes and it is marked done, so the others take its share. */
export function release(record: BudgetRecord, me: number, finished: boolean): BudgetRecord {
  const leases = { ...record.leases };
  delete leases[String(me)];
  const done = finished ? [...new Set([...record.done, me])].sort((a, b) => a - b) : record.done.filter((d) => d !== me);
  return { ...record, leases, done };
}

/**
 * The share of the budget a shard may use right now, watched by its RU controllers. A fixed
 * share (no record) never changes.
 */
export class BudgetShare {
  private current: number;
  private readonly listeners = new Set<(share: number) => void>();

  constructor(initial: number) {
    this.current = initial;
  }

  get value(): number {
    return this.current;
  }

  set(share: number): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`a budget share is in [0, 1], not ${share}`);
    if (share === this.current) return;
    this.current = share;
    for (const l of this.listeners) l(share);
  }

  /** Calls `listener` on every change; returns how to stop. */
  onChange(listener: (share: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Where the record is kept: read, changed and written back only if nobody wrote in between. */
export interface BudgetRecordStore {
  /** Where, for messages (no secret). */
  readonly display: string;
  /**
   * Reads the record (undefined when there is none yet) with the store's current time, and
   * writes what `change` returns (nothing when it returns undefined), retrying on a lost race.
   */
  update(change: (current: unknown, serverNow: number) => BudgetRecord | undefined): Promise<BudgetRecord | undefined>;
}
