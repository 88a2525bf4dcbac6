import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { checkShards } from '../../src/engine/manifest-merge.js';

const PLAN = { 'db.c': { kind: 'mongodb-id-range', documents: 10, boundaries: [{ $numberInt: '4' }, { $numberInt: '7' }] } };

function shardExport(dir: string, index: number, count: number, change: Partial<Manifest> = {}) {
  const manifest = {
    format_version: 1,
    tool: { name: 'docferry', version: 'test' },
    status: 'complete',
    exported_at: '2026-01-01T00:00:00Z',
    source_type: 'mongodb',
    source_endpoint: 'mongodb://host:27017/',
    json_format: 'canonical',
    layout: { source: 'layout.json', sha256: 'aa', document: { databases: [] } },
    databases: { db: ['c'] },
    document_counts: { 'db.c': 3 },
    files: [{ path: `db/c.part-${index}-of-${count}.json`, database: 'db', collection: 'c', documents: 3, bytes: 30, sha256: 'x' }],
    shard: { index, count, plan: PLAN },
    ...change,
  } as Manifest & { shard: NonNullable<Manifest['shard']> };
  return { dir, manifest };
}

describe('manifest merge: which shards it takes', () => {
  it('takes the N shards of one split, in any order, and orders them', () => {
    const ordered = checkShards([shardExport('/s3', 3, 3), shardExport('/s1', 1, 3), shardExport('/s2', 2, 3)]);
    expect(ordered.map((s) => s.dir)).to.deep.equal(['/s1', '/s2', '/s3']);
  });

  it('refuses a missing shard by number', () => {
    expect(() => checkShards([shardExport('/s1', 1, 3), shardExport('/s3', 3, 3)])).to.throw(/shard 2\/3 is missing \(given: 1\/3, 3\/3\)/);
    expect(() => checkShards([shardExport('/s1', 1, 4)])).to.throw(/shards 2\/4, 3\/4, 4\/4 are missing/);
  });

  it('refuses a duplicated shard, naming both directories', () => {
    expect(() => checkShards([shardExport('/a', 1, 2), shardExport('/b', 1, 2), shardExport('/c', 2, 2)])).to.throw(/shard 1\/2 is given twice \(\/a and \/b\)/);
  });

  it('refuses overlapping shards: another N, or other boundaries', () => {
    expect(() => checkShards([shardExport('/a', 1, 2), shardExport('/b', 2, 3)])).to.throw(/\/b and \/a differ in the number of shards/);
    const other = { 'db.c': { ...PLAN['db.c'], boundaries: [{ $numberInt: '5' }, { $numberInt: '7' }] } };
    expect(() => checkShards([shardExport('/a', 1, 2), shardExport('/b', 2, 2, { shard: { index: 2, count: 2, plan: other } })])).to.throw(
      /shard 2\/2 \(\/b\) split db\.c with other boundaries than shard 1\/2 \(\/a\)/,
    );
  });

  it('refuses shards of other layouts, formats, sources or compression', () => {
    const cases: [Partial<Manifest>, RegExp][] = [
      [{ layout: { source: 'l', sha256: 'bb', document: { databases: [] } } }, /differ in the layout/],
      [{ json_format: 'relaxed' }, /differ in the JSON format/],
      [{ source_endpoint: 'mongodb://elsewhere:27017/' }, /differ in the source/],
      [{ databases: { db: ['c', 'd'] } }, /differ in the collections/],
      [{ files: [{ path: 'db/c.part-2-of-2.json.gz', database: 'db', collection: 'c', documents: 3, bytes: 30, sha256: 'x', compression: 'gzip' }] }, /differ in the compression/],
    ];
    for (const [change, message] of cases) expect(() => checkShards([shardExport('/a', 1, 2), shardExport('/b', 2, 2, change)])).to.throw(message);
  });
});
