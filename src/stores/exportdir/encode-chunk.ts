import { canonicalLineFromBson, canonicalLineInto } from '../../core/bson-canonical.js';
import { relaxedFromCanonical } from '../../core/codec.js';

// ---------------------------------------------------------------------------------------------
// A chunk of BSON documents encoded as Extended JSON lines in one call: what the encoding worker
// (encode-worker.ts) does with each chunk the export hands it. It is the sink's own encoder
// (DirCollectionSink.prepareBson: canonicalLineFromBson, then relaxedFromCanonical for relaxed
// lines), run over documents that sit one after the other in one buffer, so that the chunk
// travels to the worker and back as a few transferable buffers instead of one message a document.
// ---------------------------------------------------------------------------------------------

/** `lengths[k]` of a document the BSON walk leaves to the deserialiser: the main thread encodes the document. */
export const DECLINED = -1;
/** `lengths[k]` of a document whose encoding threw here: the main thread encodes it as without a worker, and fails as it would. */
export const FAILED = -2;

export interface EncodedChunk {
  /** The lines one after the other (no newlines); `used` bytes of it are meaningful. */
  out: Buffer;
  used: number;
  /** Where each document's line ends in `out` (it starts where the one before ends). */
  ends: Int32Array;
  /** Each line's length as a JavaScript string (what batches are sized by), or DECLINED / FAILED. */
  lengths: Int32Array;
}

function grown(out: Buffer, used: number, needed: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, needed));
  out.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * Encodes the BSON documents stored back to back in `bson`, document k ending at `docEnds[k]`.
 * `out` is not pooled (Buffer.allocUnsafeSlow), so that its ArrayBuffer can be transferred.
 */
export function encodeChunk(bson: Uint8Array, docEnds: Int32Array, relaxed: boolean): EncodedChunk {
  const src = Buffer.isBuffer(bson) ? bson : Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength);
  const count = docEnds.length;
  let out: Buffer = Buffer.allocUnsafeSlow(Math.max(1024, Math.ceil(src.length * 1.5)));
  let used = 0;
  const ends = new Int32Array(count);
  const lengths = new Int32Array(count);
  let at = 0;
  for (let k = 0; k < count; k++) {
    const docEnd = docEnds[k]!;
    if (docEnd < at || docEnd > src.length) throw new Error(`BSON chunk: document ${k} of ${count} ends at byte ${docEnd}, outside the chunk`);
    // Whatever the bytes say (a malformed document's own length included): the walk checks them.
    const doc = src.subarray(at, docEnd);
    at = docEnd;
    try {
      if (relaxed) {
        const line = canonicalLineFromBson(doc);
        if (!line) {
          ends[k] = used;
          lengths[k] = DECLINED;
          continue;
        }
        // Relaxed lines are made from the canonical text, as DirCollectionSink.prepareBson makes them.
        const text = relaxedFromCanonical(line.bytes.toString('utf8'));
        const bytes = Buffer.from(text, 'utf8');
        if (used + bytes.length > out.length) out = grown(out, used, used + bytes.length);
        bytes.copy(out, used);
        used += bytes.length;
        ends[k] = used;
        lengths[k] = text.length;
      } else {
        // Written straight into the chunk: the bytes canonicalLineFromBson gives, one copy fewer.
        const line = canonicalLineInto(doc, out, used);
        if (!line) {
          ends[k] = used;
          lengths[k] = DECLINED;
          continue;
        }
        out = line.target;
        used = line.end;
        ends[k] = used;
        lengths[k] = line.length;
      }
    } catch {
      ends[k] = used;
      lengths[k] = FAILED;
    }
  }
  if (at !== src.length) throw new Error(`BSON chunk: ${src.length - at} bytes after its ${count} documents`);
  return { out, used, ends, lengths };
}
