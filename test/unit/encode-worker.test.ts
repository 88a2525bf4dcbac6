import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BSON, ObjectId } from '../../src/core/bson.js';
import { canonicalLineFromBson } from '../../src/core/bson-canonical.js';
import type { Doc } from '../../src/core/documents.js';
import { AbortError } from '../../src/core/errors.js';
import { printableId } from '../../src/core/type-mapping.js';
import type { CollectionScope } from '../../src/core/layout.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import { DECLINED, encodeChunk } from '../../src/stores/exportdir/encode-chunk.js';
import { AUTO_WORKER_CORES, EncodeWorker, encodeWorkerCounts, encodeWorkerFor, encodeWorkerUrl } from '../../src/stores/exportdir/encode-pool.js';
import { DirSink } from '../../src/stores/exportdir/sink.js';
import { headOf } from '../../src/stores/mongo/bson-head.js';
import { RAW_BSON_READ } from '../../src/stores/mongo/connection.js';
import type { CollectionSink, SourceItem, SourceStore } from '../../src/stores/types.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

/** BSON bytes as the MongoDB source gives them; `onRead(n)` after the n-th document is handed out. */
function bsonSource(docs: Uint8Array[], onRead?: (n: number) => void | Promise<void>): SourceStore {
  return {
    kind: 'mongodb',
    describe: () => 'memory mongodb',
    count: async () => docs.length,
    async *read(): AsyncGenerator<SourceItem> {
      let n = 0;
      for (const bytes of docs) {
        yield { doc: headOf(bytes), bson: bytes, whole: () => BSON.deserialize(bytes, RAW_BSON_READ) as Doc };
        await onRead?.(++n);
      }
    },
    close: async () => {},
  };
}

function synthetic(n: number): Uint8Array[] {
  return [...generateDocuments('messages', n, { seed: 7, flavor: 'mongodb' })].map((d) => BSON.serialize(d));
}

