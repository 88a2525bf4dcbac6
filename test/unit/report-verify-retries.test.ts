import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { CollectionSummary, EngineEvent, RunSummary } from '../../src/engine/events.js';
import { eventStream, type StreamRecord } from '../../src/engine/events-stream.js';
import { verifyRunSummary, type CollectionVerify, type VerifySummary } from '../../src/engine/verify.js';
import { httpRetryKind } from '../../src/core/retry-kinds.js';
import { classifyOperations, classifyRequestFailure } from '../../src/stores/cosmos/bulk-results.js';
import { plainProgress } from '../../src/engine/progress-lines.js';
import { buildReport } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';

const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function expectValid(records: StreamRecord[]): void {
  for (const r of records) expect(validate(JSON.parse(JSON.stringify(r))), `${JSON.stringify(r)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
}

function collectionVerify(collection: string, counts: { left: number; right: number; matched: number; missing: number; extra: number; differing: number }): CollectionVerify {
  const equal = counts.missing + counts.extra + counts.differing === 0;
  return {
    database: 'copilot',
    collection,
    leftCount: counts.left,
    rightCount: counts.right,
    missing: Array.from({ length: Math.min(counts.missing, 20) }, (_, i) => `m${i}`),
    extra: Array.from({ length: Math.min(counts.extra, 20) }, (_, i) => `x${i}`),
    differing: Array.from({ length: Math.min(counts.differing, 20) }, (_, i) => `d${i}`),
    matchedTotal: counts.matched,
    missingTotal: counts.missing,
    extraTotal: counts.extra,
    differingTotal: counts.differing,
    problems: [],
    equal,
  };
}

/** A verify of two collections over 20 s of a fake clock: one equal, one with differences. */
function simulatedVerify(): { records: StreamRecord[]; verify: VerifySummary; run: RunSummary } {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const records: StreamRecord[] = [];
  const stream = eventStream((r) => records.push(r), { intervalMs: 1000, now: () => clock });
  const ev = (e: EngineEvent) => stream.events(e);
  stream.start({ operation: 'verify' });
  const threads = collectionVerify('threads', { left: 1000, right: 1000, matched: 1000, missing: 0, extra: 0, differing: 0 });
  const messages = collectionVerify('messages', { left: 2000, right: 1998, matched: 1990, missing: 4, extra: 2, differing: 6 });
  ev({ type: 'collection-start', database: 'copilot', collection: 'threads', total: 2000, phase: 'verify' });
  ev({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 3998, phase: 'verify' });
  for (let s = 1; s <= 20; s++) {
    clock += 1000;
    if (s <= 10) ev({ type: 'compare-progress', database: 'copilot', collection: 'threads', compared: s * 200, total: 2000 });
    if (s === 10) ev({ type: 'compare-end', result: threads, durationMs: 10_000 });
    ev({ type: 'compare-progress', database: 'copilot', collection: 'messages', compared: Math.min(3998, s * 200), total: 3998 });
  }
  ev({ type: 'compare-end', result: messages, durationMs: 20_000 });
  const verify: VerifySummary = {
    operation: 'verify',
    left: 'mongodb://host/',
    right: 'cosmos https://a.documents.azure.com:443/',
    mode: 'json',
    equal: false,
    exitCode: 5,
    collections: [threads, messages],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 20_000,
  };
  const run = verifyRunSummary(verify);
  stream.end(run);
  return { records, verify, run };
}

/** A transfer whose sink sent operations again after 503s and resets, and was throttled. */
function simulatedRetries(): { records: StreamRecord[]; summary: RunSummary } {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const records: StreamRecord[] = [];
  const stream = eventStream((r) => records.push(r), { intervalMs: 1000, now: () => clock });
  const ev = (e: EngineEvent) => stream.events(e);
  stream.start({ operation: 'import' });
  ev({ type: 'collection-start', database: 'copilot', collection: 'chunks', total: 1000 });
  for (let s = 1; s <= 10; s++) {
    clock += 1000;
    const retries = { unavailable: Math.min(s, 5) * 20, ...(s >= 4 ? { network: 20 } : {}) };
    ev({ type: 'progress', database: 'copilot', collection: 'chunks', total: 1000, read: s * 100, written: s * 100, skipped: 0, rejected: 0, stats: { requests: s * 5, throttled: s, retries } });
  }
  // The last writes retried once more after the last progress event: only the summary knows.
  const chunks: CollectionSummary = { database: 'copilot', collection: 'chunks', status: 'ok', read: 1000, written: 1000, skipped: 0, rejected: 0, durationMs: 10_000, stats: { requests: 50, throttled: 10, retries: { unavailable: 100, network: 20, timeout: 20 } } };
  ev({ type: 'collection-end', summary: chunks });
  const summary: RunSummary = {
    operation: 'import',
    source: 'export dir',
    target: 'cosmos https://a.documents.azure.com:443/',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    durationMs: 10_000,
    collections: [chunks],
    totals: { read: 1000, written: 1000, skipped: 0, rejected: 0 },
    warnings: [],
    exitCode: 0,
  };
  stream.end(summary);
  return { records, summary };
}

describe('verify in the event stream and the run report', () => {
  it('records verify-stats per collection as it compares (documents compared of the total, docs/s) and verify-end, all matching the schema', () => {
    const { records } = simulatedVerify();
    expectValid(records);
    const stats = records.filter((r): r is Extract<StreamRecord, { event: 'verify-stats' }> => r.event === 'verify-stats' && r.collection === 'threads');
    expect(stats.length).to.be.within(9, 11);
    expect(stats.every((r) => r.docsPerSecond === 200 && r.total === 2000)).to.equal(true);
    expect(stats.at(-1)!.compared).to.equal(2000);
    const ends = records.filter((r) => r.event === 'verify-end');
    expect(ends.map((r) => r.event === 'verify-end' && [r.collection, r.matched, r.missing, r.extra, r.differing, r.equal])).to.deep.equal([
      ['threads', 1000, 0, 0, 0, true],
      ['messages', 1990, 4, 2, 6, false],
    ]);
    const end = records.at(-1)!;
    expect(end.event === 'run-end' && [end.operation, end.exitCode, end.read, end.verify]).to.deep.equal(['verify', 5, 5998, { equal: false, matched: 2990, missing: 4, extra: 2, differing: 6 }]);
  });

  it('the report charts documents compared per second and has the verify table (matched, missing, extra, different per collection), no transfer table', () => {
    const { records, run } = simulatedVerify();
    const report = buildReport(records, run);
    expect(report.docsPerSecond.map((s) => s.name)).to.deep.equal(['copilot.threads', 'copilot.messages']);
    const md = renderMarkdown(report);
    const blocks = mermaidBlocks(md);
    expect(blocks).to.have.length(1);
    for (const b of blocks) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(md).to.include('| collection | left | right | matched | missing | extra | different | time | result |');
    expect(md).to.include('| copilot.messages | 2000 | 1998 | 1990 | 4 | 2 | 6 | 20.0 s | different |');
    expect(md).to.include('| copilot.threads | 1000 | 1000 | 1000 | 0 | 0 | 0 | 10.0 s | equal |');
    expect(md).to.include('5998 documents compared');
    expect(md).to.not.include('### Collections');
    const html = renderHtml(report);
    expect((html.match(/<svg /g) ?? []).length).to.equal(1);
    expect(html).to.include('Documents compared per second');
    expect(html).to.include('<td>copilot.messages</td><td>2000</td><td>1998</td><td>1990</td><td>4</td><td>2</td><td>6</td>');
  });

  it('plain progress lines tell documents compared of the total, the rate and the ETA', () => {
    const lines: string[] = [];
    const sink = plainProgress({ log: (l) => lines.push(l), result: () => {} }, { intervalMs: 0 });
    sink({ type: 'collection-start', database: 'copilot', collection: 'threads', total: 2000, phase: 'verify' });
    sink({ type: 'compare-progress', database: 'copilot', collection: 'threads', compared: 500, total: 2000 });
    expect(lines[0]).to.equal('copilot.threads: verify started (2000 documents on both sides)');
    expect(lines[1]).to.match(/^copilot\.threads: 500\/2000 documents compared \(25%\), \d+ docs\/s/);
  });
});

describe('retries other than 429 in the event stream and the run report', () => {
  it('a retry record per kind as the counts grow, the summary\'s last ones included, all matching the schema', () => {
    const { records } = simulatedRetries();
    expectValid(records);
    const retries = records.filter((r): r is Extract<StreamRecord, { event: 'retry' }> => r.event === 'retry');
    const byKind = (kind: string) => retries.filter((r) => r.kind === kind).reduce((n, r) => n + r.count, 0);
    expect(byKind('unavailable')).to.equal(100);
    expect(byKind('network')).to.equal(20);
    expect(byKind('timeout')).to.equal(20);
    expect(retries.filter((r) => r.kind === 'unavailable').at(-1)!.retries).to.equal(100);
    const end = records.find((r) => r.event === 'collection-end');
    expect(end?.event === 'collection-end' && end.retries).to.deep.equal({ unavailable: 100, network: 20, timeout: 20 });
  });

  it('the report shows retries by kind (429s as throttled) and charts them over time', () => {
    const { records, summary } = simulatedRetries();
    const report = buildReport(records, summary);
    expect(report.retries.map((r) => [r.kind, r.count])).to.deep.equal([
      ['throttled', 10],
      ['timeout', 20],
      ['unavailable', 100],
      ['network', 20],
    ]);
    expect(report.retriesOverTime.map((s) => s.name).sort()).to.deep.equal(['network', 'timeout', 'unavailable']);
    const md = renderMarkdown(report);
    expect(md).to.include('### Retries by kind');
    expect(md).to.include('| copilot.chunks | unavailable | 100 | HTTP 503 service unavailable |');
    for (const b of mermaidBlocks(md)) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(md).to.include('Retries other than 429');
    const html = renderHtml(report);
    expect(html).to.include('<h2>Retries by kind</h2>');
    expect(html).to.include('Retries other than 429 per 1 s, by kind');
  });

  it('the stores tell the kinds apart: HTTP statuses, resets and timeouts', () => {
    expect([408, 449, 503, 410, 500].map((s) => httpRetryKind(s))).to.deep.equal(['timeout', 'retry-with', 'unavailable', 'gone', 'server-error']);
    expect(httpRetryKind(undefined, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).to.equal('network');
    expect(httpRetryKind(undefined, new Error('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }))).to.equal('network');
    expect(httpRetryKind(undefined, Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }))).to.equal('timeout');
    expect(httpRetryKind(undefined, new Error('something odd'))).to.equal('other');
    const failure = classifyRequestFailure(Object.assign(new Error('unavailable'), { code: 503 })).failure;
    expect(failure.kind === 'failed' && failure.retryKind).to.equal('unavailable');
    const results: never[] = [];
    const outcome = classifyOperations([0, 1, 2], [{ statusCode: 449 }, { statusCode: 503 }, { statusCode: 201 }] as never, 'upsert', results);
    expect(outcome.failedKinds).to.deep.equal({ 'retry-with': 1, unavailable: 1 });
  });
});
