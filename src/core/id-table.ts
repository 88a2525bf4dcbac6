import { hash } from 'node:crypto';

/** Words per slot: four for a 128-bit digest of the id, one for the value (0 marks a free slot). */
const WORDS = 5;
/** Grow before probe chains get long; at worst a slot holds 20 bytes for 0.35 ids. */
const MAX_LOAD = 0.7;
const MAX_VALUE = 0xffffffff;
/** A count from a manifest is a hint, not a promise: beyond this the table grows as ids come. */
const MAX_PRESIZE = 10_000_000;

/**
 * A set of ids, each with a number (a line number), in fixed space per id however long the ids
 * are: an open-addressing table of typed arrays holding the first 128 bits of each id's SHA-256
 * and its number, about 30-60 bytes an id, where a `Map` of strings takes 140 or more. One
 * export file can hold any number of documents, and the ids of all of them must be kept to tell
 * a duplicate: 1,000,000 ids take 29 MB here when the count is known up front (42 MB when the
 * table had to grow to it), and 142 MB in a `Map`.
 *
 * Two different ids with one digest would be taken for one id; with 128 bits that takes about
 * 2^64 ids before it is likely, and the only effect would be a document sent to the rejects file
 * as a duplicate (never a silent loss).
 */
export class IdTable {
  private slots: Uint32Array;
  private capacity: number;
  private used = 0;

  /** `expectedIds`: how many ids will be added, when known, so the table never has to grow. */
  constructor(expectedIds = 0) {
    this.capacity = Math.max(16, Math.ceil(Math.min(expectedIds, MAX_PRESIZE) / MAX_LOAD) + 1);
    this.slots = new Uint32Array(this.capacity * WORDS);
  }

  get size(): number {
    return this.used;
  }

  /** The number kept for `id`, or undefined when it is not in the table. */
  get(id: string): number | undefined {
    const d = digest(id);
    const at = this.find(this.slots, this.capacity, d);
    const value = this.slots[at + 4]!;
    return value === 0 ? undefined : value;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `id` with `value` (1 to 2^32-1) and returns undefined, or returns the value it already has. */
  addIfAbsent(id: string, value: number): number | undefined {
    if (!Number.isInteger(value) || value < 1 || value > MAX_VALUE) throw new RangeError(`IdTable values are 1 to ${MAX_VALUE}, not ${value}`);
    const d = digest(id);
    let at = this.find(this.slots, this.capacity, d);
    const existing = this.slots[at + 4]!;
    if (existing !== 0) return existing;
    if (this.used + 1 > this.capacity * MAX_LOAD) {
      this.grow();
      at = this.find(this.slots, this.capacity, d);
    }
    this.slots.set(d, at);
    this.slots[at + 4] = value;
    this.used++;
    return undefined;
  }

  /** Adds `id` (value 1) if absent. */
  add(id: string): void {
    this.addIfAbsent(id, 1);
  }

  clear(): void {
    this.capacity = 16;
    this.slots = new Uint32Array(this.capacity * WORDS);
    this.used = 0;
  }

  /** The word offset of the slot holding `d`, or of the free slot where it belongs. */
  private find(slots: Uint32Array, capacity: number, d: Uint32Array): number {
    let i = d[0]! % capacity;
    for (;;) {
      const at = i * WORDS;
      if (slots[at + 4] === 0) return at;
      if (slots[at] === d[0] && slots[at + 1] === d[1] && slots[at + 2] === d[2] && slots[at + 3] === d[3]) return at;
      i = i + 1 === capacity ? 0 : i + 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = this.capacity * 2;
    const slots = new Uint32Array(capacity * WORDS);
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at + 4] === 0) continue;
      const to = this.find(slots, capacity, old.subarray(at, at + 4));
      slots.set(old.subarray(at, at + WORDS), to);
    }
    this.slots = slots;
    this.capacity = capacity;
  }
}

const scratch = new Uint32Array(4);

/** The first 128 bits of the id's SHA-256, in a buffer reused by the next call. */
function digest(id: string): Uint32Array {
  const b = hash('sha256', id, 'buffer');
  for (let i = 0; i < 4; i++) scratch[i] = b.readUInt32LE(i * 4);
  return scratch;
}
