/**
 * Test support: a real MongoDB-wire-compatible server for the test suite.
 *
 * Uses FerretDB v1 embedded in a small Go launcher (tools/ferretdb/), backed by
 * SQLite (default, fresh temp dir per server) or PostgreSQL (fresh database per
 * server on 127.0.0.1:5432). Set DOCFERRY_TEST_MONGO_URI to use an external
 * server (e.g. a real mongod) instead; then nothing is built or spawned.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';

export interface MongoTestServer {
  uri: string;
  /** true when pointed at DOCFERRY_TEST_MONGO_URI */
  external: boolean;
  /** The FerretDB launcher's process id (absent for an external server): the benchmark reads its CPU time. */
  pid?: number;
  stop(): Promise<void>;
}

export interface StartMongoTestServerOptions {
  handler?: 'sqlite' | 'postgresql';
}

/** How long to wait for the LISTENING line and then for a successful ping. */
const START_TIMEOUT_MS = 60_000;
/** Grace period between SIGTERM and SIGKILL in stop(). */
const STOP_GRACE_MS = 5_000;
/** Keep at most this much launcher stderr for error messages. */
const STDERR_LIMIT = 64 * 1024;

const PG_HOST = process.env.DOCFERRY_TEST_PG_HOST ?? '127.0.0.1';
const PG_PORT = process.env.DOCFERRY_TEST_PG_PORT ?? '5432';
const PG_USER = process.env.DOCFERRY_TEST_PG_USER ?? 'postgres';

function findToolDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'tools', 'ferretdb');
    if (existsSync(join(candidate, 'go.mod'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error('ferretdb test support: cannot find tools/ferretdb/go.mod above ' + fileURLToPath(import.meta.url));
    }
    dir = parent;
  }
}

let buildPromise: Promise<string> | undefined;

/**
 * Builds tools/ferretdb/bin/ferretdb-launcher when missing or stale (build.sh
 * is incremental) and returns its absolute path. Cached per process.
 */
export async function ensureFerretDbBuilt(): Promise<string> {
  if (!buildPromise) {
    const p = buildLauncher();
    buildPromise = p;
    // Let a failed build be retried by a later call.
    p.catch(() => {
      if (buildPromise === p) buildPromise = undefined;
    });
  }
  return buildPromise;
}

async function buildLauncher(): Promise<string> {
  const toolDir = findToolDir();
  const bin = join(toolDir, 'bin', 'ferretdb-launcher');
  const { code, signal, output } = await run('bash', [join(toolDir, 'build.sh')], { cwd: toolDir });
  if (code !== 0) {
    throw new Error(
      `building ferretdb-launcher failed (${signal ?? `exit ${code}`}); is Go >= 1.24 on PATH?\n${output}`,
    );
  }
  if (!existsSync(bin)) throw new Error(`ferretdb-launcher build succeeded but ${bin} is missing\n${output}`);
  return bin;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

// ---------------------------------------------------------------------------
// Cleanup of everything still alive when the test process exits.

interface Resources {
  child?: ChildProcess;
  tempDir?: string;
  pgDatabase?: string;
}

const live = new Set<Resources>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const r of live) {
      try {
        if (r.child && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      } catch {
        // ignore
      }
      if (r.tempDir) rmSync(r.tempDir, { recursive: true, force: true });
      if (r.pgDatabase) psqlSync(`DROP DATABASE IF EXISTS ${quoteIdent(r.pgDatabase)} WITH (FORCE)`);
    }
    live.clear();
  });
}

// ---------------------------------------------------------------------------
// PostgreSQL helpers (psql over TCP with trust auth).

function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

function psqlArgs(sql: string): string[] {
  return ['-h', PG_HOST, '-p', PG_PORT, '-U', PG_USER, '-d', 'postgres', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql];
}

function psqlSync(sql: string): void {
  spawnSync('psql', psqlArgs(sql), { stdio: 'ignore', timeout: 10_000 });
}

async function psql(sql: string): Promise<void> {
  const { code, signal, output } = await run('psql', psqlArgs(sql));
  if (code !== 0) throw new Error(`psql failed (${signal ?? `exit ${code}`}) running ${sql}:\n${output}`);
}

