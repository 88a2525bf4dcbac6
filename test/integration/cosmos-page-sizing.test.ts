import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { FIRST_PAGE_ITEMS } from '../../src/stores/cosmos/source.js';
import { runCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startRuProxy, type RuProxy } from '../support/ru-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * Issue 20: the Cosmos DB export sizes its pages from its first page (a small one) instead of a
 * `TOP 20` sample request, and goes on from the first page's continuation token with pages of
 * about 4 MB. The files must not depend on it: an export with the small first page and larger
 * pages after it is byte for byte the export read 7 documents a page. The RU proxy in front of
 * cosmosdb-server records every request, so the pages asked and the requests sent are checked,
 * not assumed.
 */
describe('Cosmos DB export: pages sized from the first page', function () {
  this.timeout(180_000);
  // Summaries are some 17 KB each: 600 need several pages of about 4 MB after the first; the
  // threads fit in the first page.
  const COUNTS = { summaries: 600, threads: 60 } as const;
  let server: CosmosTestServer;
  let proxy: RuProxy;
  let work: string;
  let layoutFile: string;
  const db = () => `copilot${server.suffix}`;

  before(async () => {
    server = await startCosmosTestServer();
    for (const [c, n] of Object.entries(COUNTS)) await seedCosmos(server, db(), c, generateDocuments(c as keyof typeof COUNTS, n, { seed: 20 }));
    proxy = await startRuProxy(server.endpoint);
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(server)));
  });

  after(async () => {
    await proxy.stop();
    await server.stop();
    await removeTempDirs();
  });

  const exportTo = async (dir: string, extra: string[] = []) => {
    proxy.reset();
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', server.key, '--layout', layoutFile, '--output-dir', dir, '--collections', Object.keys(COUNTS).join(','), '--quiet', ...extra]);
    expect(r.code, r.stderr).to.equal(0);
    return { pages: [...proxy.stats.upstream.pages], kinds: { ...proxy.stats.upstream.byKind } };
  };
  const digest = async (dir: string, c: string) => createHash('sha256').update(await readFile(join(dir, 'copilot', `${c}.json`))).digest('hex');

  it('a small first page, larger pages after it: byte for byte the export at --page-size 7, with no sample request', async () => {
    const sized = await exportTo(join(work, 'sized'));
    const seven = await exportTo(join(work, 'seven'), ['--page-size', '7']);

    const summaries = sized.pages.filter((p) => p.container === `${db()}/summaries`);
    expect(summaries[0]).to.deep.equal({ container: `${db()}/summaries`, maxItemCount: FIRST_PAGE_ITEMS, items: FIRST_PAGE_ITEMS });
    const later = summaries.slice(1);
    expect(later.length, 'pages after the first').to.be.at.least(2);
    for (const p of later) expect(p.maxItemCount).to.be.above(FIRST_PAGE_ITEMS * 2);
    expect(later.reduce((a, p) => a + p.items, 0)).to.equal(COUNTS.summaries - FIRST_PAGE_ITEMS);
    // No `TOP` sample; the count is the one request besides the pages and the SDK's own.
    expect(sized.kinds.top).to.equal(undefined);
    expect(sized.kinds.count?.requests).to.equal(Object.keys(COUNTS).length);

    expect(seven.pages.filter((p) => p.container === `${db()}/summaries`).every((p) => p.maxItemCount === 7)).to.equal(true);
    for (const c of Object.keys(COUNTS)) expect(await digest(join(work, 'sized'), c), c).to.equal(await digest(join(work, 'seven'), c));
    const lines = (await readFile(join(work, 'sized', 'copilot', 'summaries.json'), 'utf8')).split('\n').filter(Boolean);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: string }).id)).size).to.equal(COUNTS.summaries);
    // A container smaller than the first page: one page.
    expect(sized.pages.filter((p) => p.container === `${db()}/threads`).map((p) => p.items)).to.deep.equal([COUNTS.threads]);
  });
});
