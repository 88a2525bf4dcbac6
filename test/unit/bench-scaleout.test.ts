import { expect } from 'chai';
import { checkCounts, scaleTables, speedups, type ScaleRow } from '../../bench/scaleout-report.js';

function row(over: Partial<ScaleRow> & Pick<ScaleRow, 'shards' | 'wallSeconds'>): ScaleRow {
  return { section: 'S', what: 'export', docs: 1000, shardDocs: [1000], cpuSeconds: 2, peakRssMb: [200], ...over };
}

describe('bench scale-out figures (bench/scaleout-report.ts)', () => {
  it('checkCounts returns the total when every collection moved as many documents as the source holds', () => {
    expect(checkCounts('x', { 'copilot.chunks': 700, 'auth.user_roles': 3 }, { 'auth.user_roles': 3, 'copilot.chunks': 700 })).to.equal(703);
  });

  it('checkCounts fails, naming the collection, when shards overlapped, left a gap or missed a collection', () => {
    // Overlap: a total that is right overall but wrong per collection must fail too.
    expect(() => checkCounts('export in 2 shards', { 'copilot.a': 10, 'copilot.b': 10 }, { 'copilot.a': 12, 'copilot.b': 8 })).to.throw(/export in 2 shards.*copilot\.a 12 instead of 10, copilot\.b 8 instead of 10/);
    expect(() => checkCounts('gap', { 'copilot.a': 10 }, { 'copilot.a': 9 })).to.throw(/copilot\.a 9 instead of 10/);
    expect(() => checkCounts('missing', { 'copilot.a': 10, 'auth.user_roles': 2 }, { 'copilot.a': 10 })).to.throw(/auth\.user_roles 0 instead of 2/);
    expect(() => checkCounts('extra', { 'copilot.a': 10 }, { 'copilot.a': 10, 'copilot.z': 1 })).to.throw(/copilot\.z 1 instead of 0/);
  });

  it('speedups are against the 1-shard row of the same section and operation, with and without the merge', () => {
    const rows = [
      row({ shards: 1, wallSeconds: 12, mergeSeconds: 1 }),
      row({ shards: 2, wallSeconds: 8, mergeSeconds: 1 }),
      row({ shards: 4, wallSeconds: 16, mergeSeconds: 2 }),
      row({ what: 'import', shards: 1, wallSeconds: 10 }),
      row({ what: 'import', shards: 2, wallSeconds: 4 }),
      row({ section: 'T', shards: 2, wallSeconds: 3 }),
    ];
    const up = speedups(rows);
    expect(up[0]).to.deep.equal({ wall: 1, withMerge: 12 / 13 });
    expect(up[1]).to.deep.equal({ wall: 1.5, withMerge: 12 / 9 });
    expect(up[2]).to.deep.equal({ wall: 0.75, withMerge: 12 / 18 });
    expect(up[4]).to.deep.equal({ wall: 2.5 });
    expect(up[5]).to.deep.equal({}); // no 1-shard row in section T
  });

  it('the table shows each measured figure of a row, the shards\' documents and RU in its note', () => {
    const rows = [
      row({ shards: 1, wallSeconds: 10, mergeSeconds: 0.5, bytes: 3 * 2 ** 20, ru: { consumed: 5500, perSecond: 550, budget: 1000, throttledRequests: 3, requests: 40 }, serverCpuSeconds: 4.25 }),
      row({ shards: 2, wallSeconds: 4, planSeconds: 1.25, shardDocs: [300, 700], peakRssMb: [180.4, 220.6], cpuSeconds: 3 }),
    ];
    const md = scaleTables(rows);
    expect(md).to.contain('### S');
    expect(md).to.contain('| export [1] | 1 | 1,000 | 10.0 | 100 | 1.00x | 0.5 | 0.95x | 2.0 s (2,000 µs a document) | 200 MB | 550 (1,000: 55 %) | 3 of 40 |');
    expect(md).to.contain('| export [2] | 2 | 1,000 | 4.0 | 250 | 2.50x |  |  | 3.0 s (3,000 µs a document) | 180 / 221 MB |  |  |');
    expect(md).to.contain('[1] documents per shard 1,000; the merge copied 3 MB at 6 MB/s; 5.5 RU a document; cosmosdb-server and the RU proxy (in the benchmark process) used 4.3 s of CPU meanwhile');
    expect(md).to.contain('[2] documents per shard 300 / 700; shard 1 had written the plan after 1.3 s, when the others started');
  });
});
