import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { encodeDocument } from '../../core/codec.js';
import type { Doc } from '../../core/documents.js';
import { DocferryError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import type { JsonFormat, ManifestFile } from '../../core/manifest.js';
import type { CollectionSink, SinkItem, SinkStore, WriteResult } from '../types.js';
import { fsyncDir, fsyncFile } from './fsync.js';

export interface DirSinkOptions {
  dir: string;
  format: JsonFormat;
  gzip?: boolean;
}

export function exportFileName(scope: { database: string; collection: string }, gzip: boolean): string {
  return `${scope.database}/${scope.collection}.json${gzip ? '.gz' : ''}`;
}

function diskError(err: unknown, path: string): DocferryError {
  const code = (err as NodeJS.ErrnoException).code;
  const advice =
    code === 'ENOSPC'
      ? 'The disk is full: free space (or choose another --output-dir) and re-run the export.'
      : code === 'EACCES' || code === 'EPERM'
        ? 'Permission denied: choose a directory you can write to.'
        : 'Check the disk and re-run the export.';
  return new DocferryError(`Cannot write ${path}: ${(err as Error).message}. ${advice}`, 1, { cause: err });
}

/**
 * Writes each collection to `<db>/<coll>.json` through a temporary `.partial` name, hashing the
 * bytes as they are stored; only a finished, flushed file is renamed into place.
 */
export class DirSink implements SinkStore {
  readonly kind = 'dir' as const;
  readonly maxConcurrency = 1;
  readonly files: ManifestFile[] = [];

  constructor(readonly options: DirSinkOptions) {}

  describe(): string {
    return this.options.dir;
  }

  async prepareAll(scopes: CollectionScope[]): Promise<void> {
    for (const db of new Set(scopes.map((s) => s.database))) {
      try {
        await mkdir(join(this.options.dir, db), { recursive: true });
      } catch (err) {
        throw diskError(err, join(this.options.dir, db));
      }
    }
  }

  async open(scope: CollectionScope): Promise<CollectionSink> {
    const relPath = exportFileName(scope, this.options.gzip ?? false);
    const finalPath = join(this.options.dir, relPath);
    const tempPath = join(dirname(finalPath), `.${scope.collection}.json${this.options.gzip ? '.gz' : ''}.partial`);
    await rm(tempPath, { force: true });
    return new DirCollectionSink(scope, relPath, finalPath, tempPath, this.options, (file) => {
      const i = this.files.findIndex((f) => f.path === file.path);
      if (i >= 0) this.files.splice(i, 1, file);
      else this.files.push(file);
    });
  }

  async close(): Promise<void> {}
}

class DirCollectionSink implements CollectionSink {
  private readonly file: WriteStream;
  private readonly head: WriteStream | Gzip;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private documents = 0;
  private failure: Error | undefined;

  constructor(
    private readonly scope: CollectionScope,
    private readonly relPath: string,
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly options: DirSinkOptions,
    private readonly onFinished: (file: ManifestFile) => void,
  ) {
    this.file = createWriteStream(tempPath, { flags: 'w', highWaterMark: 1 << 20 });
    this.file.on('error', (err) => (this.failure ??= err));
    if (options.gzip) {
      const gzip = createGzip({ level: 6 });
      gzip.on('data', (chunk: Buffer) => {
        this.hash.update(chunk);
        this.bytes += chunk.length;
      });
      gzip.on('error', (err) => (this.failure ??= err));
      gzip.pipe(this.file);
      this.head = gzip;
    } else {
      this.head = this.file;
    }
  }

  prepare(doc: Doc): SinkItem | string {
    return { doc };
  }

  async write(batch: SinkItem[]): Promise<WriteResult[]> {
    if (this.failure) throw diskError(this.failure, this.tempPath);
    const results: WriteResult[] = [];
    const lines: string[] = [];
    for (const item of batch) {
      try {
        lines.push(encodeDocument(item.doc, this.options.format));
        results.push({ status: 'written' });
      } catch (err) {
        results.push({ status: 'rejected', reason: `cannot encode as ${this.options.format}: ${(err as Error).message}` });
      }
    }
    if (lines.length > 0) {
      const chunk = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      if (!this.options.gzip) {
        this.hash.update(chunk);
        this.bytes += chunk.length;
      }
      this.documents += lines.length;
      if (!this.head.write(chunk)) await this.drain();
    }
    if (this.failure) throw diskError(this.failure, this.tempPath);
    return results;
  }

  private async drain(): Promise<void> {
    await Promise.race([once(this.head, 'drain'), once(this.file, 'error').then(([e]) => (this.failure ??= e as Error))]);
  }

  async finish(): Promise<void> {
    this.head.end();
    try {
      await Promise.race([once(this.file, 'close'), once(this.file, 'error').then(([e]) => Promise.reject(e))]);
      if (this.failure) throw this.failure;
      await fsyncFile(this.tempPath);
      await rename(this.tempPath, this.finalPath);
      await fsyncDir(dirname(this.finalPath));
    } catch (err) {
      await rm(this.tempPath, { force: true });
      throw diskError(err, this.finalPath);
    }
    const { size } = await stat(this.finalPath);
    if (size !== this.bytes) throw new DocferryError(`${this.finalPath}: wrote ${this.bytes} bytes but the file holds ${size}; the disk lost data.`);
    this.onFinished({
      path: this.relPath,
      database: this.scope.database,
      collection: this.scope.collection,
      documents: this.documents,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
      ...(this.options.gzip ? { compression: 'gzip' as const } : {}),
    });
  }

  async abort(): Promise<void> {
    this.head.destroy();
    this.file.destroy();
    await rm(this.tempPath, { force: true });
  }
}
