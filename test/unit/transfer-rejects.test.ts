import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Double } from '../../src/core/bson.js';
import type { Doc } from '../../src/core/documents.js';
import type { CollectionScope } from '../../src/core/layout.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import { DirSink } from '../../src/stores/exportdir/sink.js';
import type { CollectionSink, SinkStore, SourceItem, SourceStore, StoreKind } from '../../src/stores/types.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

function sourceOf(kind: StoreKind, docs: Doc[]): SourceStore {
  return {
    kind,
    describe: () => `memory ${kind}`,
    count: async () => docs.length,
    async *read(): AsyncGenerator<SourceItem> {
      for (const doc of docs) yield { doc };
    },
    close: async () => {},
  };
}

/** A target of the given kind that refuses every document when preparing it. */
function refusingSink(kind: StoreKind): SinkStore {
  const sink: CollectionSink = {
    prepare: () => 'refused by the test sink',
    write: async (batch) => batch.map(() => ({ status: 'written' as const })),
    finish: async () => {},
    abort: async () => {},
  };
  return { kind, describe: () => `memory ${kind}`, prepareAll: async () => {}, open: async () => sink, close: async () => {} };
}

/** Moves the documents and returns the ids the reject events and the rejects file named. */
async function rejectedIds(source: SourceStore, sink: SinkStore): Promise<{ events: (string | undefined)[]; file: (string | undefined)[]; reasons: string[] }> {
  const dir = await tempDir('docferry-reject-ids-');
  const rejects = new RejectsWriter(dir);
  const events: EngineEvent[] = [];
  try {
    await sink.prepareAll([scope]);
    await transferCollection({ source, sink, scope, mode: 'upsert', batchSize: 10, concurrency: 1, rejects, errorBudget: new ErrorBudget(), events: (e) => events.push(e) });
  } finally {
    await rejects.close();
  }
  const entries = (await readFile(join(dir, 'db.c.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id?: string; reason: string });
  return {
    events: events.filter((e) => e.type === 'reject').map((e) => (e as { id?: string }).id),
    file: entries.map((e) => e.id),
    reasons: entries.map((e) => e.reason),
  };
}

describe('rejects name a document by the id of the store involved', () => {
  after(removeTempDirs);

  // A MongoDB document whose application also keeps an `id` field: MongoDB knows it by `_id`.
  const both = (): Doc => ({ _id: 'mongo-key', id: 'app-id', n: new Double(Number.POSITIVE_INFINITY) });

  it('an export of MongoDB names the _id of a document it cannot encode', async () => {
    const out = await tempDir('docferry-reject-ids-out-');
    const r = await rejectedIds(sourceOf('mongodb', [both()]), new DirSink({ dir: out, format: 'plain' }));
    expect(r.reasons[0]).to.match(/^cannot encode as plain: .*Infinity/);
    expect(r.file).to.deep.equal(['mongo-key']);
    expect(r.events).to.deep.equal(['mongo-key']);
  });

  it('an export of Cosmos DB names the id', async () => {
    const out = await tempDir('docferry-reject-ids-out-');
    const r = await rejectedIds(sourceOf('cosmos', [{ id: 'cosmos-id', _id: 'app-key', n: new Double(Number.NaN) }]), new DirSink({ dir: out, format: 'plain' }));
    expect(r.file).to.deep.equal(['cosmos-id']);
  });

  it('a MongoDB target names the _id, a Cosmos DB target the id; either falls back to the other', async () => {
    const docs = (): Doc[] => [{ id: 'app-id', _id: 'mongo-key' }, { id: 'only-id' }, { _id: 'only-_id' }];
    expect((await rejectedIds(sourceOf('dir', docs()), refusingSink('mongodb'))).file).to.deep.equal(['mongo-key', 'only-id', 'only-_id']);
    expect((await rejectedIds(sourceOf('dir', docs()), refusingSink('cosmos'))).file).to.deep.equal(['app-id', 'only-id', 'only-_id']);
    // A migrate from Cosmos DB into MongoDB: the target decides.
    expect((await rejectedIds(sourceOf('cosmos', docs()), refusingSink('mongodb'))).events).to.deep.equal(['mongo-key', 'only-id', 'only-_id']);
  });
});
