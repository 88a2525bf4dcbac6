/**
 * `npm run drill -- --shards N`: the pipelines' sharded fan-out (pipelines/github/promote.yml),
 * run locally as processes. N `docferry export --shard I/N` CLI processes start at once, each
 * with its own output directory (one matrix job each in the workflow); the restore side joins
 * what they pushed with a `docferry manifest merge` process, as the workflow's final job does.
 * The source is Cosmos DB, whose shards split by feed range: every shard computes the same split
 * from the source, so no --shard-plan file has to be shared (docs/sharding.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, type ExitCodeValue } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';
import type { RunSummary } from '../../src/engine/events.js';
import type { StreamRecord } from '../../src/engine/events-stream.js';
import type { MergeResult } from '../../src/engine/manifest-merge.js';
import { buildReport, type RunReport } from '../../src/report/model.js';
import type { ShardRun } from './report.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
/** The CLI from source through tsx, as the drill itself runs: the same code as the worktree, built or not. */
const CLI_ENTRY = join(repoRoot, 'src', 'cli', 'main.ts');

export interface CliProcessResult {
  pid: number | undefined;
  /** Null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  startedAt: Date;
  durationMs: number;
}

/**
 * One docferry CLI process. Secrets go in `env` only: a command line is visible to every
 * process on the machine. `onSpawn` sees the child as soon as it exists (the fault injection).
 */
export function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv, onSpawn?: (child: ChildProcess) => void): Promise<CliProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const startedAt = new Date();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ pid: child.pid, code, signal, stdout, stderr, startedAt, durationMs: Date.now() - startedAt.getTime() }));
    onSpawn?.(child);
  });
}

/** How a process ended, in words: `exit 0`, `exit 4`, `killed by SIGTERM`. */
export function exitWords(r: { exitCode: number | null; signal?: string | null }): string {
  return r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode}`;
}

/** The last lines a failed process wrote on stderr, redacted: what it said about why. */
export function stderrTail(stderr: string, lines = 3): string {
  return redact(stderr.trim().split('\n').slice(-lines).join(' ').trim());
}

/**
 * The drill's exit code for a failed CLI process: a refused input (4) or differences (5) keep
 * their meaning; anything else (a crash, a signal, a bad command line of the drill's own) is 1.
 */
export function drillExitCode(code: number | null): ExitCodeValue {
  return code === ExitCode.rejected || code === ExitCode.inputRefused || code === ExitCode.differences ? code : ExitCode.failed;
}

export interface ShardExportOptions {
  count: number;
  /** Where the shards' export directories and event files go. */
  workDir: string;
  /** The source's endpoint and key, handed to the processes through their environment. */
  source: { endpoint: string; key: string };
  /** The shard whose process is killed as soon as it starts (--inject fail-shard). */
  killShard?: number;
}

export interface ShardExport {
  run: ShardRun;
  exportDir: string;
  /** The shard's run summary (its --json output) and event records, for the report's charts. */
  report?: RunReport;
}

async function readRecords(file: string): Promise<StreamRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StreamRecord);
}

/** Starts the N shard exports at once and waits for all of them (a failed shard does not stop the others). */
export async function exportShards(o: ShardExportOptions): Promise<ShardExport[]> {
  const env: NodeJS.ProcessEnv = { ...process.env, SRC_COSMOS_ENDPOINT: o.source.endpoint, SRC_COSMOS_KEY: o.source.key };
  const indexes = Array.from({ length: o.count }, (_, i) => i + 1);
  return Promise.all(
    indexes.map(async (index): Promise<ShardExport> => {
      const shard = `${index}/${o.count}`;
      const exportDir = join(o.workDir, `export-${index}`);
      const eventsFile = join(o.workDir, `events-${index}.ndjson`);
      // The source's address and key come from SRC_COSMOS_ENDPOINT / SRC_COSMOS_KEY.
      const args = ['export', '--source-type', 'cosmos', '--shard', shard, '--output-dir', exportDir, '--json', '--quiet', '--events', eventsFile, '--progress-interval', '1s'];
      const killed = o.killShard === index;
      const p = await runCliProcess(args, env, killed ? (child) => void child.kill('SIGTERM') : undefined);
      const run: ShardRun = {
        shard,
        index,
        status: 'failed',
        pid: p.pid ?? -1,
        startedAt: p.startedAt.toISOString(),
        durationMs: p.durationMs,
        exitCode: p.code,
        signal: p.signal,
      };
      let summary: RunSummary | undefined;
      try {
        summary = p.stdout.trim() ? (JSON.parse(p.stdout) as RunSummary) : undefined;
      } catch {
        summary = undefined;
      }
      if (summary) run.documents = summary.totals.written;
      if (p.code === 0 && summary?.exitCode === ExitCode.ok) run.status = 'ok';
      else {
        const said = stderrTail(p.stderr);
        run.error = `shard ${shard} failed (${exitWords(run)})${killed ? ', its process killed as it started (--inject fail-shard)' : ''}${said ? `: ${said}` : ''}`;
      }
      const out: ShardExport = { run, exportDir };
      if (summary) out.report = buildReport(await readRecords(eventsFile), summary);
      return out;
    }),
  );
}

export interface MergeProcessResult {
  process: CliProcessResult;
  result?: MergeResult;
}

/** `docferry manifest merge DIR... --out OUT --json` as a process, as the workflow's final job runs it. */
export async function mergeShardExports(dirs: readonly string[], out: string): Promise<MergeProcessResult> {
  const p = await runCliProcess(['manifest', 'merge', ...dirs, '--out', out, '--json'], { ...process.env });
  if (p.code !== 0) return { process: p };
  return { process: p, result: JSON.parse(p.stdout) as MergeResult };
}
