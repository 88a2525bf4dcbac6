import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EJSON } from '../core/bson.js';
import type { Doc } from '../core/documents.js';
import { PRIVATE_FILE_MODE, fsyncDir, fsyncNewDirs, mkdirPrivate } from '../stores/exportdir/fsync.js';
import type { Position } from '../stores/types.js';

/** One line of `_rejects/<db>.<coll>.ndjson`: enough to find, fix and re-import the document. */
export interface RejectEntry {
  database: string;
  collection: string;
  source_file?: string;
  line?: number;
  /** A JSON array file: the element's 1-based place in the array. */
  element?: number;
  id?: string;
  reason: string;
  /** The document (Extended JSON, canonical) or the raw line that could not be parsed. */
  document?: unknown;
  raw?: string;
  rejected_at: string;
}

export interface RejectInput {
  database: string;
  collection: string;
  reason: string;
  id?: string;
  position?: Position;
  doc?: Doc;
  raw?: string;
}

/** A rejects file, open for appending, and its size. */
interface OpenFile {
  fh: FileHandle;
  size: number;
}

/**
 * A dead-letter file per collection, created on the first reject so a clean run leaves no
 * `_rejects` directory behind. The transfer writes a unit's rejects only when the unit is
 * settled (just before its checkpoint journal line), and each collection's writes come one
 * after another, so the file's size after a unit is a point a resumed run can cut back to.
 */
export class RejectsWriter {
  private readonly files = new Map<string, Promise<OpenFile>>();
  total = 0;

  constructor(readonly dir: string) {}

  fileFor(database: string, collection: string): string {
    return join(this.dir, `${database}.${collection}.ndjson`);
  }

  /** The line a reject will be written as (stamped now). */
  format(entry: RejectInput): string {
    const line: RejectEntry = {
      database: entry.database,
      collection: entry.collection,
      ...(entry.position?.file ? { source_file: entry.position.file } : {}),
      ...(entry.position?.line ? { line: entry.position.line } : {}),
      ...(entry.position?.element ? { element: entry.position.element } : {}),
      ...(entry.id !== undefined ? { id: entry.id } : {}),
      reason: entry.reason,
      ...(entry.doc ? { document: EJSON.serialize(entry.doc, { relaxed: false }) } : {}),
      ...(entry.raw !== undefined ? { raw: entry.raw } : {}),
      rejected_at: new Date().toISOString(),
    };
    return `${JSON.stringify(line)}\n`;
  }

  private file(database: string, collection: string): Promise<OpenFile> {
    const key = `${database}.${collection}`;
    let file = this.files.get(key);
    if (!file) {
      file = (async () => {
        const created = await mkdirPrivate(this.dir);
        const fh = await open(this.fileFor(database, collection), 'a', PRIVATE_FILE_MODE);
        const { size } = await fh.stat();
        if (size === 0) {
          // A new file (and maybe new directories): their names as durable as the lines.
          await fsyncDir(this.dir);
          await fsyncNewDirs(this.dir, created);
        }
        return { fh, size };
      })();
      file.catch(() => this.files.delete(key));
      this.files.set(key, file);
    }
    return file;
  }

  /**
   * Appends formatted lines to a collection's file and returns its size after them. `durable`:
   * on disk before this returns (a checkpoint journal line is about to say they are there).
   */
  async write(database: string, collection: string, lines: readonly string[], durable: boolean): Promise<number> {
    const file = await this.file(database, collection);
    const text = Buffer.from(lines.join(''), 'utf8');
    let offset = 0;
    while (offset < text.length) offset += (await file.fh.write(text, offset, text.length - offset)).bytesWritten;
    file.size += text.length;
    if (durable) await file.fh.datasync();
    this.total += lines.length;
    return file.size;
  }

  /** The size of a collection's file, 0 when there is none (without creating it). */
  async size(database: string, collection: string): Promise<number> {
    const opened = this.files.get(`${database}.${collection}`);
    if (opened) return (await opened).size;
    try {
      return (await stat(this.fileFor(database, collection))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  /**
   * Cuts a collection's file back to `size` bytes: a resumed run drops the rejects of units the
   * interrupted run wrote but never confirmed, which it is about to reject again. A file that
   * is missing, or already shorter (edited by hand), is left as it is.
   */
  async truncate(database: string, collection: string, size: number): Promise<void> {
    const key = `${database}.${collection}`;
    const opened = this.files.get(key);
    if (opened) {
      const file = await opened;
      if (file.size <= size) return;
      await file.fh.truncate(size);
      file.size = size;
      return;
    }
    if ((await this.size(database, collection)) > size) await truncate(this.fileFor(database, collection), size);
  }

  /** Still true after close(): the run summary asks once the files are closed. */
  get used(): boolean {
    return this.total > 0;
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map(async (f) => (await f.catch(() => undefined))?.fh.close()));
  }
}
