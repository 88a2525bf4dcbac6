/**
 * Retries for management-plane (ARM) calls. Cosmos DB allows about 25 throughput updates per
 * 5 minutes per account; past that ARM answers 429, often with a Retry-After. The SDK retries a
 * few times on its own; these policies sit on top. A failed restore leaves an expensive offer
 * in place, so the restore policy keeps trying for much longer than the raise policy.
 */

export interface RetryPolicy {
  /** Total tries, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryHooks {
  /** Injected in tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; what: string }) => void;
}

/** A raise that cannot get through soon is better given up: nothing has been changed yet. Waits 2+4+8+16+32 s (longer if Retry-After asks, 60 s each at most). */
export const raiseRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** A restore keeps trying past a whole 5-minute control-plane window several times over (about 30 minutes of waiting). */
export const restoreRetryPolicy: RetryPolicy = { attempts: 20, baseDelayMs: 5_000, maxDelayMs: 120_000 };

/** Reads are cheap and not rate-limited the same way, but ARM still throttles them. */
export const readRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 1_000, maxDelayMs: 30_000 };

const retryableStatus = new Set([408, 429, 500, 502, 503, 504]);
const retryableCodes = new Set(['TooManyRequests', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNREFUSED', 'EPIPE', 'REQUEST_SEND_ERROR']);

interface ErrorLike {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined | null } | Record<string, unknown> };
}

export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ErrorLike;
  const s = e.statusCode ?? e.status;
  return typeof s === 'number' ? s : undefined;
}

export function isRetryableArmError(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return retryableStatus.has(status);
  if (typeof err === 'object' && err !== null) {
    const code = (err as ErrorLike).code;
    if (typeof code === 'string' && retryableCodes.has(code)) return true;
  }
  return false;
}

function header(err: unknown, name: string): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const headers = (err as ErrorLike).response?.headers;
  if (!headers) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const v = (get as (n: string) => string | undefined | null).call(headers, name);
    return v ?? undefined;
  }
  const v = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The wait the server asked for, in ms: `x-ms-retry-after-ms`, else `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  const ms = header(err, 'x-ms-retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = header(err, 'retry-after');
  if (ra === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.ceil(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff (base x 2^n, capped), never shorter than the server's Retry-After, never longer than the cap. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, err: unknown): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const asked = retryAfterMs(err);
  return asked === undefined ? exp : Math.min(policy.maxDelayMs, Math.max(exp, asked));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, retrying throttling (429) and transient failures per the policy. Other errors are thrown at once. */
export async function withArmRetry<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryableArmError(err)) throw err;
      const delayMs = backoffDelayMs(policy, attempt, err);
      hooks.onRetry?.({ attempt, delayMs, error: err, what });
      await sleep(delayMs);
    }
  }
}
