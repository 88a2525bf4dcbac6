/**
 * The Cosmos DB source sizes its pages from its first page (no separate sample request) and
 * counts by the service's usage header where it sends one. The read is driven here through a
 * fake SDK client, so both ways of going on after the first page are exercised: from its
 * continuation token, and (when the SDK keeps none, as it does not for a query it runs range by
 * range) by reading again with the larger page and skipping what the first page returned.
 */
import { expect } from 'chai';
import { CosmosSource, FIRST_PAGE_ITEMS, documentsCountOf, pageItemsFor } from '../../src/stores/cosmos/source.js';
import { RuBudgets } from '../../src/stores/cosmos/ru-budget.js';
import type { CollectionScope } from '../../src/core/layout.js';

interface Query {
  text: string;
  maxItemCount: number | undefined;
  continuationToken: string | undefined;
  bufferItems: boolean | undefined;
  pages: number[];
}

type Item = { id: string; _rid: string; _ts: number; body: string };

/** A container of `items` whose queries page like the service; `tokens: false` hides the continuation token. */
function fakeContainer(items: Item[], o: { tokens: boolean; ranges?: number; usage?: string }) {
  const queries: Query[] = [];
  const container = {
    getFeedRanges: async () => Array.from({ length: o.ranges ?? 1 }, () => ({})),
    readOffer: async () => Promise.reject(Object.assign(new Error('no offers'), { code: 404 })),
    database: { readOffer: async () => Promise.reject(Object.assign(new Error('no offers'), { code: 404 })) },
    read: async () => ({ headers: o.usage ? { 'x-ms-resource-usage': o.usage } : {} }),
    items: {
      query: (text: string, options: { maxItemCount?: number; continuationToken?: string; bufferItems?: boolean }) => {
        const q: Query = { text, maxItemCount: options.maxItemCount, continuationToken: options.continuationToken, bufferItems: options.bufferItems, pages: [] };
        queries.push(q);
        let at = options.continuationToken ? Number(options.continuationToken.replace('at:', '')) : 0;
        if (/COUNT\(1\)/.test(text)) {
          return { fetchAll: async () => ({ resources: [items.length] }) };
        }
        return {
          hasMoreResults: () => at < items.length,
          fetchNext: async () => {
            const size = options.maxItemCount ?? 1000;
            const page = items.slice(at, at + size);
            at += page.length;
            q.pages.push(page.length);
            return {
              // A copy per page, as the SDK parses each response afresh.
              resources: page.map((i) => ({ ...i })),
              requestCharge: 1,
              continuationToken: o.tokens && at < items.length ? `at:${at}` : undefined,
            };
          },
        };
      },
    },
  };
  const client = { database: () => ({ container: () => container }) };
  return { client, queries };
}

function sourceOver(fake: ReturnType<typeof fakeContainer>, pageSize?: number): CosmosSource {
  const source = new CosmosSource({ endpoint: 'http://127.0.0.1:9/', key: 'a2V5' }, pageSize !== undefined ? { pageSize } : {});
  // The fake stands in for the SDK client: the source's and its RU budgets' (which read offers).
  const inner = source as unknown as { client: unknown; budgets: unknown };
  void (inner.client as { dispose(): void }).dispose();
  inner.client = fake.client;
  inner.budgets = new RuBudgets(fake.client as never, 'http://127.0.0.1:9/', {}, { initialConcurrency: 1, maxConcurrency: 1 });
  return source;
}

function items(n: number, bytes: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({ id: `d${i}`, _rid: `rid${i}`, _ts: 1, body: 'x'.repeat(bytes + (i % 7)) }));
}

const SCOPE: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'] } } as CollectionScope;

async function readAll(source: CosmosSource): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of source.read(SCOPE)) ids.push(String(item.doc!.id));
  return ids;
}


