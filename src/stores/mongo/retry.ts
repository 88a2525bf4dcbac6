import { backoffDelay } from '../../core/backoff.js';
import { DocferryError } from '../../core/errors.js';
import type { Attempt } from './write-results.js';

/** Pool waits allowed per retry round, before the batch fails all the same. */
export const POOL_WAITS_PER_ROUND = 4;

/**
 * Rounds of sending a batch's retryable writes again. With several batches in flight, one
 * batch's network error clears the driver's pool and the others' requests fail unsent: such a
 * round waits for the pool, within a bound of its own, instead of using up this batch's rounds
 * (a failover would otherwise fail batches that never got a try).
 */
export class MongoRetryRounds {
  private rounds = 0;
  private poolWaits = 0;

  constructor(
    private readonly collection: string,
    private readonly maxRounds = 8,
  ) {}

  /** After a round with retries: how long to wait before sending them again; throws once out of rounds. */
  waitBeforeRetry(attempts: readonly Attempt[]): number {
    const retries = attempts.reduce((n, a) => n + a.retry.length, 0);
    const reachedServer = attempts.some((a) => a.retry.length > 0 && !a.notSent);
    if (reachedServer) this.rounds++;
    else this.poolWaits++;
    if (this.rounds >= this.maxRounds || this.poolWaits >= this.maxRounds * POOL_WAITS_PER_ROUND) {
      const last = attempts.find((a) => a.problem)?.problem ?? 'unknown error';
      const tries = this.poolWaits > 0 ? `${this.rounds} rounds of retries and ${this.poolWaits} waits for the cleared connection pool` : `${this.maxRounds} rounds of retries`;
      throw new DocferryError(
        `MongoDB kept failing ${retries} writes to ${this.collection} after ${tries} (last: ${last}). ` +
          'Re-run the same command: upsert rewrites the same documents, merge skips those already there.',
      );
    }
    // A pool wait backs off only a little: the driver reopens the pool within about a second.
    const backoff = reachedServer ? this.rounds - 1 : Math.min(this.poolWaits - 1, 2);
    return backoffDelay(backoff, { serverAskedMs: Math.max(0, ...attempts.map((a) => a.waitMs ?? 0)) });
  }
}
