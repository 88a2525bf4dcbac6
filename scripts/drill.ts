/**
 * `npm run drill`: the DR drill end to end on local servers (cosmosdb-server, Azurite, optionally
 * FerretDB), in the stage order of the pipeline templates (scripts/drill/stages.ts). Prints a
 * per-stage report, writes drill-report.md and drill-report.json, and exits non-zero when any
 * stage fails: 4 when the archive is refused, 5 when the restored data differs, 1 otherwise.
 * `--shards N` runs the export as N `docferry export --shard I/N` processes at once and merges
 * the shards after the pull, as the GitHub promotion workflow fans out (scripts/drill/shards.ts).
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../src/core/errors.js';
import { INJECTABLE_FAULTS, runDrill, type InjectedFault } from './drill/dr.js';
import { REPORT_JSON, REPORT_MARKDOWN, renderTable } from './drill/report.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}

const program = new Command('drill')
  .description('Run the DR drill on local servers: seed, export and push an archive, then pull, provision, import, verify, tear down and report.')
  .option('--output-dir <dir>', 'where the report goes', `drill-output/${stamp()}`)
  .option('--documents <n>', 'synthetic documents to seed (about; every collection gets at least one)', positiveInt, 600)
  .option('--seed <n>', 'seed of the synthetic data', positiveInt, 7)
  .option('--mongo', 'also restore into FerretDB and verify it (a MongoDB leg)', false)
  .option('--shards <n>', 'export as N `docferry export --shard I/N` processes at once, push each under <prefix>-shard-I-of-N, merge them after the pull (1: one export, as before)', positiveInt, 1)
  .addOption(new Option('--inject <fault>', 'inject a fault the drill must catch').choices([...INJECTABLE_FAULTS]))
  .option('--keep-data', 'keep the exported and pulled data under <output-dir>/work', false)
  .exitOverride();

async function main(): Promise<number> {
  try {
    program.parse(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const opts = program.opts<{ outputDir: string; documents: number; seed: number; mongo: boolean; shards: number; inject?: InjectedFault; keepData: boolean }>();
  if (opts.inject === 'fail-shard' && opts.shards < 2) {
    process.stderr.write('error: --inject fail-shard kills one shard of a sharded export: give --shards 2 or more\n');
    return ExitCode.usage;
  }
  // The drill always runs on its own local servers: the test suite's pointers at shared real
  // accounts would make it restore into the databases it exported from.
  for (const v of ['DOCFERRY_TEST_COSMOS_ENDPOINT', 'DOCFERRY_TEST_COSMOS_KEY', 'DOCFERRY_TEST_MONGO_URI', 'DOCFERRY_TEST_STORAGE_CONNECTION_STRING']) delete process.env[v];
  const outputDir = resolve(opts.outputDir);
  const report = await runDrill({
    outputDir,
    documents: opts.documents,
    seed: opts.seed,
    mongo: opts.mongo,
    shards: opts.shards,
    ...(opts.inject ? { inject: opts.inject } : {}),
    keepData: opts.keepData,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const written = report.stages.find((s) => s.id === 'report')?.status === 'ok';
  process.stdout.write(`${renderTable(report)}\n`);
  process.stdout.write(
    written
      ? `DR drill ${report.passed ? 'PASSED' : 'FAILED'}: ${resolve(outputDir, REPORT_MARKDOWN)} (${REPORT_JSON} beside it)\n`
      : `DR drill FAILED and the report could not be written to ${outputDir}\n`,
  );
  return written ? report.exitCode : report.exitCode || ExitCode.failed;
}

main().then(
  // Explicit exit: an SDK's idle keep-alive socket must not hold the drill (and CI) open.
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`DR drill crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(ExitCode.failed);
  },
);
