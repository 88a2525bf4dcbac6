/**
 * Keeps Cosmos DB request-unit consumption close to a budget and the share of throttled (429)
 * requests small, by steering two knobs from what every response reports:
 *
 * - a rate: a token bucket refilled at the allowed RU/s. A request takes its estimated charge
 *   up front (learned from earlier responses, RU per byte) and settles the difference when the
 *   real `x-ms-request-charge` arrives, so the long-run consumption equals the rate.
 * - a concurrency: requests in flight. While requests queue for a slot rather than for RU it
 *   doubles every round trip until the first 429 (slow start), then grows by about one per round
 *   trip; a 429 cuts it multiplicatively.
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
  /** Requests in flight at the start (default 2; doubled every round trip until the first 429). */
  initialConcurrency?: number;
  /** Never more requests in flight than this (default 32). */
  maxConcurrency?: number;
  /** RU per KB assumed before the first response teaches the real figure (default 10: a write with default indexing). */
  initialRuPerKb?: number;
  /**
   * What an earlier controller learnt about this account (RU/s where it was throttled, RU per
   * KB): the start of the next container, without a slow start that would overshoot again.
   */
  prior?: { rate: number; ruPerKb?: number };
  /** Seconds of budget that may be spent at once after an idle spell (default 0.25). */
  burstSeconds?: number;
  clock?: Clock;
}

/** What the caller holds between `acquire` and `complete`. */
export interface Permit {
  readonly estimate: number;
  readonly bytes: number;
  /** When the request was admitted (clock ms). */
  readonly startedAt: number;
  /** The request waited for a free slot: concurrency, not RU, was the limit. */
  readonly waitedForSlot: boolean;
}

/** A request about to be sent: its expected charge, its size, and what the caller needs back. */
export interface PendingRequest<T> {
  estimate: number;
  bytes: number;
  value: T;
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
  /** RU per KB sent, as learnt from the responses. */
  ruPerKb: number;
  /** The rate at which the server last throttled, RU/s (0: never). */
  throttledAt: number;
}

const DEFAULT_PAUSE_MS = 100;
/**
 * One multiplicative cut per round trip or so (twice the typical latency, within these bounds):
 * the 429s of one overload are one signal, but a storm is answered within a few round trips.
 */
const MIN_CUT_INTERVAL_MS = 100;
const MAX_CUT_INTERVAL_MS = 1000;
const CONCURRENCY_CUT = 0.75;
const RATE_CUT = 0.9;
const RATE_CUT_AGAIN = 0.7;
/** Share of the current rate gained per second once back where the last 429 came. */
const RATE_GROWTH_PER_SECOND = 0.02;
/** Share of the gap to where the last 429 came regained per second after a cut (as CUBIC/BIC). */
const RATE_RECOVERY_PER_SECOND = 0.25;
const RATE_WINDOW_MS = 3000;
const MIN_RATE_SPAN_MS = 250;
const MIN_RATE = 1;

export class RuController {
  private currentBudget: number | undefined;
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
  /** Until the first 429, concurrency grows by one per completion (doubling per round trip), as TCP's slow start. */
  private slowStart = true;
  private ruPerByte: number;
  private learned = false;
  /** The consumption at which the server last throttled: where the rate heads back quickly, then slowly past. */
  private lastThrottledRate = 0;
  private latencyMs = MAX_CUT_INTERVAL_MS / 2;
  private gate: Promise<unknown> = Promise.resolve();
  /** The request at the head of the queue, waiting for a slot or for RU: woken by every completion. */
  private readonly waiters: (() => void)[] = [];
  private readonly recent: { t: number; ru: number }[] = [];
  private readonly started: number;
  private firstChargeAt = Number.POSITIVE_INFINITY;
  private totalCharge = 0;
  private requests = 0;
  private throttledRequests = 0;

