import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MinKey, ObjectId } from 'mongodb';
import { boundaryPositions, parseShard, spreadBounds, spreadOf } from '../../src/core/shard.js';
import { OptionValueError, shard } from '../../src/options/parsers.js';
import { feedRangePlan, matchRanges, rangesOf } from '../../src/stores/cosmos/feed-ranges.js';
import { boundariesOf, idRangeFilter, planOf } from '../../src/stores/mongo/id-ranges.js';
import { assignUnits, budgetShare } from '../../src/engine/shard.js';
import type { CosmosSpec } from '../../src/stores/cosmos/descriptor.js';
import type { MongoSpec } from '../../src/stores/mongo/descriptor.js';
import type { EngineEvent } from '../../src/engine/events.js';

describe('sharding rules (--shard I/N)', () => {
  describe('the shard option', () => {
    it('takes I/N with 1 <= I <= N', () => {
      expect(shard('2/4')).to.deep.equal({ index: 2, count: 4 });
      expect(shard(' 1 / 1 ')).to.deep.equal({ index: 1, count: 1 });
      expect(parseShard('4/4')).to.deep.equal({ index: 4, count: 4 });
    });

    for (const bad of ['0/4', '5/4', '2', '2/0', '-1/3', '1.5/3', 'a/b', '', '2/4/8']) {
      it(`refuses "${bad}" with what it takes`, () => {
        expect(() => shard(bad)).to.throw(OptionValueError, /takes I\/N/);
      });
    }

    it('says which bound is broken', () => {
      expect(() => shard('5/4')).to.throw(/between 1 and 4/);
      expect(() => shard('1/0')).to.throw(/at least 1/);
    });
  });

  describe('spreading items over shards', () => {
    it('gives every item to exactly one shard, in order, sizes differing by at most one', () => {
      for (let total = 0; total <= 23; total++) {
        for (let count = 1; count <= 9; count++) {
          const items = Array.from({ length: total }, (_, i) => i);
          const parts = Array.from({ length: count }, (_, i) => spreadOf(items, { index: i + 1, count }));
          expect(parts.flat(), `${total}/${count}`).to.deep.equal(items);
          const sizes = parts.map((p) => p.length);
          expect(Math.max(...sizes) - Math.min(...sizes), `${total}/${count}`).to.be.at.most(1);
        }
      }
    });

    it('puts the larger parts first', () => {
      expect([1, 2, 3].map((index) => spreadBounds(10, { index, count: 3 }))).to.deep.equal([
        [0, 4],
        [4, 7],
        [7, 10],
      ]);
    });

    it('places N-1 boundaries where shards 2..N start, none past the end', () => {
      expect(boundaryPositions(10, 3)).to.deep.equal([4, 7]);
      expect(boundaryPositions(205, 3)).to.deep.equal([69, 137]);
      expect(boundaryPositions(1, 4)).to.deep.equal([]);
      expect(boundaryPositions(2, 4)).to.deep.equal([1]);
      expect(boundaryPositions(0, 2)).to.deep.equal([]);
    });
  });

  describe('MongoDB _id ranges', () => {
    const a = ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b');

    it('keeps boundaries as canonical Extended JSON and gets the same BSON values back', () => {
      const plan = planOf(10, ['m', a, 7]);
      expect(plan.boundaries).to.deep.equal(['m', { $oid: '65a1b2c3d4e5f60718293a4b' }, { $numberInt: '7' }]);
      const back = boundariesOf(plan);
      expect((back[1] as ObjectId).equals(a)).to.equal(true);
    });

    it('refuses a boundary MongoDB cannot range-query (MinKey)', () => {
      expect(() => planOf(3, [new MinKey()])).to.throw(/cannot split by _id/);
    });

    it('reads all for one shard, nothing for shards past the boundaries', () => {
      expect(idRangeFilter([], { index: 1, count: 1 })).to.deep.equal({});
      expect(idRangeFilter([], { index: 2, count: 3 })).to.equal(null);
      expect(idRangeFilter(['m'], { index: 3, count: 3 })).to.equal(null);
    });

    it('reads a shard whose two ends are of one type as one plain _id range (the index serves it)', () => {
      const b = ObjectId.createFromHexString('75a1b2c3d4e5f60718293a4b');
      expect(idRangeFilter([a, b], { index: 2, count: 3 })).to.deep.equal({ _id: { $gte: a, $lt: b } });
      expect(idRangeFilter([7, 9.5], { index: 2, count: 3 })).to.deep.equal({ _id: { $gte: 7, $lt: 9.5 } });
    });

    it('takes, across types, the brackets between a shard\'s two ends', () => {
      // From the number 7 to the ObjectId a: numbers >= 7, then strings, objects, arrays, binaries, then ObjectIds < a.
      const f = idRangeFilter([7, a], { index: 2, count: 3 }) as { $and: [Record<string, unknown>, Record<string, unknown>] };
      expect(f.$and[0]).to.deep.equal({ $or: [{ _id: { $gte: 7 } }, { _id: { $not: { $type: ['null', 'number'] } } }] });
      expect(f.$and[1]).to.deep.equal({ $or: [{ _id: { $lt: a } }, { _id: { $type: ['null', 'number', 'string', 'object', 'array', 'binData'] } }] });
      // The first shard: everything below 7 (null and numbers < 7); the last: from a on, every later type and any unbracketed one.
      expect(idRangeFilter([7, a], { index: 1, count: 3 })).to.deep.equal({ $or: [{ _id: { $lt: 7 } }, { _id: { $type: ['null'] } }] });
      expect(idRangeFilter([7, a], { index: 3, count: 3 })).to.deep.equal({
        $or: [{ _id: { $gte: a } }, { _id: { $not: { $type: ['null', 'number', 'string', 'object', 'array', 'binData', 'objectId'] } } }],
      });
    });
  });

  describe('Cosmos DB feed ranges, on a recorded-shape pkranges response of a container split into 5 ranges', () => {
    let ranges: { minInclusive: string; maxExclusive: string; id: string }[];

    before(async () => {
      const body = JSON.parse(await readFile(join(import.meta.dirname, '..', 'fixtures', 'cosmos', 'pkranges-5-ranges.json'), 'utf8')) as { PartitionKeyRanges: typeof ranges };
      ranges = body.PartitionKeyRanges;
    });

    it('orders the ranges by key, whatever order the service lists them in, and checks they tile the key space', () => {
      const plan = feedRangePlan(ranges, 'db.c');
      expect(plan.ranges.map((r) => r.min)).to.deep.equal(['', '1FFFFFFFFFFFFFFF', '3FFFFFFFFFFFFFFF', '7FFFFFFFFFFFFFFF', 'BFFFFFFFFFFFFFFF']);
      expect(plan.units).to.equal(5);
    });

    it('spreads whole ranges evenly: 2 shards take 3 and 2, 5 shards one each, shards past 5 none', () => {
      const plan = feedRangePlan(ranges, 'db.c');
      expect([1, 2].map((index) => rangesOf(plan, { index, count: 2 }).length)).to.deep.equal([3, 2]);
      expect([1, 2, 3, 4, 5].map((index) => rangesOf(plan, { index, count: 5 })[0]!.min)).to.deep.equal(plan.ranges.map((r) => r.min));
      expect(rangesOf(plan, { index: 6, count: 7 })).to.deep.equal([]);
      const all = [1, 2, 3].flatMap((index) => rangesOf(plan, { index, count: 3 }));
      expect(all).to.deep.equal(plan.ranges);
    });

    it('refuses ranges with a gap or an overlap (a split under way)', () => {
      expect(() => feedRangePlan(ranges.filter((r) => r.id !== '6'), 'db.c')).to.throw(/do not cover its key space once .*ends at "3FFFFFFFFFFFFFFF" and the next starts at "7FFFFFFFFFFFFFFF"/);
      expect(() => feedRangePlan([...ranges, { id: '0', minInclusive: '', maxExclusive: 'FF' }], 'db.c')).to.throw(/do not cover/);
      expect(() => feedRangePlan([], 'db.c')).to.throw(/no range at all/);
    });

    it('with the engine\'s assignment, a shard reads the ranges assigned to it', () => {
      const plan = { ...feedRangePlan(ranges, 'db.c'), assign: [1, 1, 2, 2, 2] };
      expect(rangesOf(plan, { index: 2, count: 2 }).map((r) => r.min)).to.deep.equal(['3FFFFFFFFFFFFFFF', '7FFFFFFFFFFFFFFF', 'BFFFFFFFFFFFFFFF']);
    });

    it('matches a plan made earlier to the live ranges, and says so when a range split since', () => {
      const plan = feedRangePlan(ranges, 'db.c');
      const mine = rangesOf(plan, { index: 2, count: 2 });
      expect(matchRanges(ranges, mine, 'db.c').map((r) => r.id)).to.deep.equal(['4', '5']);
      const split = [...ranges.filter((r) => r.id !== '5'), { id: '7', minInclusive: 'BFFFFFFFFFFFFFFF', maxExclusive: 'DFFFFFFFFFFFFFFF' }, { id: '8', minInclusive: 'DFFFFFFFFFFFFFFF', maxExclusive: 'FF' }];
      expect(() => matchRanges(split, mine, 'db.c')).to.throw(/no longer exists: the container's partitions split/);
    });
  });

  describe('spreading whole units (feed ranges) of every collection over the shards', () => {
    const part = (units: number) => ({ kind: 'cosmos-feed-range', units });

    it('gives N one-range containers to N shards, one each', () => {
      expect(assignUnits([part(1), part(1), part(1)], 3).map((p) => p.assign)).to.deep.equal([[1], [2], [3]]);
    });

    it('spreads a 5-range container and two 1-range ones (7 units) over 3 shards as 3, 2 and 2', () => {
      const assigned = assignUnits([part(5), part(1), part(1)], 3).map((p) => p.assign);
      expect(assigned).to.deep.equal([[1, 1, 1, 2, 2], [3], [3]]);
      const perShard = [1, 2, 3].map((s) => assigned.flat().filter((a) => a === s).length);
      expect(perShard).to.deep.equal([3, 2, 2]);
    });

    it('leaves parts without units (MongoDB ranges) as they are', () => {
      const mongo = { kind: 'mongodb-id-range', documents: 3, boundaries: [] };
      expect(assignUnits([mongo], 2)).to.deep.equal([mongo]);
    });
  });

  describe('one request budget across the shards (its floor: 1/N each)', () => {
    const cosmos = (ru?: CosmosSpec['ru']): CosmosSpec => ({ type: 'cosmos', connection: { endpoint: 'https://a.documents.azure.com:443/', key: 'k' }, ...(ru ? { ru } : {}) });

    it('gives each of N shards 1/N of --max-ru and of --ru-share, and says so', () => {
      const events: EngineEvent[] = [];
      const spec = budgetShare(cosmos({ maxRu: 900, ruShare: 0.6, priority: 'low' }), { index: 2, count: 3 }, (e) => events.push(e));
      expect(spec.ru!.maxRu).to.be.closeTo(300, 1e-9);
      expect(spec.ru!.ruShare).to.be.closeTo(0.2, 1e-12);
      expect(spec.ru!.priority).to.equal('low');
      expect(events.map((e) => (e as { message?: string }).message)).to.deep.equal([
        'shard 2/3: takes 1/3 of the Cosmos DB request-unit budget (--max-ru, --ru-share), so that the 3 shards together stay within it.',
      ]);
    });

    it('leaves a spec without a budget, a single shard and a store without budgets alone', () => {
      const none = cosmos();
      expect(budgetShare(none, { index: 1, count: 4 })).to.equal(none);
      const one = cosmos({ maxRu: 900 });
      expect(budgetShare(one, { index: 1, count: 1 })).to.equal(one);
      expect(budgetShare(one, undefined)).to.equal(one);
      const mongo = { type: 'mongodb', uri: 'mongodb://localhost:27017/' } as MongoSpec;
      expect(budgetShare(mongo, { index: 1, count: 2 })).to.equal(mongo);
    });
  });
});
