/**
 * The scale-out part of `npm run bench` (docs/sharding.md, docs/BENCHMARKS.md "Scale-out"): one
 * export, and one import, run as N separate CLI processes with `--shard I/N` (N = 1, 2, 4),
 * started at once on this machine, then `docferry manifest merge` of the export's shards. Timed
 * from the first start to the last end, the merge apart; every run is checked to have moved each
 * document of the source once (by count, per collection), and the bench fails when one did not.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CosmosClient } from '@azure/cosmos';
import type { Manifest } from '../src/core/manifest.js';
import type { SyntheticCollection } from '../src/synthetic/copilot.js';
import { cosmosClient, startCosmosTestServer } from '../test/support/cosmos.js';
import { startBenchMongo } from './mongo-server.js';
import { startRuProxy, type RuProxy } from '../test/support/ru-proxy.js';
import { databaseOf, summaryOf, timed, type Log } from './common.js';
import { createContainers, rawBulk } from './cosmos.js';
import { rawInsert } from './mongo.js';
import { runDocferry, type ChildRun } from './process.js';
import { checkCounts, SHARD_COUNTS, type ScaleRow } from './scaleout-report.js';

export { scaleTables, scaleText, type ScaleRow } from './scaleout-report.js';

export interface ScaleOptions {
  cli: string;
  work: string;
  log: Log;
  counts: Partial<Record<SyntheticCollection, number>>;
  section: string;
  /** Also import, sharded, from the merged export. */
  withImport?: boolean;
  shardCounts?: readonly number[];
}

export interface CosmosScaleOptions extends ScaleOptions {
  /** RU/s the shards share (each takes 1/N of --max-ru); every container is provisioned with it. */
  budget: number;
}

/**
 * N shard processes of one docferry command; args(I) are shard I's arguments. With a plan file,
 * shard 1 starts first and the others as soon as it has written the plan (as docs/sharding.md
 * advises: N shards started before the plan exists would each make it, N sorts on FerretDB);
 * `planSeconds` is that wait. Timed from the first start to the last end.
 */
async function runShards(cli: string, n: number, args: (index: number) => string[], planFile?: string): Promise<{ runs: ChildRun[]; wallSeconds: number; planSeconds?: number }> {
  const started = performance.now();
  const start = (k: number) => runDocferry(cli, [...args(k + 1), '--shard', `${k + 1}/${n}`, '--json']);
  if (!planFile || n === 1) {
    const runs = await Promise.all(Array.from({ length: n }, (_, k) => start(k)));
    return { runs, wallSeconds: (performance.now() - started) / 1000 };
  }
  let firstEnded = false;
  const first = start(0).finally(() => (firstEnded = true));
  while (!firstEnded && !existsSync(planFile)) await new Promise((r) => setTimeout(r, 25));
  const planSeconds = (performance.now() - started) / 1000;
  const runs = await Promise.all([first, ...Array.from({ length: n - 1 }, (_, k) => start(k + 1))]);
  return { runs, wallSeconds: (performance.now() - started) / 1000, planSeconds };
}

