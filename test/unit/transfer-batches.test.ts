import { expect } from 'chai';
import type { Doc } from '../../src/core/documents.js';
import type { CollectionScope } from '../../src/core/layout.js';
import { ignoreEvents } from '../../src/engine/events.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import type { CollectionSink, SinkItem, SinkStore, SourceItem, SourceStore } from '../../src/stores/types.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

/** A source of `sizes.length` documents; `sizes[i]` is what it reports as document i's size. */
function sourceOf(sizes: (number | undefined)[]): SourceStore {
  return {
    kind: 'dir',
    describe: () => 'memory',
    count: async () => sizes.length,
    async *read(): AsyncGenerator<SourceItem> {
      for (let i = 0; i < sizes.length; i++) yield { doc: { id: `d${i}` }, ...(sizes[i] !== undefined ? { bytes: sizes[i] } : {}) };
    },
    close: async () => {},
  };
}

/** Records the size of every batch it is sent; `sizeOf` plays a sink that measures in prepare. */
function recordingSink(batches: number[], sizeOf?: (doc: Doc) => number): SinkStore {
  const sink: CollectionSink = {
    prepare: (doc) => ({ doc, ...(sizeOf ? { bytes: sizeOf(doc) } : {}) }),
    write: async (batch: SinkItem[]) => {
      batches.push(batch.length);
      return batch.map(() => ({ status: 'written' as const }));
    },
    finish: async () => {},
    abort: async () => {},
  };
  return { kind: 'dir', describe: () => 'memory', maxConcurrency: 1, prepareAll: async () => {}, open: async () => sink, close: async () => {} };
}

async function batchesFor(source: SourceStore, sink: (batches: number[]) => SinkStore, batchSize: number, batchBytes?: number): Promise<number[]> {
  const batches: number[] = [];
  await transferCollection({
    source,
    sink: sink(batches),
    scope,
    mode: 'upsert',
    batchSize,
    ...(batchBytes !== undefined ? { batchBytes } : {}),
    concurrency: 1,
    rejects: new RejectsWriter('/nonexistent-rejects-not-written'),
    errorBudget: new ErrorBudget(),
    events: ignoreEvents,
  });
  return batches;
}

describe('write batches are bounded by documents and by bytes', () => {
  it('ends a batch at --batch-size documents when documents are small', async () => {
    expect(await batchesFor(sourceOf(Array(1200).fill(100)), (b) => recordingSink(b), 500, 2 * 1024 * 1024)).to.deep.equal([500, 500, 200]);
  });

  it('ends a batch once its documents reach --batch-bytes, from the sizes the source read', async () => {
    // 20 documents of 300 KB: 1 MB holds four of them (the fourth crosses the bound).
    expect(await batchesFor(sourceOf(Array(20).fill(300 * 1024)), (b) => recordingSink(b), 500, 1024 * 1024)).to.deep.equal([4, 4, 4, 4, 4]);
  });

  it('prefers the size the sink measured when it prepared the document', async () => {
    const batches = await batchesFor(sourceOf(Array(10).fill(1)), (b) => recordingSink(b, () => 600 * 1024), 500, 1024 * 1024);
    expect(batches).to.deep.equal([2, 2, 2, 2, 2]);
  });

  it('never holds a document back: one larger than the bound ends the batch it joins', async () => {
    expect(await batchesFor(sourceOf([10, 5_000_000, 10]), (b) => recordingSink(b), 500, 1024 * 1024)).to.deep.equal([2, 1]);
  });

  it('counts documents alone when neither side knows their size', async () => {
    expect(await batchesFor(sourceOf(Array(7).fill(undefined)), (b) => recordingSink(b), 3, 1)).to.deep.equal([3, 3, 1]);
  });
});
