// Lines of an export file, kept one after another in large buffers ("slabs"), each followed by
// its newline. Giving every line a Buffer of its own cost an allocation per document (most lines
// are larger than Node's 4 KB pool slices, so each was an ArrayBuffer of its own for the garbage
// collector to track), and joining a batch's lines cost a copy of every byte. Lines that lie one
// after another in a slab are written as they lie (`lineRuns`), without either.

/** Large enough that a 2 MB write batch spans two or three slabs, small enough to waste little. */
const SLAB_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from('\n');

export class LineSlab {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  /**
   * Copies `from[start, end)` and a newline after it into the slab: the line (without its
   * newline) is returned. The slab's bytes are written once and never reused, so a returned line
   * stays valid for as long as it is referenced.
   */
  append(from: Buffer, start: number, end: number): Buffer {
    const n = end - start;
    if (this.used + n + 1 > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, n + 1));
      this.used = 0;
    }
    const at = this.used;
    from.copy(this.slab, at, start, end);
    this.slab[at + n] = NEWLINE;
    this.used = at + n + 1;
    return this.slab.subarray(at, at + n);
  }
}

/**
 * The bytes of `lines`, each followed by a newline, as few buffers as possible: lines that lie
 * one after another in the same memory with a newline between them (a LineSlab's) are one
 * buffer; any other line is itself and a newline. Concatenated, the result is always exactly
 * `lines.join('\n') + '\n'`: adjacency and each newline are checked, not assumed.
 */
export function lineRuns(lines: readonly Buffer[]): Buffer[] {
  const runs: Buffer[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    const base = first.byteOffset;
    // The line's memory from its start to the end of its ArrayBuffer: where a run can extend.
    const rest = Buffer.from(first.buffer, base, first.buffer.byteLength - base);
    let end = first.length;
    let j = i + 1;
    while (j < lines.length && end < rest.length && rest[end] === NEWLINE) {
      const next = lines[j]!;
      if (next.buffer !== first.buffer || next.byteOffset !== base + end + 1) break;
      end += 1 + next.length;
      j++;
    }
    if (end < rest.length && rest[end] === NEWLINE) runs.push(rest.subarray(0, end + 1));
    else runs.push(rest.subarray(0, end), NEWLINE_BUFFER);
    i = j;
  }
  return runs;
}
