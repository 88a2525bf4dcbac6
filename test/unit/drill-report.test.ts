import { expect } from 'chai';
import type { EngineEvent, RunSummary } from '../../src/engine/events.js';
import { eventStream, type StreamRecord } from '../../src/engine/events-stream.js';
import { verifyRunSummary } from '../../src/engine/verify.js';
import { buildReport } from '../../src/report/model.js';
import { renderHtml, renderMarkdown, renderTable, type DrillReport, type DrillRun, type ShardsReport } from '../../scripts/drill/report.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';

/** One recorded run of `seconds` on a fake clock: a collection of 100 documents a second. */
function recorded(operation: 'export' | 'import' | 'verify', seconds: number): DrillRun['report'] {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const records: StreamRecord[] = [];
  const stream = eventStream((r) => records.push(r), { intervalMs: 1000, now: () => clock });
  const ev = (e: EngineEvent) => stream.events(e);
  stream.start({ operation });
  const total = seconds * 100;
  ev({ type: 'collection-start', database: 'copilot', collection: 'chunks', total, ...(operation === 'verify' ? { phase: 'verify' as const } : {}) });
  for (let s = 1; s <= seconds; s++) {
    clock += 1000;
    if (operation === 'verify') ev({ type: 'compare-progress', database: 'copilot', collection: 'chunks', compared: s * 100, total });
    else ev({ type: 'progress', database: 'copilot', collection: 'chunks', total, read: s * 100, written: s * 100, skipped: 0, rejected: 0, ...(operation === 'import' ? { stats: { requestCharge: s * 500, ruPerSecond: 500, ruBudget: 1000, requests: s, throttled: 0, concurrency: 2 } } : {}) });
  }
  if (operation === 'verify') {
    const result = { database: 'copilot', collection: 'chunks', leftCount: total / 2, rightCount: total / 2, missing: [], extra: [], differing: [], matchedTotal: total / 2, missingTotal: 0, extraTotal: 0, differingTotal: 0, problems: [], equal: true };
    ev({ type: 'compare-end', result, durationMs: seconds * 1000 });
    const run = verifyRunSummary({ operation: 'verify', left: 'dir pulled', right: 'cosmos http://127.0.0.1:1/', mode: 'json', equal: true, exitCode: 0, collections: [result], startedAt: '2026-01-01T00:00:00.000Z', durationMs: seconds * 1000 });
    stream.end(run);
    return buildReport(records, run);
  }
  const summary: RunSummary = {
    operation,
    source: 'a',
    target: 'b',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    durationMs: seconds * 1000,
    collections: [{ database: 'copilot', collection: 'chunks', status: 'ok', read: total, written: total, skipped: 0, rejected: 0, durationMs: seconds * 1000 }],
    totals: { read: total, written: total, skipped: 0, rejected: 0 },
    warnings: [],
    exitCode: 0,
  };
  ev({ type: 'collection-end', summary: summary.collections[0]! });
  stream.end(summary);
  return buildReport(records, summary);
}

function drillReport(): DrillReport {
  const stage = (id: string) => ({ id, title: id, status: 'ok' as const, durationMs: 1000 });
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    passed: true,
    exitCode: 0,
    inject: null,
    archive: { container: 'http://127.0.0.1:10000/devstoreaccount1/drill', prefix: 'dr-drill/x/' },
    setup: [stage('seed'), stage('export'), stage('push')],
    stages: ['pull', 'provision', 'import', 'verify', 'teardown', 'report'].map(stage),
    verification: [],
    runs: [
      { stage: 'export', label: 'the source into an export directory', report: recorded('export', 5) },
      { stage: 'import', label: 'the archive into Cosmos DB', report: recorded('import', 6) },
      { stage: 'verify', label: 'Cosmos DB against the archive', report: recorded('verify', 4) },
    ],
  };
}

