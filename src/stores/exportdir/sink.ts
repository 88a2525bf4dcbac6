import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { canonicalLineFromBson, canonicalLineToSlab } from '../../core/bson-canonical.js';
import { LineSlab, lineRuns } from '../../core/line-slab.js';
import { encodeDocument, isExtendedJson, relaxedFromCanonical } from '../../core/codec.js';
import type { Doc } from '../../core/documents.js';
import { DocferryError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import type { JsonFormat, ManifestFile } from '../../core/manifest.js';
import type { BsonChunkEncoder, CollectionSink, SinkItem, SinkStore, WriteResult } from '../types.js';
import { DECLINED } from './encode-chunk.js';
import { EncodeWorker, encodeWorkerFor, type EncodeThreads } from './encode-pool.js';
import { PRIVATE_FILE_MODE, fsyncDir, mkdirPrivate } from './fsync.js';

export interface DirSinkOptions {
  dir: string;
  format: JsonFormat;
  gzip?: boolean;
  /** A checkpoint refers to the `.partial` files: keep them when a collection fails, for --resume. */
  keepPartialOnAbort?: boolean;
  /** `part-2-of-4`: a shard's files are `<db>/<coll>.part-2-of-4.json` (docs/sharding.md). */
  part?: string;
  /**
   * `--encode-threads`: Extended JSON lines from BSON in a worker thread (`1`), on the main
   * thread (`0`), or in a worker where there are two cores or more (`auto`, the default).
   */
  encodeThreads?: EncodeThreads;
  /** Documents per chunk handed to the encoding worker (tests make it small, to cross chunk boundaries). */
  encodeChunkDocs?: number;
}

/** Chunks for the encoding worker: ~1 MB of BSON or 256 documents, 3 out at once (what bounds its memory). */
const ENCODE_CHUNK_DOCS = 256;
const ENCODE_CHUNK_BYTES = 1 << 20;
const ENCODE_IN_FLIGHT = 3;

/** What a checkpoint records about a `.partial` file after each batch. */
export interface PartialFileState {
  bytes: number;
  sha256: string;
  documents: number;
}

const gzipMember = promisify(gzipCallback);

export function exportFileName(scope: { database: string; collection: string }, gzip: boolean, part?: string): string {
  return `${scope.database}/${scope.collection}${part ? `.${part}` : ''}.json${gzip ? '.gz' : ''}`;
}

function diskError(err: unknown, path: string): DocferryError {
  const code = (err as NodeJS.ErrnoException).code;
  const advice =
    code === 'ENOSPC'
      ? 'The disk is full: free space, then re-run the same export with --resume to continue where it stopped.'
      : code === 'EACCES' || code === 'EPERM'
        ? 'Permission denied: choose a directory you can write to.'
        : 'Check the disk, then re-run the same export with --resume.';
  return new DocferryError(`Cannot write ${path}: ${(err as Error).message}. ${advice}`, 1, { cause: err });
}

/**
 * Writes each collection to `<db>/<coll>.json` through a temporary `.partial` name, hashing the
 * bytes as they are stored; only a finished, flushed file is renamed into place. A gzip file is
 * one gzip member per batch (a multi-member file every gunzip reads), so that a resumed export
 * can continue after the last batch a checkpoint recorded.
 */
export class DirSink implements SinkStore {
  readonly kind = 'dir' as const;
  readonly maxConcurrency = 1;
  readonly files: ManifestFile[] = [];
  /** The encoding worker's module when this export uses one (decided by prepareAll). */
  private encodeWorkerUrl: URL | undefined;
  /**
   * One worker thread for the whole export, started by the first collection that hands it a
   * chunk: a thread per collection paid its start-up (an isolate, the BSON library, the JIT's
   * warm-up: ~0.1 s of CPU) again for every collection. Collections exported at once share it
   * (each takes its own replies in order). Ended by `close`, and by the abort of the last
   * collection using it; a worker that failed is replaced for the next collection.
   */
  private worker: EncodeWorker | undefined;
  private workerUsers = 0;

  constructor(readonly options: DirSinkOptions) {}

  describe(): string {
    return this.options.dir;
  }

  async prepareAll(scopes: CollectionScope[]): Promise<void> {
    this.encodeWorkerUrl = isExtendedJson(this.options.format) ? encodeWorkerFor(this.options.encodeThreads) : undefined;
    for (const db of new Set(scopes.map((s) => s.database))) {
      try {
        await mkdirPrivate(join(this.options.dir, db));
      } catch (err) {
        throw diskError(err, join(this.options.dir, db));
      }
    }
  }

  private paths(scope: CollectionScope) {
    const relPath = exportFileName(scope, this.options.gzip ?? false, this.options.part);
    const finalPath = join(this.options.dir, relPath);
    const tempPath = join(dirname(finalPath), `.${basename(relPath)}.partial`);
    return { relPath, finalPath, tempPath };
  }

  private record(file: ManifestFile): void {
    const i = this.files.findIndex((f) => f.path === file.path);
    if (i >= 0) this.files.splice(i, 1, file);
    else this.files.push(file);
  }

  async open(scope: CollectionScope, resume?: unknown): Promise<CollectionSink> {
    const { relPath, finalPath, tempPath } = this.paths(scope);
    const sink = new DirCollectionSink(scope, relPath, finalPath, tempPath, this.options, (file) => this.record(file), this.encodeWorkerUrl ? this : undefined);
    await sink.start(isPartialState(resume) ? resume : undefined);
    return sink;
  }

  /** A file an earlier run finished counts only while its size and sha256 are unchanged. */
  async adoptFinished(scope: CollectionScope, finished: unknown): Promise<boolean> {
    const f = finished as ManifestFile | undefined;
    const { relPath, finalPath } = this.paths(scope);
    if (!f || f.path !== relPath || typeof f.sha256 !== 'string') return false;
    const digest = await hashPrefix(finalPath, Infinity).catch(() => undefined);
    if (!digest || digest.bytes !== f.bytes || digest.hash.digest('hex') !== f.sha256) return false;
    this.record(f);
    return true;
  }

  /** The export's worker, for a collection that starts using it (`releaseWorker` when it is done). */
  acquireWorker(): EncodeWorker {
    if (!this.worker || this.worker.failed) {
      void this.worker?.terminate();
      this.worker = new EncodeWorker(this.encodeWorkerUrl!, this.options.format === 'relaxed');
    }
    this.workerUsers++;
    return this.worker;
  }

  /** A collection is done with the worker; after an abort, a worker no other collection uses is ended. */
  async releaseWorker(aborted: boolean): Promise<void> {
    this.workerUsers--;
    if (aborted && this.workerUsers === 0) await this.stopWorker();
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Ends the encoding worker. */
  async close(): Promise<void> {
    await this.stopWorker();
  }
}

function isPartialState(v: unknown): v is PartialFileState {
  const s = v as PartialFileState | undefined;
  return typeof s === 'object' && s !== null && typeof s.bytes === 'number' && typeof s.sha256 === 'string' && typeof s.documents === 'number';
}

interface EncodedItem extends SinkItem {
  /** The document as its line in the file, without the newline: text, or its UTF-8 bytes. */
  line: string | Buffer;
}

/** sha256 of a file's first `limit` bytes, and how many bytes there were (up to the limit). */
async function hashPrefix(path: string, limit: number): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (limit > 0) {
    const stream = createReadStream(path, { highWaterMark: 1 << 20, ...(Number.isFinite(limit) ? { end: limit - 1 } : {}) });
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } else {
    await stat(path);
  }
  return { hash, bytes };
}

/**
 * The lines, each followed by a newline, as UTF-8 buffers to write one after another: one buffer
 * when they are all text; lines encoded from BSON as they lie in the sink's slab, without a copy.
 */
function linePieces(lines: (string | Buffer)[]): Buffer[] {
  if (lines.every((l) => typeof l === 'string')) return [Buffer.from(`${lines.join('\n')}\n`, 'utf8')];
  return lineRuns(lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'utf8') : l)));
}

