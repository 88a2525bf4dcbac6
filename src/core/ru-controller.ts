/**
 * Keeps Cosmos DB request-unit consumption close to a budget and the share of throttled (429)
 * requests small, by steering two knobs from what every response reports:
 *
 * - a rate: a token bucket refilled at the allowed RU/s. A request takes its estimated charge
 *   up front (learned from earlier responses, RU per byte) and settles the difference when the
 *   real `x-ms-request-charge` arrives, so the long-run consumption equals the rate.
 * - a concurrency: requests in flight. It grows additively (about one per round trip) while
 *   requests queue for a slot rather than for RU, and shrinks multiplicatively on a 429.
 *
 * A 429 also pauses every sender for the time the server asked and lowers the rate below what
 * was consumed just before it (the server knows better than the configured budget: it may be
 * smaller than the budget, or the application may be using part of it); the rate then climbs
 * back by a few per cent per second. That sawtooth keeps throttling in the 1-5 % band Cosmos DB
 * considers healthy instead of retry storms. No SDK import: the Cosmos store feeds it numbers.
 */

/** Time source and sleep, injectable so tests drive the controller with a fake clock. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface RuControllerOptions {
  /** RU/s the run may consume. Undefined: no budget, steer by throttling alone. */
  budget?: number;
  /** Requests in flight at the start (default 4). */
  initialConcurrency?: number;
  /** Never more requests in flight than this (default 32). */
  maxConcurrency?: number;
  /** RU per KB assumed before the first response teaches the real figure (default 10: a write with default indexing). */
  initialRuPerKb?: number;
  /** Seconds of budget that may be spent at once after an idle spell (default 0.25). */
  burstSeconds?: number;
  clock?: Clock;
}

/** What the caller holds between `acquire` and `complete`. */
export interface Permit {
  readonly estimate: number;
  readonly bytes: number;
  /** The request waited for a free slot: concurrency, not RU, was the limit. */
  readonly waitedForSlot: boolean;
}

export interface RequestOutcome {
  /** RU the response reported (for a bulk request: the sum over its operations). */
  charge: number;
  /** The server answered 429 for the request or for some of its operations. */
  throttled?: boolean;
  /** The wait the server asked for (x-ms-retry-after-ms), when it said. */
  retryAfterMs?: number;
}

export interface RuSnapshot {
  /** The configured budget, RU/s. */
  budget?: number;
  /** The rate currently allowed (below the budget after throttling), RU/s. */
  rateLimit?: number;
  /** Consumption over the last few seconds, RU/s. */
  ruPerSecond: number;
  totalCharge: number;
  requests: number;
  throttledRequests: number;
  concurrency: number;
}

const DEFAULT_PAUSE_MS = 100;
/** One multiplicative cut per this many ms: a burst of 429s from one overload is one signal. */
const CUT_INTERVAL_MS = 1000;
const CONCURRENCY_CUT = 0.75;
const RATE_CUT = 0.9;
/** Share of the current rate regained per second after a cut. */
const RATE_GROWTH_PER_SECOND = 0.03;
const RATE_WINDOW_MS = 3000;
const MIN_RATE = 1;

export class RuController {
  readonly budget?: number;
  private readonly clock: Clock;
  private readonly maxConcurrency: number;
  private readonly burstSeconds: number;
  private limit: number;
  private inFlight = 0;
  private rate: number;
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private lastCut = Number.NEGATIVE_INFINITY;
  private growthCredit = 0;
  private ruPerByte: number;
  private gate: Promise<unknown> = Promise.resolve();
  private readonly slotWaiters: (() => void)[] = [];
  private readonly recent: { t: number; ru: number }[] = [];
  private readonly started: number;
  private totalCharge = 0;
  private requests = 0;
  private throttledRequests = 0;

