/**
 * The pure parts of `docferry plan`: the Cosmos DB write-cost model (docs/cli.md states it), the
 * indexed properties a policy counts, the RU budget a run steers by, the usage header, and the
 * partition-key findings of a sample.
 */
import { expect } from 'chai';
import type { ResolvedPartitionKey } from '../../src/core/layout.js';
import { analysePartitions, type SampledKey } from '../../src/engine/plan-partitions.js';
import { documentsBytesOf } from '../../src/stores/cosmos/source.js';
import { ruBudgetChoice } from '../../src/stores/cosmos/ru-budget-rule.js';
import { INDEX_RU_PER_PROPERTY, WRITE_RU_PER_KB, indexedPropertyCount, writeRequestUnits } from '../../src/stores/cosmos/write-cost.js';
import { cosmosInspector } from '../../src/stores/cosmos/plan.js';
import { cosmosStore } from '../../src/stores/cosmos/descriptor.js';
import { mongoStore } from '../../src/stores/mongo/descriptor.js';

const hash: ResolvedPartitionKey = { paths: ['/collection'], kind: 'Hash', version: 2 };
const multi: ResolvedPartitionKey = { paths: ['/archive_id', '/id'], kind: 'MultiHash', version: 2 };
const scope = (partitionKey: ResolvedPartitionKey) => ({ database: 'd', collection: 'c', partitionKey });

