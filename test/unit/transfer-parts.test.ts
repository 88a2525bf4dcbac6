import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionScope } from '../../src/core/layout.js';
import type { CollectionCheckpoint, CommitUnit } from '../../src/engine/checkpoint.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { Batcher } from '../../src/engine/transfer/batcher.js';
import { ErrorBudget } from '../../src/engine/transfer/error-budget.js';
import { UnitLedger, newUnit } from '../../src/engine/transfer/journal-units.js';
import { ProgressReporter, countWithHeadStart } from '../../src/engine/transfer/progress.js';
import { Rejections } from '../../src/engine/transfer/rejections.js';
import { Settlement } from '../../src/engine/transfer/settlement.js';
import type { SourceStore } from '../../src/stores/types.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };
const zero = { read: 0, written: 0, skipped: 0, rejected: 0 };

describe('the transfer loop, part by part', () => {
  describe('Batcher: batches by count and by bytes', () => {
    it('hands out a batch when it reaches the count, and the rest at the end', () => {
      const b = new Batcher<number>(3);
      const out = [1, 2, 3, 4, 5, 6, 7].map((n) => b.add(n, 0)).filter((x) => x !== undefined);
      expect(out).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
      expect(b.take()).to.deep.equal([7]);
      expect(b.take()).to.equal(undefined);
    });

    it('ends a batch with the item that reaches the byte bound, even one larger than the bound', () => {
      const b = new Batcher<string>(100, 1000);
      expect(b.add('a', 400)).to.equal(undefined);
      expect(b.add('b', 400)).to.equal(undefined);
      expect(b.add('c', 400)).to.deep.equal(['a', 'b', 'c']);
      expect(b.add('huge', 5000)).to.deep.equal(['huge']);
      expect(b.add('d', 10)).to.equal(undefined);
      expect(b.take()).to.deep.equal(['d']);
    });
  });

  describe('UnitLedger: counts and journal units', () => {
    it('adds each count to the collection and to one unit; a batch unit holds the rejects before it, first', () => {
      const counts = { ...zero, read: 10 };
      const ledger = new UnitLedger(counts, (item) => ({ key: String(item.doc!.k) }));
      ledger.read({ doc: { k: 'bad' } }, true);
      ledger.rejected(ledger.refused, 'line-bad');
      ledger.read({ doc: { k: 'a' } });
      ledger.read({ doc: { k: 'b' } });
      const u = ledger.takeBatchUnit();
      ledger.written(u);
      ledger.skipped(u);
      expect(u.keys).to.deep.equal(['bad', 'a', 'b']);
      expect(u.rejects).to.deep.equal(['line-bad']);
      expect(u.delta).to.deep.equal({ read: 3, written: 1, skipped: 1, rejected: 1 });
      expect(counts).to.deep.equal({ read: 13, written: 1, skipped: 1, rejected: 1 });
      // Nothing is left behind for the next batch.
      expect(ledger.takeBatchUnit()).to.deep.equal(newUnit());
    });

    it('names items by export-file line when the journal does, and keeps nothing without a journal', () => {
      const byLine = new UnitLedger({ ...zero }, (item) => ({ line: item.position!.line! }));
      byLine.read({ doc: {}, position: { line: 7 } });
      expect(byLine.takeBatchUnit().lines).to.deep.equal([7]);
      const none = new UnitLedger({ ...zero });
      none.read({ doc: {} });
      const u = none.takeBatchUnit();
      expect(u.keys).to.deep.equal([]);
      expect(u.delta.read).to.equal(1);
    });

    it('says when the rejects gathered before sending make a unit of their own, by lines or bytes', () => {
      const ledger = new UnitLedger({ ...zero });
      ledger.rejected(ledger.refused, 'x'.repeat(10));
      expect(ledger.refusedFull(2, 100)).to.equal(false);
      ledger.rejected(ledger.refused, 'x'.repeat(10));
      expect(ledger.refusedFull(2, 100)).to.equal(true);
      expect(ledger.refusedFull(5, 20)).to.equal(true);
      expect(ledger.takeRefused().rejects).to.have.length(2);
      expect(ledger.refusedFull(2, 100)).to.equal(false);
    });
  });

  describe('Rejections', () => {
    it('counts, tells, formats into the unit, then spends --max-errors (which stops the run past it)', () => {
      const events: EngineEvent[] = [];
      const counts = { ...zero };
      const ledger = new UnitLedger(counts);
      const rejections = new Rejections(scope, ledger, new RejectsWriter('/nonexistent'), new ErrorBudget(1), (e) => events.push(e));
      const u = newUnit();
      rejections.record(u, 'too big', { id: 'd1', position: { file: 'f.ndjson', line: 3 } });
      expect(events).to.deep.equal([{ type: 'reject', database: 'db', collection: 'c', reason: 'too big', id: 'd1', file: 'f.ndjson', line: 3 }]);
      expect(u.rejects).to.have.length(1);
      expect(JSON.parse(u.rejects[0]!)).to.include({ reason: 'too big', id: 'd1' });
      expect(() => rejections.record(u, 'again', {})).to.throw(/more than 1 documents were rejected/);
      // The line of the reject that went over the budget is kept: it is listed when the run stops.
      expect(u.rejects).to.have.length(2);
      expect(counts.rejected).to.equal(2);
    });
  });

  describe('Settlement: rejects before their journal line, in order', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'docferry-settle-'))));
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    /** A journal that records its lines and, for each, how far the rejects file had got. */
    function journal(rejects: RejectsWriter, order: string[], slowFirst = false) {
      const cp = {
        rejectsSize: undefined as number | undefined,
        async commit(u: CommitUnit) {
          if (slowFirst && order.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
          if (u.rejectsSize !== undefined) cp.rejectsSize = u.rejectsSize;
          order.push(`journal ${u.keys.join(',') || '-'} r=${u.rejectsSize ?? ''} file=${await rejects.size('db', 'c')}`);
        },
      };
      return cp;
    }

    it('writes a unit\'s rejects, then its journal line with the file size; units settle one at a time in order', async () => {
      const rejects = new RejectsWriter(dir);
      const order: string[] = [];
      const cp = journal(rejects, order, true);
      const s = new Settlement(scope, rejects, cp as unknown as CollectionCheckpoint);
      const a = { ...newUnit(), keys: ['a'], rejects: ['{"a":1}\n'] };
      const b = { ...newUnit(), keys: ['b'], rejects: ['{"b":2}\n'] };
      await Promise.all([s.settle(a), s.settle(b)]);
      expect(order).to.deep.equal([
        // Before the first reject: where the file stood, for a resume to cut back to.
        'journal - r=0 file=0',
        'journal a r=8 file=8',
        'journal b r=16 file=16',
      ]);
    });

    it('after a failure lists the rejects of units handed out and never confirmed, then those not yet sent', async () => {
      const rejects = new RejectsWriter(dir);
      const s = new Settlement(scope, rejects);
      const confirmed = { ...newUnit(), rejects: ['confirmed\n'] };
      const lost1 = { ...newUnit(), rejects: ['lost1\n'] };
      const lost2 = { ...newUnit(), rejects: ['lost2\n'] };
      for (const u of [confirmed, lost1, lost2]) s.handOut(u);
      await s.settle(confirmed);
      await s.listUnconfirmed({ ...newUnit(), rejects: ['unsent\n'] });
      await rejects.close();
      expect(await readFile(join(dir, 'db.c.ndjson'), 'utf8')).to.equal('confirmed\nlost1\nlost2\nunsent\n');
    });
  });

  describe('progress', () => {
    it('reports at most once per interval, forced at the end, with the total once the count arrives', async () => {
      const events: EngineEvent[] = [];
      const counts = { ...zero };
      let answer!: (n: number) => void;
      const source = { count: () => new Promise<number>((resolve) => (answer = resolve)) } as unknown as SourceStore;
      const count = await countWithHeadStart(source, scope, 5);
      expect(count.total).to.equal(undefined);
      const p = new ProgressReporter(scope, (e) => events.push(e), counts, count, () => ({ requests: 3 }), 60_000);
      p.tick();
      counts.read = 5;
      p.tick();
      answer(42);
      await new Promise((resolve) => setImmediate(resolve));
      p.tick(true);
      expect(events).to.deep.equal([
        { type: 'progress', database: 'db', collection: 'c', read: 0, written: 0, skipped: 0, rejected: 0, stats: { requests: 3 } },
        { type: 'progress', database: 'db', collection: 'c', read: 5, written: 0, skipped: 0, rejected: 0, total: 42, stats: { requests: 3 } },
      ]);
    });
  });
});
