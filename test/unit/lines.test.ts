import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { openContent, readLines, type Line } from '../../src/stores/exportdir/lines.js';
import { digestFile } from '../../src/stores/exportdir/check.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

async function collect(chunks: Buffer[]): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(Readable.from(chunks))) out.push(l);
  return out;
}

describe('NDJSON line reader', () => {
  after(removeTempDirs);

  it('numbers lines exactly across chunk boundaries and skips blank lines', async () => {
    const lines = await collect([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\r\n\n{"c":3}\n')]);
    expect(lines.map((l) => [l.number, l.text])).to.deep.equal([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
      [4, '{"c":3}'],
    ]);
  });

  it('flags invalid UTF-8 on its own line without hiding the next one', async () => {
    const lines = await collect([Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"ok":true}\n')])]);
    expect(lines[0]).to.include({ number: 1, invalidUtf8: true });
    expect(lines[1]).to.include({ number: 2, text: '{"ok":true}' });
  });

  it('marks a last line without a newline as unterminated (what a truncated write leaves)', async () => {
    const lines = await collect([Buffer.from('{"a":1}\n{"b":')]);
    expect(lines[1]).to.include({ number: 2, text: '{"b":', unterminated: true });
  });

  it('detects gzip by its magic bytes and digests the stored bytes while counting decompressed lines', async () => {
    const dir = await tempDir();
    const file = join(dir, 'c.json');
    const raw = Buffer.from('{"a":1}\n{"a":2}\n{"a":3}\n');
    const gz = gzipSync(raw);
    await writeFile(file, gz);
    const seen: string[] = [];
    for await (const l of readLines(await openContent(file))) seen.push(l.text!);
    expect(seen).to.have.length(3);
    const digest = await digestFile(file);
    expect(digest.lines).to.equal(3);
    expect(digest.bytes).to.equal(gz.length);
  });
});