/** A valid document whose second element has an unknown BSON type (0x42): the walk leaves it, the deserialiser refuses it. */
function malformed(): Uint8Array {
  const bytes = Buffer.from(BSON.serialize({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b'), x: 1 }));
  // _id: 4 (length) + 1 (type) + 4 ("_id\0") + 12 = byte 21 is the next element's type.
  expect(bytes[21]).to.equal(0x10);
  bytes[21] = 0x42;
  return bytes;
}

interface Run {
  dir: string;
  error?: Error;
  /** Encoding workers still running once the collection was done, before the sink was closed. */
  runningAfterCollection: number;
}

/** One export of the documents to `<dir>/db/c.json`, keeping the partial file when it fails (as `docferry export` does). */
async function exportDocs(source: SourceStore, worker: boolean, extra: { signal?: AbortSignal; wrap?: (target: CollectionSink) => void; scopes?: CollectionScope[] } = {}): Promise<Run> {
  const dir = await tempDir('docferry-encode-worker-');
  const rejects = new RejectsWriter(await tempDir('docferry-encode-worker-rejects-'));
  const sink = new DirSink({ dir, format: 'canonical', keepPartialOnAbort: true, encodeThreads: worker ? '1' : '0', encodeChunkDocs: 16 });
  if (extra.wrap) {
    const open = sink.open.bind(sink);
    sink.open = async (s, resume) => {
      const target = await open(s, resume);
      extra.wrap!(target);
      return target;
    };
  }
  let error: Error | undefined;
  let runningAfterCollection = -1;
  try {
    const scopes = extra.scopes ?? [scope];
    await sink.prepareAll(scopes);
    for (const s of scopes) await transferCollection({ source, sink, scope: s, mode: 'upsert', batchSize: 10, concurrency: 1, rejects, errorBudget: new ErrorBudget(), events: () => {}, ...(extra.signal ? { signal: extra.signal } : {}) });
  } catch (err) {
    error = err as Error;
  } finally {
    runningAfterCollection = encodeWorkerCounts().running;
    await rejects.close();
    await sink.close();
  }
  return { dir, runningAfterCollection, ...(error ? { error } : {}) };
}

const finalFile = (dir: string) => join(dir, 'db', 'c.json');
const partialFile = (dir: string) => join(dir, 'db', '.c.json.partial');
const exists = (path: string) => stat(path).then(() => true, () => false);

describe('the encoding worker thread of an export', () => {
  after(removeTempDirs);

  it('encodes a chunk into the same lines as the encoder on this thread, and leaves the same documents to the deserialiser', () => {
    const docs = [...synthetic(40), BSON.serialize({ _id: 1, 5: 'an integer key' })];
    const bson = Buffer.concat(docs);
    const ends = new Int32Array(docs.length);
    docs.reduce((at, d, k) => (ends[k] = at + d.length), 0);
    const chunk = encodeChunk(bson, ends, false);
    let start = 0;
    for (const [k, d] of docs.entries()) {
      const line = canonicalLineFromBson(d);
      if (line) {
        expect(chunk.out.subarray(start, chunk.ends[k]).equals(line.bytes), `document ${k}`).to.equal(true);
        expect(chunk.lengths[k]).to.equal(line.length);
      } else expect(chunk.lengths[k], `document ${k}`).to.equal(DECLINED);
      start = chunk.ends[k]!;
    }
    expect(chunk.lengths[docs.length - 1]).to.equal(DECLINED);
  });

  it('auto uses a worker only where the process may run on two cores or more; 0 never', () => {
    expect(encodeWorkerUrl()?.href).to.match(/\/encode-worker\.ts$/);
    expect(encodeWorkerFor('0')).to.equal(undefined);
    expect(encodeWorkerFor('1')?.href).to.equal(encodeWorkerUrl()!.href);
    expect(encodeWorkerFor('auto')?.href).to.equal(availableParallelism() >= AUTO_WORKER_CORES ? encodeWorkerUrl()!.href : undefined);
  });

  it('a collection smaller than one chunk is encoded on the main thread: no worker is started for it', async () => {
    const before = encodeWorkerCounts().started;
    const run = await exportDocs(bsonSource(synthetic(15)), true);
    expect(run.error).to.equal(undefined);
    expect((await readFile(finalFile(run.dir), 'utf8')).trim().split('\n')).to.have.length(15);
    expect(encodeWorkerCounts().started).to.equal(before);
  });

  it('a malformed document in the middle of a chunk fails the export with the error it gives without the worker, after the same documents', async () => {
    const docs = [...synthetic(60), malformed(), ...synthetic(40)];
    const without = await exportDocs(bsonSource(docs), false);
    const before = encodeWorkerCounts().started;
    const withWorker = await exportDocs(bsonSource(docs), true);
    expect(encodeWorkerCounts()).to.deep.equal({ running: 0, started: before + 1 });
    // The failed collection ended the worker itself.
    expect(withWorker.runningAfterCollection).to.equal(0);
    expect(without.error, 'without the worker').to.be.instanceOf(Error);
    expect(withWorker.error?.message).to.equal(without.error!.message);
    expect(withWorker.error?.constructor).to.equal(without.error!.constructor);
    // Nothing looks complete: no final file, and the partial file holds the same whole lines.
    for (const run of [without, withWorker]) expect(await exists(finalFile(run.dir))).to.equal(false);
    const [a, b] = await Promise.all([readFile(partialFile(without.dir)), readFile(partialFile(withWorker.dir))]);
    expect(b.equals(a)).to.equal(true);
    const lines = b.toString('utf8').split('\n');
    expect(lines.pop()).to.equal('');
    // Batches of 10: the 60 documents before the malformed one.
    expect(lines).to.have.length(60);
  });

  it('a chunk the worker cannot encode fails the export naming its first document; nothing after it is written', async () => {
    const docs = synthetic(100);
    let calls = 0;
    const run = await exportDocs(bsonSource(docs), true, {
      wrap: (target) => {
        const encoder = target.bsonEncoder!;
        // The third chunk fails as it does when the worker thread dies under it.
        Object.defineProperty(target, 'bsonEncoder', { value: { ...encoder, encode: (b: Uint8Array[], h: Doc[]) => (++calls === 3 ? Promise.reject(new Error('the encoding worker thread stopped (exit code 1)')) : encoder.encode(b, h)) } });
      },
    });
    const third = printableId(headOf(docs[32]!)._id);
    expect(run.error?.message).to.include(`db.c: encoding 16 documents in a worker thread, from the document with _id ${third}`).and.include('the encoding worker thread stopped (exit code 1)').and.include('--resume');
    expect(run.runningAfterCollection).to.equal(0);
    expect(await exists(finalFile(run.dir))).to.equal(false);
    const lines = (await readFile(partialFile(run.dir), 'utf8')).split('\n');
    expect(lines.pop()).to.equal('');
    // The batches of 10 that were complete before the third chunk: documents 0-29.
    expect(lines).to.have.length(30);
    expect(lines).to.deep.equal(docs.slice(0, 30).map((d) => canonicalLineFromBson(d)!.bytes.toString('utf8')));
  });

  it('an abort ends the worker thread', async () => {
    const controller = new AbortController();
    let runningWhenAborted = -1;
    const run = await exportDocs(
      bsonSource(synthetic(300), async (n) => {
        await new Promise((r) => setImmediate(r));
        if (n === 150) {
          runningWhenAborted = encodeWorkerCounts().running;
          controller.abort();
        }
      }),
      true,
      { signal: controller.signal },
    );
    expect(runningWhenAborted).to.equal(1);
    expect(run.error).to.be.instanceOf(AbortError);
    // Ended by the abort, before the sink was closed.
    expect(run.runningAfterCollection).to.equal(0);
    expect(await exists(finalFile(run.dir))).to.equal(false);
  });

  it('one worker serves every collection of an export, until the sink is closed', async () => {
    const before = encodeWorkerCounts().started;
    const scopes = ['a', 'b', 'c'].map((collection) => ({ ...scope, collection }));
    const run = await exportDocs(bsonSource(synthetic(50)), true, { scopes });
    expect(run.error).to.equal(undefined);
    expect(run.runningAfterCollection).to.equal(1);
    expect(encodeWorkerCounts()).to.deep.equal({ running: 0, started: before + 1 });
    for (const c of ['a', 'b', 'c']) expect((await readFile(join(run.dir, 'db', `${c}.json`), 'utf8')).trim().split('\n'), c).to.have.length(50);
  });

  it('a worker ended with chunks pending fails them, and every later one', async () => {
    const worker = new EncodeWorker(encodeWorkerUrl()!, false);
    const pending = Promise.allSettled([worker.encode(synthetic(20))]);
    await worker.terminate();
    const results = [...(await pending), ...(await Promise.allSettled([worker.encode(synthetic(2))]))];
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(encodeWorkerCounts().running).to.equal(0);
  });
});
