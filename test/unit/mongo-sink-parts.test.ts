import { expect } from 'chai';
import { Long, MongoError, MongoInvalidArgumentError, MongoNetworkError, ObjectId } from 'mongodb';
import { FERRETDB_REPLACE_CHUNK, Mutex, quirksOf } from '../../src/stores/mongo/ferretdb.js';
import { commandGroups } from '../../src/stores/mongo/packing.js';
import { prepareForMongo } from '../../src/stores/mongo/prepare.js';
import { MongoRetryRounds, POOL_WAITS_PER_ROUND } from '../../src/stores/mongo/retry.js';
import { classifyPartialFailure, classifyWholeFailure, judgeReadBack, noAttempt, type Attempt } from '../../src/stores/mongo/write-results.js';
import type { WriteResult } from '../../src/stores/types.js';

describe('the MongoDB sink, part by part', () => {
  describe('prepareForMongo', () => {
    it('maps a JSON document, restores ObjectIds when asked, and names it by _id', () => {
      const item = prepareForMongo({ _id: '64b7f0c2a1b2c3d4e5f60718', n: 1 }, { restoreObjectIds: true });
      expect(typeof item).to.equal('object');
      const { doc, id } = item as Exclude<typeof item, string>;
      expect(doc._id).to.be.instanceOf(ObjectId);
      expect(id).to.equal('64b7f0c2a1b2c3d4e5f60718');
    });

    it('says where a document cannot be converted', () => {
      // The driver would invent an ObjectId, and a re-run would duplicate the document.
      expect(prepareForMongo({ _id: null, n: 1 }, {})).to.equal('cannot convert for MongoDB at _id: _id is null and there is no id to use instead');
    });
  });

  describe('commandGroups: the commands of a round', () => {
    it('one command per op; replaces in commands of 50 against FerretDB; one document per command once an op was unclear', () => {
      const replaces = Array.from({ length: 120 }, (_, i) => i);
      expect(commandGroups({ insert: [1, 2, 3], replace: [] }, new Set())).to.deep.equal([['insert', [1, 2, 3]]]);
      const chunked = commandGroups({ insert: [], replace: replaces }, new Set(), FERRETDB_REPLACE_CHUNK);
      expect(chunked.map(([op, g]) => [op, g.length])).to.deep.equal([['replace', 50], ['replace', 50], ['replace', 20]]);
      expect(commandGroups({ insert: [4, 5], replace: [6, 7] }, new Set(['insert']), 50)).to.deep.equal([['insert', [4]], ['insert', [5]], ['replace', [6, 7]]]);
    });
  });

  describe('FerretDB quirks', () => {
    it('are only for FerretDB', () => {
      expect(quirksOf({ ferretdbVersion: '1.24.0' }).replaceChunk).to.equal(50);
      expect(quirksOf({})).to.deep.equal({});
    });

    it('the replace lock lets one holder at a time, in arrival order', async () => {
      const lock = new Mutex();
      const log: string[] = [];
      const hold = (name: string, ms: number) => lock.run(async () => {
        log.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name} out`);
      });
      await Promise.all([hold('a', 10), hold('b', 1), hold('c', 1)]);
      expect(log).to.deep.equal(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    });
  });

  describe('classifyPartialFailure: a bulk write that failed for some documents', () => {
    it('written, replaced next in upsert mode, sent again on retryable codes (with the throttling counted), rejected otherwise', () => {
      const results: WriteResult[] = [];
      const { attempt, duplicates } = classifyPartialFailure(
        { applied: 1, writeErrors: [{ index: 1, code: 11000, errmsg: 'dup' }, { index: 2, code: 16500, errmsg: 'Request rate is large. RetryAfterMs=120' }, { index: 3, code: 121, errmsg: 'validation\nmore' }] },
        [10, 11, 12, 13],
        'insert',
        'upsert',
        results,
        new Set(),
      );
      expect(results[10]).to.deep.equal({ status: 'written' });
      expect(results[13]).to.deep.equal({ status: 'rejected', reason: 'MongoDB refused the document (code 121): validation' });
      expect(attempt).to.deep.include({ replace: [11], retry: [12], throttled: 1, waitMs: 120 });
      expect(duplicates).to.deep.equal([]);
    });

    it('merge mode: a duplicate key is skipped, unless an earlier attempt may have written it (then it is read back)', () => {
      const results: WriteResult[] = [];
      const { duplicates } = classifyPartialFailure(
        { applied: 0, writeErrors: [{ index: 0, code: 11000 }, { index: 1, code: 11000 }] },
        [5, 6],
        'insert',
        'merge',
        results,
        new Set([6]),
      );
      expect(results[5]).to.deep.equal({ status: 'skipped' });
      expect(duplicates).to.deep.equal([6]);
    });

    it('counts that do not add up (FerretDB reports the wrong index) are not trusted: each document is settled on its own', () => {
      const maybeOurs = new Set<number>();
      const results: WriteResult[] = [];
      const { attempt } = classifyPartialFailure({ applied: 0, writeErrors: [{ index: 0, code: 11000 }] }, [1, 2, 3], 'replace', 'upsert', results, maybeOurs);
      expect(attempt.unsettled).to.deep.equal([1, 2, 3]);
      expect([...maybeOurs]).to.deep.equal([1, 2, 3]);
      expect(results).to.deep.equal([]);
    });

    it('an unmet write concern sends the applied documents again, as maybe ours', () => {
      const maybeOurs = new Set<number>();
      const { attempt } = classifyPartialFailure({ applied: 2, writeErrors: [], concern: { code: 64, errmsg: 'waiting for replication timed out' } }, [0, 1], 'insert', 'merge', [], maybeOurs);
      expect(attempt.retry).to.deep.equal([0, 1]);
      expect(attempt.problem).to.equal('write concern not satisfied: waiting for replication timed out');
      expect([...maybeOurs]).to.deep.equal([0, 1]);
    });
  });

  describe('classifyWholeFailure: nothing says which documents were written', () => {
    it('a network error: sent again, maybe ours; a cleared pool: not sent at all', () => {
      const maybeOurs = new Set<number>();
      const net = classifyWholeFailure(new MongoNetworkError('connection reset'), [0, 1], [], maybeOurs) as Attempt;
      expect(net).to.deep.include({ retry: [0, 1], problem: 'connection reset' });
      expect(net.notSent).to.equal(undefined);
      expect([...maybeOurs]).to.deep.equal([0, 1]);
      // What the driver throws for a request it did not send while the pool was being cleared.
      const poolCleared = new MongoError('Connection pool for h:1 was cleared because another operation failed');
      poolCleared.addErrorLabel('PoolRequestedRetry');
      poolCleared.addErrorLabel('RetryableWriteError');
      const cleared = classifyWholeFailure(poolCleared, [2], [], new Set()) as Attempt;
      expect(cleared.notSent).to.equal(true);
    });

    it('an error about one document before sending: settled one by one, then rejected with the driver\'s reason', () => {
      const tooBig = new MongoInvalidArgumentError('Document is larger than the maximum size 16777216');
      const results: WriteResult[] = [];
      const several = classifyWholeFailure(tooBig, [0, 1], results, new Set());
      const one = classifyWholeFailure(tooBig, [1], results, new Set());
      expect(several === 'fatal' ? several : several.unsettled).to.deep.equal([0, 1]);
      expect(one === 'fatal' ? one : one.retry).to.deep.equal([]);
      expect(results[1]).to.have.property('status', 'rejected');
    });

    it('anything else is fatal, for the sink to explain', () => {
      expect(classifyWholeFailure(Object.assign(new Error('not authorized'), { code: 13 }), [0], [], new Set())).to.equal('fatal');
    });
  });

  describe('judgeReadBack: merge mode, re-sent inserts that met a duplicate key', () => {
    it('ours byte for byte: written; different: skipped; gone: inserted again', () => {
      const docs = [{ _id: 1, v: Long.fromNumber(1) }, { _id: 2, v: 'ours' }, { _id: 3, v: 'x' }];
      const results: WriteResult[] = [];
      const attempt = noAttempt();
      judgeReadBack((i) => docs[i]!, [0, 1, 2], [{ _id: 1, v: Long.fromNumber(1) }, { _id: 2, v: 'theirs' }], results, attempt);
      expect(results[0]).to.deep.equal({ status: 'written' });
      expect(results[1]).to.deep.equal({ status: 'skipped' });
      expect(attempt.retry).to.deep.equal([2]);
    });
  });

  describe('MongoRetryRounds', () => {
    const retry = (o: Partial<Attempt> = {}): Attempt => ({ ...noAttempt(), retry: [0], problem: 'reset', ...o });

    it('fails the batch after its rounds, naming the last problem', () => {
      const rounds = new MongoRetryRounds('db.c', 3);
      rounds.waitBeforeRetry([retry()]);
      rounds.waitBeforeRetry([retry()]);
      expect(() => rounds.waitBeforeRetry([retry()])).to.throw(/kept failing 1 writes to db\.c after 3 rounds of retries \(last: reset\)/);
    });

    it('requests never sent because another batch cleared the pool wait for the pool without using up the rounds', () => {
      const rounds = new MongoRetryRounds('db.c', 2);
      for (let i = 0; i < 2 * POOL_WAITS_PER_ROUND - 1; i++) expect(rounds.waitBeforeRetry([retry({ notSent: true })])).to.be.below(1000);
      rounds.waitBeforeRetry([retry()]);
      expect(() => rounds.waitBeforeRetry([retry({ notSent: true })])).to.throw(/1 rounds of retries and 8 waits for the cleared connection pool/);
    });

    it('waits at least as long as the server asked', () => {
      expect(new MongoRetryRounds('db.c').waitBeforeRetry([retry({ waitMs: 3000 })])).to.be.at.least(3000);
    });
  });
});
