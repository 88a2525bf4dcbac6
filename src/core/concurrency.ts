/**
 * The one bounded-concurrency helper: collections of a run, verify's comparisons, a sink's
 * requests, blob uploads and downloads, the transfer loop's batches and the benchmark's writers.
 *
 * What the callers rely on:
 * - at most `limit` calls of `work` run at once, and items start in the order `items` gives them;
 * - `items` is read lazily, one item at a time (never two `next()` calls at once), and only when
 *   a worker is free, so a generator of batches is never run ahead of the writes (backpressure);
 * - the first failure (of `work`, or of reading `items`) stops new work: no item is taken after
 *   it and an item taken meanwhile is dropped, the work already running is awaited, and then
 *   the first failure is thrown (later ones are dropped). Nothing runs once the call returns,
 *   so a caller may close what the work used;
 * - an iterator left unfinished by a failure is closed (`return()`), as `for await` would
 *   close it on `break`: a database cursor behind a generator is released.
 */
export async function forEachLimit<T>(items: Iterable<T> | AsyncIterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const known = Array.isArray(items) ? (items as readonly T[]).length : undefined;
  if (!(limit >= 1) || (known === undefined && !Number.isFinite(limit))) {
    throw new RangeError(`forEachLimit: the limit must be a number of at least 1${known === undefined ? ' (and finite for an iterator)' : ''}, not ${limit}`);
  }
  const workers = Math.floor(Math.min(limit, known ?? limit));
  if (workers === 0) return;
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  let failure: { err: unknown } | undefined;
  let exhausted = false;
  // Pulls go one after another: an async iterator need not accept overlapping next() calls.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> | IteratorResult<T> => {
    if (known !== undefined) return (iterator as Iterator<T>).next();
    const next = pulling.then(() => (failure || exhausted ? ({ done: true, value: undefined } as IteratorResult<T>) : iterator.next()));
    pulling = next.catch(() => {});
    return next;
  };
  const worker = async (): Promise<void> => {
    while (!failure && !exhausted) {
      let result: IteratorResult<T>;
      try {
        result = await pull();
      } catch (err) {
        failure ??= { err };
        exhausted = true; // an iterator that threw is finished
        return;
      }
      if (result.done) {
        exhausted = true;
        return;
      }
      if (failure) return;
      try {
        await work(result.value);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) {
    if (!exhausted) await Promise.resolve(iterator.return?.()).catch(() => {});
    throw failure.err;
  }
}
