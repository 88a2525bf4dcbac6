import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { redact } from '../../src/core/secrets.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (fast), with its own environment and captured output. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    out: { log: (l) => err.push(redact(l)), result: (t) => out.push(redact(t)) },
    env,
    interactive: false,
    exitCode: 0,
  };
  const code = await main(['node', 'docferry', ...args], ctx);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Runs the CLI as a child process, exactly as a user or a pipeline would. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src/cli/main.ts'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
