import { expect } from 'chai';
import { LineSlab, lineRuns } from '../../src/core/line-slab.js';
import { Random } from '../../src/synthetic/random.js';

const joined = (lines: Buffer[]) => Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')])]);
const text = (s: string) => Buffer.from(s, 'utf8');

describe('line slab: an export batch written as its lines lie in memory', () => {
  it('keeps each appended line and a newline after it; the line returned is the bytes given', () => {
    const slab = new LineSlab();
    const source = text('xx{"a":1}yy');
    const line = slab.append(source, 2, 9);
    expect(line.toString()).to.equal('{"a":1}');
    // The source may be reused (it is the encoder's scratch buffer): the line is a copy.
    source.fill(0);
    expect(line.toString()).to.equal('{"a":1}');
  });

  it('writes consecutive lines of one slab as one buffer, newlines included', () => {
    const slab = new LineSlab();
    const lines = ['{"a":1}', '{"b":"é"}', '{}'].map((s) => slab.append(text(s), 0, Buffer.byteLength(s)));
    const runs = lineRuns(lines);
    expect(runs).to.have.length(1);
    expect(runs[0]!.toString()).to.equal('{"a":1}\n{"b":"é"}\n{}\n');
  });

  it('splits where lines are not adjacent: another slab, a skipped line, lines out of order', () => {
    const slab = new LineSlab();
    const [a, b, c] = ['{"a":1}', '{"b":2}', '{"c":3}'].map((s) => slab.append(text(s), 0, s.length)) as [Buffer, Buffer, Buffer];
    expect(Buffer.concat(lineRuns([a, c])).toString()).to.equal('{"a":1}\n{"c":3}\n');
    expect(lineRuns([a, c])).to.have.length(2);
    expect(Buffer.concat(lineRuns([b, a])).toString()).to.equal('{"b":2}\n{"a":1}\n');
    const other = new LineSlab().append(text('{"d":4}'), 0, 7);
    expect(Buffer.concat(lineRuns([a, b, other, c])).toString()).to.equal('{"a":1}\n{"b":2}\n{"d":4}\n{"c":3}\n');
  });

  it('adds the newline itself after a line that is not followed by one in its memory', () => {
    // Adjacent in one buffer, but with no newline between them (the encoding worker's chunk).
    const chunk = text('{"a":1}{"b":2}');
    const lines = [chunk.subarray(0, 7), chunk.subarray(7, 14)];
    expect(Buffer.concat(lineRuns(lines)).toString()).to.equal('{"a":1}\n{"b":2}\n');
    // A newline byte that happens to follow, and adjacency: the result is still exactly the lines.
    const withNewline = text('{"a":1}\n{"b":2}\nX');
    expect(Buffer.concat(lineRuns([withNewline.subarray(0, 7), withNewline.subarray(8, 15)])).toString()).to.equal('{"a":1}\n{"b":2}\n');
    expect(lineRuns([withNewline.subarray(0, 7), withNewline.subarray(8, 15)])).to.have.length(1);
  });

  it('gives a line larger than a slab a slab of its own', () => {
    const slab = new LineSlab();
    const small = slab.append(text('{"s":1}'), 0, 7);
    const big = text(`{"big":"${'x'.repeat(3 << 20)}"}`);
    const line = slab.append(big, 0, big.length);
    expect(line.equals(big)).to.equal(true);
    expect(line.buffer).to.not.equal(small.buffer);
    expect(Buffer.concat(lineRuns([small, line])).equals(joined([text('{"s":1}'), big]))).to.equal(true);
  });

  it('always concatenates to lines.join("\\n") + "\\n", over thousands of random lines across slabs', () => {
    const random = new Random(20);
    const slab = new LineSlab();
    const lines: Buffer[] = [];
    for (let k = 0; k < 3000; k++) {
      const body = 'y'.repeat(random.int(0, 4000)) + (random.int(0, 9) === 0 ? '\n' : '');
      const s = `{"k":${k},"v":"${body}"}`;
      // Some lines from the slab, some of their own (as a document left to the deserialiser is).
      lines.push(random.int(0, 4) === 0 ? text(s) : slab.append(text(`..${s}..`), 2, 2 + Buffer.byteLength(s)));
    }
    for (let start = 0; start < lines.length; start += 487) {
      const batch = lines.slice(start, start + 487);
      expect(Buffer.concat(lineRuns(batch)).equals(joined(batch))).to.equal(true);
    }
    expect(lineRuns([])).to.deep.equal([]);
  });
});