function pgUrl(database: string): string {
  return `postgres://${encodeURIComponent(PG_USER)}@${PG_HOST}:${PG_PORT}/${encodeURIComponent(database)}`;
}

// ---------------------------------------------------------------------------

/**
 * Starts a fresh FerretDB server (or returns DOCFERRY_TEST_MONGO_URI when set)
 * and resolves once it answers `ping`. Always call stop() (e.g. in `after`).
 */
export async function startMongoTestServer(opts: StartMongoTestServerOptions = {}): Promise<MongoTestServer> {
  const externalUri = process.env.DOCFERRY_TEST_MONGO_URI;
  if (externalUri) {
    return { uri: externalUri, external: true, stop: async () => {} };
  }

  const handler = opts.handler ?? 'sqlite';
  const bin = await ensureFerretDbBuilt();
  installExitHook();

  const res: Resources = {};
  live.add(res);

  const args = ['-listen', '127.0.0.1:0', '-handler', handler];
  try {
    if (handler === 'sqlite') {
      res.tempDir = mkdtempSync(join(tmpdir(), 'docferry-ferretdb-'));
      args.push('-sqlite-dir', res.tempDir);
    } else {
      const db = `docferry_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      await psql(`CREATE DATABASE ${quoteIdent(db)}`);
      res.pgDatabase = db;
      args.push('-postgresql-url', pgUrl(db));
    }

    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    res.child = child;

    const uri = await waitForListening(child, `${bin} ${args.join(' ')}`);
    await waitForPing(uri, child);

    // A forgotten stop() must not keep the test runner alive; the exit hook kills it.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

    let stopping: Promise<void> | undefined;
    return {
      uri,
      external: false,
      ...(child.pid !== undefined ? { pid: child.pid } : {}),
      stop: () => (stopping ??= cleanup(res)),
    };
  } catch (err) {
    await cleanup(res);
    throw err;
  }
}

const stderrOf = new WeakMap<ChildProcess, () => string>();

function waitForListening(child: ChildProcess, commandLine: string): Promise<string> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (stderr.length > STDERR_LIMIT) stderr = stderr.slice(-STDERR_LIMIT);
  });
  stderrOf.set(child, () => stderr);

  return new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let settled = false;
    const finish = (err: Error | undefined, uri?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) {
        lines.close();
        reject(err);
      } else {
        // Keep draining stdout so the child can never block on a full pipe.
        lines.on('line', () => {});
        resolve(uri!);
      }
    };
    const describe = (what: string): Error =>
      new Error(`ferretdb-launcher ${what}\ncommand: ${commandLine}\nstderr:\n${stderr || '(empty)'}`);

    const timer = setTimeout(
      () => finish(describe(`did not print LISTENING within ${START_TIMEOUT_MS / 1000}s`)),
      START_TIMEOUT_MS,
    );
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Give stderr a moment to flush before reporting.
      setTimeout(() => finish(describe(`exited before listening (${signal ?? `exit ${code}`})`)), 50);
    };
    const onError = (err: Error): void => finish(describe(`could not be started: ${err.message}`));
    child.on('exit', onExit);
    child.on('error', onError);

    lines.on('line', (line) => {
      const m = /^LISTENING (mongodb:\/\/\S+)$/.exec(line.trim());
      if (m) finish(undefined, m[1]);
    });
  });
}

async function waitForPing(uri: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close().catch(() => {});
    }
  }
  const stderr = stderrOf.get(child)?.() ?? '';
  throw new Error(
    `ferretdb-launcher at ${uri} did not answer ping` +
      (child.exitCode !== null || child.signalCode !== null ? ` (exited: ${child.signalCode ?? child.exitCode})` : '') +
      `: ${lastError instanceof Error ? lastError.message : String(lastError)}\nstderr:\n${stderr || '(empty)'}`,
  );
}

async function cleanup(res: Resources): Promise<void> {
  try {
    if (res.child) await terminate(res.child);
    if (res.tempDir) rmSync(res.tempDir, { recursive: true, force: true });
    if (res.pgDatabase) await psql(`DROP DATABASE IF EXISTS ${quoteIdent(res.pgDatabase)} WITH (FORCE)`);
  } finally {
    live.delete(res);
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