  constructor(options: RuControllerOptions = {}) {
    if (options.budget !== undefined && !(options.budget > 0)) throw new RangeError(`RU budget must be positive, got ${options.budget}`);
    this.clock = options.clock ?? systemClock;
    if (options.budget !== undefined) this.budget = options.budget;
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 32);
    this.limit = Math.min(this.maxConcurrency, Math.max(1, options.initialConcurrency ?? 4));
    this.burstSeconds = options.burstSeconds ?? 0.25;
    this.rate = options.budget ?? Number.POSITIVE_INFINITY;
    this.tokens = Number.isFinite(this.rate) ? this.capacity : 0;
    this.ruPerByte = (options.initialRuPerKb ?? 10) / 1024;
    this.started = this.clock.now();
    this.lastRefill = this.started;
  }

  /** The RU a request of this many bytes is expected to cost, from what earlier responses charged. */
  estimate(bytes: number): number {
    return bytes * this.ruPerByte;
  }

  get concurrency(): number {
    return this.limit;
  }

  /** Waits until a request may be sent: not paused by a 429, a slot free, RU in the bucket. First come, first served. */
  acquire(estimate: number, bytes = 0): Promise<Permit> {
    const turn = this.gate.then(() => this.waitForTurn(estimate, bytes));
    this.gate = turn.catch(() => undefined);
    return turn;
  }

  /** Reports a finished request (also one that failed: its slot is freed). */
  complete(permit: Permit, outcome: RequestOutcome): void {
    const now = this.clock.now();
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.refill(now);
    // A throttled attempt keeps its estimate spent: retries must not be free, or they storm.
    const spent = outcome.throttled ? Math.max(outcome.charge, permit.estimate) : outcome.charge;
    if (Number.isFinite(this.rate)) this.tokens = Math.min(this.capacity, this.tokens + permit.estimate - spent);
    this.requests++;
    this.totalCharge += outcome.charge;
    if (outcome.charge > 0) this.recent.push({ t: now, ru: outcome.charge });
    this.prune(now);

    if (outcome.throttled) {
      this.throttledRequests++;
      this.pausedUntil = Math.max(this.pausedUntil, now + (outcome.retryAfterMs ?? DEFAULT_PAUSE_MS));
      if (now - this.lastCut >= CUT_INTERVAL_MS) {
        this.lastCut = now;
        this.limit = Math.max(1, Math.floor(this.limit * CONCURRENCY_CUT));
        const consumed = this.observedRate(now);
        const base = consumed > 0 ? Math.min(this.rate, consumed) : this.rate;
        if (Number.isFinite(base)) this.rate = Math.max(MIN_RATE, base * RATE_CUT);
        this.tokens = Math.min(this.tokens, 0);
        this.growthCredit = 0;
      }
    } else {
      if (outcome.charge > 0 && permit.bytes > 0) this.ruPerByte = 0.8 * this.ruPerByte + 0.2 * (outcome.charge / permit.bytes);
      if (permit.waitedForSlot && now - this.lastCut >= CUT_INTERVAL_MS && this.limit < this.maxConcurrency) {
        this.growthCredit += 1 / this.limit;
        if (this.growthCredit >= 1) {
          this.growthCredit -= 1;
          this.limit++;
        }
      }
    }
    this.wakeOne();
  }

  snapshot(): RuSnapshot {
    const now = this.clock.now();
    this.prune(now);
    return {
      ...(this.budget !== undefined ? { budget: this.budget } : {}),
      ...(Number.isFinite(this.rate) ? { rateLimit: this.rate } : {}),
      ruPerSecond: this.observedRate(now),
      totalCharge: this.totalCharge,
      requests: this.requests,
      throttledRequests: this.throttledRequests,
      concurrency: this.limit,
    };
  }

  private get capacity(): number {
    return this.rate * this.burstSeconds;
  }

  private async waitForTurn(estimate: number, bytes: number): Promise<Permit> {
    let waitedForSlot = false;
    for (;;) {
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now);
        continue;
      }
      if (this.inFlight >= this.limit) {
        waitedForSlot = true;
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      this.refill(now);
      if (Number.isFinite(this.rate) && this.tokens < 0) {
        await this.clock.sleep(Math.max(1, Math.ceil((-this.tokens / this.rate) * 1000)));
        continue;
      }
      break;
    }
    this.inFlight++;
    if (Number.isFinite(this.rate)) this.tokens -= estimate;
    return { estimate, bytes, waitedForSlot };
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill) / 1000;
    this.lastRefill = now;
    if (!Number.isFinite(this.rate)) return;
    // After a cut the allowed rate climbs back towards the budget (or, without one, on and on
    // until the server throttles again).
    if (now - this.lastCut >= CUT_INTERVAL_MS && (this.budget === undefined || this.rate < this.budget) && this.lastCut > Number.NEGATIVE_INFINITY) {
      this.rate = Math.min(this.budget ?? Number.POSITIVE_INFINITY, this.rate * (1 + RATE_GROWTH_PER_SECOND * elapsed));
    }
    this.tokens = Math.min(this.capacity, this.tokens + this.rate * elapsed);
  }

  private observedRate(now: number): number {
    const span = Math.min(RATE_WINDOW_MS, Math.max(1000, now - this.started));
    let sum = 0;
    for (const r of this.recent) if (r.t > now - span) sum += r.ru;
    return (sum * 1000) / span;
  }

  private prune(now: number): void {
    while (this.recent.length > 0 && this.recent[0]!.t <= now - RATE_WINDOW_MS) this.recent.shift();
  }

  private wakeOne(): void {
    const next = this.slotWaiters.shift();
    next?.();
  }
}
