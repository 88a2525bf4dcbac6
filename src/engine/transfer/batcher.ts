/**
 * Gathers items into write batches bounded by count and by bytes. The item that reaches a
 * bound is in the batch it ends, so a document larger than the byte bound is never held back:
 * it ends the batch it joins. Sizes that are not known count as 0 (the count bound still holds).
 */
export class Batcher<T> {
  private items: T[] = [];
  private bytes = 0;
  /** Bytes of every batch taken so far: the volume handed to the target, for progress. */
  bytesTaken = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number = Infinity,
  ) {}

  /** Adds an item of `bytes`; returns the batch it fills, or undefined while there is room. */
  add(item: T, bytes: number): T[] | undefined {
    this.items.push(item);
    this.bytes += bytes;
    return this.items.length >= this.maxItems || this.bytes >= this.maxBytes ? this.take() : undefined;
  }

  /** The items gathered so far (the last, partial batch), if any. */
  take(): T[] | undefined {
    if (this.items.length === 0) return undefined;
    const full = this.items;
    this.items = [];
    this.bytesTaken += this.bytes;
    this.bytes = 0;
    return full;
  }
}
