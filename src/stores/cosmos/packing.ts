/** The SDK's bulk call sends at most 100 operations per partition range in one request. */
export const MAX_OPS_PER_REQUEST = 100;
/** Below the SDK's 220,201-byte split point, so one call is one HTTP request per partition range. */
export const MAX_REQUEST_BYTES = 200 * 1024;
/** What a document of unknown size counts as. */
const UNKNOWN_SIZE = 1024;

/**
 * Packs operations (indexes into a batch) into bulk requests of at most 100 operations and
 * `maxBytes`, in order. A request always takes at least one operation, so a document larger
 * than the bound goes alone. Each request is packed when it is admitted, at the size the RU
 * controller's rate allows then (see CosmosCollectionSink.sendAll).
 */
export class RequestPacker {
  private cursor = 0;

  constructor(
    private readonly indexes: readonly number[],
    private readonly sizeOf: (index: number) => number | undefined,
  ) {}

  /** Requests needed if each took 100 operations: how many senders are worth starting. */
  get senders(): number {
    return Math.ceil(this.indexes.length / MAX_OPS_PER_REQUEST);
  }

  /** The next request's operations and their bytes; undefined once every operation is packed. */
  next(maxBytes: number): { group: number[]; bytes: number } | undefined {
    if (this.cursor >= this.indexes.length) return undefined;
    const limit = Math.min(MAX_REQUEST_BYTES, maxBytes);
    const group: number[] = [];
    let bytes = 0;
    while (this.cursor < this.indexes.length) {
      const size = this.sizeOf(this.indexes[this.cursor]!) ?? UNKNOWN_SIZE;
      if (group.length > 0 && (group.length >= MAX_OPS_PER_REQUEST || bytes + size > limit)) break;
      group.push(this.indexes[this.cursor++]!);
      bytes += size;
    }
    return { group, bytes };
  }
}