/** Writes `pieces` one after another at `position`, however many calls the file system needs. */
async function writeAllAt(fh: FileHandle, pieces: Buffer[], position: number): Promise<void> {
  let rest = pieces;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, at);
    // A regular file takes some bytes or fails with an error; nothing written would loop forever.
    if (bytesWritten === 0) throw Object.assign(new Error('the file system wrote nothing'), { code: 'EIO' });
    at += bytesWritten;
    let done = bytesWritten;
    let k = 0;
    while (k < rest.length && done >= rest[k]!.length) done -= rest[k++]!.length;
    rest = k < rest.length ? [rest[k]!.subarray(done), ...rest.slice(k + 1)] : [];
  }
}

class DirCollectionSink implements CollectionSink {
  private fh: FileHandle | undefined;
  private hash: Hash = createHash('sha256');
  private bytes = 0;
  private documents = 0;
  private finished: ManifestFile | undefined;
  /** The export's encoding worker, taken with the first chunk this collection hands it. */
  private worker: EncodeWorker | undefined;
  /** Where this collection's lines from BSON are kept until written (src/core/line-slab.ts). */
  private readonly slab = new LineSlab();
  resumeProblem?: string;
  readonly bsonEncoder?: BsonChunkEncoder;

  constructor(
    private readonly scope: CollectionScope,
    private readonly relPath: string,
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly options: DirSinkOptions,
    private readonly onFinished: (file: ManifestFile) => void,
    workers?: DirSink,
  ) {
    if (isExtendedJson(options.format)) {
      this.prepareBson = (bson, head) => this.fromBson(bson, head);
      if (workers) {
        this.workers = workers;
        this.bsonEncoder = {
          chunkDocs: options.encodeChunkDocs ?? ENCODE_CHUNK_DOCS,
          chunkBytes: ENCODE_CHUNK_BYTES,
          inFlight: ENCODE_IN_FLIGHT,
          encode: (bsons, heads) => this.encodeInWorker((this.worker ??= workers.acquireWorker()), bsons, heads),
        };
      }
    }
  }