describe('plan: the Cosmos DB write-cost model', () => {
  it('matches the published figures: a 1 KB item about 5 RU unindexed, about 10 RU with 25 indexed properties', () => {
    expect(writeRequestUnits(1024, 0)).to.equal(5);
    expect(writeRequestUnits(1024, 25)).to.equal(10);
    expect(WRITE_RU_PER_KB).to.equal(5);
    expect(INDEX_RU_PER_PROPERTY).to.equal(0.2);
  });

  it('grows with the size above 1 KB and with the indexed properties; under 1 KB costs as 1 KB', () => {
    expect(writeRequestUnits(100, 0)).to.equal(5);
    expect(writeRequestUnits(10 * 1024, 0)).to.equal(50);
    expect(writeRequestUnits(4096, 10)).to.equal(22);
    expect(writeRequestUnits(2048, 40)).to.be.greaterThan(writeRequestUnits(2048, 20));
  });

  it('counts the leaf values the indexing policy includes, by the most precise path', () => {
    const doc = { id: 'x', title: 't', meta: { a: 1, b: { c: 2 } }, tags: ['p', 'q'], body: 'long' };
    expect(indexedPropertyCount(doc, undefined)).to.equal(7);
    expect(indexedPropertyCount(doc, { indexingMode: 'none' })).to.equal(0);
    expect(indexedPropertyCount(doc, { includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/meta/*' }, { path: '/"_etag"/?' }] })).to.equal(5);
    expect(indexedPropertyCount(doc, { includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/body/?' }, { path: '/tags/[]/?' }] })).to.equal(4);
    // Only what is included: /title and everything under /meta, but not /meta/b/c.
    expect(indexedPropertyCount(doc, { includedPaths: [{ path: '/title/?' }, { path: '/meta/*' }], excludedPaths: [{ path: '/*' }, { path: '/meta/b/*' }] })).to.equal(2);
  });

  it('the inspector costs a document as Cosmos DB stores it, with the id made from _id, and finds its partition key', () => {
    const inspect = cosmosInspector({ bsonInput: false });
    const item = inspect({ _id: 'a', archive_id: 'x', n: 1 }, scope(multi));
    const stored = { _id: 'a', archive_id: 'x', n: 1, id: 'a' };
    expect(item.bytes).to.equal(Buffer.byteLength(JSON.stringify(stored)));
    expect(item.writeCost).to.equal(writeRequestUnits(item.bytes!, 4));
    expect(item.partitionKey).to.deep.equal(['x', 'a']);
    const lacking = inspect({ id: 'b' }, scope(multi));
    expect(lacking.partitionKeyProblem).to.equal('missing partition-key value at /archive_id');
    expect(inspect({ _id: 'a/b' }, scope(hash)).refused).to.contain('"/"');
    // The live container's policy decides: nothing indexed, only the size is paid.
    expect(inspect({ id: 'c', collection: 'm' }, scope(hash), { cosmos: { partitionKey: { paths: ['/collection'] }, indexingPolicy: { indexingMode: 'none' } } }).writeCost).to.equal(5);
  });
});

describe('plan: the RU budget a run steers by', () => {
  const s = scope(hash);
  it('--max-ru alone: one budget for the run; neither: the provisioned RU/s, else none', () => {
    expect(ruBudgetChoice({ maxRu: 4000 }, undefined, s)).to.deep.equal({ key: '*', budget: 4000, from: '--max-ru' });
    expect(ruBudgetChoice({}, { ru: 1000, level: 'database', autoscale: false }, s)).to.deep.equal({ key: 'd', budget: 1000, from: 'provisioned' });
    expect(ruBudgetChoice({}, undefined, s)).to.deep.equal({ key: 'd/c', from: 'none' });
  });
  it('--ru-share: its share of the provisioned RU/s, at most --max-ru; without a provisioned throughput a problem', () => {
    expect(ruBudgetChoice({ ruShare: 0.5 }, { ru: 10000, level: 'container', autoscale: true }, s)).to.deep.equal({ key: 'd/c', budget: 5000, from: '--ru-share' });
    expect(ruBudgetChoice({ ruShare: 0.5, maxRu: 2000 }, { ru: 10000, level: 'container', autoscale: false }, s)).to.deep.equal({ key: 'd/c', budget: 2000, from: '--ru-share' });
    expect(ruBudgetChoice({ ruShare: 0.5 }, undefined, s)).to.have.property('problem').that.contains('--max-ru');
  });
  it('names the options as the user gave them: a migrate\'s --to-ru-share and --to-max-ru', () => {
    const names = { maxRu: '--to-max-ru', ruShare: '--to-ru-share' };
    expect(ruBudgetChoice({ ruShare: 0.5, names }, undefined, s)).to.deep.equal({
      problem: '--to-ru-share: d.c has no provisioned throughput (a serverless account). Pass --to-max-ru <RU/s> instead.',
    });
  });
  it('reads documentsSize (KB) from the usage header', () => {
    expect(documentsBytesOf('documentSize=0;documentsSize=12;documentsCount=3;collectionSize=14')).to.equal(12 * 1024);
    expect(documentsBytesOf(undefined)).to.equal(undefined);
    expect(documentsBytesOf('collectionSize=5')).to.equal(undefined);
  });
});

describe('plan: what a sample says of the partition key', () => {
  const keyed = (values: unknown[][], bytes = 1000): SampledKey[] => values.map((key, i) => ({ key: key as SampledKey['key'], bytes, id: `d${i}` }));

  it('documents without a usable value are counted and named', () => {
    const { findings, warnings } = analysePartitions([...keyed([['a', '1'], ['b', '2']]), { problem: 'missing partition-key value at /archive_id', id: 'x1' }], multi, { where: 'd.c' });
    expect(findings.missing).to.equal(1);
    expect(findings.missingExamples).to.deep.equal([{ id: 'x1', reason: 'missing partition-key value at /archive_id' }]);
    expect(warnings[0]).to.contain('1 of 3 sampled documents have no usable value').and.to.contain('x1: missing partition-key value at /archive_id');
  });

  it('a MultiHash first level of few values, or one value in half the documents, is low-cardinality', () => {
    const few = analysePartitions(keyed(Array.from({ length: 30 }, (_, i) => [`a${i % 3}`, `${i}`])), multi, { where: 'd.c' });
    expect(few.findings.firstLevel?.distinct).to.equal(3);
    expect(few.warnings.join()).to.contain('takes 3 values in 30 sampled documents');
    const skewed = analysePartitions(keyed(Array.from({ length: 40 }, (_, i) => [i < 20 ? 'big' : `a${i}`, `${i}`])), multi, { where: 'd.c' });
    expect(skewed.findings.firstLevel?.topShare).to.equal(0.5);
    expect(skewed.warnings.join()).to.contain('"big" in 50%');
    const spread = analysePartitions(keyed(Array.from({ length: 40 }, (_, i) => [`a${i}`, `${i}`])), multi, { where: 'd.c' });
    expect(spread.warnings).to.deep.equal([]);
    // Too small a sample to say.
    expect(analysePartitions(keyed([['a', '1'], ['a', '2']]), multi, { where: 'd.c' }).warnings).to.deep.equal([]);
  });

  it('extrapolates logical partitions: a value in half of 100 sampled 1 KB documents of a 100M-document collection passes 20 GB', () => {
    const sample = keyed(Array.from({ length: 100 }, (_, i) => [i < 50 ? 'messages' : `other${i % 5}`]), 1024);
    const limit = 20 * 1024 ** 3;
    const big = analysePartitions(sample, hash, { documents: 100_000_000, limitBytes: limit, where: 'copilot.documents' });
    expect(big.findings.largestLogicalPartition?.value).to.deep.equal(['messages']);
    expect(big.findings.largestLogicalPartition?.estimatedBytes).to.equal(50 * 1024 * 1_000_000);
    expect(big.warnings.join()).to.contain('would pass the 20.0 GB limit').and.to.contain('"messages", about 47.7 GB');
    const small = analysePartitions(sample, hash, { documents: 10_000, limitBytes: limit, where: 'copilot.documents' });
    expect(small.warnings).to.deep.equal([]);
    // Every value seen once (a key of /id): no partition is estimated.
    expect(analysePartitions(keyed([['a'], ['b'], ['c']]), hash, { documents: 1e12, limitBytes: limit, where: 'x' }).findings.largestLogicalPartition).to.equal(undefined);
  });
});

describe('plan: what the descriptors answer', () => {
  it('Cosmos DB creates missing containers with an account key, not with a data-plane token; MongoDB always', () => {
    const endpoint = 'https://acct.documents.azure.com:443/';
    expect(cosmosStore.planning.createsMissing({ type: 'cosmos', connection: { endpoint, key: 'k' } })).to.equal(true);
    expect(cosmosStore.planning.createsMissing({ type: 'cosmos', connection: { endpoint, credential: { getToken: async () => null } } })).to.be.a('string').that.contains('--use-rbac');
    expect(mongoStore.planning.createsMissing({ type: 'mongodb', uri: 'mongodb://h/' })).to.equal(true);
  });
  it('only Cosmos DB has logical partitions (20 GB) and an RU budget', () => {
    expect(cosmosStore.planning.logicalPartitionBytes).to.equal(20 * 1024 ** 3);
    expect(cosmosStore.planning.ruBudget?.({ type: 'cosmos', connection: { endpoint: 'https://a/', key: 'k' }, ru: { maxRu: 300 } }, undefined, scope(hash))).to.deep.equal({ key: '*', from: '--max-ru', ruPerSecond: 300 });
    expect(mongoStore.planning.logicalPartitionBytes).to.equal(undefined);
    expect(mongoStore.planning.ruBudget).to.equal(undefined);
  });
});
