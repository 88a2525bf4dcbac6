import { Writable } from 'node:stream';
import { expect } from 'chai';
import { barProgress } from '../../src/cli/progress.js';
import { plainProgress, ThrottleWindow } from '../../src/engine/progress-lines.js';

function fakeTerminal(): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(stream, { isTTY: true, columns: 240, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true, text: () => out });
  return stream;
}

describe('progress display: per collection and overall, with MB/s, RU/s and the throttled share', () => {
  it('the share of requests throttled is taken over the last minute only', () => {
    const w = new ThrottleWindow(60_000);
    w.add(0, { requests: 0, throttled: 0 });
    w.add(30_000, { requests: 100, throttled: 50 });
    expect(w.text()).to.equal('50% throttled (1 min)');
    w.add(90_000, { requests: 200, throttled: 50 });
    w.add(120_000, { requests: 300, throttled: 50 });
    // The 50 throttled requests of the first half minute are out of the window.
    expect(w.share()).to.equal(0);
    expect(new ThrottleWindow().text()).to.equal('');
  });

  it('a terminal shows each collection and an overall bar with docs, MB/s, RU/s against the budget and the ETA', async () => {
    const term = fakeTerminal();
    const bars = barProgress(term);
    bars.events({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 1000 });
    bars.events({ type: 'collection-start', database: 'copilot', collection: 'threads', total: 1000 });
    bars.events({ type: 'progress', database: 'copilot', collection: 'messages', total: 1000, read: 0, written: 0, skipped: 0, rejected: 0, stats: { requestCharge: 1, requests: 0, throttled: 0, ruPerSecond: 0, ruBudget: 1000 } });
    await new Promise((r) => setTimeout(r, 300));
    bars.events({ type: 'progress', database: 'copilot', collection: 'messages', total: 1000, read: 500, written: 500, skipped: 0, rejected: 0, bytes: 5 * 1024 * 1024, stats: { requestCharge: 5000, requests: 10, throttled: 1, ruPerSecond: 900, ruBudget: 1000 } });
    bars.events({ type: 'progress', database: 'copilot', collection: 'threads', total: 1000, read: 100, written: 100, skipped: 0, rejected: 0 });
    await new Promise((r) => setTimeout(r, 150));
    bars.stop();
    const text = term.text();
    expect(text).to.match(/copilot\.messages .*500\/1000 docs \| \d+ docs\/s \| \d+\.\d MB\/s \| 5000 RU, 900\/1000 RU\/s, 1 throttled \| 10% throttled \(1 min\) \| ETA \d+s/);
    expect(text).to.match(/overall .*600\/2000 docs \| \d+ docs\/s \| \d+\.\d MB\/s \| ETA \d+s/);
  });

  it('without a terminal: a plain line per collection every interval, with docs/s, MB/s and the ETA', async () => {
    const lines: string[] = [];
    const events = plainProgress({ log: (l) => lines.push(l), result: () => {} }, { intervalMs: 50 });
    events({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 1000 });
    events({ type: 'progress', database: 'copilot', collection: 'messages', total: 1000, read: 10, written: 10, skipped: 0, rejected: 0 });
    await new Promise((r) => setTimeout(r, 120));
    events({ type: 'progress', database: 'copilot', collection: 'messages', total: 1000, read: 100, written: 100, skipped: 0, rejected: 0, bytes: 1024 * 1024 });
    expect(lines[0]).to.equal('copilot.messages: started (1000 documents)');
    expect(lines.at(-1)).to.match(/^copilot\.messages: 100\/1000 documents \(10%\), \d+ docs\/s, \d+\.\d MB\/s, ETA \d+s$/);
  });
});
