import { join } from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { generateDocuments, scaledCounts, type SyntheticCollection } from '../src/synthetic/copilot.js';
import { forEachLimit } from '../src/core/concurrency.js';
import { BENCH_DATABASES, startBenchMongo } from './mongo-server.js';
import {
  ALL_COLLECTIONS,
  chunked,
  withServerCpu,
  databaseOf,
  docsPerSecond,
  exportBytes,
  summaryOf,
  timed,
  type Log,
  type Measurement,
} from './common.js';
import { runDocferry } from './process.js';
import { mongoScriptStrategy } from './strategy.js';

const SEED = 2026;
const RAW_BATCH = 1000;

export interface MongoBenchOptions {
  cli: string;
  work: string;
  log: Log;
  /** Per-collection counts; the default run uses the guide's proportions. */
  counts: Partial<Record<SyntheticCollection, number>>;
  section: string;
  /** Also time the original scripts' one document at a time (a sample). */
  oneAtATime?: boolean;
  /** Also import in merge mode. */
  merge?: boolean;
  /** Only the export and the reads it is measured against (no imports, no bulk-insert limit). */
  exportOnly?: boolean;
}

function docsOf(collection: SyntheticCollection, count: number): Iterable<Document> {
  return generateDocuments(collection, count, { seed: SEED, flavor: 'mongodb' });
}

async function dropAll(client: MongoClient): Promise<void> {
  for (const db of BENCH_DATABASES) await client.db(db).dropDatabase().catch(() => {});
}

/** The raw driver's bulk insert: unordered insertMany of 1,000 documents, `concurrency` at once. */
export async function rawInsert(client: MongoClient, counts: MongoBenchOptions['counts'], concurrency: number, dbName?: string): Promise<number> {
  let total = 0;
  for (const [collection, n] of Object.entries(counts) as [SyntheticCollection, number][]) {
    const coll = client.db(dbName ?? databaseOf(collection)).collection(collection);
    const batches = chunked(docsOf(collection, n), RAW_BATCH);
    await forEachLimit(batches, concurrency, async (batch) => {
      await coll.insertMany(batch, { ordered: false });
    });
    total += n;
  }
  return total;
}

/**
 * MongoDB (FerretDB v1 on SQLite, test/support/ferretdb.ts) measured against the raw driver on
 * the same server and documents: the raw driver's best bulk insert and a plain cursor read are
 * the limits docferry's import and export are ratios to.
 */
