import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { summaryTable } from '../../src/cli/progress.js';
import type { CollectionSummary, RunSummary } from '../../src/engine/events.js';
import { eventStream, type StreamRecord } from '../../src/engine/events-stream.js';
import { plainProgress } from '../../src/engine/progress-lines.js';
import { buildReport } from '../../src/report/model.js';

const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const renamed: CollectionSummary = { database: 'copilot', collection: 'messages', target: { database: 'copilot_staging', collection: 'messages' }, status: 'ok', read: 3, written: 3, skipped: 0, rejected: 0, durationMs: 1000 };
const kept: CollectionSummary = { database: 'auth', collection: 'user_roles', status: 'ok', read: 2, written: 2, skipped: 0, rejected: 0, durationMs: 1000 };
const summary = (collections: CollectionSummary[]): RunSummary => ({
  operation: 'import',
  source: 'export',
  target: 'mongodb://h/',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  collections,
  totals: { read: 5, written: 5, skipped: 0, rejected: 0 },
  warnings: [],
  exitCode: 0,
});

describe('--map in what a run shows: both names', () => {
  it('the summary table gets a target column only when a collection was renamed', () => {
    const lines = summaryTable(summary([renamed, kept])).split('\n');
    expect(lines[0]).to.match(/^collection\s+target\s+read/);
    expect(lines[1]).to.match(/^copilot\.messages\s+copilot_staging\.messages\s+3\s+3/);
    expect(lines[2]).to.match(/^auth\.user_roles\s+auth\.user_roles\s+2\s+2/);
    expect(summaryTable(summary([kept])).split('\n')[0]).to.match(/^collection\s+read/);
  });

  it('the event stream carries the target on collection-start and collection-end, within the published schema', () => {
    const records: StreamRecord[] = [];
    const stream = eventStream((r) => records.push(r));
    stream.start({ operation: 'import' });
    stream.events({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 3, target: renamed.target! });
    stream.events({ type: 'collection-end', summary: renamed });
    stream.events({ type: 'collection-start', database: 'auth', collection: 'user_roles' });
    stream.events({ type: 'collection-end', summary: kept });
    stream.end(summary([renamed, kept]));
    for (const r of records) expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).to.equal(true);
    const ofMessages = records.filter((r) => 'collection' in r && r.collection === 'messages');
    expect(ofMessages.map((r) => [r.event, 'target' in r ? r.target : undefined])).to.deep.equal([
      ['collection-start', { database: 'copilot_staging', collection: 'messages' }],
      ['collection-end', { database: 'copilot_staging', collection: 'messages' }],
    ]);
    expect(records.filter((r) => 'collection' in r && r.collection === 'user_roles').some((r) => 'target' in r)).to.equal(false);
    expect(validate({ v: 1, ts: '2026-01-01T00:00:00Z', t: 0, event: 'collection-start', database: 'a', collection: 'b', target: { database: 'c' } }), 'a target needs both names').to.equal(false);
  });

  it('the plain progress line and the run report name both', () => {
    const lines: string[] = [];
    plainProgress({ log: (l) => lines.push(l), result: () => {} })({ type: 'collection-start', database: 'copilot', collection: 'messages', total: 3, target: renamed.target! });
    expect(lines).to.deep.equal(['copilot.messages: started (to copilot_staging.messages) (3 documents)']);
    expect(buildReport([], summary([renamed, kept])).collections.map((c) => c.name)).to.deep.equal(['copilot.messages -> copilot_staging.messages', 'auth.user_roles']);
  });
});
