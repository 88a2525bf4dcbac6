import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { StreamRecord } from '../../src/engine/events-stream.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy, type FaultAction } from '../support/fault-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const schema = JSON.parse(await readFile(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const THREADS = 100;
const BATCH = 20;

describe('retries other than 429 reach the event stream and the report with their kind (through the fault proxy)', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;

  before(async () => {
    [source, target] = await Promise.all([startCosmosTestServer(), startCosmosTestServer()]);
    await seedCosmos(source, `copilot${source.suffix}`, 'threads', generateDocuments('threads', THREADS, { seed: 4 }));
    work = await tempDir('docferry-retries-');
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'threads']);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  /** An import whose first bulk request meets `fault`; the run's event records and Markdown report. */
  async function importMeeting(fault: FaultAction, name: string): Promise<{ records: StreamRecord[]; report: string; injected: Map<number, number> }> {
    const proxy = await startFaultProxy(target.endpoint);
    let batches = 0;
    proxy.setPolicy((req) => (req.isBatch && ++batches === 1 ? fault : { type: 'pass' }));
    const events = join(work, `${name}.ndjson`);
    const report = join(work, `${name}.md`);
    try {
      const r = await runCli([
        'import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir,
        '--batch-size', String(BATCH), '--concurrency', '1', '--events', events, '--report-md', report, '--quiet',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const records = (await readFile(events, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as StreamRecord);
      for (const rec of records) expect(validate(rec), `${JSON.stringify(rec)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      return { records, report: await readFile(report, 'utf8'), injected: proxy.injected };
    } finally {
      await proxy.stop();
    }
  }

  const retries = (records: StreamRecord[]) => records.filter((r): r is Extract<StreamRecord, { event: 'retry' }> => r.event === 'retry');

  it('a 503 answer: retry records of kind "unavailable", in the collection-end counts and the report', async () => {
    const { records, report, injected } = await importMeeting({ type: 'respond', status: 503, body: JSON.stringify({ code: 'ServiceUnavailable', message: 'injected 503' }) }, 'unavailable');
    expect(injected.get(503)).to.equal(1);
    const got = retries(records);
    expect(got.map((r) => r.kind)).to.include('unavailable');
    expect(got.filter((r) => r.kind !== 'unavailable'), 'no other kind was injected').to.deep.equal([]);
    expect(got.reduce((n, r) => n + r.count, 0)).to.be.at.least(1);
    const end = records.find((r) => r.event === 'collection-end');
    expect(end?.event === 'collection-end' && end.retries?.unavailable).to.be.at.least(1);
    expect(report).to.match(/\| \S+\.threads \| unavailable \| \d+ \| HTTP 503 service unavailable \|/);
  });

  it('a connection reset: retry records of kind "network"', async () => {
    const { records, report, injected } = await importMeeting({ type: 'reset' }, 'reset');
    expect(injected.get(0)).to.equal(1);
    const got = retries(records);
    expect(got.map((r) => r.kind)).to.include('network');
    expect(got.filter((r) => r.kind !== 'network'), 'no other kind was injected').to.deep.equal([]);
    expect(report).to.match(/\| \S+\.threads \| network \| \d+ \|/);
  });
});