  constructor(options: RuControllerOptions = {}) {
    if (options.budget !== undefined && !(options.budget > 0)) throw new RangeError(`RU budget must be positive, got ${options.budget}`);
    this.clock = options.clock ?? systemClock;
    this.currentBudget = options.budget;
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 32);
    this.limit = Math.min(this.maxConcurrency, Math.max(1, options.initialConcurrency ?? 2));
    this.burstSeconds = options.burstSeconds ?? 0.25;
    this.rate = options.budget ?? Number.POSITIVE_INFINITY;
    if (options.prior && options.prior.rate > 0) {
      this.rate = Math.min(this.rate, options.prior.rate);
      this.lastThrottledRate = options.prior.rate;
      this.slowStart = false;
      // As after a cut: the rate climbs back towards the budget, or on and on without one.
      this.lastCut = this.clock.now() - MAX_CUT_INTERVAL_MS;
    }
    this.tokens = Number.isFinite(this.rate) ? this.capacity : 0;
    this.ruPerByte = (options.prior?.ruPerKb ?? options.initialRuPerKb ?? 10) / 1024;
    if (options.prior?.ruPerKb) this.learned = true;
    this.started = this.clock.now();
    this.lastRefill = this.started;
  }

  /** RU/s the run may consume now; undefined: no budget, steered by throttling alone. */
  get budget(): number | undefined {
    return this.currentBudget;
  }

  /**
   * Moves the budget while requests flow (a shard's share of a shared budget changed): a lower
   * budget caps the rate at once, a higher one is followed at once unless the server throttled
   * lately, when the rate climbs towards it as after any cut.
   */
  setBudget(budget: number): void {
    if (!(budget > 0)) throw new RangeError(`RU budget must be positive, got ${budget}`);
    const now = this.clock.now();
    this.refill(now);
    const old = this.currentBudget;
    this.currentBudget = budget;
    const recentlyCut = now - this.lastCut < 3 * this.cutInterval;
    if (this.rate > budget || !Number.isFinite(this.rate) || (!recentlyCut && (old === undefined || this.rate >= old))) {
      const was = this.rate;
      this.rate = budget;
      // A fresh budget starts from an empty bucket, not a full one: no burst past the new rate.
      if (!Number.isFinite(was)) this.tokens = 0;
    }
    this.tokens = Math.min(this.tokens, this.capacity);
    this.wake();
  }

  /** The RU a request of this many bytes is expected to cost, from what earlier responses charged. */
  estimate(bytes: number): number {
    return bytes * this.ruPerByte;
  }

  /**
   * The largest request worth sending at the current rate: a quarter second of it. A request
   * bigger than the container's whole second (100 large documents into a 400 RU/s container)
   * cannot be paced; it can only overdraw and be throttled.
   */
  maxRequestRu(): number {
    return Number.isFinite(this.rate) ? Math.max(1, this.rate * this.burstSeconds) : Number.POSITIVE_INFINITY;
  }

  get concurrency(): number {
    return this.limit;
  }

  /** Waits until a request may be sent: not paused by a 429, a slot free, RU in the bucket. First come, first served. */
  async acquire(estimate: number, bytes = 0): Promise<Permit> {
    const granted = await this.acquireFor(() => ({ estimate, bytes, value: undefined }));
    return granted!.permit;
  }

  /**
   * Like `acquire`, but the request is built only when its turn comes, sized to the rate of that
   * moment (`maxRu`, see maxRequestRu): requests queued before a 429 do not go out at the old
   * size. `build` returning undefined (nothing left to send) takes no slot.
   */
  acquireFor<T>(build: (maxRu: number) => PendingRequest<T> | undefined): Promise<{ permit: Permit; value: T } | undefined> {
    const turn = this.gate.then(() => this.waitForTurn(build));
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
    this.latencyMs = 0.8 * this.latencyMs + 0.2 * Math.max(0, now - permit.startedAt);
    if (outcome.charge > 0) {
      this.recent.push({ t: now, ru: outcome.charge });
      // The charge accrued over the request's flight: count the window from when it started.
      this.firstChargeAt = Math.min(this.firstChargeAt, permit.startedAt);
    }
    this.prune(now);

    if (outcome.throttled) {
      this.throttledRequests++;
      this.pausedUntil = Math.max(this.pausedUntil, now + (outcome.retryAfterMs ?? DEFAULT_PAUSE_MS));
      const firstThrottle = this.slowStart;
      this.slowStart = false;
      if (now - this.lastCut >= this.cutInterval) {
        // 429s that keep coming a round trip or two after a cut: the cut was not deep enough
        // (the consumption it was based on still held a burst the server allowed), so cut deeper.
        const again = now - this.lastCut < 3 * this.cutInterval;
        const factor = firstThrottle ? 0.5 : again ? RATE_CUT_AGAIN : RATE_CUT;
        this.lastCut = now;
        this.limit = Math.max(1, Math.floor(this.limit * (firstThrottle ? 0.5 : CONCURRENCY_CUT)));
        const consumed = this.observedRate(now);
        // The first 429 ends a ramp-up whose rate the server's burst allowance inflated: halve it,
        // as TCP does when slow start ends. Throttled before anything was consumed: halve the guess.
        const next = consumed > 0 ? Math.min(this.rate, consumed) * factor : this.rate / 2;
        if (Number.isFinite(next)) {
          this.rate = Math.max(MIN_RATE, next);
          this.lastThrottledRate = consumed > 0 ? Math.min(consumed, this.rate / factor) : this.rate;
        }
        this.tokens = Math.min(this.tokens, 0);
        this.growthCredit = 0;
      }
    } else {
      if (outcome.charge > 0 && permit.bytes > 0) {
        // The first real charge replaces the guess; later ones smooth it.
        const sample = outcome.charge / permit.bytes;
        this.ruPerByte = this.learned ? 0.8 * this.ruPerByte + 0.2 * sample : sample;
        this.learned = true;
      }
      if (permit.waitedForSlot && now - this.lastCut >= this.cutInterval && this.limit < this.maxConcurrency) {
        this.growthCredit += this.slowStart ? 1 : 1 / this.limit;
        if (this.growthCredit >= 1) {
          this.growthCredit -= 1;
          this.limit++;
        }
      }
    }
    this.wake();
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
      ruPerKb: this.ruPerByte * 1024,
      throttledAt: this.lastThrottledRate,
    };
  }

  private get cutInterval(): number {
    return Math.min(MAX_CUT_INTERVAL_MS, Math.max(MIN_CUT_INTERVAL_MS, 2 * this.latencyMs));
  }

  private get capacity(): number {
    return this.rate * this.burstSeconds;
  }

  private async waitForTurn<T>(build: (maxRu: number) => PendingRequest<T> | undefined): Promise<{ permit: Permit; value: T } | undefined> {
    let waitedForSlot = false;
    for (;;) {
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now);
        continue;
      }
      if (this.inFlight >= this.limit) {
        waitedForSlot = true;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      this.refill(now);
      if (Number.isFinite(this.rate) && this.tokens < 0) {
        // A completion may refund an over-estimate long before the debt would have refilled.
        await Promise.race([this.clock.sleep(Math.max(1, Math.ceil((-this.tokens / this.rate) * 1000))), new Promise<void>((resolve) => this.waiters.push(resolve))]);
        continue;
      }
      break;
    }
    const request = build(this.maxRequestRu());
    if (!request) return undefined;
    this.inFlight++;
    if (Number.isFinite(this.rate)) this.tokens -= request.estimate;
    return { permit: { estimate: request.estimate, bytes: request.bytes, waitedForSlot, startedAt: this.clock.now() }, value: request.value };
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill) / 1000;
    this.lastRefill = now;
    if (!Number.isFinite(this.rate)) return;
    // After a cut the allowed rate climbs back towards the budget (or, without one, on and on
    // until the server throttles again).
    if (now - this.lastCut >= this.cutInterval && (this.budget === undefined || this.rate < this.budget) && this.lastCut > Number.NEGATIVE_INFINITY) {
      const gap = this.lastThrottledRate - this.rate;
      const growth = Math.max(this.rate * RATE_GROWTH_PER_SECOND, gap * RATE_RECOVERY_PER_SECOND) * elapsed;
      this.rate = Math.min(this.budget ?? Number.POSITIVE_INFINITY, this.rate + growth);
    }
    this.tokens = Math.min(this.capacity, this.tokens + this.rate * elapsed);
  }

  private observedRate(now: number): number {
    if (this.recent.length === 0) return 0;
    // Early in a run the window is what has elapsed since the first charge, not a full window,
    // or a first throttle would read a fraction of the real rate and cut far too deep.
    const span = Math.min(RATE_WINDOW_MS, Math.max(MIN_RATE_SPAN_MS, now - Math.min(this.firstChargeAt, now)));
    let sum = 0;
    for (const r of this.recent) if (r.t > now - span) sum += r.ru;
    return (sum * 1000) / span;
  }

  private prune(now: number): void {
    while (this.recent.length > 0 && this.recent[0]!.t <= now - RATE_WINDOW_MS) this.recent.shift();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
