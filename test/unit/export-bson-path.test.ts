import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { BSON, Decimal128, Double, Int32, Long, ObjectId } from '../../src/core/bson.js';
import type { Doc } from '../../src/core/documents.js';
import type { CollectionScope } from '../../src/core/layout.js';
import type { JsonFormat } from '../../src/core/manifest.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import { encodeWorkerCounts } from '../../src/stores/exportdir/encode-pool.js';
import { DirSink } from '../../src/stores/exportdir/sink.js';
import { headOf } from '../../src/stores/mongo/bson-head.js';
import { RAW_BSON_READ } from '../../src/stores/mongo/connection.js';
import type { ReadOptions, SourceItem, SourceStore } from '../../src/stores/types.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

/**
 * A source that holds BSON documents as the MongoDB source reads them: deserialised with
 * RAW_BSON_READ, or (asked for `bson`, and allowed to give it) as bytes with their `_id` alone.
 */
function bsonSource(docs: Uint8Array[], giveBson: boolean, asked: ReadOptions[]): SourceStore {
  return {
    kind: 'mongodb',
    describe: () => 'memory mongodb',
    count: async () => docs.length,
    async *read(_scope: CollectionScope, options?: ReadOptions): AsyncGenerator<SourceItem> {
      asked.push(options ?? {});
      for (const bytes of docs) {
        if (giveBson && options?.bson) yield { doc: headOf(bytes), bson: bytes, whole: () => BSON.deserialize(bytes, RAW_BSON_READ) as Doc };
        else yield { doc: BSON.deserialize(bytes, RAW_BSON_READ) as Doc };
      }
    },
    close: async () => {},
  };
}

/** Every file of an export directory, by path, as bytes. */
async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name).slice(dir.length), await readFile(join(entry.parentPath, entry.name)));
  }
  return out;
}

/** `worker`: lines encoded in the encoding worker thread, in chunks of 16 documents (else on this thread). */
async function exportOnce(docs: Uint8Array[], giveBson: boolean, format: JsonFormat, gzip: boolean, worker = false): Promise<{ files: Map<string, Buffer>; asked: ReadOptions[]; rejects: string }> {
  const dir = await tempDir('docferry-bson-path-');
  const rejectsDir = await tempDir('docferry-bson-path-rejects-');
  const sink = new DirSink({ dir, format, ...(gzip ? { gzip } : {}), encodeThreads: worker ? '1' : '0', encodeChunkDocs: 16 });
  const rejects = new RejectsWriter(rejectsDir);
  const asked: ReadOptions[] = [];
  try {
    await sink.prepareAll([scope]);
    // Small batches by bytes, so that batch (and gzip member) boundaries are tested too.
    await transferCollection({ source: bsonSource(docs, giveBson, asked), sink, scope, mode: 'upsert', batchSize: 37, batchBytes: 20_000, concurrency: 1, rejects, errorBudget: new ErrorBudget(), events: () => {} });
  } finally {
    await rejects.close();
    // Ends the encoding worker, as the export does when it is done.
    await sink.close();
  }
  const rejected = await readFile(join(rejectsDir, 'db.c.ndjson'), 'utf8').catch(() => '');
  return { files: await filesOf(dir), asked, rejects: rejected };
}

describe('an export of BSON bytes writes the same files as an export of the deserialised documents', () => {
  after(removeTempDirs);

  // Synthetic copilot documents, and documents the direct path leaves to the deserialiser
  // (an integer key, a `$` key) or that the export refuses (plain-only formats aside, none here).
  const docs: Uint8Array[] = [];
  for (const collection of ['messages', 'chunks', 'summaries', 'user_roles'] as const) {
    for (const doc of generateDocuments(collection, 60, { seed: 5, flavor: 'mongodb' })) docs.push(BSON.serialize(doc));
  }
  docs.push(BSON.serialize({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b'), 10: 'integer key', q: { $gt: new Int32(1) } }));
  docs.push(BSON.serialize({ n: new Double(-0), _id: Long.fromString('9007199254740993'), d: Decimal128.fromString('1.5'), s: 'é\u2028😀' }));

  for (const format of ['canonical', 'relaxed'] as const) {
    for (const gzip of [false, true]) {
      it(`${format}${gzip ? ', gzip' : ''}: byte for byte, and the source was asked for bytes`, async () => {
        const fromDocs = await exportOnce(docs, false, format, gzip);
        const fromBson = await exportOnce(docs, true, format, gzip);
        const workersBefore = encodeWorkerCounts().started;
        const fromWorker = await exportOnce(docs, true, format, gzip, true);
        // The worker ran (a collection of 16 chunks) and was ended with the collection.
        expect(encodeWorkerCounts()).to.deep.equal({ running: 0, started: workersBefore + 1 });
        expect(fromBson.asked).to.deep.equal([{ bson: true }]);
        expect(fromWorker.asked).to.deep.equal([{ bson: true }]);
        expect([...fromBson.files.keys()]).to.deep.equal([...fromDocs.files.keys()]);
        expect([...fromWorker.files.keys()]).to.deep.equal([...fromDocs.files.keys()]);
        for (const [path, bytes] of fromDocs.files) {
          expect(fromBson.files.get(path)!.equals(bytes), path).to.equal(true);
          expect(fromWorker.files.get(path)!.equals(bytes), `${path}, worker`).to.equal(true);
        }
        expect(fromBson.rejects).to.equal(fromDocs.rejects);
        expect(fromWorker.rejects).to.equal(fromDocs.rejects);
        // Not an empty comparison: every document was written.
        const file = [...fromBson.files.keys()].find((p) => p.includes('c.json'))!;
        expect(file).to.not.equal(undefined);
        if (!gzip) expect(fromBson.files.get(file)!.toString('utf8').trim().split('\n')).to.have.length(docs.length);
      });
    }
  }

  it('plain and json exports do not ask for bytes', async () => {
    const { asked } = await exportOnce(docs.slice(0, 5), true, 'plain', false);
    expect(asked).to.deep.equal([{}]);
  });
});

describe('headOf: the _id of a BSON document, deserialised as in the whole document', () => {
  it('finds _id first, later, after every kind of value, and of any type', () => {
    const ids: unknown[] = [new ObjectId('65a1b2c3d4e5f60718293a4b'), 'text', new Int32(5), Long.fromString('-9007199254740993'), new Double(1.5), { a: 1, b: [1, 2] }, new Date(12345), Decimal128.fromString('2.5'), null];
    for (const id of ids) {
      for (const doc of [{ _id: id, x: 1 }, { a: 'x', b: { c: [1, 'y'] }, d: new Double(2), e: BSON.Binary.createFromBase64('AQID', 0), f: new ObjectId(), _id: id }, { r: new BSON.BSONRegExp('a', 'i'), _id: id }]) {
        const bytes = BSON.serialize(doc);
        expect(headOf(bytes)).to.deep.equal({ _id: (BSON.deserialize(bytes, RAW_BSON_READ) as Doc)._id });
      }
    }
    expect(headOf(BSON.serialize({ a: 1 }))).to.deep.equal({});
  });
});
