import { expect } from 'chai';
import { RuController, type Clock } from '../../src/core/ru-controller.js';

/** Virtual time: sleeps resolve only when the test advances the clock past them. */
class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }));
  }

  /** Runs every timer due before `end` in order, letting the promise chains each one starts settle. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) {
        this.t = end;
        await new Promise((r) => setImmediate(r));
        return;
      }
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

/**
 * A Cosmos DB partition as the controller meets it: a token bucket of `limit` RU/s holding at most
 * one second of RU, a request admitted while the bucket is not empty (it may run it into debt),
 * and a 429 with the time until the bucket refills otherwise. Throttled requests cost nothing here.
 */
class SimulatedPartition {
  private tokens: number;
  private last = 0;
  consumed: { t: number; ru: number }[] = [];
  requests = 0;
  throttled = 0;

  constructor(
    private readonly clock: FakeClock,
    private limit: number,
    private readonly latencyMs = 20,
  ) {
    this.tokens = limit;
  }

  setLimit(limit: number): void {
    this.limit = limit;
  }

  async handle(ru: number): Promise<{ charge: number; throttled: boolean; retryAfterMs?: number }> {
    await this.clock.sleep(this.latencyMs / 2);
    const now = this.clock.now();
    this.tokens = Math.min(this.limit, this.tokens + ((now - this.last) / 1000) * this.limit);
    this.last = now;
    this.requests++;
    let result: { charge: number; throttled: boolean; retryAfterMs?: number };
    if (this.tokens <= 0) {
      this.throttled++;
      result = { charge: 0, throttled: true, retryAfterMs: Math.max(1, Math.ceil((-this.tokens / this.limit) * 1000)) };
    } else {
      this.tokens -= ru;
      this.consumed.push({ t: now, ru });
      result = { charge: ru, throttled: false };
    }
    await this.clock.sleep(this.latencyMs / 2);
    return result;
  }

  rate(from: number, to: number): number {
    const sum = this.consumed.filter((c) => c.t >= from && c.t < to).reduce((a, c) => a + c.ru, 0);
    return (sum * 1000) / (to - from);
  }
}

interface Scenario {
  budget?: number;
  prior?: { rate: number; ruPerKb?: number };
  serverLimit: number;
  workers?: number;
  requestRu?: number;
  seconds?: number;
}

/** Senders that always have work (like an import with a deep queue), through one controller. */
async function simulate(s: Scenario) {
  const clock = new FakeClock();
  const server = new SimulatedPartition(clock, s.serverLimit);
  const controller = new RuController({ ...(s.budget !== undefined ? { budget: s.budget } : {}), ...(s.prior ? { prior: s.prior } : {}), clock });
  const bytes = 10 * 1024;
  const ru = s.requestRu ?? 50;
  let stop = false;
  const workers = Array.from({ length: s.workers ?? 24 }, async () => {
    while (!stop) {
      const permit = await controller.acquire(controller.estimate(bytes), bytes);
      const outcome = await server.handle(ru);
      controller.complete(permit, outcome);
    }
  });
  const end = (s.seconds ?? 60) * 1000;
  await clock.runUntil(end);
  stop = true;
  await clock.runUntil(end + 60_000);
  await Promise.all(workers);
  return { clock, server, controller, end };
}

