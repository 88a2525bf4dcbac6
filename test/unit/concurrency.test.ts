import { expect } from 'chai';
import { forEachLimit } from '../../src/core/concurrency.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Work that records starts, ends and the most calls running at once. */
function recorder(delays: (item: number) => number = () => 1) {
  const log = { started: [] as number[], ended: [] as number[], running: 0, most: 0 };
  const work = async (item: number) => {
    log.started.push(item);
    log.running++;
    log.most = Math.max(log.most, log.running);
    await new Promise((resolve) => setTimeout(resolve, delays(item)));
    log.running--;
    log.ended.push(item);
  };
  return { log, work };
}

async function* numbers(n: number, pulled: number[] = []): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield i;
  }
}

describe('forEachLimit: the one bounded-concurrency helper', () => {
  it('runs at most `limit` calls at once and starts the items in order', async () => {
    const { log, work } = recorder((i) => (i % 3) * 3 + 1);
    await forEachLimit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, work);
    expect(log.most).to.equal(3);
    expect(log.started).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...log.ended].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('starts no more workers than there are items, and does nothing for none', async () => {
    const { log, work } = recorder();
    await forEachLimit([1, 2], 8, work);
    expect(log.most).to.equal(2);
    await forEachLimit([], 8, work);
    expect(log.started).to.deep.equal([1, 2]);
  });

  it('reads an async iterator lazily: an item is taken only when a worker is free', async () => {
    const pulled: number[] = [];
    let maxAhead = 0;
    const ended: number[] = [];
    await forEachLimit(numbers(20, pulled), 2, async (i) => {
      maxAhead = Math.max(maxAhead, pulled.length - ended.length);
      await tick();
      ended.push(i);
    });
    expect(ended).to.have.length(20);
    // Two running, none waiting in between.
    expect(maxAhead).to.be.at.most(2);
  });

  it('never asks an iterator for two items at once', async () => {
    let pulling = 0;
    let overlapped = false;
    let n = 0;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (pulling++ > 0) overlapped = true;
          await tick();
          pulling--;
          return n < 10 ? { done: false, value: n++ } : { done: true, value: undefined };
        },
      }),
    };
    const { log, work } = recorder();
    await forEachLimit(source, 4, work);
    expect(overlapped).to.equal(false);
    expect(log.started).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('throws the first failure once the running work settled, and starts nothing after it', async () => {
    const { log, work } = recorder((i) => (i === 1 ? 1 : 20));
    const failing = async (i: number) => {
      if (i === 1) {
        await tick();
        throw new Error('first');
      }
      if (i === 2) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('second');
      }
      await work(i);
    };
    const err = await forEachLimit([0, 1, 2, 3, 4, 5], 3, failing).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('first');
    // 0 was running when 1 failed: it finished before the call returned; 3, 4, 5 never started.
    expect(log.started).to.deep.equal([0]);
    expect(log.ended).to.deep.equal([0]);
  });

  it('stops taking items from an iterator after a failure, and closes it', async () => {
    const pulled: number[] = [];
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        yield* numbers(100, pulled);
      } finally {
        closed = true;
      }
    }
    const err = await forEachLimit(source(), 2, async (i) => {
      await tick();
      if (i === 3) throw new Error('boom');
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('boom');
    expect(closed).to.equal(true);
    expect(pulled.length).to.be.at.most(6);
  });

  it('throws a failure to read the items as the work would', async () => {
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new Error('read failed');
    }
    const { log, work } = recorder();
    const err = await forEachLimit(broken(), 2, work).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('read failed');
    expect(log.ended).to.deep.equal([1]);
  });

  it('refuses a limit below 1, and an endless limit for an iterator', async () => {
    for (const [items, limit] of [[[1], 0], [[1], Number.NaN], [numbers(1), Infinity]] as const) {
      const err = await forEachLimit(items as Iterable<number> | AsyncIterable<number>, limit, async () => {}).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(RangeError);
    }
    // An array's length bounds the workers.
    const { log, work } = recorder();
    await forEachLimit([1, 2, 3], Infinity, work);
    expect(log.most).to.equal(3);
  });
});
