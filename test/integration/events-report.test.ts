import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { MongoClient } from 'mongodb';
import type { Layout } from '../../src/core/layout.js';
import { runCli } from '../support/cli.js';
import { startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { chromiumPath, runChromium } from '../support/chromium.js';
import { decodePng } from '../support/png.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const schema = JSON.parse(await readFile(resolve(import.meta.dirname, '../../docs/events.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
/** In every document: must never appear in an event, a report or a log. */
const CONTENT_MARKER = 'CONTENT-MARKER-7f3a';
const N = 1500;

describe('a watched run: JSON events, run reports, on the local servers', function () {
  this.timeout(600_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let run: { code: number; stdout: string; stderr: string };
  let db: string;

  before(async () => {
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-report-');
    db = `watch${Date.now() % 100000}${cosmos.suffix}`;
    const client = new MongoClient(mongo.uri);
    try {
      const docs = Array.from({ length: N }, (_, i) => ({ _id: `m${i}`, body: `${CONTENT_MARKER} ${'x'.repeat(200)}`, n: i }));
      await client.db(db).collection<{ _id: string }>('messages').insertMany(docs);
      // Cosmos DB refuses a '/' in an id: two rejects with the same reason.
      await client.db(db).collection<{ _id: string; body: string }>('threads').insertMany([{ _id: 'a/b', body: CONTENT_MARKER }, { _id: 'c/d', body: CONTENT_MARKER }, { _id: 'ok', body: CONTENT_MARKER }]);
    } finally {
      await client.close();
    }
    const layout: Layout = { databases: [{ name: db, containers: [{ name: 'messages', partitionKey: { paths: ['/id'], kind: 'Hash' } }, { name: 'threads', partitionKey: { paths: ['/id'], kind: 'Hash' } }] }] };
    await writeFile(join(work, 'layout.json'), JSON.stringify(layout));
    run = await runCli([
      'migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, '--to-cosmos-endpoint', cosmos.endpoint, '--to-cosmos-key', cosmos.key,
      '--to-max-ru', '5000', '--layout', join(work, 'layout.json'), '--checkpoint', join(work, 'checkpoint'), '--rejects-dir', join(work, 'rejects'),
      '--progress', 'json', '--progress-interval', '200ms', '--events', join(work, 'events.ndjson'),
      '--report-html', join(work, 'report.html'), '--report-md', join(work, 'report.md'), '--batch-size', '50', '--verify',
    ]);
  });

  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const lines = () => run.stderr.split('\n').filter(Boolean);

  it('--progress json: stderr is only JSON records that match the schema, from run-start to run-end', () => {
    expect(run.code, run.stderr).to.equal(3);
    const records = lines().map((l) => JSON.parse(l));
    for (const r of records) expect(validate(r), `${JSON.stringify(r)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    expect(records[0]).to.include({ event: 'run-start', operation: 'migrate' });
    expect(records.at(-1)).to.include({ event: 'run-end', exitCode: 3, read: N + 3, written: N + 1, rejected: 2 });
    expect(records.at(-1).verify).to.deep.include({ missing: 2 });
    const events = records.map((r) => r.event);
    for (const e of ['collection-start', 'stats', 'reject', 'collection-end']) expect(events, e).to.include(e);
    const stats = records.filter((r) => r.event === 'stats' && r.collection === 'messages');
    expect(stats.at(-1)).to.include({ done: N, total: N });
    expect(stats.at(-1).ruBudget).to.equal(5000);
    expect(stats.at(-1).concurrency).to.be.a('number');
    expect(stats.at(-1).bytes).to.be.greaterThan(N * 200);
    expect(records.filter((r) => r.event === 'reject').map((r) => r.id).sort()).to.deep.equal(['a/b', 'c/d']);
  });

  it('--events FILE holds the same records; no record carries a key or a document\'s contents', async () => {
    const file = (await readFile(join(work, 'events.ndjson'), 'utf8')).split('\n').filter(Boolean);
    expect(file).to.deep.equal(lines());
    expect(run.stderr).to.not.include(cosmos.key);
    expect(run.stderr).to.not.include(CONTENT_MARKER);
  });

  it('--report-md: tables and well-formed Mermaid charts, rejects grouped by reason, the verify result', async () => {
    const md = await readFile(join(work, 'report.md'), 'utf8');
    const blocks = mermaidBlocks(md);
    expect(blocks.length).to.be.at.least(3);
    for (const b of blocks) expect(mermaidProblems(b), b.text).to.deep.equal([]);
    expect(md).to.match(new RegExp(`\\| ${db}\\.threads \\| 2 \\| `));
    expect(md).to.include('### Verify: DIFFERENCES');
    expect(md).to.not.include(cosmos.key);
    expect(md).to.not.include(CONTENT_MARKER);
  });

  it('--report-html: one offline file a real browser draws with its SVG charts (screenshot not blank)', async function () {
    const html = await readFile(join(work, 'report.html'), 'utf8');
    expect(html).to.not.include(cosmos.key);
    expect(html).to.not.include(CONTENT_MARKER);
    // Nothing the page could fetch: no URL but the stores' own names, no script, stylesheet or font link.
    expect(html.split(cosmos.endpoint).join('').split(mongo.uri).join('')).to.not.match(/https?:\/\/|<script|<link|url\(/i);
    const bin = chromiumPath();
    if (!bin) {
      console.log('      (skipped the browser check: chromium is not installed; apt-get install -y chromium)');
      this.skip();
    }
    const page = `file://${join(work, 'report.html')}`;
    const dom = await runChromium(bin!, ['--dump-dom', page]);
    expect((dom.stdout.match(/<svg /g) ?? []).length).to.be.at.least(3);
    expect(dom.stdout).to.include('<path class="series"');
    const shot = join(work, 'report.png');
    await runChromium(bin!, ['--window-size=1000,1400', `--screenshot=${shot}`, page]);
    expect(existsSync(shot)).to.equal(true);
    const { width, height, pixels } = decodePng(await readFile(shot));
    // The chart lines are coloured: count pixels far from grey.
    let coloured = 0;
    for (let i = 0; i < width * height * 4; i += 4) {
      const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured++;
    }
    expect(coloured, 'coloured pixels in the screenshot').to.be.greaterThan(500);
  });
});
