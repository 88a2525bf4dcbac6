import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerClient } from '@azure/storage-blob';
import { PRIVATE_FILE_MODE, fsyncFile } from '../exportdir/fsync.js';

/** Blob metadata key holding the sha256 of the blob's bytes (hex), as the manifest has it. */
export const SHA256_METADATA = 'sha256';

/** Counts and hashes what flows through, unchanged. */
class Digesting extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

export interface Digest {
  bytes: number;
  sha256: string;
}

export interface UploadOptions {
  /** Block size, also the read size (the SDK then never has to concatenate buffers). */
  blockSize: number;
  /** Blocks in flight for this file. */
  concurrency: number;
  contentType: string;
  metadata: Record<string, string>;
  abortSignal?: AbortSignal;
  onProgress?: (loadedBytes: number) => void;
}

/**
 * Streams a file into a block blob with parallel block uploads and returns the digest of exactly
 * the bytes sent, so the caller can tell whether the file changed since it was checked.
 */
export async function uploadFileAsBlockBlob(container: ContainerClient, blobName: string, absPath: string, o: UploadOptions): Promise<Digest> {
  const digesting = new Digesting();
  const file = createReadStream(absPath, { highWaterMark: o.blockSize });
  file.on('error', (err) => digesting.destroy(err));
  file.pipe(digesting);
  // The SDK's BufferScheduler allocates this many buffers and keeps about 3/4 of them in flight.
  const buffers = Math.max(2, Math.ceil((o.concurrency * 4) / 3));
  await container.getBlockBlobClient(blobName).uploadStream(digesting, o.blockSize, buffers, {
    blobHTTPHeaders: { blobContentType: o.contentType },
    metadata: o.metadata,
    ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}),
    ...(o.onProgress ? { onProgress: (p: { loadedBytes: number }) => o.onProgress!(p.loadedBytes) } : {}),
  });
  return { bytes: digesting.bytes, sha256: digesting.hash.digest('hex') };
}

export interface DownloadedBlob extends Digest {
  /** The sha256 the blob's metadata claims, when it has one. */
  metadataSha256?: string;
  /** Content-Length announced before the body arrived. */
  announcedBytes?: number;
}

/**
 * Downloads a blob to `<dest>.partial`, hashing on the way, and hands the digest to `accept`
 * before renaming: a file under its final name is always one the caller accepted.
 */
export async function downloadBlobToFile(
  container: ContainerClient,
  blobName: string,
  dest: string,
  accept: (got: DownloadedBlob) => void,
  options: { abortSignal?: AbortSignal } = {},
): Promise<DownloadedBlob> {
  const temp = `${dest}.partial`;
  const response = await container.getBlobClient(blobName).download(0, undefined, {
    // A broken connection mid-body resumes from the byte it reached instead of failing the pull.
    maxRetryRequests: 5,
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
  const body = response.readableStreamBody;
  if (!body) throw new Error(`the download of ${blobName} returned no body`);
  const digesting = new Digesting();
  try {
    await pipeline(body, digesting, createWriteStream(temp, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
    const got: DownloadedBlob = {
      bytes: digesting.bytes,
      sha256: digesting.hash.digest('hex'),
      ...(response.metadata?.[SHA256_METADATA] ? { metadataSha256: response.metadata[SHA256_METADATA] } : {}),
      ...(response.contentLength !== undefined ? { announcedBytes: response.contentLength } : {}),
    };
    accept(got);
    await fsyncFile(temp);
    await rename(temp, dest);
    return got;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
