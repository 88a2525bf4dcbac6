import { errorMessage } from '../core/errors.js';
import { formatShard, type Shard } from '../core/shard.js';
import { BudgetShare, checkRecord, newRecord, release as releaseLease, renew, type BudgetRecordStore, type BudgetTiming } from '../core/shard-budget.js';
import type { EventSink } from './events.js';

/** A shard's lease on the shared budget: the share its RU controllers follow, renewed until released. */
export interface BudgetLeaseHandle {
  readonly share: BudgetShare;
  /** Gives the share back (the shard is done or stopped): the others take it at their next renewal. */
  release(): Promise<void>;
}

export interface LeaseOptions extends BudgetTiming {
  events?: EventSink;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

/**
 * Takes shard `shard`'s lease in `record` and keeps renewing it every period. The first share is
 * what the others leave over (a shard joining while they hold everything waits, up to the
 * expiry of a lease, for them to give part of it back). Renewals that fail for two periods drop
 * the share to the fixed 1/N floor, never more, until a renewal succeeds again; meanwhile the
 * others see the lease expire after `expiryPeriods` and may take it, which the service's 429s
 * and the RU controller then answer (docs/sharding.md, failure modes).
 */
export async function leaseShardBudget(record: BudgetRecordStore, shard: Shard, o: LeaseOptions): Promise<BudgetLeaseHandle> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = o.now ?? (() => performance.now());
  const floor = 1 / shard.count;
  const me = shard.index;
  const name = `shard ${formatShard(shard)}`;
  const renewOnce = async (): Promise<{ share: number; counted: number }> => {
    let result = { share: 0, counted: shard.count };
    await record.update((current, serverNow) => {
      const base = current === undefined ? newRecord(shard.count, serverNow) : checkRecord(current, shard.count, `The shard budget record ${record.display}`);
      const r = renew(base, me, serverNow, o);
      result = { share: r.share, counted: r.counted };
      return r.record;
    });
    return result;
  };

  let first = await renewOnce();
  const patience = (o.expiryPeriods ?? 3) + 2;
  for (let waited = 0; first.share === 0 && waited < patience; waited++) {
    await sleep(o.periodMs);
    first = await renewOnce();
  }
  const share = new BudgetShare(first.share);
  o.events?.({ type: 'info', message: `${name}: takes ${percent(first.share)} of the request-unit budget from the shared record ${record.display} (${first.counted} shards counted); it moves as shards finish.` });

  let stopped = false;
  let lastOk = now();
  let onFloor = false;
  let running: Promise<void> | undefined;
  const tick = async () => {
    try {
      const r = await renewOnce();
      lastOk = now();
      if (onFloor) o.events?.({ type: 'info', message: `${name}: the shared budget record answers again.` });
      onFloor = false;
      if (!stopped && r.share !== share.value) {
        o.events?.({ type: 'info', message: `${name}: request-unit budget share now ${percent(r.share)} (${r.counted} shards counted).` });
        share.set(r.share);
      }
    } catch (err) {
      if (!onFloor && now() - lastOk >= 2 * o.periodMs) {
        onFloor = true;
        o.events?.({ type: 'warning', message: `${name}: cannot renew its lease in the shared budget record (${errorMessage(err)}); keeps at most the fixed 1/${shard.count} of the budget until it can.` });
        if (share.value > floor) share.set(floor);
      }
    }
  };
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = tick().finally(() => (running = undefined));
  }, o.periodMs);
  timer.unref();

  return {
    share,
    async release() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await running;
      try {
        await record.update((current) => (current === undefined ? undefined : releaseLease(checkRecord(current, shard.count, `The shard budget record ${record.display}`), me, true)));
      } catch (err) {
        o.events?.({ type: 'warning', message: `${name}: could not give its share back to the shared budget record (${errorMessage(err)}); the others take it once its lease expires.` });
      }
    },
  };
}
