import type { BsonChunkEncoder, SinkItem, SourceItem } from '../../stores/types.js';

interface Chunk {
  items: SourceItem[];
  /** Indexes in `items` of the documents handed to the encoder. */
  picks: number[];
  result?: Promise<(SinkItem | null | undefined)[]>;
}

/**
 * The source's items, all of them and in their order, while their BSON is encoded ahead in
 * chunks by the sink's encoder (an export's worker thread): the source goes on being read while
 * up to `inFlight` chunks are out, and each chunk's results are taken in the order it was sent.
 * `prepared` is what the encoder made of the item last yielded (CollectionSink.bsonEncoder).
 *
 * A collection smaller than one chunk is never handed to the encoder (its items come back with
 * `prepared` undefined, for the main thread): a worker is not worth starting for it. Memory is
 * bounded by `inFlight` + 1 chunks of documents.
 */
export class EncodeAhead implements AsyncIterable<SourceItem> {
  prepared: SinkItem | null | undefined;

  constructor(
    private readonly source: AsyncIterable<SourceItem>,
    private readonly encoder: BsonChunkEncoder,
    /** Whether an item is to be encoded: a document with its bytes that the run will write. */
    private readonly wanted: (item: SourceItem) => boolean,
    /** The error to throw when a chunk failed, naming its first document. */
    private readonly failed: (first: SourceItem, count: number, err: unknown) => Error,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
    const { chunkDocs, chunkBytes, inFlight } = this.encoder;
    const queue: Chunk[] = [];
    let current: Chunk = { items: [], picks: [] };
    let bytes = 0;
    let sent = false;
    const send = () => {
      const chunk = current;
      current = { items: [], picks: [] };
      bytes = 0;
      if (chunk.picks.length > 0) {
        const bsons = chunk.picks.map((i) => (chunk.items[i] as { bson: Uint8Array }).bson);
        const heads = chunk.picks.map((i) => chunk.items[i]!.doc!);
        chunk.result = this.encoder.encode(bsons, heads);
        // Awaited in order below; a chunk left behind (the loop stopped) must not be an unhandled rejection.
        chunk.result.catch(() => {});
        sent = true;
      }
      queue.push(chunk);
    };
    for await (const item of this.source) {
      current.items.push(item);
      if (this.wanted(item)) {
        current.picks.push(current.items.length - 1);
        bytes += (item as { bson: Uint8Array }).bson.length;
      }
      // Items not to encode (skipped on resume, refused by the source) still fill a chunk, less quickly.
      if (current.picks.length >= chunkDocs || bytes >= chunkBytes || current.items.length >= 4 * chunkDocs) {
        send();
        while (queue.length >= inFlight) yield* this.drain(queue.shift()!);
      }
    }
    if (sent) send();
    while (queue.length > 0) yield* this.drain(queue.shift()!);
    // Never sent: the whole collection is in this chunk, for the main thread.
    this.prepared = undefined;
    for (const item of current.items) yield item;
  }

  private async *drain(chunk: Chunk): AsyncGenerator<SourceItem> {
    let results: (SinkItem | null | undefined)[] = [];
    if (chunk.result) {
      try {
        results = await chunk.result;
      } catch (err) {
        throw this.failed(chunk.items[chunk.picks[0]!]!, chunk.picks.length, err);
      }
    }
    let p = 0;
    for (let i = 0; i < chunk.items.length; i++) {
      this.prepared = chunk.picks[p] === i ? results[p++] : undefined;
      yield chunk.items[i]!;
    }
    this.prepared = undefined;
  }
}
