// Apart from the SDK, so that code outside the Cosmos DB stores can read errors without loading it.

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Status codes worth another try: throttled, timed out, partition moving, unavailable, gone. */
export function isRetryableStatus(code: number | undefined): boolean {
  return code === undefined || code === 408 || code === 410 || code === 429 || code === 449 || code === 500 || code === 503;
}