describe('the DR drill report: the run report\'s charts for each data stage', () => {
  it('Markdown: a section per data stage with its well-formed Mermaid charts (import also RU/s and concurrency)', () => {
    const md = renderMarkdown(drillReport());
    const sections = md.split(/^### /m).slice(1);
    expect(sections.map((s) => s.split(':')[0])).to.deep.equal(['export', 'import', 'verify']);
    // The import's 429 chart has no point (nothing was throttled): the Markdown leaves it out.
    const counts = sections.map((s) => mermaidBlocks(s).length);
    expect(counts).to.deep.equal([1, 3, 1]);
    for (const b of mermaidBlocks(md)) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(sections[2]).to.include('#### Documents compared per second');
  });

  it('HTML: one self-contained page with the stage tables and each data stage\'s SVG charts', () => {
    const html = renderHtml(drillReport());
    const runs = html.split('<section class="run">').slice(1);
    expect(runs.map((r) => (r.match(/<svg /g) ?? []).length)).to.deep.equal([1, 4, 1]);
    for (const r of runs) expect(r).to.include('<path class="series"');
    expect(html).to.not.match(/<script|<link|@import|url\(/i);
    expect(html).to.include('<td>provision</td>');
  });

  it('a drill that stopped before any data stage has no chart section (it can fail)', () => {
    const report = { ...drillReport(), runs: [] };
    expect(mermaidBlocks(renderMarkdown(report))).to.have.length(0);
    expect(renderHtml(report)).to.not.include('<svg');
  });
});

describe('the DR drill report: the Shards section (--shards N)', () => {
  const shards = (): ShardsReport => ({
    count: 2,
    plan: 'Cosmos DB feed ranges',
    runs: [
      { shard: '1/2', index: 1, status: 'ok', pid: 4101, startedAt: '2026-01-01T00:00:01.000Z', durationMs: 3250, exitCode: 0, signal: null, documents: 120, prefix: 'dr-drill/x-shard-1-of-2/' },
      { shard: '2/2', index: 2, status: 'failed', pid: 4102, startedAt: '2026-01-01T00:00:01.000Z', durationMs: 40, exitCode: null, signal: 'SIGTERM', error: 'shard 2/2 failed (killed by SIGTERM)' },
    ],
    merge: { status: 'not run' },
  });

  it('Markdown, HTML and the terminal table: per shard its documents, time and exit, then the merge', () => {
    const report = { ...drillReport(), shards: shards() };
    const md = renderMarkdown(report);
    expect(md).to.contain('## Shards: the export as 2 `docferry export --shard I/2` processes at once');
    expect(md).to.contain('| 1/2 | 4101 | dr-drill/x-shard-1-of-2/ | 120 | 3.25 s | 0 | ok |');
    expect(md).to.contain('| 2/2 | 4102 |  |  | 0.04 s | killed (SIGTERM) | FAILED: shard 2/2 failed (killed by SIGTERM) |');
    expect(md).to.contain('Merge (`docferry manifest merge`, in the pull stage): not run (an earlier stage failed).');
    // Between the setup and the DR stages.
    expect(md.indexOf('## Shards')).to.be.greaterThan(md.indexOf('## Setup')).and.lessThan(md.indexOf('## DR stages'));
    const html = renderHtml(report);
    expect(html).to.contain('<td>killed (SIGTERM)</td>').and.contain('<td>3.25 s</td>');
    const table = renderTable(report);
    expect(table).to.match(/^shard\s+2\/2\s+FAILED\s+0\.04 s\s+killed \(SIGTERM\); shard 2\/2 failed/m);
    expect(table).to.match(/^shard\s+merge\s+not run/m);
  });

  it('the merge result once it ran', () => {
    const s = { ...shards(), merge: { status: 'ok' as const, documents: 240, files: 8, durationMs: 1500, exitCode: 0 } };
    expect(renderMarkdown({ ...drillReport(), shards: s })).to.contain('ok: 2 shards into 8 files, 240 documents in 1.50 s (exit 0)');
  });

  it('an unsharded drill has no Shards section', () => {
    expect(renderMarkdown(drillReport())).to.not.contain('## Shards');
    expect(renderHtml(drillReport())).to.not.contain('Shards');
    expect(renderTable(drillReport())).to.not.match(/^shard/m);
  });
});