  /** fromBson for a chunk, in the worker: the same lines (encode-chunk.ts runs the same encoder). */
  private async encodeInWorker(worker: EncodeWorker, bsons: Uint8Array[], heads: Doc[]): Promise<(EncodedItem | null | undefined)[]> {
    const chunk = await worker.encode(bsons);
    const items: (EncodedItem | null | undefined)[] = new Array(bsons.length);
    let start = 0;
    for (let k = 0; k < bsons.length; k++) {
      const end = chunk.ends[k]!;
      const length = chunk.lengths[k]!;
      items[k] = length >= 0 ? { doc: heads[k]!, line: chunk.out.subarray(start, end), bytes: length } : length === DECLINED ? null : undefined;
      start = end;
    }
    return items;
  }

  private workers: DirSink | undefined;

  private async releaseWorker(aborted: boolean): Promise<void> {
    if (!this.worker) return;
    this.worker = undefined;
    await this.workers!.releaseWorker(aborted);
  }

  /** Opens the `.partial` file: fresh, or truncated back to what the checkpoint recorded. */
  async start(resume: PartialFileState | undefined): Promise<void> {
    try {
      if (resume) {
        const problem = await this.continueFrom(resume);
        if (!problem) return;
        this.resumeProblem = problem;
        this.hash = createHash('sha256');
        this.bytes = 0;
        this.documents = 0;
      }
      await rm(this.tempPath, { force: true });
      this.fh = await open(this.tempPath, 'w', PRIVATE_FILE_MODE);
    } catch (err) {
      throw diskError(err, this.tempPath);
    }
  }