describe('RuController (fake clock)', () => {
  it('keeps consumption at the budget, without throttling, when the budget is what the server allows', async () => {
    const { server, end } = await simulate({ budget: 1000, serverLimit: 1000 });
    const rate = server.rate(10_000, end);
    expect(rate).to.be.within(900, 1020);
    expect(server.throttled / server.requests).to.be.at.most(0.05);
  });

  it('stays under a budget below what the server allows, with no 429 at all', async () => {
    const { server, end } = await simulate({ budget: 400, serverLimit: 1000 });
    expect(server.rate(10_000, end)).to.be.within(360, 410);
    expect(server.throttled).to.equal(0);
  });

  it('finds the server\'s real limit from 429s when the budget is set too high, keeping 429s within a few per cent', async () => {
    const { server, end, controller } = await simulate({ budget: 3000, serverLimit: 1000 });
    const rate = server.rate(15_000, end);
    expect(rate).to.be.within(750, 1020);
    expect(server.throttled / server.requests).to.be.at.most(0.05);
    expect(controller.snapshot().rateLimit).to.be.below(3000);
  });

  it('without any budget, steers by throttling alone and converges near the server\'s limit', async () => {
    const { server, end } = await simulate({ serverLimit: 1000 });
    expect(server.rate(15_000, end)).to.be.within(750, 1020);
    expect(server.throttled / server.requests).to.be.at.most(0.05);
  });

  it('starts a container from what the previous one learnt, without the slow-start overshoot into 429s', async () => {
    const fresh = await simulate({ serverLimit: 1000, seconds: 10 });
    const primed = await simulate({ serverLimit: 1000, seconds: 10, prior: { rate: 950, ruPerKb: 5 } });
    expect(fresh.server.throttled, 'a fresh controller overshoots').to.be.at.least(3);
    expect(primed.server.throttled).to.be.at.most(Math.floor(fresh.server.throttled / 3));
    expect(primed.server.rate(0, 10_000)).to.be.within(850, 1100);
  });

  it('yields when the server\'s capacity drops (another workload takes part of it) and recovers when it returns', async () => {
    const clock = new FakeClock();
    const server = new SimulatedPartition(clock, 1000);
    const controller = new RuController({ budget: 1000, clock });
    let stop = false;
    const workers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const permit = await controller.acquire(controller.estimate(10_240), 10_240);
        controller.complete(permit, await server.handle(50));
      }
    });
    await clock.runUntil(20_000);
    server.setLimit(400);
    await clock.runUntil(50_000);
    const squeezed = server.rate(30_000, 50_000);
    const squeezedShare = server.throttled;
    server.setLimit(1000);
    await clock.runUntil(110_000);
    stop = true;
    await clock.runUntil(200_000);
    await Promise.all(workers);
    expect(squeezed).to.be.within(280, 420);
    expect(squeezedShare / server.requests).to.be.at.most(0.05);
    expect(server.rate(90_000, 110_000)).to.be.above(800);
  });

  it('cuts concurrency and pauses every sender for the retry-after of a 429', async () => {
    const clock = new FakeClock();
    const controller = new RuController({ initialConcurrency: 8, clock });
    const permits = await Promise.all(Array.from({ length: 8 }, () => controller.acquire(100, 1000)));
    expect(controller.concurrency).to.equal(8);
    // The first 429 ends the ramp-up: halved.
    controller.complete(permits[0]!, { charge: 0, throttled: true, retryAfterMs: 500 });
    expect(controller.concurrency).to.equal(4);
    let granted = false;
    void controller.acquire(100, 1000).then(() => (granted = true));
    await clock.runUntil(499);
    expect(granted, 'no request during the retry-after').to.equal(false);
    await clock.runUntil(501);
    expect(granted).to.equal(false); // 7 still in flight, limit 4
    for (const p of permits.slice(1, 4)) controller.complete(p, { charge: 10 });
    expect(granted).to.equal(false);
    controller.complete(permits[4]!, { charge: 10 });
    await clock.runUntil(502);
    expect(granted).to.equal(true);
    // Later 429s, a round trip or more apart, cut by a quarter.
    await clock.runUntil(3000);
    controller.complete(permits[5]!, { charge: 0, throttled: true, retryAfterMs: 10 });
    expect(controller.concurrency).to.equal(3);
  });

  it('raises concurrency while requests queue for a slot and nothing is throttled', async () => {
    const clock = new FakeClock();
    const controller = new RuController({ initialConcurrency: 2, maxConcurrency: 10, clock });
    let stop = false;
    const workers = Array.from({ length: 20 }, async () => {
      while (!stop) {
        const permit = await controller.acquire(10, 1000);
        await clock.sleep(50);
        controller.complete(permit, { charge: 10 });
      }
    });
    await clock.runUntil(10_000);
    stop = true;
    await clock.runUntil(20_000);
    await Promise.all(workers);
    expect(controller.concurrency).to.equal(10);
  });

  it('learns the RU per byte from responses and reports RU/s against the budget', async () => {
    const clock = new FakeClock();
    const controller = new RuController({ budget: 2000, clock, initialRuPerKb: 10 });
    for (let i = 0; i < 40; i++) {
      const permit = await controller.acquire(controller.estimate(2048), 2048);
      await clock.runUntil(clock.now() + 25);
      controller.complete(permit, { charge: 6 });
    }
    expect(controller.estimate(2048)).to.be.closeTo(6, 0.5);
    const snap = controller.snapshot();
    expect(snap.budget).to.equal(2000);
    expect(snap.totalCharge).to.equal(240);
    expect(snap.ruPerSecond).to.be.above(0);
    expect(snap.throttledRequests).to.equal(0);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new RuController({ budget: 0 })).to.throw(RangeError);
  });
  describe('a budget that moves while requests flow (a shard whose share of a shared budget changes)', () => {
    async function moving() {
      const clock = new FakeClock();
      const server = new SimulatedPartition(clock, 10_000);
      const controller = new RuController({ budget: 1000, clock });
      const bytes = 10 * 1024;
      let stop = false;
      const workers = Array.from({ length: 24 }, async () => {
        while (!stop) {
          const permit = await controller.acquire(controller.estimate(bytes), bytes);
          controller.complete(permit, await server.handle(50));
        }
      });
      await clock.runUntil(20_000);
      controller.setBudget(3000);
      await clock.runUntil(40_000);
      controller.setBudget(500);
      await clock.runUntil(60_000);
      stop = true;
      await clock.runUntil(120_000);
      await Promise.all(workers);
      return { server, controller };
    }

    it('follows a raised budget at once and a lowered one at once, with nothing throttled', async () => {
      const { server, controller } = await moving();
      expect(server.rate(5_000, 20_000)).to.be.within(950, 1050);
      expect(server.rate(22_000, 40_000)).to.be.within(2850, 3150);
      expect(server.rate(42_000, 60_000)).to.be.within(470, 530);
      expect(server.throttled).to.equal(0);
      expect(controller.budget).to.equal(500);
    });

    it('refuses a budget that is not positive', () => {
      const controller = new RuController({ budget: 1000 });
      expect(() => controller.setBudget(0)).to.throw(RangeError, /positive/);
      expect(() => controller.setBudget(Number.NaN)).to.throw(RangeError);
    });
  });
});
