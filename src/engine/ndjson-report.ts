import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { redact } from '../core/secrets.js';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../stores/exportdir/fsync.js';

/**
 * An NDJSON file of what a run found (verify's --report, mirror's --deletes-file): ids are the
 * application's data, so the file is its user's alone (0600 in a 0700 directory), every line is
 * redacted, and writing waits for the disk instead of buffering a large report in memory.
 * Without a path it writes nothing, so callers need no branch.
 */
export class NdjsonReport {
  private stream: WriteStream | undefined;
  constructor(readonly path: string | undefined) {}

  async open(header: Record<string, unknown>): Promise<void> {
    if (!this.path) return;
    await mkdirPrivate(dirname(this.path));
    this.stream = createWriteStream(this.path, { flags: 'w', mode: PRIVATE_FILE_MODE });
    await this.line(header);
  }

  async line(entry: Record<string, unknown>): Promise<void> {
    if (!this.stream) return;
    if (!this.stream.write(`${redact(JSON.stringify(entry))}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (!this.stream) return;
    const s = this.stream;
    this.stream = undefined;
    s.end();
    await once(s, 'close');
  }
}
