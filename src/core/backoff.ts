/** Exponential backoff with full jitter, never shorter than what the server asked for. */
export function backoffDelay(attempt: number, options: { baseMs?: number; maxMs?: number; serverAskedMs?: number } = {}): number {
  const base = options.baseMs ?? 200;
  const max = options.maxMs ?? 30_000;
  const exp = Math.min(max, base * 2 ** attempt);
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(jittered, options.serverAskedMs ?? 0);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
