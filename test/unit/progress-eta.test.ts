import { Writable } from 'node:stream';
import { expect } from 'chai';
import { barProgress } from '../../src/cli/progress.js';

/** A terminal stand-in that keeps what the bars drew. */
function fakeTerminal(): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(stream, { isTTY: true, columns: 200, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true, text: () => out });
  return stream;
}

describe('progress bar ETA (issue 14, item 12)', () => {
  it('says "ETA --" while the total or the rate is unknown, never "ETA NFs"', async () => {
    const term = fakeTerminal();
    const bars = barProgress(term);
    bars.events({ type: 'collection-start', database: 'copilot', collection: 'threads' });
    bars.events({ type: 'progress', database: 'copilot', collection: 'threads', read: 0, written: 0, skipped: 0, rejected: 0 });
    await new Promise((r) => setTimeout(r, 150));
    bars.stop();
    expect(term.text()).to.include('ETA --');
    expect(term.text()).to.not.match(/ETA (NF|INF|NULL|NaN)/);
  });

  it('gives the time left at the rate so far once both are known', async () => {
    const { etaText } = await import('../../src/cli/progress.js');
    expect(etaText(0, undefined, 100)).to.equal('ETA --');
    expect(etaText(50, 100, 0)).to.equal('ETA --');
    expect(etaText(50, 100, 10)).to.equal('ETA 5s');
    expect(etaText(0, 10_000, 100)).to.equal('ETA 1m40s');
    expect(etaText(0, 1_000_000, 100)).to.equal('ETA 2h46m');
  });
});
