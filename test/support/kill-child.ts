import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot, type CliResult } from './cli.js';

export interface RunningCli {
  child: ChildProcess;
  /** Settles when the process exits, with what it printed; `code` is -1 when it was killed. */
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  /** SIGKILL, as an OOM killer or a cancelled pipeline agent would: no cleanup runs. */
  kill9(): Promise<void>;
}

/** Starts the CLI as a child process (like spawnCli) and hands back the process to kill. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code: code ?? -1, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await done;
    },
  };
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, options: { timeoutMs?: number; intervalMs?: number; while?: () => boolean } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (options.while && !options.while()) throw new Error(`gave up waiting for ${what}: the process ended first`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
