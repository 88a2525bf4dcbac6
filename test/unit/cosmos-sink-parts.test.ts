import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import type { ResolvedPartitionKey } from '../../src/core/layout.js';
import { classifyOperations, classifyRequestFailure, type BulkOperationResult, type GroupOutcome } from '../../src/stores/cosmos/bulk-results.js';
import { MAX_OPS_PER_REQUEST, MAX_REQUEST_BYTES, RequestPacker } from '../../src/stores/cosmos/packing.js';
import { prepareForCosmos, type CosmosItem } from '../../src/stores/cosmos/prepare.js';
import { CosmosRetryRounds } from '../../src/stores/cosmos/retry.js';
import type { WriteResult } from '../../src/stores/types.js';

const byTenant: ResolvedPartitionKey = { paths: ['/tenant'], kind: 'Hash', version: 2 };
const op = (statusCode: number, extra: Partial<BulkOperationResult> = {}) => ({ statusCode, requestCharge: 1, ...extra }) as BulkOperationResult;

describe('the Cosmos DB sink, part by part', () => {
  describe('prepareForCosmos: a document as Cosmos DB stores it, or why not', () => {
    it('takes the id, the partition-key value and the size as sent', () => {
      const item = prepareForCosmos({ id: 'a', tenant: 't1', n: 1 }, byTenant, {}) as CosmosItem;
      expect(item).to.deep.include({ id: 'a', partitionKey: 't1', bytes: Buffer.byteLength(JSON.stringify({ id: 'a', tenant: 't1', n: 1 })) });
    });

    it('makes an id of a JSON export\'s _id by the documented rules, and of a BSON one by the type mapping', () => {
      expect((prepareForCosmos({ _id: { a: 1 }, tenant: 't' }, byTenant, {}) as CosmosItem).id).to.equal('{"a":1}');
      const oid = new ObjectId('64b7f0c2a1b2c3d4e5f60718');
      expect((prepareForCosmos({ _id: oid, tenant: 't' }, byTenant, { bsonInput: true }) as CosmosItem).id).to.equal('64b7f0c2a1b2c3d4e5f60718');
    });

    it('drops system properties of Cosmos DB data, and rejects them in MongoDB data', () => {
      const dropped = prepareForCosmos({ id: 'a', tenant: 't', _rid: 'x', _ts: 5 }, byTenant, {}) as CosmosItem;
      expect(dropped.doc).to.deep.equal({ id: 'a', tenant: 't' });
      expect(prepareForCosmos({ _id: 'a', tenant: 't', _etag: 'e' }, byTenant, { bsonInput: true })).to.match(/^field "_etag" is a Cosmos DB system property/);
      expect(prepareForCosmos({ id: 'a', tenant: 't', _etag: 'e' }, byTenant, { systemProperties: 'reject' })).to.be.a('string');
    });

    it('rejects a document without an id, without its partition key, or over 2 MB', () => {
      expect(prepareForCosmos({ tenant: 't' }, byTenant, {})).to.equal('document has neither id nor _id');
      expect(prepareForCosmos({ id: 'a' }, byTenant, {})).to.be.a('string');
      expect(prepareForCosmos({ id: 'a', tenant: 't', big: 'x'.repeat(2 * 1024 * 1024) }, byTenant, {})).to.match(/limited to 2 MB/);
    });
  });

  describe('RequestPacker: requests of at most 100 operations and about 200 KB', () => {
    it('cuts at 100 operations, in order', () => {
      const indexes = Array.from({ length: 250 }, (_, i) => i);
      const packer = new RequestPacker(indexes, () => 10);
      expect(packer.senders).to.equal(3);
      const groups: number[][] = [];
      for (let g = packer.next(Infinity); g; g = packer.next(Infinity)) groups.push(g.group);
      expect(groups.map((g) => g.length)).to.deep.equal([MAX_OPS_PER_REQUEST, MAX_OPS_PER_REQUEST, 50]);
      expect(groups.flat()).to.deep.equal(indexes);
    });

    it('cuts at the bytes the rate allows (never above 200 KB), and sends a larger document alone', () => {
      const sizes = [60_000, 60_000, 60_000, 500_000, 1000];
      const packer = new RequestPacker([0, 1, 2, 3, 4], (i) => sizes[i]);
      expect(packer.next(130_000)).to.deep.equal({ group: [0, 1], bytes: 120_000 });
      expect(packer.next(Infinity)).to.deep.equal({ group: [2], bytes: 60_000 }); // 60 KB + 500 KB > 200 KB
      expect(packer.next(Infinity)).to.deep.equal({ group: [3], bytes: 500_000 });
      expect(packer.next(10)).to.deep.equal({ group: [4], bytes: 1000 });
      expect(packer.next(Infinity)).to.equal(undefined);
      expect(MAX_REQUEST_BYTES).to.be.below(220_201);
    });

    it('counts a document of unknown size as 1 KB', () => {
      const packer = new RequestPacker([7, 8, 9], () => undefined);
      expect(packer.next(2048)).to.deep.equal({ group: [7, 8], bytes: 2048 });
    });
  });

  describe('classifyOperations: what became of each operation of a bulk response', () => {
    it('2xx written, 409 skipped in merge mode, 429 throttled with the longest retry-after, transient failed, others rejected', () => {
      const results: WriteResult[] = [];
      const out = classifyOperations(
        [10, 11, 12, 13, 14, 15],
        [op(201), op(409), op(429, { retryAfterMilliseconds: 30 }), op(429, { retryAfterMilliseconds: 80 }), op(503, { subStatusCode: 3 }), op(400, { message: 'bad thing\nmore' })],
        'merge',
        results,
      );
      expect(results[10]).to.deep.equal({ status: 'written' });
      expect(results[11]).to.deep.equal({ status: 'skipped' });
      expect(results[15]).to.deep.equal({ status: 'rejected', reason: 'Cosmos DB refused the document (HTTP 400): bad thing' });
      expect(out).to.deep.include({ throttled: [12, 13], failed: [14], problem: 'HTTP 503.3', retryAfterMs: 80, serverAskedMs: 80, charge: 6 });
    });

    it('a 409 in upsert mode is the service refusing the document', () => {
      const results: WriteResult[] = [];
      classifyOperations([0], [op(409)], 'upsert', results);
      expect(results[0]).to.have.property('status', 'rejected');
    });

    it('stops at an operation refused for want of access, with the charge so far', () => {
      const results: WriteResult[] = [];
      const out = classifyOperations([0, 1, 2], [op(201), op(403, { subStatusCode: 5301, message: 'no role' }), op(201)], 'upsert', results);
      expect(out.denied).to.deep.equal({ code: 403, substatus: 5301, message: 'no role' });
      expect(out.charge).to.equal(2);
      expect(results[2]).to.equal(undefined);
    });
  });

  describe('classifyRequestFailure: a bulk call that failed as a whole', () => {
    const failing = (code: number | undefined, charge = 0) =>
      Object.assign(new Error(`status ${code}\ndetails`), {
        ...(code !== undefined ? { code } : {}),
        diagnostics: { clientSideRequestStatistics: { gatewayStatistics: [{ statusCode: code, requestCharge: charge }] } },
      });

    it('tells throttling, transient errors, denial and the rest apart, with the charge the diagnostics kept', () => {
      expect(classifyRequestFailure(failing(429, 2))).to.deep.equal({ charge: 2, failure: { kind: 'throttled' } });
      expect(classifyRequestFailure(failing(503))).to.deep.equal({ charge: 0, failure: { kind: 'failed', status: 503, problem: 'HTTP 503: status 503', retryKind: 'unavailable' } });
      expect(classifyRequestFailure(failing(403)).failure).to.deep.equal({ kind: 'denied', status: 403 });
      expect(classifyRequestFailure(failing(400)).failure).to.deep.equal({ kind: 'fatal', status: 400 });
      // A connection that broke before any status: transient.
      expect(classifyRequestFailure(new Error('ECONNRESET')).failure).to.deep.equal({ kind: 'failed', problem: 'HTTP error: ECONNRESET', retryKind: 'network' });
    });

    it('finds the status in the diagnostics when the SDK wrapped it in a plain Error', () => {
      const wrapped = Object.assign(new Error('Bulk failed'), { diagnostics: { clientSideRequestStatistics: { gatewayStatistics: [{ statusCode: 200 }, { statusCode: 429, requestCharge: 1.5 }] } } });
      expect(classifyRequestFailure(wrapped)).to.deep.equal({ charge: 1.5, failure: { kind: 'throttled' } });
    });
  });

  describe('CosmosRetryRounds: sending again', () => {
    const outcome = (o: Partial<GroupOutcome>): GroupOutcome => ({ throttled: [], failed: [], ...o });

    it('is done when nothing is left, and sends the rest again in batch order', () => {
      const rounds = new CosmosRetryRounds('db.c');
      expect(rounds.next([outcome({})])).to.equal(undefined);
      expect(rounds.next([outcome({ failed: [5], problem: 'HTTP 503' }), outcome({ throttled: [7, 2] })])?.pending).to.deep.equal([2, 5, 7]);
    });

    it('throttled rounds do not pause (the RU controller waits) and do not use up the error rounds', () => {
      const rounds = new CosmosRetryRounds('db.c', 2, 5);
      for (let i = 0; i < 4; i++) expect(rounds.next([outcome({ throttled: [0] })])).to.deep.equal({ pending: [0], waitMs: 0 });
      expect(() => rounds.next([outcome({ throttled: [0] })])).to.throw(/throttled 1 writes to db\.c in 5 rounds in a row \(HTTP 429\)/);
      const other = new CosmosRetryRounds('db.c', 2, 5);
      for (let i = 0; i < 4; i++) other.next([outcome({ throttled: [0] })]);
      expect(other.next([outcome({ failed: [0], problem: 'HTTP 410' })])).to.have.property('pending');
    });

    it('failures back off at least as long as the service asked, and fail the batch after the last error round', () => {
      const rounds = new CosmosRetryRounds('db.c', 3);
      const first = rounds.next([outcome({ failed: [0], problem: 'HTTP 503' }), outcome({ throttled: [1], serverAskedMs: 5000 })]);
      expect(first!.waitMs).to.be.at.least(5000);
      expect(rounds.next([outcome({ failed: [0], problem: 'HTTP 503' })])!.waitMs).to.be.within(200, 400);
      expect(() => rounds.next([outcome({ failed: [0], problem: 'HTTP 503' })])).to.throw(/kept failing 1 writes to db\.c after 3 rounds of retries \(last: HTTP 503\)/);
    });
  });
});
