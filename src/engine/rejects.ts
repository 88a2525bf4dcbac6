import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { EJSON } from '../core/bson.js';
import type { Doc } from '../core/documents.js';
import type { Position } from '../stores/types.js';

/** One line of `_rejects/<db>.<coll>.ndjson`: enough to find, fix and re-import the document. */
export interface RejectEntry {
  database: string;
  collection: string;
  source_file?: string;
  line?: number;
  id?: string;
  reason: string;
  /** The document (Extended JSON, canonical) or the raw line that could not be parsed. */
  document?: unknown;
  raw?: string;
  rejected_at: string;
}

/**
 * A dead-letter file per collection, opened on the first reject so a clean run leaves no
 * `_rejects` directory behind.
 */
export class RejectsWriter {
  private readonly streams = new Map<string, WriteStream>();
  total = 0;

  constructor(readonly dir: string) {}

  fileFor(database: string, collection: string): string {
    return join(this.dir, `${database}.${collection}.ndjson`);
  }

  async add(entry: { database: string; collection: string; reason: string; id?: string; position?: Position; doc?: Doc; raw?: string }): Promise<void> {
    const key = `${entry.database}.${entry.collection}`;
    let stream = this.streams.get(key);
    if (!stream) {
      await mkdir(this.dir, { recursive: true });
      stream = createWriteStream(this.fileFor(entry.database, entry.collection), { flags: 'a' });
      this.streams.set(key, stream);
    }
    const line: RejectEntry = {
      database: entry.database,
      collection: entry.collection,
      ...(entry.position?.file ? { source_file: entry.position.file } : {}),
      ...(entry.position?.line ? { line: entry.position.line } : {}),
      ...(entry.id !== undefined ? { id: entry.id } : {}),
      reason: entry.reason,
      ...(entry.doc ? { document: EJSON.serialize(entry.doc, { relaxed: false }) } : {}),
      ...(entry.raw !== undefined ? { raw: entry.raw } : {}),
      rejected_at: new Date().toISOString(),
    };
    this.total++;
    if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, 'drain');
  }

  /** Still true after close(): the run summary asks once the files are closed. */
  get used(): boolean {
    return this.total > 0;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.streams.values()].map(async (s) => {
        s.end();
        await once(s, 'close');
      }),
    );
    this.streams.clear();
  }
}
