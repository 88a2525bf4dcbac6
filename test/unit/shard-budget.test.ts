import { expect } from 'chai';
import { BudgetShare, checkRecord, newRecord, release, renew, type BudgetRecord, type BudgetRecordStore } from '../../src/core/shard-budget.js';
import { leaseShardBudget } from '../../src/engine/shard-budget-lease.js';
import type { EngineEvent } from '../../src/engine/events.js';

const timing = { periodMs: 1000 };
const total = (r: BudgetRecord) => Object.values(r.leases).reduce((a, l) => a + l.share, 0);

describe('shared shard budget: the shares of a record', () => {
  it('gives each of N shards starting together 1/N, and never more than 1 in all', () => {
    let r = newRecord(3, 0);
    const shares: number[] = [];
    for (const me of [2, 1, 3]) {
      const next = renew(r, me, 100, timing);
      shares.push(next.share);
      r = next.record;
    }
    expect(shares.map((s) => Math.round(s * 1000) / 1000)).to.deep.equal([0.333, 0.333, 0.333]);
    expect(total(r)).to.be.at.most(1);
  });

  it('reserves 1/N for a shard that has not started while the record is young, then stops reserving it', () => {
    const r = newRecord(2, 0);
    expect(renew(r, 1, 500, timing).share).to.equal(0.5);
    // Three periods (and a second of the service clock's resolution) after the record was made,
    // a shard that never came is not waited for.
    expect(renew(r, 1, 3900, timing).share).to.equal(0.5);
    expect(renew(r, 1, 4000, timing).share).to.equal(1);
  });

  it('hands a finished shard\'s share to the others at their next renewal', () => {
    let r = newRecord(3, 0);
    for (const me of [1, 2, 3]) r = renew(r, me, 10, timing).record;
    r = release(r, 1, true);
    expect(r.done).to.deep.equal([1]);
    const two = renew(r, 2, 1010, timing);
    // Shard 3 still holds 1/3 until it renews: shard 2 takes 1/2, not more than 1 - 1/3.
    expect(two.share).to.equal(0.5);
    const three = renew(two.record, 3, 1020, timing);
    expect(three.share).to.equal(0.5);
    expect(total(three.record)).to.be.at.most(1);
  });

  it('expires the lease of a shard that stopped renewing (a killed agent) after three periods and a second', () => {
    let r = newRecord(2, 0);
    r = renew(r, 1, 10, timing).record;
    r = renew(r, 2, 20, timing).record;
    expect(renew(r, 1, 3500, timing).share).to.equal(0.5);
    const later = renew(r, 1, 4100, timing);
    expect(later.share).to.equal(1);
    expect(Object.keys(later.record.leases)).to.deep.equal(['1']);
  });

  it('lets a shard that comes back (resumed) take only what the others leave, until they give part back', () => {
    let r = newRecord(2, 0);
    r = renew(r, 1, 10, timing).record;
    r = release(r, 2, true);
    r = renew(r, 1, 1010, timing).record;
    expect(r.leases['1']!.share).to.equal(1);
    const back = renew(r, 2, 1500, timing);
    expect(back.share).to.equal(0);
    expect(back.record.done).to.deep.equal([]);
    const one = renew(back.record, 1, 2010, timing);
    expect(one.share).to.equal(0.5);
    expect(renew(one.record, 2, 2500, timing).share).to.equal(0.5);
  });

  it('refuses a record of another run (another N) or of another format', () => {
    expect(() => checkRecord(newRecord(3, 0), 4, 'the record')).to.throw(/run of 3 shards, and this run has 4/);
    expect(() => checkRecord({ hello: 1 }, 4, 'the record')).to.throw(/not a docferry shard budget record/);
  });

  it('tells its listeners when the share changes, and refuses a share outside [0, 1]', () => {
    const share = new BudgetShare(0.25);
    const seen: number[] = [];
    const stop = share.onChange((v) => seen.push(v));
    share.set(0.5);
    share.set(0.5);
    stop();
    share.set(1);
    expect(seen).to.deep.equal([0.5]);
    expect(() => share.set(1.5)).to.throw(RangeError);
  });
});

/** A record kept in memory, with a clock the test moves: the store's conditional writes are the Blob test's. */
class MemoryRecord implements BudgetRecordStore {
  readonly display = 'memory://budget';
  value: BudgetRecord | undefined;
  now = 0;
  failing = false;

  async update(change: (current: unknown, serverNow: number) => BudgetRecord | undefined): Promise<BudgetRecord | undefined> {
    if (this.failing) throw new Error('unreachable');
    const next = change(this.value === undefined ? undefined : structuredClone(this.value), this.now);
    if (next) this.value = next;
    return next;
  }
}

describe('shared shard budget: a shard\'s lease', () => {
  it('starts at its share, grows when another shard finishes, and gives its share back on release', async () => {
    const record = new MemoryRecord();
    const events: EngineEvent[] = [];
    const one = await leaseShardBudget(record, { index: 1, count: 2 }, { periodMs: 20, events: (e) => events.push(e) });
    const two = await leaseShardBudget(record, { index: 2, count: 2 }, { periodMs: 20 });
    expect(one.share.value).to.equal(0.5);
    expect(two.share.value).to.equal(0.5);
    await two.release();
    expect(record.value!.done).to.deep.equal([2]);
    record.now += 30;
    await new Promise((r) => setTimeout(r, 80));
    expect(one.share.value).to.equal(1);
    expect(events.some((e) => e.type === 'info' && /share now 100 %/.test(e.message))).to.equal(true);
    await one.release();
    expect(record.value!.leases).to.deep.equal({});
  });

  it('falls back to the fixed 1/N when the record cannot be reached, never to more', async () => {
    const record = new MemoryRecord();
    const events: EngineEvent[] = [];
    const one = await leaseShardBudget(record, { index: 1, count: 2 }, { periodMs: 20, events: (e) => events.push(e) });
    record.now += 5000; // shard 2 never came: shard 1 takes it all
    await new Promise((r) => setTimeout(r, 60));
    expect(one.share.value).to.equal(1);
    record.failing = true;
    await new Promise((r) => setTimeout(r, 120));
    expect(one.share.value).to.equal(0.5);
    expect(events.some((e) => e.type === 'warning' && /cannot renew its lease/.test(e.message))).to.equal(true);
    await one.release();
    expect(events.some((e) => e.type === 'warning' && /could not give its share back/.test(e.message))).to.equal(true);
  });

  it('waits, when the others hold everything, until they give part of it back', async () => {
    const record = new MemoryRecord();
    record.now = 10_000;
    record.value = { format: 'docferry-shard-budget/1', count: 2, createdAt: 0, leases: { '1': { share: 1, renewedAt: 10_000 } }, done: [2] };
    let slept = 0;
    const two = await leaseShardBudget(record, { index: 2, count: 2 }, {
      periodMs: 1000,
      sleep: async () => {
        slept++;
        // Shard 1 renews meanwhile and sees shard 2 back: it keeps half.
        record.value = renew(record.value!, 1, record.now, { periodMs: 1000 }).record;
      },
    });
    expect(slept).to.equal(1);
    expect(two.share.value).to.equal(0.5);
    await two.release();
  });
});
