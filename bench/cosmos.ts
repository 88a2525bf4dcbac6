import { join } from 'node:path';
import type { CosmosClient, OperationInput } from '@azure/cosmos';
import { generateDocuments, type SyntheticCollection } from '../src/synthetic/copilot.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../test/support/cosmos.js';
import { startRuProxy, type RuProxy } from '../test/support/ru-proxy.js';
import { forEachLimit } from '../src/core/concurrency.js';
import { chunked, databaseOf, exportBytes, exportManifest, summaryOf, timed, type Log, type Measurement } from './common.js';
import { runDocferry } from './process.js';
import { cosmosScriptStrategy } from './strategy.js';

const SEED = 2026;
/** A real account caps a query page at about 4 MB. */
const PAGE_BYTES = 4 * 1024 * 1024;

export interface CosmosBenchOptions {
  cli: string;
  work: string;
  log: Log;
  counts: Partial<Record<SyntheticCollection, number>>;
  section: string;
  /** Provisioned RU/s of every container behind the RU proxy, and the budget given to docferry. */
  budget: number;
  /** The export and its strategy only: no imports, no one-at-a-time sample. */
  exportOnly?: boolean | undefined;
  /** More arguments for docferry's export (to measure an option, e.g. --parallel-collections 1). */
  exportArgs?: string[] | undefined;
}

export async function createContainers(client: CosmosClient, collections: SyntheticCollection[]): Promise<void> {
  for (const collection of collections) {
    const { database } = await client.databases.createIfNotExists({ id: databaseOf(collection) });
    await database.containers.createIfNotExists({ id: collection, partitionKey: { paths: ['/id'] } });
  }
}

/** The SDK's bulk request at its best: 100 operations per request, 8 requests in flight, no budget. */
export async function rawBulk(client: CosmosClient, counts: CosmosBenchOptions['counts']): Promise<number> {
  let n = 0;
  for (const [collection, count] of Object.entries(counts) as [SyntheticCollection, number][]) {
    const container = client.database(databaseOf(collection)).container(collection);
    const batches = chunked(generateDocuments(collection, count, { seed: SEED }), 100);
    await forEachLimit(batches, 8, async (batch) => {
      const ops = batch.map((doc) => ({ operationType: 'Create', partitionKey: doc.id as string, resourceBody: doc }) as OperationInput);
      const res = await container.items.bulk(ops);
      const failed = res.filter((r) => r.statusCode >= 300);
      if (failed.length > 0) throw new Error(`raw bulk into ${collection}: ${failed.length} failed (HTTP ${failed[0]!.statusCode})`);
      n += batch.length;
    });
  }
  return n;
}

interface Target {
  server: CosmosTestServer;
  proxy: RuProxy;
  stop(): Promise<void>;
}

async function target(throughput: number | undefined, serveOffers = false): Promise<Target> {
  const server = await startCosmosTestServer();
  const proxy = await startRuProxy(server.endpoint, { ...(throughput !== undefined ? { throughput } : {}), serveOffers });
  return {
    server,
    proxy,
    stop: async () => {
      await proxy.stop();
      await server.stop();
    },
  };
}

function ruOf(proxy: RuProxy, seconds: number, budget?: number): NonNullable<Measurement['ru']> {
  const s = proxy.stats;
  return {
    consumed: s.totalCharge,
    perSecond: s.totalCharge / seconds,
    ...(budget !== undefined ? { budget } : {}),
    throttledRequests: s.throttledRequests,
    requests: s.requests,
    throttledOps: s.throttledOperations,
    ops: s.operations,
  };
}

/** The order request kinds are listed in, the data first. */
const KIND_ORDER = ['query page', 'query plan', 'count', 'top', 'container read', 'partition ranges', 'read feed', 'item', 'bulk', 'offers', 'metadata'];

/**
 * The server's share of a run, measured by the RU proxy: the time at least one request was
 * outstanding upstream (an upper bound on cosmosdb-server's busy time: it is single-threaded and
 * shares the benchmark process with the proxy), and the requests it was sent, by kind.
 */
export function upstreamNote(proxy: RuProxy, seconds: number): string {
  const u = proxy.stats.upstream;
  const kinds = Object.entries(u.byKind).sort(([a], [b]) => (KIND_ORDER.indexOf(a) + 1 || 99) - (KIND_ORDER.indexOf(b) + 1 || 99));
  const list = kinds.map(([k, v]) => `${v.requests} ${k}${k === 'query page' || k === 'query plan' ? ` (${(v.ms / 1000).toFixed(1)} s, ${(v.bytes / 1024 / 1024).toFixed(0)} MB)` : ''}`).join(', ');
  return `server busy (a request outstanding at cosmosdb-server) ${(u.busyMs / 1000).toFixed(1)} s of the ${seconds.toFixed(1)} s (${Math.round(u.busyMs / 10 / seconds)} %); requests: ${list}`;
}