async function merge(cli: string, dirs: string[], out: string): Promise<{ seconds: number; manifest: Manifest }> {
  const started = performance.now();
  const run = await runDocferry(cli, ['manifest', 'merge', ...dirs, '--out', out, '--json']);
  const seconds = (performance.now() - started) / 1000;
  if (run.code !== 0) throw new Error(`docferry manifest merge exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
  return { seconds, manifest };
}

/** The merged export's counts, per `db.coll`, after checking each file holds as many lines as its manifest says. */
async function mergedCounts(dir: string, manifest: Manifest): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const f of manifest.files) {
    const text = await readFile(join(dir, f.path), 'utf8');
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (lines !== f.documents) throw new Error(`merged export: ${f.path} holds ${lines} lines, its manifest says ${f.documents}`);
    const key = `${f.database}.${f.collection}`;
    counts[key] = (counts[key] ?? 0) + f.documents;
  }
  return counts;
}

function rowOf(o: ScaleOptions, what: ScaleRow['what'], n: number, shards: { runs: ChildRun[]; wallSeconds: number; planSeconds?: number }, docs: number): ScaleRow {
  const summaries = shards.runs.map((r, k) => summaryOf(r, `docferry ${what} --shard ${k + 1}/${n}`));
  return {
    section: o.section,
    what,
    shards: n,
    docs,
    shardDocs: summaries.map((s) => s.totals.written + s.totals.skipped),
    wallSeconds: shards.wallSeconds,
    ...(shards.planSeconds !== undefined ? { planSeconds: shards.planSeconds } : {}),
    cpuSeconds: shards.runs.reduce((t, r) => t + r.cpuSeconds, 0),
    peakRssMb: shards.runs.map((r) => r.peakRssMb),
  };
}

function ruOf(proxy: RuProxy, seconds: number, budget: number): NonNullable<ScaleRow['ru']> {
  const s = proxy.stats;
  return { consumed: s.totalCharge, perSecond: s.totalCharge / seconds, budget, throttledRequests: s.throttledRequests, requests: s.requests };
}

function expectedCounts(counts: ScaleOptions['counts']): Record<string, number> {
  return Object.fromEntries((Object.entries(counts) as [SyntheticCollection, number][]).map(([c, n]) => [`${databaseOf(c)}.${c}`, n]));
}

/** Each container's document count, per `db.coll` (asked of the server itself, not through the RU proxy). */
async function cosmosCounts(client: CosmosClient, collections: readonly SyntheticCollection[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const c of collections) {
    const { resources } = await client.database(databaseOf(c)).container(c).items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
    counts[`${databaseOf(c)}.${c}`] = resources[0] ?? 0;
  }
  return counts;
}

/** MongoDB (FerretDB): the export in N shards by `_id` range, the merge, and the import in N shards by line range. */
export async function scaleMongo(o: ScaleOptions): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const collections = Object.keys(o.counts) as SyntheticCollection[];
  const expected = expectedCounts(o.counts);
  const bench = await startBenchMongo();
  const { server, client } = bench;
  try {
    for (const db of ['copilot', 'auth']) await client.db(db).dropDatabase().catch(() => {});
    o.log(`  seeding ${Object.values(expected).reduce((a, b) => a + b, 0)} documents with the raw driver...`);
    await rawInsert(client, o.counts, 2);
    // What the source holds, counted, is what every run must move.
    const seeded: Record<string, number> = {};
    for (const c of collections) seeded[`${databaseOf(c)}.${c}`] = await client.db(databaseOf(c)).collection(c).countDocuments();
    checkCounts('MongoDB seeding', expected, seeded);
    let merged: string | undefined;
    for (const n of o.shardCounts ?? SHARD_COUNTS) {
      const base = join(o.work, `mongo-scale-${n}`);
      o.log(`  docferry export in ${n} shard process${n === 1 ? '' : 'es'} (shard 1 first, the others once the plan is written)...`);
      const shards = await runShards(o.cli, n, (i) => ['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--output-dir', join(base, `shard-${i}`), '--collections', collections.join(','), '--shard-plan', join(base, 'plan.json')], join(base, 'plan.json'));
      const row = rowOf(o, 'export', n, shards, 0);
      const m = await merge(o.cli, Array.from({ length: n }, (_, k) => join(base, `shard-${k + 1}`)), join(base, 'merged'));
      row.mergeSeconds = m.seconds;
      row.bytes = m.manifest.files.reduce((t, f) => t + f.bytes, 0);
      row.docs = checkCounts(`MongoDB export in ${n} shards, merged`, expected, await mergedCounts(join(base, 'merged'), m.manifest));
      if (row.shardDocs.reduce((a, b) => a + b, 0) !== row.docs) throw new Error(`MongoDB export in ${n} shards: the shards report ${row.shardDocs.join(' + ')} documents, the merge ${row.docs}`);
      rows.push(row);
      if (merged) await rm(merged, { recursive: true, force: true });
      for (let k = 1; k <= n; k++) await rm(join(base, `shard-${k}`), { recursive: true, force: true });
      merged = join(base, 'merged');
    }
    if (!o.withImport || !merged) return rows;
    for (const n of o.shardCounts ?? SHARD_COUNTS) {
      // Empty collections made beforehand, so that N shards creating one at once is not measured.
      for (const db of ['copilot', 'auth']) await client.db(db).dropDatabase().catch(() => {});
      for (const c of collections) await client.db(databaseOf(c)).createCollection(c);
      await rm(join(merged, '_checkpoints'), { recursive: true, force: true });
      o.log(`  docferry import in ${n} shard process${n === 1 ? '' : 'es'} at once...`);
      const shards = await runShards(o.cli, n, () => ['import', '--dest-type', 'mongodb', '--mongo-uri', server.uri, '--export-dir', merged!, '--mode', 'upsert']);
      const row = rowOf(o, 'import', n, shards, 0);
      const actual: Record<string, number> = {};
      for (const c of collections) actual[`${databaseOf(c)}.${c}`] = await client.db(databaseOf(c)).collection(c).countDocuments();
      row.docs = checkCounts(`MongoDB import in ${n} shards`, expected, actual);
      rows.push(row);
    }
    return rows;
  } finally {
    await bench.release();
  }
}

/**
 * Cosmos DB (cosmosdb-server behind the RU proxy, every container provisioned with `budget`):
 * the export in N shards by feed range with `--max-ru budget` (each shard takes 1/N of it), the
 * merge, and the import in N shards by line range under the same budget.
 */
export async function scaleCosmos(o: CosmosScaleOptions): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const collections = Object.keys(o.counts) as SyntheticCollection[];
  const expected = expectedCounts(o.counts);
  const budgetArgs = ['--max-ru', String(o.budget)];
  const server = await startCosmosTestServer();
  const proxy = await startRuProxy(server.endpoint, { throughput: o.budget });
  let merged: string | undefined;
  try {
    const client = cosmosClient({ endpoint: server.endpoint, key: server.key });
    try {
      await createContainers(client, collections);
      o.log(`  seeding ${Object.values(expected).reduce((a, b) => a + b, 0)} documents with the SDK's bulk request...`);
      await rawBulk(client, o.counts);
      checkCounts('Cosmos DB seeding', expected, await cosmosCounts(client, collections));
    } finally {
      client.dispose();
    }
    for (const n of o.shardCounts ?? SHARD_COUNTS) {
      const base = join(o.work, `cosmos-scale-${n}`);
      o.log(`  docferry export in ${n} shard process${n === 1 ? '' : 'es'} (shard 1 first, the others once the plan is written), --max-ru ${o.budget} shared...`);
      await new Promise((r) => setTimeout(r, 1100)); // the proxy's buckets refill: each run starts from full ones
      proxy.reset();
      const { value: shards, cpuSeconds } = await timed(() =>
        runShards(o.cli, n, (i) => ['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', server.key, '--output-dir', join(base, `shard-${i}`), '--collections', collections.join(','), '--shard-plan', join(base, 'plan.json'), ...budgetArgs], join(base, 'plan.json')),
      );
      const row = rowOf(o, 'export', n, shards, 0);
      row.ru = ruOf(proxy, shards.wallSeconds, o.budget);
      row.serverCpuSeconds = cpuSeconds;
      const m = await merge(o.cli, Array.from({ length: n }, (_, k) => join(base, `shard-${k + 1}`)), join(base, 'merged'));
      row.mergeSeconds = m.seconds;
      row.bytes = m.manifest.files.reduce((t, f) => t + f.bytes, 0);
      row.docs = checkCounts(`Cosmos DB export in ${n} shards, merged`, expected, await mergedCounts(join(base, 'merged'), m.manifest));
      if (row.shardDocs.reduce((a, b) => a + b, 0) !== row.docs) throw new Error(`Cosmos DB export in ${n} shards: the shards report ${row.shardDocs.join(' + ')} documents, the merge ${row.docs}`);
      rows.push(row);
      if (merged) await rm(merged, { recursive: true, force: true });
      for (let k = 1; k <= n; k++) await rm(join(base, `shard-${k}`), { recursive: true, force: true });
      merged = join(base, 'merged');
    }
  } finally {
    await proxy.stop();
    await server.stop();
  }
  if (!o.withImport || !merged) return rows;
  for (const n of o.shardCounts ?? SHARD_COUNTS) {
    const target = await startCosmosTestServer();
    const tproxy = await startRuProxy(target.endpoint, { throughput: o.budget });
    const client = cosmosClient({ endpoint: target.endpoint, key: target.key });
    try {
      // The containers made beforehand, so that N shards creating one at once is not measured.
      await createContainers(client, collections);
      await rm(join(merged, '_checkpoints'), { recursive: true, force: true });
      o.log(`  docferry import in ${n} shard process${n === 1 ? '' : 'es'} at once, --max-ru ${o.budget} shared...`);
      await new Promise((r) => setTimeout(r, 1100));
      tproxy.reset();
      const { value: shards, cpuSeconds } = await timed(() =>
        runShards(o.cli, n, () => ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', tproxy.endpoint, '--cosmos-key', target.key, '--export-dir', merged!, '--mode', 'upsert', ...budgetArgs]),
      );
      const row = rowOf(o, 'import', n, shards, 0);
      row.ru = ruOf(tproxy, shards.wallSeconds, o.budget);
      row.serverCpuSeconds = cpuSeconds;
      row.docs = checkCounts(`Cosmos DB import in ${n} shards`, expected, await cosmosCounts(client, collections));
      rows.push(row);
    } finally {
      client.dispose();
      await tproxy.stop();
      await target.stop();
    }
  }
  return rows;
}