  private async continueFrom(state: PartialFileState): Promise<string | undefined> {
    let exists = await stat(this.tempPath).then(() => true, () => false);
    if (!exists && (await stat(this.finalPath).then(() => true, () => false))) {
      // Killed after the rename but before the checkpoint said "done": take the file back as
      // partial; it is trusted below exactly like one.
      await rename(this.finalPath, this.tempPath);
      exists = true;
    }
    if (!exists) return `${this.tempPath} is gone`;
    const { size } = await stat(this.tempPath);
    if (size < state.bytes) return `${this.tempPath} holds ${size} bytes, fewer than the ${state.bytes} the checkpoint recorded`;
    const prefix = await hashPrefix(this.tempPath, state.bytes);
    if (prefix.bytes !== state.bytes || prefix.hash.copy().digest('hex') !== state.sha256) {
      return `the first ${state.bytes} bytes of ${this.tempPath} are not what the checkpoint recorded`;
    }
    this.hash = prefix.hash;
    this.bytes = state.bytes;
    this.documents = state.documents;
    this.fh = await open(this.tempPath, 'r+');
    // Bytes after the checkpoint belong to batches that were never confirmed: they are re-sent.
    await this.fh.truncate(state.bytes);
    return undefined;
  }

  // Encoded here rather than in write, so that the engine can bound batches by their size.
  prepare(doc: Doc): EncodedItem | string {
    let line: string;
    try {
      line = encodeDocument(doc, this.options.format);
    } catch (err) {
      return `cannot encode as ${this.options.format}: ${(err as Error).message}`;
    }
    return { doc, line, bytes: line.length };
  }

  /**
   * Canonical lines straight from the BSON bytes (src/core/bson-canonical.ts): the same bytes as
   * `prepare` makes of the deserialised document, without deserialising it. `bytes` is the line's
   * length as text, as `prepare` gives it, so that batches (and gzip members) end where they did.
   */
  readonly prepareBson?: (bson: Uint8Array, head: Doc) => EncodedItem | undefined;

  private fromBson(bson: Uint8Array, head: Doc): EncodedItem | undefined {
    if (this.options.format === 'canonical') {
      const line = canonicalLineToSlab(bson, this.slab);
      return line && { doc: head, line: line.bytes, bytes: line.length };
    }
    const line = canonicalLineFromBson(bson);
    if (!line) return undefined;
    // Relaxed lines are made from the canonical text (src/core/codec.ts).
    const relaxed = relaxedFromCanonical(line.bytes.toString('utf8'));
    return { doc: head, line: relaxed, bytes: relaxed.length };
  }

  async write(batch: SinkItem[]): Promise<WriteResult[]> {
    const lines = (batch as EncodedItem[]).map((item) => item.line);
    const results: WriteResult[] = lines.map(() => ({ status: 'written' }));
    if (lines.length > 0) {
      const pieces = linePieces(lines);
      const chunks = this.options.gzip ? [await gzipMember(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), { level: 6 })] : pieces;
      let length = 0;
      for (const chunk of chunks) length += chunk.length;
      try {
        await writeAllAt(this.fh!, chunks, this.bytes);
      } catch (err) {
        throw diskError(err, this.tempPath);
      }
      for (const chunk of chunks) this.hash.update(chunk);
      this.bytes += length;
      this.documents += lines.length;
    }
    return results;
  }

  checkpointState(): PartialFileState | ManifestFile {
    if (this.finished) return this.finished;
    return { bytes: this.bytes, sha256: this.hash.copy().digest('hex'), documents: this.documents };
  }

  async finish(): Promise<void> {
    await this.releaseWorker(false);
    try {
      await this.fh!.sync();
      await this.fh!.close();
      this.fh = undefined;
      await rename(this.tempPath, this.finalPath);
      await fsyncDir(dirname(this.finalPath));
    } catch (err) {
      if (!this.options.keepPartialOnAbort) await rm(this.tempPath, { force: true });
      throw diskError(err, this.finalPath);
    }
    const { size } = await stat(this.finalPath);
    if (size !== this.bytes) throw new DocferryError(`${this.finalPath}: wrote ${this.bytes} bytes but the file holds ${size}; the disk lost data.`);
    this.finished = {
      path: this.relPath,
      database: this.scope.database,
      collection: this.scope.collection,
      documents: this.documents,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
      ...(this.options.gzip ? { compression: 'gzip' as const } : {}),
    };
    this.onFinished(this.finished);
  }

  async abort(): Promise<void> {
    await this.releaseWorker(true).catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    // A checkpoint can only continue from bytes that were written; an empty partial is just noise.
    if (!this.options.keepPartialOnAbort || this.bytes === 0) await rm(this.tempPath, { force: true });
  }
}
