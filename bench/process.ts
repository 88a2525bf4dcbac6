import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const repoRoot = resolve(import.meta.dirname, '..');

/**
 * The CLI as one JavaScript file, as a user runs the compiled package: no TypeScript loader in
 * the measured process (tsx would add its own memory and start-up to every figure). It sits two
 * levels below the repository, like dist/cli/main.js, so the package root (package.json, the
 * default layout) resolves the same way; packages stay external and load from node_modules.
 */
export async function bundleCli(): Promise<string> {
  const outdir = join(repoRoot, 'bench-output', 'build');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  // Split at the CLI's dynamic imports, as the compiled package is: a store's SDK loads only
  // when a run uses it (a single file would hoist every SDK import to its top). The export's
  // encoding worker is an entry of its own, beside the CLI, where the export sink looks for it
  // (src/stores/exportdir/encode-pool.ts), as dist/ has it beside the sink.
  await build({
    entryPoints: { docferry: join(repoRoot, 'src', 'cli', 'main.ts'), 'encode-worker': join(repoRoot, 'src', 'stores', 'exportdir', 'encode-worker.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return join(outdir, 'docferry.mjs');
}

export interface ChildRun {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set of the process (VmHWM), MB. */
  peakRssMb: number;
  /** CPU time of the process, user + system over all its threads (from /proc at exit), seconds. */
  cpuSeconds: number;
}

const CPU_AT_EXIT = join(repoRoot, 'bench', 'cpu-at-exit.cjs');
let runs = 0;

/** What bench/cpu-at-exit.cjs wrote, in seconds; 0 when the process died before it could. */
function readCpuSeconds(file: string): number {
  try {
    const { user, system } = JSON.parse(readFileSync(file, 'utf8')) as { user: number; system: number };
    return (user + system) / 1e6;
  } catch {
    return 0;
  } finally {
    rmSync(file, { force: true });
  }
}

function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the bundled CLI in its own process and samples its peak RSS from /proc (VmHWM is the
 * kernel's high-water mark, so a sample taken late still sees an early peak).
 */
export function runDocferry(cli: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = [], prefix: string[] = []): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const cpuFile = join(tmpdir(), `docferry-bench-cpu-${process.pid}-${runs++}.json`);
    // `prefix`: a command that execs node in the same process (`taskset -c 0`), so /proc still follows it.
    const command = [...prefix, process.execPath, '--require', CPU_AT_EXIT, ...nodeArgs, cli, ...args];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, BENCH_CPU_FILE: cpuFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const sample = () => {
      const kb = child.pid ? readStatusKb(child.pid, 'VmHWM') : undefined;
      if (kb !== undefined) peakKb = Math.max(peakKb, kb);
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    // 'exit' fires before the process is reaped: /proc/<pid> still answers for a last sample.
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr, wallMs: performance.now() - started, peakRssMb: peakKb / 1024, cpuSeconds: readCpuSeconds(cpuFile) });
    });
  });
}
