import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import type { StreamRecord } from '../../src/engine/events-stream.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const schema = JSON.parse(await readFile(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const N = 300;

describe('a watched verify: progress, events and the run report of docferry verify', function () {
  this.timeout(180_000);
  let server: CosmosTestServer;
  let work: string;
  let db: string;
  let run: { code: number; stdout: string; stderr: string };

  before(async () => {
    server = await startCosmosTestServer();
    db = `copilot${server.suffix}`;
    await seedCosmos(server, db, 'threads', generateDocuments('threads', N, { seed: 12 }));
    work = await tempDir('docferry-verify-watch-');
    const layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(server)));
    const exportDir = join(work, 'export');
    const exported = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', server.endpoint, '--cosmos-key', server.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', 'threads']);
    expect(exported.code, exported.stderr).to.equal(0);
    // After the export: one document changed and one deleted, so the verify finds differences.
    const client = cosmosClient(server);
    try {
      const container = client.database(db).container('threads');
      const { resources } = await container.items.query<{ id: string }>('SELECT TOP 2 * FROM c').fetchAll();
      await container.items.upsert({ ...resources[0]!, subject: 'changed after the export' });
      await container.item(resources[1]!.id, resources[1]!.id).delete();
    } finally {
      client.dispose();
    }
    run = await runCli([
      'verify', '--left-type', 'dir', '--left-dir', exportDir, '--right-type', 'cosmos', '--right-cosmos-endpoint', server.endpoint, '--right-cosmos-key', server.key,
      '--layout', layoutFile, '--collections', 'threads', '--progress', 'json', '--progress-interval', '100ms',
      '--events', join(work, 'events.ndjson'), '--report-html', join(work, 'report.html'), '--report-md', join(work, 'report.md'),
    ]);
  });

  after(async () => {
    await server?.stop();
    await removeTempDirs();
  });

  it('exits 5 on the differences, with the usual verify lines on stdout', () => {
    expect(run.code, run.stderr).to.equal(5);
    expect(run.stdout).to.include('DIFFERENT');
  });

  it('--progress json: stderr is only schema-valid records, run-start (verify) to run-end, with verify-stats and verify-end', async () => {
    const lines = run.stderr.split('\n').filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as StreamRecord);
    for (const r of records) expect(validate(r), `${JSON.stringify(r)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    expect(records[0]).to.include({ event: 'run-start', operation: 'verify' });
    expect(records.at(-1)).to.include({ event: 'run-end', operation: 'verify', exitCode: 5 });
    const stats = records.filter((r): r is Extract<StreamRecord, { event: 'verify-stats' }> => r.event === 'verify-stats');
    expect(stats.length).to.be.at.least(1);
    expect(stats.at(-1)!.compared).to.equal(2 * N - 1);
    const end = records.find((r) => r.event === 'verify-end');
    expect(end?.event === 'verify-end' && [end.leftCount, end.rightCount, end.matched, end.missing, end.extra, end.differing, end.equal]).to.deep.equal([N, N - 1, N - 2, 1, 0, 1, false]);
    // --events holds the same records.
    const file = (await readFile(join(work, 'events.ndjson'), 'utf8')).split('\n').filter(Boolean);
    expect(file.map((l) => (JSON.parse(l) as StreamRecord).event)).to.deep.equal(records.map((r) => r.event));
  });

  it('the reports chart documents compared per second and hold the verify table', async () => {
    const md = await readFile(join(work, 'report.md'), 'utf8');
    const blocks = mermaidBlocks(md);
    expect(blocks.length).to.be.at.least(1);
    for (const b of blocks) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(md).to.include('Documents compared per second');
    expect(md).to.match(new RegExp(`\\| ${db}\\.threads \\| ${N} \\| ${N - 1} \\| ${N - 2} \\| 1 \\| 0 \\| 1 \\| [\\d.]+ s \\| different \\|`));
    const html = await readFile(join(work, 'report.html'), 'utf8');
    expect(html).to.match(/<svg class="chart"/);
    expect(html).to.include('<h2>Verify: DIFFERENCES</h2>');
  });
});
