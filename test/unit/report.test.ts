import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { EngineEvent, RunSummary } from '../../src/engine/events.js';
import { eventStream, type StreamRecord } from '../../src/engine/events-stream.js';
import { buildReport } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';

const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** A run of two collections over 30 s of a fake clock, the first throttled, one reject. */
function simulatedRun(): { records: StreamRecord[]; summary: RunSummary } {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const records: StreamRecord[] = [];
  const stream = eventStream((r) => records.push(r), { intervalMs: 1000, now: () => clock });
  const ev = (e: EngineEvent) => stream.events(e);
  stream.start({ operation: 'migrate' });
  ev({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 3000 });
  ev({ type: 'collection-start', database: 'copilot', collection: '<b>odd</b>', total: 100 });
  for (let s = 1; s <= 30; s++) {
    clock += 1000;
    const throttled = s > 10 ? s - 10 : 0;
    ev({ type: 'progress', database: 'copilot', collection: 'messages', total: 3000, read: s * 100, written: s * 100, skipped: 0, rejected: 0, bytes: s * 100_000, stats: { requestCharge: s * 1000, ruPerSecond: 900 + s, ruBudget: 1000, requests: s * 10, throttled, concurrency: s > 10 ? 4 : s } });
    if (s <= 10) ev({ type: 'progress', database: 'copilot', collection: '<b>odd</b>', total: 100, read: s * 10, written: s * 10 - (s === 10 ? 1 : 0), skipped: 0, rejected: s === 10 ? 1 : 0 });
    if (s === 10) {
      ev({ type: 'reject', database: 'copilot', collection: '<b>odd</b>', id: 'x1', reason: "key must not contain '.' sign" });
      ev({ type: 'collection-end', summary: { database: 'copilot', collection: '<b>odd</b>', status: 'ok', read: 100, written: 99, skipped: 0, rejected: 1, durationMs: 10_000 } });
    }
  }
  const messages = { database: 'copilot', collection: 'messages', status: 'ok' as const, read: 3000, written: 3000, skipped: 0, rejected: 0, durationMs: 30_000, bytes: 3_000_000, stats: { requestCharge: 30_000, throttled: 20 } };
  ev({ type: 'collection-end', summary: messages });
  const summary: RunSummary = {
    operation: 'migrate',
    source: 'cosmos https://a.documents.azure.com:443/',
    target: 'mongodb://host/',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:30.000Z',
    durationMs: 30_000,
    collections: [messages, { database: 'copilot', collection: '<b>odd</b>', status: 'ok', read: 100, written: 99, skipped: 0, rejected: 1, durationMs: 10_000 }],
    totals: { read: 3100, written: 3099, skipped: 0, rejected: 1 },
    warnings: [],
    exitCode: 3,
  };
  stream.end(summary);
  return { records, summary };
}

describe('event stream and run report', () => {
  it('every record of a run matches the published JSON Schema (docs/events.schema.json), in run order', () => {
    const { records } = simulatedRun();
    for (const r of records) expect(validate(JSON.parse(JSON.stringify(r))), `${JSON.stringify(r)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    expect(records[0]!.event).to.equal('run-start');
    expect(records.at(-1)!.event).to.equal('run-end');
    expect(records.filter((r) => r.event === 'throttle').reduce((n, r) => n + (r.event === 'throttle' ? r.count : 0), 0)).to.equal(20);
    expect(records.every((r) => r.v === 1)).to.equal(true);
  });

  it('the schema refuses a record it does not describe (it can fail)', () => {
    expect(validate({ v: 1, ts: '2026-01-01T00:00:00Z', t: 0, event: 'stats', database: 'a', collection: 'b' })).to.equal(false);
    expect(validate({ v: 2, ts: '2026-01-01T00:00:00Z', t: 0, event: 'run-start', operation: 'export' })).to.equal(false);
    expect(validate({ v: 1, ts: '2026-01-01T00:00:00Z', t: 0, event: 'reject', database: 'a', collection: 'b', reason: 'r', doc: { secret: 1 } })).to.equal(false);
  });

  it('stats are thinned to one per collection per interval, with docs/s over the interval', () => {
    const { records } = simulatedRun();
    const stats = records.filter((r) => r.event === 'stats' && r.collection === 'messages');
    expect(stats.length).to.be.within(29, 31);
    expect(stats.every((r) => r.event === 'stats' && r.docsPerSecond === 100)).to.equal(true);
  });

  it('the report holds docs/s per collection, RU/s with its budget, 429s and the controller concurrency, and rejects grouped by reason', () => {
    const { records, summary } = simulatedRun();
    const r = buildReport(records, summary);
    expect(r.docsPerSecond.map((s) => s.name)).to.deep.equal(['copilot.messages', 'copilot.<b>odd</b>']);
    expect(r.ruPerSecond.map((s) => s.name)).to.deep.equal(['RU/s', 'budget']);
    expect(r.throttled[0]!.points.reduce((n, p) => n + p[1], 0)).to.equal(20);
    expect(Math.max(...r.concurrency[0]!.points.map((p) => p[1]))).to.equal(10);
    expect(r.collections[1]!.rejectReasons).to.deep.equal([{ reason: "key must not contain '.' sign", count: 1 }]);
  });

  it('the HTML is self-contained: inline SVG charts, escaped names, no URL, no script', () => {
    const { records, summary } = simulatedRun();
    const html = renderHtml(buildReport(records, summary));
    expect((html.match(/<svg /g) ?? []).length).to.equal(4);
    expect(html).to.include('<path class="series"');
    expect(html).to.include('copilot.&lt;b&gt;odd&lt;/b&gt;');
    expect(html).to.not.include('<b>odd');
    expect(html).to.not.match(/<script|<link|@import|url\(/i);
    // The source names its endpoint; nothing else may be a URL the page could load.
    expect(html.replace(/cosmos https:\/\/a\.documents\.azure\.com:443\//g, '')).to.not.match(/https?:\/\//);
  });

  it('the Markdown has well-formed Mermaid xychart blocks, one per chart, and the tables', () => {
    const { records, summary } = simulatedRun();
    const md = renderMarkdown(buildReport(records, summary));
    const blocks = mermaidBlocks(md);
    expect(blocks).to.have.length(4);
    for (const b of blocks) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(blocks[0]!.series).to.equal(2);
    expect(md).to.include('| copilot.messages | 3000 | 3000 | 0 | 0 | 30.0 s | 2.9 MB | 30000 | 20 | ok |');
    expect(md).to.include("| copilot.<b>odd</b> | 1 | key must not contain '.' sign |");
  });

  it('the Mermaid checker catches a malformed block (it can fail)', () => {
    const [b] = mermaidBlocks('```mermaid\nxychart-beta\n    x-axis "s" ["0", "1"]\n    y-axis "n" 0 --> 5\n    line [1]\n```');
    expect(mermaidProblems(b!)).to.deep.equal(['line has 1 values for 2 categories']);
  });
});
