/**
 * Runs the bundled GitHub Action as a child process with the environment a runner gives a
 * node24 action: INPUT_<NAME> for every input (action.yml defaults filled in, names upper-cased
 * with hyphens kept), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_STATE files,
 * RUNNER_TEMP, GITHUB_WORKSPACE and the rest; then reads the files and workflow commands back.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { githubRoot } from '../../../scripts/build-tasks.js';

export interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

export function readActionYml(): ActionYml {
  return parse(readFileSync(join(githubRoot, 'action.yml'), 'utf8')) as ActionYml;
}

export interface RunnerRun {
  inputs: Record<string, string>;
  workDir: string;
  env?: Record<string, string>;
  /** Defaults to the committed tasks/github/dist bundle: what `uses:` runs. */
  main?: string;
}

export interface RunnerResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  masks: string[];
  errors: string[];
  warnings: string[];
}

/** `name<<DELIM\nvalue\nDELIM` blocks, as core.setOutput writes them. */
function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

export function runnerEnvironment(run: RunnerRun, action: ActionYml): Record<string, string> {
  const temp = join(run.workDir, '_temp');
  const workspace = join(run.workDir, 'repo');
  const files = join(temp, '_runner_file_commands');
  for (const d of [temp, workspace, files]) mkdirSync(d, { recursive: true });
  const file = (name: string) => {
    const p = join(files, `${name}_4f7a9c3e`);
    writeFileSync(p, '');
    return p;
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'contoso/data',
    GITHUB_RUN_ID: '1234567890',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'migrate',
    GITHUB_ACTION: 'docferry',
    GITHUB_ACTION_PATH: githubRoot,
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_OUTPUT: file('set_output'),
    GITHUB_STEP_SUMMARY: file('step_summary'),
    GITHUB_ENV: file('set_env'),
    GITHUB_PATH: file('add_path'),
    GITHUB_STATE: file('save_state'),
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: join(run.workDir, '_tool'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 7',
    RUNNER_ENVIRONMENT: 'github-hosted',
  };
  for (const [name, spec] of Object.entries(action.inputs)) {
    const value = run.inputs[name] ?? spec.default;
    if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const name of Object.keys(run.inputs)) if (!(name in action.inputs)) throw new Error(`test bug: action.yml declares no input "${name}"`);
  return { ...env, ...run.env };
}

export function runAction(run: RunnerRun): Promise<RunnerResult> {
  const action = readActionYml();
  const env = runnerEnvironment(run, action);
  const main = run.main ?? join(githubRoot, action.runs.main);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [main], { cwd: env.GITHUB_WORKSPACE, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n');
      const cmd = (name: string) => lines.filter((l) => l.startsWith(`::${name}`)).map((l) => unescapeData(l.slice(l.indexOf('::', 2) + 2)));
      resolvePromise({
        code: code ?? -1,
        stdout,
        stderr,
        outputs: parseFileCommands(readFileSync(env.GITHUB_OUTPUT!, 'utf8')),
        summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8'),
        masks: cmd('add-mask'),
        errors: cmd('error'),
        warnings: cmd('warning'),
      });
    });
  });
}
