import { parentPort, workerData } from 'node:worker_threads';
import { encodeChunk } from './encode-chunk.js';

// ---------------------------------------------------------------------------------------------
// The encoding worker thread (started by encode-pool.ts): one chunk of BSON documents in, its
// lines out, one reply a request, in the order they came. Nothing here keeps state between
// chunks, so a reply only depends on its request.
// ---------------------------------------------------------------------------------------------

/** A chunk to encode: `bson` holds the documents back to back, each ending where `ends` (an Int32Array's buffer) says; both transferred, not copied. */
export interface EncodeRequest {
  id: number;
  bson: ArrayBuffer;
  ends: ArrayBuffer;
}

export type EncodeReply =
  | { id: number; out: ArrayBuffer; used: number; ends: ArrayBuffer; lengths: ArrayBuffer }
  /** The chunk itself could not be read (not a document's own problem: each of those is marked in `lengths`). */
  | { id: number; error: string };

const port = parentPort;
if (port) {
  const relaxed = (workerData as { relaxed?: boolean } | undefined)?.relaxed === true;
  port.on('message', (request: EncodeRequest) => {
    let reply: EncodeReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const chunk = encodeChunk(new Uint8Array(request.bson), new Int32Array(request.ends), relaxed);
      const out = chunk.out.buffer as ArrayBuffer;
      reply = { id: request.id, out, used: chunk.used, ends: chunk.ends.buffer as ArrayBuffer, lengths: chunk.lengths.buffer as ArrayBuffer };
      transfer = [out, reply.ends, reply.lengths];
    } catch (err) {
      reply = { id: request.id, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply, transfer);
  });
}