/**
 * Cosmos DB through the RU proxy (test/support/ru-proxy.ts) in front of cosmosdb-server. Every
 * container is provisioned with `budget` RU/s; the import runs with --max-ru at that budget,
 * with no budget at all (steering by 429s alone) and with --ru-share 0.5.
 */
export async function benchCosmos(o: CosmosBenchOptions): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const collections = Object.keys(o.counts) as SyntheticCollection[];
  const total = Object.values(o.counts).reduce((a, b) => a + (b ?? 0), 0);
  const source = await target(undefined);
  try {
    const client = cosmosClient({ endpoint: source.proxy.endpoint, key: source.server.key });
    try {
      await createContainers(client, collections);
      source.proxy.reset();
      o.log(`  raw SDK bulk (items.bulk, 100 per request, 8 in flight) of ${total} documents...`);
      const raw = await timed(() => rawBulk(client, o.counts));
      const rawM: Measurement = { section: o.section, what: 'raw SDK: bulk, 100 ops/request, 8 in flight, no budget', docs: raw.value, seconds: raw.seconds, ru: ruOf(source.proxy, raw.seconds) };

      // The 1 s floor of executeBulkOperations, next to the bulk request docferry sends.
      const probe = client.database(databaseOf('sources')).container('sources');
      const four = () => [0, 1, 2, 3].map((i) => ({ operationType: 'Upsert', partitionKey: `floor-${i}`, resourceBody: { id: `floor-${i}` } }) as OperationInput);
      const floor = await timed(() => probe.items.executeBulkOperations(four()));
      const direct = await timed(() => probe.items.bulk(four()));
      o.log(`  4 documents: executeBulkOperations ${Math.round(floor.seconds * 1000)} ms, items.bulk ${Math.round(direct.seconds * 1000)} ms`);
      await probe.items.bulk([0, 1, 2, 3].map((i) => ({ operationType: 'Delete', partitionKey: `floor-${i}`, id: `floor-${i}` }) as OperationInput));

      const exportDir = join(o.work, `cosmos-export-${total}`);
      source.proxy.reset();
      o.log('  docferry export (Cosmos DB -> dir)...');
      // cosmosdb-server and the RU proxy run in this process: its CPU time while docferry (a
      // child process) exports is theirs, measured rather than estimated.
      const { value: exp, cpuSeconds: serverCpu } = await timed(() =>
        runDocferry(o.cli, ['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.proxy.endpoint, '--cosmos-key', source.server.key, '--output-dir', exportDir, '--collections', collections.join(','), '--json', ...(o.exportArgs ?? [])]),
      );
      const expSummary = summaryOf(exp, 'docferry export (Cosmos DB)');
      const exportServer = upstreamNote(source.proxy, exp.wallMs / 1000);
      const bytes = await exportBytes(exportDir);
      rawM.bytes = bytes;
      const expSeconds = expSummary.durationMs / 1000;
      const exportM: Measurement = {
        section: o.section,
        what: `docferry export (Cosmos DB -> dir), no budget${o.exportArgs?.length ? ` (${o.exportArgs.join(' ')})` : ''}`,
        docs: expSummary.totals.written,
        bytes,
        seconds: expSeconds,
        peakRssMb: exp.peakRssMb,
        cpuSeconds: exp.cpuSeconds,
        ru: ruOf(source.proxy, expSeconds),
      };

      // The original script's strategy on the same containers: one query per container, pages of
      // about 4 MB (the service's cap; cosmosdb-server has none), sized from the export's own
      // average document per collection.
      const manifest = await exportManifest(exportDir);
      const pageItems = (collection: SyntheticCollection) => {
        const f = manifest.files.find((x) => x.collection === collection);
        return f && f.documents > 0 ? Math.max(1, Math.floor(PAGE_BYTES / (f.bytes / f.documents))) : 1000;
      };
      source.proxy.reset();
      o.log('  the original scripts\' export strategy (one query per container, ~4 MB pages)...');
      const { value: strategy, cpuSeconds: strategyCpu } = await timed(() => cosmosScriptStrategy(client, collections, join(o.work, `cosmos-strategy-${total}`), pageItems));
      const strategyServer = upstreamNote(source.proxy, strategy.seconds);
      const strategyM: Measurement = {
        section: o.section,
        what: "the original scripts' strategy: one SELECT * FROM c per container, ~4 MB pages, JSON.stringify per document, one write per document",
        docs: strategy.docs,
        bytes: strategy.bytes,
        seconds: strategy.seconds,
        cpuSeconds: strategy.cpuSeconds,
        ru: ruOf(source.proxy, strategy.seconds),
        note: `stands for the original export script (FACTS.md §1), reimplemented in Node.js in the benchmark process (bench/strategy.ts), so its CPU per document includes cosmosdb-server's and the RU proxy's (${strategyCpu.toFixed(1)} s in all); pages of ${collections.map((c) => `${pageItems(c)} ${c}`).join(', ')}; ${strategyServer}`,
      };
      exportM.versus = { label: "the scripts' strategy", ratio: exportM.docs / expSeconds / (strategy.docs / strategy.seconds) };
      exportM.note = `cosmosdb-server and the RU proxy (in the benchmark process) used ${serverCpu.toFixed(1)} s of CPU meanwhile: ${Math.round((100 * serverCpu) / (exp.wallMs / 1000))} % of the run's ${(exp.wallMs / 1000).toFixed(1)} s, against docferry's ${exp.cpuSeconds.toFixed(1)} s; ${exportServer}`;
      out.push(rawM, strategyM, exportM);
      if (o.exportOnly) return out;
      out.push({
        section: o.section,
        what: 'SDK executeBulkOperations, 4 documents (one call)',
        docs: 4,
        seconds: floor.seconds,
        note: `items.bulk, the request docferry sends, takes ${Math.round(direct.seconds * 1000)} ms for the same 4`,
      });

      const scenarios: { what: string; args: string[]; budget?: number; offers?: boolean }[] = [
        { what: 'docferry import, unthrottled container (the server\'s capacity)', args: [] },
        { what: `docferry import --max-ru ${o.budget} (container: ${o.budget} RU/s)`, args: ['--max-ru', String(o.budget)], budget: o.budget },
        { what: `docferry import, no budget given, offer readable (container: ${o.budget} RU/s)`, args: [], budget: o.budget, offers: true },
        { what: `docferry import, no budget given, no offer (container: ${o.budget} RU/s, steered by 429s alone)`, args: [], budget: o.budget },
        { what: `docferry import --ru-share 0.5 (container: ${o.budget} RU/s)`, args: ['--ru-share', '0.5'], budget: o.budget / 2, offers: true },
      ];
      for (const sc of scenarios) {
        const t = await target(sc.budget === undefined ? undefined : o.budget, sc.offers ?? false);
        try {
          o.log(`  ${sc.what}...`);
          // One collection at a time, so that "the budget" is one container's in every scenario
          // (--max-ru is shared by all collections; a container's own throughput is not).
          const imp = await runDocferry(o.cli, ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', t.proxy.endpoint, '--cosmos-key', t.server.key, '--export-dir', exportDir, '--parallel-collections', '1', '--json', ...sc.args]);
          const s = summaryOf(imp, sc.what);
          const seconds = s.durationMs / 1000;
          const m: Measurement = {
            section: o.section,
            what: sc.what,
            docs: s.totals.written,
            bytes,
            seconds,
            peakRssMb: imp.peakRssMb,
            ru: ruOf(t.proxy, seconds, sc.budget),
          };
          if (sc.budget === undefined) m.versus = { label: 'raw SDK bulk', ratio: m.docs / seconds / (rawM.docs / rawM.seconds) };
          out.push(m);
        } finally {
          await t.stop();
        }
      }

      // The original scripts: one upsert per request, no concurrency. Its limit is the round trip,
      // not RU: it runs on an unthrottled container (on localhost a round trip is ~1 ms).
      const t = await target(undefined);
      const oneClient = cosmosClient({ endpoint: t.proxy.endpoint, key: t.server.key });
      try {
        await createContainers(oneClient, ['messages']);
        t.proxy.reset();
        const sample = Math.min(2000, total);
        const container = oneClient.database(databaseOf('messages')).container('messages');
        const one = await timed(async () => {
          let n = 0;
          for (const doc of generateDocuments('messages', sample, { seed: SEED })) {
            await container.items.upsert(doc);
            n++;
          }
          return n;
        });
        const m: Measurement = {
          section: o.section,
          what: 'one at a time (original scripts): items.upsert per document, no budget',
          docs: one.value,
          seconds: one.seconds,
          ru: ruOf(t.proxy, one.seconds),
          note: `a sample of ${sample} messages, on an unthrottled container`,
        };
        out.push(m);
      } finally {
        oneClient.dispose();
        await t.stop();
      }
      return out;
    } finally {
      client.dispose();
    }
  } finally {
    await source.stop();
  }
}
