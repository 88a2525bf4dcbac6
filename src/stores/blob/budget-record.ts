import { AnonymousCredential, BlobClient, type BlobClientOptions } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { UsageError, errorMessage } from '../../core/errors.js';
import { toolName, toolVersion } from '../../core/package-info.js';
import { redact, redactUri } from '../../core/secrets.js';
import type { BudgetRecord, BudgetRecordStore } from '../../core/shard-budget.js';
import { registerArchiveSecrets } from './connection.js';
import { blobErrorCode, blobStatus } from './errors.js';

/** Where the shards of one run keep their shared budget record (`--shard-budget`). */
export interface BudgetRecordTarget {
  /** The record's blob: `https://<account>.blob.core.windows.net/<container>/<name>.json` (a SAS query is accepted and never printed). */
  url: string;
  /** A storage connection string (local storage such as Azurite); wins over a SAS and Entra ID. */
  connectionString?: string;
  credential?: TokenCredential;
}

const OPTIONS: BlobClientOptions = {
  userAgentOptions: { userAgentPrefix: `${toolName}/${toolVersion}` },
  // A renewal that takes longer than a few periods is as good as lost: fail fast, renew next period.
  retryOptions: { maxTries: 3, tryTimeoutInMs: 10_000 },
};

/** Lost races in a row before an update gives up (every shard renews every few seconds: a handful at most collide). */
const MAX_RACES = 20;

function serverTime(headers: { get(name: string): string | undefined } | undefined, fallback?: Date): number {
  const text = headers?.get('date');
  const t = text ? Date.parse(text) : Number.NaN;
  if (Number.isFinite(t)) return t;
  if (fallback) return fallback.getTime();
  // No Date header at all (never seen from Blob Storage or Azurite): the agent's clock is all there is.
  return Date.now();
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function plainUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * The budget record as a Blob, changed only by conditional writes (If-Match on the ETag read,
 * If-None-Match: * to create it), so that two shards renewing at once never overwrite each other:
 * the loser reads again and retries. Times come from the service's Date header.
 */
export async function openBlobBudgetRecord(target: BudgetRecordTarget): Promise<BudgetRecordStore> {
  registerArchiveSecrets({ containerUrl: target.url, ...(target.connectionString ? { connectionString: target.connectionString } : {}) });
  let parsed: BlobClient;
  try {
    if (!/^https?:\/\//i.test(target.url)) throw new Error('not an http(s) URL');
    parsed = new BlobClient(plainUrl(target.url));
  } catch (err) {
    throw new UsageError(`--shard-budget "${redactUri(target.url)}" is not a blob URL (${errorMessage(err)}); expected https://<account>.blob.core.windows.net/<container>/<name>.json.`);
  }
  if (!parsed.containerName || !parsed.name) {
    throw new UsageError(`--shard-budget ${redactUri(plainUrl(target.url))} names no container and blob; expected https://<account>.blob.core.windows.net/<container>/<name>.json.`);
  }
  const display = `${redactUri(plainUrl(target.url))}`;
  let blob: BlobClient;
  if (target.connectionString) {
    try {
      blob = new BlobClient(target.connectionString, parsed.containerName, parsed.name, OPTIONS);
    } catch (err) {
      throw new UsageError(`The storage connection string of --shard-budget is not valid: ${redact(errorMessage(err))}.`);
    }
  } else if (/[?&]sig=/i.test(target.url)) {
    blob = new BlobClient(target.url, new AnonymousCredential(), OPTIONS);
  } else {
    const credential = target.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
    blob = new BlobClient(target.url, credential, OPTIONS);
  }
  return new BlobBudgetRecord(blob.getBlockBlobClient(), display);
}

class BlobBudgetRecord implements BudgetRecordStore {
  constructor(
    private readonly blob: ReturnType<BlobClient['getBlockBlobClient']>,
    readonly display: string,
  ) {}

  async update(change: (current: unknown, serverNow: number) => BudgetRecord | undefined): Promise<BudgetRecord | undefined> {
    for (let race = 0; race < MAX_RACES; race++) {
      let current: unknown;
      let etag: string | undefined;
      let now: number;
      try {
        const r = await this.blob.download();
        const text = await readAll(r.readableStreamBody);
        etag = r.etag;
        now = serverTime(r._response.headers, r.date);
        try {
          current = JSON.parse(text) as unknown;
        } catch {
          throw new UsageError(`The shard budget record ${this.display} is not JSON: delete it, or give this run its own record.`);
        }
      } catch (err) {
        if (err instanceof UsageError) throw err;
        if (blobStatus(err) !== 404 || blobErrorCode(err) === 'ContainerNotFound') throw this.failure(err, 'reading');
        current = undefined;
        now = serverTime((err as { response?: { headers?: { get(name: string): string | undefined } } }).response?.headers);
      }
      const next = change(current, now);
      if (!next) return undefined;
      const text = JSON.stringify(next);
      try {
        await this.blob.upload(text, Buffer.byteLength(text), {
          conditions: etag ? { ifMatch: etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return next;
      } catch (err) {
        const status = blobStatus(err);
        // 412: written since our read; 409: created since our read. Read again.
        if (status === 412 || status === 409) {
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (race + 1)));
          continue;
        }
        throw this.failure(err, 'writing');
      }
    }
    throw new Error(`The shard budget record ${this.display}: ${MAX_RACES} writes in a row lost the race to other shards.`);
  }

  private failure(err: unknown, what: string): Error {
    const code = blobErrorCode(err);
    if (code === 'ContainerNotFound') return new UsageError(`The container of the shard budget record ${this.display} does not exist: create it (the archive container will do), or fix --shard-budget.`);
    const status = blobStatus(err);
    return new Error(`${what} the shard budget record ${this.display} failed (${status ? `HTTP ${status}` : 'no response'}${code ? ` ${code}` : ''}): ${redact(errorMessage(err))}`);
  }
}
