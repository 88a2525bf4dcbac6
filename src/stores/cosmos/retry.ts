import { backoffDelay } from '../../core/backoff.js';
import { DocferryError } from '../../core/errors.js';
import type { GroupOutcome } from './bulk-results.js';

/** Rounds of re-sending throttled operations; each waits for the RU controller, so this is minutes. */
export const MAX_THROTTLE_ROUNDS = 60;

/**
 * How a batch's operations are sent again, round after round. Throttled operations (429) have
 * rounds of their own and no extra pause, because the RU controller already waits before
 * admitting each request; transient failures use up error rounds and back off, at least as long
 * as the service asked (retry-after).
 */
export class CosmosRetryRounds {
  private errorRounds = 0;
  private throttleRounds = 0;

  constructor(
    private readonly collection: string,
    private readonly maxErrorRounds = 8,
    private readonly maxThrottleRounds = MAX_THROTTLE_ROUNDS,
  ) {}

  /**
   * After a round: the operations to send again (in batch order) and how long to wait first;
   * undefined when every operation is settled. Throws once a kind of round is used up.
   */
  next(outcomes: readonly GroupOutcome[]): { pending: number[]; waitMs: number } | undefined {
    const throttled = outcomes.flatMap((o) => o.throttled);
    const failed = outcomes.flatMap((o) => o.failed);
    if (throttled.length + failed.length === 0) return undefined;
    let waitMs = 0;
    if (failed.length > 0) {
      const last = outcomes.find((o) => o.problem)?.problem ?? 'unknown error';
      if (++this.errorRounds >= this.maxErrorRounds) {
        throw new DocferryError(
          `Cosmos DB kept failing ${failed.length} writes to ${this.collection} after ${this.maxErrorRounds} rounds of retries (last: ${last}). ` +
            'Nothing was lost: re-run the import (upsert is idempotent), lower --concurrency, or raise the container\'s RU/s.',
        );
      }
      const serverAskedMs = Math.max(0, ...outcomes.map((o) => o.serverAskedMs ?? 0));
      waitMs = backoffDelay(this.errorRounds - 1, { serverAskedMs });
    } else if (++this.throttleRounds >= this.maxThrottleRounds) {
      // The controller already waited before every round; this is a container that never has room.
      throw new DocferryError(
        `Cosmos DB throttled ${throttled.length} writes to ${this.collection} in ${this.maxThrottleRounds} rounds in a row (HTTP 429). ` +
          'Nothing was lost: raise the container\'s RU/s (docferry throughput raise), or run when the application is quieter, then re-run the import.',
      );
    }
    return { pending: [...throttled, ...failed].sort((a, b) => a - b), waitMs };
  }
}
