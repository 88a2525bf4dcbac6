/**
 * Why a request was sent again, as the event stream and the run report count retries (429s
 * have their own `throttle` records and are not counted here). The stores classify their own
 * failures into these kinds; nothing here reads an SDK's types.
 */
export const RETRY_KINDS = ['timeout', 'retry-with', 'unavailable', 'gone', 'server-error', 'network', 'mongo-retryable', 'pool-cleared', 'other'] as const;
export type RetryKind = (typeof RETRY_KINDS)[number];

/** Operations sent again, by kind, since a sink started. */
export type RetryCounts = Partial<Record<RetryKind, number>>;

/** What each kind means, for the report and the docs. */
export const RETRY_KIND_TEXT: Record<RetryKind, string> = {
  timeout: 'timed out (HTTP 408, or no answer within the request timeout)',
  'retry-with': 'HTTP 449 retry with (a conflicting update on the server)',
  unavailable: 'HTTP 503 service unavailable',
  gone: 'HTTP 410 gone (a partition moving)',
  'server-error': 'HTTP 500 internal server error',
  network: 'connection reset or refused, or another network error',
  'mongo-retryable': 'a MongoDB retryable error (failover, not primary, interrupted)',
  'pool-cleared': 'a wait for the MongoDB connection pool another request cleared',
  other: 'another transient error',
};

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'TimeoutError']);

/** An error's string code, here or on its causes (undici and the SDKs wrap the socket's error). */
function stringCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError' || name === 'AbortError') codes.push('TimeoutError');
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** The kind of a transient failure of an HTTP request: by its status, else by the error's code. */
export function httpRetryKind(status: number | undefined, err?: unknown): RetryKind {
  switch (status) {
    case 408:
      return 'timeout';
    case 449:
      return 'retry-with';
    case 503:
      return 'unavailable';
    case 410:
      return 'gone';
    case 500:
      return 'server-error';
  }
  const codes = err === undefined ? [] : stringCodes(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return 'timeout';
  if (codes.some((c) => NETWORK_CODES.has(c))) return 'network';
  const message = err instanceof Error ? err.message : '';
  if (/socket hang up|ECONNRESET|network|connection (?:reset|closed)/i.test(message)) return 'network';
  if (/timed? ?out|timeout/i.test(message)) return 'timeout';
  return 'other';
}

export function addRetries(counts: RetryCounts, kind: RetryKind, n: number): void {
  if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
}

export function retryTotal(counts: RetryCounts | undefined): number {
  return counts ? Object.values(counts).reduce((a, b) => a + (b ?? 0), 0) : 0;
}
