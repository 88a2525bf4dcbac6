import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CollectionScope } from '../../src/core/layout.js';
import { ignoreEvents } from '../../src/engine/events.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import type { CollectionSink, SinkItem, SinkStore, SourceItem, SourceStore } from '../../src/stores/types.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

describe('a transfer whose batch fails', () => {
  after(removeTempDirs);

  it('stops reading, closes the source, waits for the batches in flight, lists every reject once, aborts the sink and throws the failure', async () => {
    const read: number[] = [];
    let sourceClosed = false;
    const source: SourceStore = {
      kind: 'dir',
      describe: () => 'memory',
      count: async () => undefined,
      async *read(): AsyncGenerator<SourceItem> {
        try {
          for (let i = 0; i < 10_000; i++) {
            read.push(i);
            yield { doc: { id: `d${i}`, bad: i % 10 === 3 } };
          }
        } finally {
          sourceClosed = true;
        }
      },
      close: async () => {},
    };
    let running = 0;
    let mostRunning = 0;
    let writesAfterFailure = 0;
    let failed = false;
    let aborted: unknown;
    const sink: CollectionSink = {
      prepare: (doc) => (doc.bad ? 'bad before sending' : { doc, id: String(doc.id) }),
      write: async (batch: SinkItem[]) => {
        if (failed) writesAfterFailure++;
        running++;
        mostRunning = Math.max(mostRunning, running);
        const third = batch[0]!.id === 'd20';
        await new Promise((resolve) => setTimeout(resolve, third ? 5 : 20));
        running--;
        if (third) {
          failed = true;
          throw new Error('the server went away');
        }
        return batch.map((item) => (item.id === 'd5' ? { status: 'rejected' as const, reason: 'refused by the server' } : { status: 'written' as const }));
      },
      finish: async () => {
        throw new Error('finish must not be called');
      },
      abort: async (err) => void (aborted = err),
    };
    const store: SinkStore = { kind: 'dir', describe: () => 'memory', prepareAll: async () => {}, open: async () => sink, close: async () => {} };
    const dir = await tempDir('docferry-transfer-failure-');
    const rejects = new RejectsWriter(dir);
    const err = await transferCollection({ source, sink: store, scope, mode: 'upsert', batchSize: 9, concurrency: 3, rejects, errorBudget: new ErrorBudget(), events: ignoreEvents }).then(
      () => undefined,
      (e: Error) => e,
    );
    await rejects.close();
    expect(err?.message).to.equal('the server went away');
    expect(aborted).to.equal(err);
    expect(sourceClosed).to.equal(true);
    expect(mostRunning).to.equal(3);
    expect(writesAfterFailure).to.equal(0);
    // Three batches in flight and the next one gathered at most: nowhere near the 10,000 documents.
    expect(read.length).to.be.below(60);
    const lines = (await readFile(join(dir, 'db.c.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id?: string; reason: string });
    const ids = lines.map((l) => l.id);
    // Each reject once: those of confirmed batches first (d3, d5, d13), then the failed batch's (d23) and later ones.
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids.slice(0, 3)).to.deep.equal(['d3', 'd5', 'd13']);
    expect(ids).to.include('d23');
    const badRead = read.filter((i) => i % 10 === 3).map((i) => `d${i}`);
    expect(ids.filter((id) => id !== 'd5')).to.deep.equal(badRead);
  });
});
