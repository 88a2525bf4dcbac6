/**
 * npx tsx bench/encode-threads.ts [--docs 20000] [--rounds 2] [--cli path]
 *
 * The MongoDB export with its encoding worker on and off (`--encode-threads 1` / `0`), and with
 * the process pinned to one core (`taskset -c 0`: `auto` then keeps the main thread), back to
 * back on one FerretDB server and the same documents (the guide's proportions), against the raw
 * cursor read in _id order and the original scripts' strategy measured in the same run.
 * Prints one Markdown row per export: docs/s, client CPU (user + system, every thread, from
 * /proc) per document, peak RSS, and the ratios (docs/BENCHMARKS.md, "Both cores").
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rm, mkdir } from 'node:fs/promises';
import { generateDocuments, type SyntheticCollection } from '../src/synthetic/copilot.js';
import { startBenchMongo } from './mongo-server.js';
import { chunked, databaseOf, summaryOf, timed } from './common.js';
import { guideCounts } from './mongo.js';
import { bundleCli, repoRoot, runDocferry } from './process.js';
import { mongoScriptStrategy } from './strategy.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '2' },
    cli: { type: 'string' },
  },
});

const VARIANTS: { label: string; args: string[]; prefix: string[] }[] = [
  { label: '--encode-threads 0 (main thread)', args: ['--encode-threads', '0'], prefix: [] },
  { label: '--encode-threads 1 (worker)', args: ['--encode-threads', '1'], prefix: [] },
  { label: 'taskset -c 0, --encode-threads 0', args: ['--encode-threads', '0'], prefix: ['taskset', '-c', '0'] },
  { label: 'taskset -c 0, auto (the default)', args: [], prefix: ['taskset', '-c', '0'] },
];

async function main(): Promise<void> {
  const docs = Number(values.docs);
  const cli = values.cli ?? (await bundleCli());
  const bench = await startBenchMongo();
  const { server, client } = bench;
  const work = join(repoRoot, 'bench-output', 'encode-threads');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const counts = guideCounts(docs);
    const collections = Object.keys(counts) as SyntheticCollection[];
    for (const [collection, n] of Object.entries(counts)) {
      const coll = client.db(databaseOf(collection as never)).collection(collection);
      await coll.drop().catch(() => {});
      for (const batch of chunked(generateDocuments(collection as never, n!, { seed: 2026, flavor: 'mongodb' }), 1000)) await coll.insertMany(batch, { ordered: false });
    }
    process.stderr.write(`seeded ${docs} documents\n`);
    const sorted = await timed(async () => {
      let n = 0;
      for (const c of collections) for await (const _ of client.db(databaseOf(c)).collection(c).find({}, { batchSize: 1000, sort: { _id: 1 } })) n++;
      return n;
    });
    const strategy = await mongoScriptStrategy(client, collections, join(work, 'strategy'));
    const sortedRate = sorted.value / sorted.seconds;
    const strategyRate = strategy.docs / strategy.seconds;
    const strategyCpu = (1e6 * strategy.cpuSeconds) / strategy.docs;
    process.stdout.write(
      `raw read in _id order: ${sorted.value} documents, ${Math.round(sortedRate)} docs/s; strategy: ${Math.round(strategyRate)} docs/s, ${strategyCpu.toFixed(0)} µs CPU a document\n\n` +
        '| run | round | docs/s | CPU | µs CPU/doc | peak RSS | vs. strategy (docs/s) | CPU/doc vs. strategy | vs. raw read in _id order |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n',
    );
    let k = 0;
    for (let r = 1; r <= Number(values.rounds); r++) {
      for (const v of VARIANTS) {
        const out = join(work, `export-${++k}`);
        const run = await runDocferry(cli, ['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--output-dir', out, '--collections', collections.join(','), '--json', ...v.args], {}, [], v.prefix);
        const summary = summaryOf(run, v.label);
        const n = summary.totals.written;
        const rate = n / (summary.durationMs / 1000);
        const cpu = (1e6 * run.cpuSeconds) / n;
        process.stdout.write(
          `| ${v.label} | ${r} | ${Math.round(rate)} | ${run.cpuSeconds.toFixed(2)} s | ${cpu.toFixed(0)} | ${run.peakRssMb.toFixed(0)} MB | ${(rate / strategyRate).toFixed(2)}x | ${Math.round((100 * cpu) / strategyCpu)} % | ${Math.round((100 * rate) / sortedRate)} % |\n`,
        );
        await rm(out, { recursive: true, force: true });
      }
    }
  } finally {
    await bench.release();
  }
}

main().catch((err) => {
  process.stderr.write(`encode-threads bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
