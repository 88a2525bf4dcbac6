import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface Line {
  /** 1-based. */
  number: number;
  text?: string;
  /** The bytes are not valid UTF-8. */
  invalidUtf8?: boolean;
  /** The file ended without a newline after this line (a truncated write looks like this). */
  unterminated?: boolean;
  /** Byte length of the line, without its newline. */
  bytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
  } finally {
    await fh.close();
  }
}

/** The file's content, decompressed when it is gzip (detected by its magic bytes, not its name). */
export async function openContent(path: string): Promise<Readable> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!(await isGzipFile(path))) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/**
 * Splits a byte stream into lines without decoding it as a whole, so that a line's number is
 * exact and one bad line does not hide the others. Blank lines are skipped (but counted).
 */
export async function* readLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const emit = (buf: Buffer, unterminated: boolean): Line | undefined => {
    number++;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    const body = end === buf.length ? buf : buf.subarray(0, end);
    if (body.length === 0) return undefined;
    try {
      return { number, text: decoder.decode(body), bytes: body.length, ...(unterminated ? { unterminated } : {}) };
    } catch {
      return { number, invalidUtf8: true, bytes: body.length, ...(unterminated ? { unterminated } : {}) };
    }
  };
  for await (const chunk of stream) {
    let start = 0;
    let nl = chunk.indexOf(0x0a, start);
    while (nl !== -1) {
      let lineBuf: Buffer;
      if (pendingBytes > 0) {
        pending.push(chunk.subarray(start, nl));
        lineBuf = Buffer.concat(pending, pendingBytes + (nl - start));
        pending = [];
        pendingBytes = 0;
      } else {
        lineBuf = chunk.subarray(start, nl);
      }
      const line = emit(lineBuf, false);
      if (line) yield line;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes > 0) {
    const line = emit(Buffer.concat(pending, pendingBytes), true);
    if (line) yield line;
  }
}