describe('Cosmos DB source: pages sized from the first page', () => {
  it('asks a small first page, then goes on from its continuation token with pages of about 4 MB', async () => {
    const all = items(1_000, 20_000);
    const fake = fakeContainer(all, { tokens: true });
    const ids = await readAll(sourceOver(fake));
    expect(ids).to.deep.equal(all.map((i) => i.id));
    expect(fake.queries.map((q) => q.text)).to.deep.equal(['SELECT * FROM c', 'SELECT * FROM c'], 'no TOP sample, no other query');
    const [first, rest] = fake.queries as [Query, Query];
    expect(first.maxItemCount).to.equal(FIRST_PAGE_ITEMS);
    expect(first.pages).to.deep.equal([FIRST_PAGE_ITEMS]);
    // The first query reads nothing ahead that the second would not use.
    expect(first.bufferItems).to.equal(false);
    expect(rest.continuationToken).to.equal(`at:${FIRST_PAGE_ITEMS}`);
    const avg = JSON.stringify(all[0]).length;
    expect(rest.maxItemCount).to.be.within(pageItemsFor(avg + 7, 1), pageItemsFor(avg, 1));
    expect(rest.maxItemCount! * avg).to.be.within(3.9 * 1024 * 1024, 4 * 1024 * 1024);
    expect(rest.pages.reduce((a, b) => a + b, 0)).to.equal(all.length - FIRST_PAGE_ITEMS);
  });

  it('without a continuation token, reads again with the larger page and skips what the first page returned, each item once', async () => {
    const all = items(700, 5_000);
    const fake = fakeContainer(all, { tokens: false, ranges: 2 });
    const ids = await readAll(sourceOver(fake));
    expect(ids).to.deep.equal(all.map((i) => i.id));
    expect(fake.queries).to.have.length(2);
    const [first, again] = fake.queries as [Query, Query];
    expect(first.pages).to.deep.equal([FIRST_PAGE_ITEMS]);
    expect(again.continuationToken).to.equal(undefined);
    expect(again.maxItemCount).to.be.above(FIRST_PAGE_ITEMS);
    // Two ranges: the second query reads a page ahead per range again.
    expect(again.bufferItems).to.equal(true);
  });

  it('reads a container that fits in the first page with one request', async () => {
    const all = items(FIRST_PAGE_ITEMS - 1, 300);
    const fake = fakeContainer(all, { tokens: true });
    expect(await readAll(sourceOver(fake))).to.have.length(all.length);
    expect(fake.queries.map((q) => q.pages)).to.deep.equal([[all.length]]);
  });

  it('--page-size: every page that size, from the first, with one query', async () => {
    const all = items(50, 300);
    const fake = fakeContainer(all, { tokens: true });
    expect(await readAll(sourceOver(fake, 7))).to.deep.equal(all.map((i) => i.id));
    expect(fake.queries).to.have.length(1);
    expect(fake.queries[0]!.maxItemCount).to.equal(7);
    expect(fake.queries[0]!.pages).to.deep.equal([7, 7, 7, 7, 7, 7, 7, 1]);
  });
});

describe('Cosmos DB source: the document count', () => {
  // Recorded from a container read with x-ms-documentdb-populatequotainfo on a real account.
  const RECORDED = 'functions=0;storedProcedures=0;triggers=0;documentSize=3;documentsSize=2687;documentsCount=4512;collectionSize=3105';

  it('reads documentsCount from the usage header', () => {
    expect(documentsCountOf(RECORDED)).to.equal(4512);
    expect(documentsCountOf('documentsSize=1;documentsCount=0')).to.equal(0);
    // The quota header's -1 (no limit) is no count; neither is a header without one.
    expect(documentsCountOf('documentsSize=10485760;documentsCount=-1')).to.equal(undefined);
    expect(documentsCountOf('documentsSize=12;collectionSize=14')).to.equal(undefined);
    expect(documentsCountOf(undefined)).to.equal(undefined);
  });

  it('counts by the usage header when the service sends one, without a COUNT query', async () => {
    const fake = fakeContainer(items(3, 10), { tokens: true, usage: RECORDED });
    expect(await sourceOver(fake).count(SCOPE)).to.equal(4512);
    expect(fake.queries).to.deep.equal([]);
  });

  it('falls back to COUNT(1) without the header (cosmosdb-server), and always under a filter', async () => {
    const bare = fakeContainer(items(3, 10), { tokens: true });
    expect(await sourceOver(bare).count(SCOPE)).to.equal(3);
    expect(bare.queries.map((q) => q.text)).to.deep.equal(['SELECT VALUE COUNT(1) FROM c']);
    const filtered = fakeContainer(items(3, 10), { tokens: true, usage: RECORDED });
    expect(await sourceOver(filtered).count({ ...SCOPE, filters: [{ query: 'c.id = "d1"', from: '--query' }] })).to.equal(3);
    expect(filtered.queries).to.have.length(1);
    expect(filtered.queries[0]!.text).to.match(/COUNT\(1\).*WHERE/);
  });
});