export async function benchMongo(o: MongoBenchOptions): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const bench = await startBenchMongo();
  const { server, client } = bench;
  const total = Object.values(o.counts).reduce((a, b) => a + (b ?? 0), 0);
  try {
    await dropAll(client);

    // The raw driver's best: a short probe of concurrencies on chunks, then the whole data set at the best.
    const probeCounts = { chunks: Math.min(10_000, Math.max(1000, Math.round(total / 10))) };
    let best = { concurrency: 1, rate: 0 };
    for (const concurrency of [1, 2, 4, 8]) {
      const { value: n, seconds } = await timed(() => rawInsert(client, probeCounts, concurrency, 'raw_probe'));
      await client.db('raw_probe').dropDatabase();
      const rate = n / seconds;
      o.log(`  raw insertMany probe, ${concurrency} in flight: ${Math.round(rate)} docs/s`);
      if (rate > best.rate) best = { concurrency, rate };
    }
    o.log(`  seeding ${total} documents with the raw driver (${best.concurrency} insertMany in flight)...`);
    const rawWrite = await timed(() => rawInsert(client, o.counts, best.concurrency));

    o.log('  raw cursor read...');
    const rawRead = await withServerCpu(server.pid, () => timed(async () => {
      let n = 0;
      for (const collection of Object.keys(o.counts) as SyntheticCollection[]) {
        for await (const _ of client.db(databaseOf(collection)).collection(collection).find({}, { batchSize: 1000 })) n++;
      }
      return n;
    }));

    // docferry reads in _id order so that a broken cursor can resume where it stopped; on
    // mongod that walks the _id index, FerretDB v1 sorts in memory first. Timed separately.
    o.log('  raw cursor read in _id order...');
    const rawSorted = await withServerCpu(server.pid, () => timed(async () => {
      let n = 0;
      for (const collection of Object.keys(o.counts) as SyntheticCollection[]) {
        for await (const _ of client.db(databaseOf(collection)).collection(collection).find({}, { batchSize: 1000, sort: { _id: 1 } })) n++;
      }
      return n;
    }));

    // The original script's strategy, then docferry, back to back on the same documents.
    o.log('  the original scripts\' export strategy...');
    const strategy = await withServerCpu(server.pid, () => mongoScriptStrategy(client, Object.keys(o.counts) as SyntheticCollection[], join(o.work, `mongo-strategy-${total}`)));

    const exportDir = join(o.work, `mongo-export-${total}`);
    const collections = Object.keys(o.counts).join(',');
    o.log('  docferry export...');
    const { value: exp, serverCpuSeconds: exportServerCpu } = await withServerCpu(server.pid, () =>
      runDocferry(o.cli, ['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--output-dir', exportDir, '--collections', collections, '--json']),
    );
    const expSummary = summaryOf(exp, 'docferry export (MongoDB)');
    const bytes = await exportBytes(exportDir);
    const exportM: Measurement = {
      section: o.section,
      what: 'docferry export (MongoDB -> dir)',
      docs: expSummary.totals.written,
      bytes,
      seconds: expSummary.durationMs / 1000,
      peakRssMb: exp.peakRssMb,
      cpuSeconds: exp.cpuSeconds,
      ...serverCpu(exportServerCpu),
    };
    const rawReadM: Measurement = { section: o.section, what: 'raw driver: cursor read (find, batchSize 1000)', docs: rawRead.value.value, bytes, seconds: rawRead.value.seconds, cpuSeconds: rawRead.value.cpuSeconds, ...serverCpu(rawRead.serverCpuSeconds) };
    const strategyM: Measurement = {
      section: o.section,
      what: 'the original scripts\' strategy: find({}), JSON.stringify per document (_id as a string), one write per document',
      docs: strategy.value.docs,
      bytes: strategy.value.bytes,
      seconds: strategy.value.seconds,
      cpuSeconds: strategy.value.cpuSeconds,
      ...serverCpu(strategy.serverCpuSeconds),
      note: `stands for the original export script (FACTS.md §1), reimplemented in Node.js in the benchmark process (bench/strategy.ts); plain JSON, ${(strategy.value.bytes / 2 ** 20).toFixed(0)} MB against docferry's ${(bytes / 2 ** 20).toFixed(0)} MB of canonical Extended JSON`,
    };
    const rawWriteM: Measurement = {
      section: o.section,
      what: `raw driver: insertMany unordered x${RAW_BATCH}, ${best.concurrency} in flight`,
      docs: rawWrite.value,
      bytes,
      seconds: rawWrite.seconds,
    };
    const rawSortedM: Measurement = { section: o.section, what: 'raw driver: cursor read in _id order (sort {_id: 1})', docs: rawSorted.value.value, bytes, seconds: rawSorted.value.seconds, cpuSeconds: rawSorted.value.cpuSeconds, ...serverCpu(rawSorted.serverCpuSeconds) };
    exportM.versus = { label: 'raw read', ratio: docsPerSecond(exportM) / docsPerSecond(rawReadM) };
    const strategyRatio = docsPerSecond(exportM) / docsPerSecond(strategyM);
    exportM.note =
      `${strategyRatio.toFixed(2)}x the docs/s of the original scripts' strategy, at ${Math.round((100 * (exportM.cpuSeconds! / exportM.docs)) / (strategyM.cpuSeconds! / strategyM.docs))} % of its client CPU per document; ` +
      `${Math.round((100 * docsPerSecond(exportM)) / docsPerSecond(rawSortedM))} % of the raw read in _id order, the order docferry reads in` +
      serverShare([['docferry', exportM], ['the strategy', strategyM], ['the raw read', rawReadM], ['the read in _id order', rawSortedM]]);
    out.push(rawWriteM, rawReadM, rawSortedM, strategyM, exportM);

    for (const mode of o.exportOnly ? [] : o.merge ? (['upsert', 'merge'] as const) : (['upsert'] as const)) {
      await dropAll(client);
      o.log(`  docferry import --mode ${mode} into empty collections...`);
      const imp = await runDocferry(o.cli, ['import', '--dest-type', 'mongodb', '--mongo-uri', server.uri, '--export-dir', exportDir, '--mode', mode, '--json']);
      const s = summaryOf(imp, `docferry import --mode ${mode} (MongoDB)`);
      const m: Measurement = {
        section: o.section,
        what: `docferry import --mode ${mode} (dir -> MongoDB)`,
        docs: s.totals.written + s.totals.skipped,
        bytes,
        seconds: s.durationMs / 1000,
        peakRssMb: imp.peakRssMb,
      };
      m.versus = { label: 'raw insertMany', ratio: docsPerSecond(m) / docsPerSecond(rawWriteM) };
      out.push(m);
    }

    if (o.oneAtATime) {
      const sample = Math.min(3000, total);
      // What mongoimport --mode upsert does: one worker, ordered batches of replaceOne(upsert).
      // On FerretDB an upsert costs a lookup and a write per document, so a sample is enough.
      const ordered = client.db('one_at_a_time').collection('ordered');
      const mongoimport = await timed(async () => {
        let n = 0;
        for (const batch of chunked(docsOf('messages', sample), RAW_BATCH)) {
          await ordered.bulkWrite(batch.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })), { ordered: true });
          n += batch.length;
        }
        return n;
      });
      out.push({
        section: o.section,
        what: 'raw driver: ordered replaceOne-upsert batches, 1 worker (as mongoimport --mode upsert)',
        docs: mongoimport.value,
        seconds: mongoimport.seconds,
        note: `a sample of ${sample} messages`,
      });
      // The original scripts: replaceOne(upsert) per document, one at a time.

      const coll = client.db('one_at_a_time').collection('messages');
      const oneByOne = await timed(async () => {
        let n = 0;
        for (const doc of docsOf('messages', sample)) {
          await coll.replaceOne({ _id: doc._id }, doc, { upsert: true });
          n++;
        }
        return n;
      });
      out.push({
        section: o.section,
        what: 'one at a time (original scripts): replaceOne upsert per document',
        docs: oneByOne.value,
        seconds: oneByOne.seconds,
        note: `a sample of ${sample} messages`,
      });
    }
    return out;
  } finally {
    await bench.release();
  }
}

function serverCpu(seconds: number | undefined): Pick<Measurement, 'serverCpuSeconds'> {
  return seconds === undefined ? {} : { serverCpuSeconds: seconds };
}

/** "; the server's CPU a document: docferry 412 µs, ..." when FerretDB's process could be read. */
function serverShare(rows: [string, Measurement][]): string {
  const known = rows.filter(([, m]) => m.serverCpuSeconds !== undefined && m.docs > 0);
  if (known.length === 0) return '';
  const each = known.map(([label, m]) => `${label} ${Math.round((1e6 * m.serverCpuSeconds!) / m.docs)} µs (${Math.round((100 * m.serverCpuSeconds!) / m.seconds)} % of a core)`);
  return `; the server's CPU a document (FerretDB's process): ${each.join(', ')}`;
}

export function guideCounts(total: number): Partial<Record<SyntheticCollection, number>> {
  const counts = scaledCounts(total);
  return Object.fromEntries(ALL_COLLECTIONS.map((c) => [c, counts[c]]));
}
