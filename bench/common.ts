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
