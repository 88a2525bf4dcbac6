/**
 * npm run bench [-- --docs N] [--cosmos-docs N] [--budget RU/s] [--large] [--only mongo|cosmos|large|scaleout] [--no-write] [--export-only]
 *                 [--scaleout-docs N] [--scaleout-cosmos-docs N] [--scaleout-budget RU/s] [--cosmos-export-args "..."]
 *
 * A reproducible benchmark on the local servers: MongoDB (FerretDB) and Cosmos DB
 * (cosmosdb-server behind an RU-charging, throttling proxy) with synthetic copilot data in the
 * guide's proportions. docferry runs as a child process (the CLI bundled to one file) whose peak
 * RSS is sampled; the raw drivers run in this process on the same servers and documents and give
 * the limits each figure is a ratio to. The scale-out part (bench/scaleout.ts) runs the export and
 * the import as 1, 2 and 4 shard processes. Results print as a table and go to docs/BENCHMARKS.md.
 */
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Measurement } from './common.js';
import { benchCosmos } from './cosmos.js';
import { benchMongo, guideCounts } from './mongo.js';
import { benchMongoLabel } from './mongo-server.js';
import { bundleCli, repoRoot } from './process.js';
import { machine, markdownTables, replaceBlock, textTable } from './report.js';
import { scaleCosmos, scaleMongo, scaleTables, scaleText, type ScaleRow } from './scaleout.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '150000' },
    'cosmos-docs': { type: 'string', default: '20000' },
    budget: { type: 'string', default: '20000' },
    large: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    // While working on the export: its rows only, no imports nor one-at-a-time samples.
    'export-only': { type: 'boolean', default: false },
    // The scale-out part: small enough that its six MongoDB and six Cosmos DB runs take minutes.
    'scaleout-docs': { type: 'string', default: '30000' },
    'scaleout-cosmos-docs': { type: 'string', default: '10000' },
    'scaleout-budget': { type: 'string', default: '10000' },
    // More arguments for the Cosmos DB export, space-separated (e.g. "--parallel-collections 1").
    'cosmos-export-args': { type: 'string' },
  },
});

const docs = Number(values.docs);
const cosmosDocs = Number(values['cosmos-docs']);
const budget = Number(values.budget);
const scaleDocs = Number(values['scaleout-docs']);
const scaleCosmosDocs = Number(values['scaleout-cosmos-docs']);
const scaleBudget = Number(values['scaleout-budget']);
for (const [flag, n] of [['--docs', docs], ['--cosmos-docs', cosmosDocs], ['--budget', budget], ['--scaleout-docs', scaleDocs], ['--scaleout-cosmos-docs', scaleCosmosDocs], ['--scaleout-budget', scaleBudget]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a whole number of at least 1`);
}
const only = values.only;
if (only && !['mongo', 'cosmos', 'large', 'scaleout'].includes(only)) throw new Error('--only takes mongo, cosmos, large or scaleout');
const wantLarge = values.large || only === 'large';

const log = (line: string) => process.stderr.write(`${line}\n`);
const work = join(repoRoot, 'bench-output', 'work');

async function main(): Promise<void> {
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  log('bundling the CLI...');
  const cli = await bundleCli();
  const started = new Date();
  const mongoRows: Measurement[] = [];
  const cosmosRows: Measurement[] = [];
  const largeRows: Measurement[] = [];
  const scaleRows: ScaleRow[] = [];

  if (!only || only === 'mongo') {
    log(`MongoDB (${benchMongoLabel()}), ${docs} documents in the guide's proportions`);
    mongoRows.push(...(await benchMongo({ cli, work, log, counts: guideCounts(docs), section: `MongoDB (${benchMongoLabel()}), ${docs.toLocaleString('en-US')} documents`, oneAtATime: !values['export-only'], merge: true, exportOnly: values['export-only'] })));
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
  }
  if (!only || only === 'cosmos') {
    log(`Cosmos DB (cosmosdb-server behind the RU proxy, ${budget} RU/s per container), ${cosmosDocs} documents`);
    cosmosRows.push(...(await benchCosmos({ cli, work, log, counts: guideCounts(cosmosDocs), section: `Cosmos DB (cosmosdb-server + RU proxy, ${budget.toLocaleString('en-US')} RU/s per container), ${cosmosDocs.toLocaleString('en-US')} documents`, budget, exportOnly: values['export-only'], exportArgs: values['cosmos-export-args']?.split(/\s+/).filter(Boolean) })));
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
  }
  if (wantLarge) {
    for (const n of [100_000, 1_000_000]) {
      log(`large: MongoDB (${benchMongoLabel()}), one collection of ${n} chunks`);
      largeRows.push(...(await benchMongo({ cli, work, log, counts: { chunks: n }, section: `One collection of ${n.toLocaleString('en-US')} chunks (MongoDB/${benchMongoLabel().startsWith('FerretDB') ? 'FerretDB' : 'mongod'} and the export directory)` })));
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true });
    }
  }

  if (!only || only === 'scaleout') {
    const withImport = !values['export-only'];
    log(`scale-out: MongoDB (${benchMongoLabel()}), ${scaleDocs} documents, 1, 2 and 4 shard processes`);
    scaleRows.push(...(await scaleMongo({ cli, work, log, counts: guideCounts(scaleDocs), withImport, section: `Scale-out: MongoDB (${benchMongoLabel()}), ${scaleDocs.toLocaleString('en-US')} documents` })));
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    log(`scale-out: Cosmos DB (cosmosdb-server + RU proxy), ${scaleCosmosDocs} documents, one budget of ${scaleBudget} RU/s shared by the shards`);
    scaleRows.push(...(await scaleCosmos({ cli, work, log, counts: guideCounts(scaleCosmosDocs), withImport, budget: scaleBudget, section: `Scale-out: Cosmos DB (cosmosdb-server + RU proxy), ${scaleCosmosDocs.toLocaleString('en-US')} documents, --max-ru ${scaleBudget.toLocaleString('en-US')} shared (each of N shards takes 1/N)` })));
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
  }

  const all = [...mongoRows, ...cosmosRows, ...largeRows];
  if (all.length > 0) process.stdout.write(`\n${textTable(all)}\n`);
  if (scaleRows.length > 0) process.stdout.write(`\n${scaleText(scaleRows)}\n`);
  for (const r of all.filter((x) => x.note)) process.stdout.write(`  ${r.section}: ${r.what}: ${r.note}\n`);
  if (values['no-write']) return;
  const path = join(repoRoot, 'docs', 'BENCHMARKS.md');
  let doc = await readFile(path, 'utf8').catch(() => '# Benchmarks\n');
  const header =
    `_Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}, by \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`._\n\n`;
  // One block per part, so that `--only cosmos` leaves the MongoDB figures in place.
  if (mongoRows.length > 0) doc = replaceBlock(doc, 'mongo', header + markdownTables(mongoRows));
  if (cosmosRows.length > 0) doc = replaceBlock(doc, 'cosmos', header + markdownTables(cosmosRows));
  if (largeRows.length > 0) doc = replaceBlock(doc, 'large', header + markdownTables(largeRows));
  if (scaleRows.length > 0) doc = replaceBlock(doc, 'scaleout', header + scaleTables(scaleRows));
  await writeFile(path, doc);
  log(`written to ${path}`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
