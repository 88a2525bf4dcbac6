import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '../src/engine/events.js';
import type { Manifest } from '../src/core/manifest.js';
import { AUTH_COLLECTIONS, COPILOT_COLLECTIONS, databaseOf, type SyntheticCollection } from '../src/synthetic/copilot.js';
import type { ChildRun } from './process.js';

export const ALL_COLLECTIONS: readonly SyntheticCollection[] = [...COPILOT_COLLECTIONS, ...AUTH_COLLECTIONS];
export { databaseOf };

/** One line of the results table. */
export interface Measurement {
  section: string;
  what: string;
  docs: number;
  /** NDJSON bytes of the same documents (the export files), for MB/s. */
  bytes?: number;
  seconds: number;
  peakRssMb?: number;
  /**
   * CPU time of the client (user + system, every thread): docferry's process, or the benchmark
   * process for the raw and strategy rows, which run in it. Seconds.
   */
  cpuSeconds?: number;
  /** CPU time the database server's process spent during the run (FerretDB, from /proc), seconds. */
  serverCpuSeconds?: number;
  /** The limit this figure is a ratio to, and the ratio. */
  versus?: { label: string; ratio: number };
  /** Cosmos DB: consumption against the budget. */
  ru?: { consumed: number; perSecond: number; budget?: number; throttledRequests: number; requests: number; throttledOps: number; ops: number };
  note?: string;
}

export function docsPerSecond(m: Pick<Measurement, 'docs' | 'seconds'>): number {
  return m.seconds > 0 ? m.docs / m.seconds : 0;
}

export type Log = (line: string) => void;

/** Wall time of `work`, and the CPU time this process spent meanwhile (the servers run in it too for Cosmos DB). */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/**
 * CPU time (user + system, every thread) a process has used so far, from /proc/<pid>/stat;
 * undefined where that cannot be read (no pid, not Linux, the process gone).
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start past its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: /proc counts CPU time in ticks of 1/100 s on every architecture Node.js runs on. */
const CLOCK_TICKS = 100;

/** Runs `work` and says how much CPU the server process `pid` used meanwhile (undefined when unreadable). */
export async function withServerCpu<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ value: T; serverCpuSeconds: number | undefined }> {
  const before = processCpuSeconds(pid);
  const value = await work();
  const after = processCpuSeconds(pid);
  return { value, serverCpuSeconds: before !== undefined && after !== undefined ? after - before : undefined };
}

/** The JSON summary docferry prints with --json; throws with its stderr when the run failed. */
export function summaryOf(run: ChildRun, what: string): RunSummary {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  return JSON.parse(run.stdout) as RunSummary;
}

export async function exportManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

export async function exportBytes(dir: string): Promise<number> {
  return (await exportManifest(dir)).files.reduce((sum, f) => sum + f.bytes, 0);
}

/** Groups an iterable into arrays of `size`. */
export function* chunked<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
