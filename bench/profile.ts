/**
 * npx tsx bench/profile.ts [--docs N] [--runs K] [--cli a.mjs,b.mjs] [--format canonical] [--top 25]
 *
 * Where the client CPU of a MongoDB export goes: seeds FerretDB with synthetic copilot documents
 * in the guide's proportions, runs the bundled CLI's export under `node --cpu-prof` (each CLI
 * given, alternately, `--runs` times, so that a before/after pair is measured back to back on the
 * same server and data) and prints the process's CPU time (user + system, every thread, from
 * /proc) and the profile's functions by self time.
 */
import { readdir, readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDocuments } from '../src/synthetic/copilot.js';
import { startBenchMongo } from './mongo-server.js';
import { chunked, databaseOf, summaryOf } from './common.js';
import { guideCounts } from './mongo.js';
import { bundleCli, repoRoot, runDocferry } from './process.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '30000' },
    runs: { type: 'string', default: '1' },
    cli: { type: 'string' },
    format: { type: 'string' },
    top: { type: 'string', default: '25' },
    args: { type: 'string', default: '' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name and place), descending, as shares of the sampled time. */
export function selfTimes(profile: Profile): { fn: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/)/, '$1').replace(/^file:\/\/.*\/bench-output\/[^/]+\//, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()].map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total })).sort((a, b) => b.ms - a.ms);
}

async function main(): Promise<void> {
  const docs = Number(values.docs);
  const clis = values.cli ? values.cli.split(',') : [await bundleCli()];
  const bench = await startBenchMongo();
  const { server, client } = bench;
  const work = join(repoRoot, 'bench-output', 'profile');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const counts = guideCounts(docs);
    for (const [collection, n] of Object.entries(counts)) {
      const coll = client.db(databaseOf(collection as never)).collection(collection);
      await coll.drop().catch(() => {});
      for (const batch of chunked(generateDocuments(collection as never, n!, { seed: 2026, flavor: 'mongodb' }), 1000)) await coll.insertMany(batch, { ordered: false });
    }
    process.stderr.write(`seeded ${docs} documents\n`);
    for (let r = 0; r < Number(values.runs); r++) {
      for (const [i, cli] of clis.entries()) {
        const profDir = join(work, `prof-${i}-${r}`);
        const out = join(work, `export-${i}-${r}`);
        const extra = values.args ? values.args.split(' ') : [];
        const run = await runDocferry(
          cli,
          ['export', '--source-type', 'mongodb', '--mongo-uri', server.uri, '--output-dir', out, '--collections', Object.keys(counts).join(','), '--json', ...(values.format ? ['--json-format', values.format] : []), ...extra],
          {},
          ['--cpu-prof', '--cpu-prof-dir', profDir],
        );
        const summary = summaryOf(run, 'export');
        // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: the main thread is thread 0 (an encoding worker writes its own).
        const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
        const file = files.find((f) => f.split('.')[4] === '0') ?? files[0]!;
        const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as Profile;
        const top = selfTimes(profile).slice(0, Number(values.top));
        const n = summary.totals.written;
        process.stdout.write(
          `\n## ${cli} run ${r + 1}: ${n} documents, ${(summary.durationMs / 1000).toFixed(1)} s, CPU ${run.cpuSeconds.toFixed(2)} s (${((1e6 * run.cpuSeconds) / n).toFixed(0)} µs/document), peak RSS ${run.peakRssMb.toFixed(0)} MB\n\n| function | self ms | % |\n|---|--:|--:|\n`,
        );
        for (const t of top) process.stdout.write(`| ${t.fn.replace(/\|/g, '\\|')} | ${t.ms.toFixed(0)} | ${(100 * t.share).toFixed(1)} |\n`);
      }
    }
  } finally {
    await bench.release();
  }
}

main().catch((err) => {
  process.stderr.write(`profile failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
