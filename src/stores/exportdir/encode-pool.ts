import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DocferryError } from '../../core/errors.js';
import type { EncodedChunk } from './encode-chunk.js';
import type { EncodeReply, EncodeRequest } from './encode-worker.js';

// ---------------------------------------------------------------------------------------------
// The export's encoding worker thread, main-thread side (docs/BENCHMARKS.md, "Both cores").
//
// `--encode-threads auto` (the default) starts one only where a core is likely to be free for it:
// os.availableParallelism() >= AUTO_WORKER_CORES (it follows the process's CPU affinity, so
// `taskset -c 0` is one core), and only when the worker's module is where this one expects it.
// On two cores measured beside the database (docs/BENCHMARKS.md, "Both cores") the worker took the
// server's core and cost about 10 % more CPU a document for a small gain in docs/s: a 2-core agent
// shared with a database or other jobs is the case issue #20 names, so it keeps the main thread
// unless `--encode-threads 1` says otherwise.
// ---------------------------------------------------------------------------------------------

export const ENCODE_THREADS = ['auto', '0', '1'] as const;

/** Cores `auto` asks for before it starts a worker. */
export const AUTO_WORKER_CORES = 4;
export type EncodeThreads = (typeof ENCODE_THREADS)[number];

/**
 * The worker's module beside this one, in the form this one is: `.ts` under tsx (tests), `.js`
 * in dist/ (bin/docferry.js), `.mjs` in the benchmark's bundle (bench/process.ts builds it beside
 * the CLI). Undefined where there is none: the pipeline tasks' single-file bundles.
 */
export function encodeWorkerUrl(): URL | undefined {
  try {
    const here = import.meta.url;
    const ext = /\.(ts|js|mjs|cjs)$/.exec(new URL(here).pathname)?.[0];
    if (!ext) return undefined;
    const url = new URL(`./encode-worker${ext}`, here);
    return existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The worker to use for `setting`, or undefined to encode on the main thread. */
export function encodeWorkerFor(setting: EncodeThreads | undefined): URL | undefined {
  if (setting === '0') return undefined;
  if (setting === '1') {
    const url = encodeWorkerUrl();
    if (!url) throw new DocferryError('--encode-threads 1: this build of docferry has no encoding worker (encode-worker.js beside its export sink); use --encode-threads 0 or auto.');
    return url;
  }
  return availableParallelism() >= AUTO_WORKER_CORES ? encodeWorkerUrl() : undefined;
}

let running = 0;
let started = 0;
/** Encoding workers started and not yet exited, and started in all, in this process (for the tests). */
export function encodeWorkerCounts(): { running: number; started: number } {
  return { running, started };
}

/** Boots a TypeScript worker module under tsx, as the tests run: worker threads do not inherit its loader on Node 20. */
const TSX_BOOT = `const { workerData } = require('node:worker_threads');
(async () => { (await import(workerData.tsx)).register(); await import(workerData.entry); })();`;

/**
 * tsx's ESM API (its `register`), found from this module: require.resolve gives the CommonJS
 * build, whose `register` does not find its loader when imported; the ESM build sits beside it.
 * (Not import.meta.resolve: the task bundles are CommonJS, where esbuild empties import.meta.)
 */
function tsxApiUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

interface Pending {
  resolve(chunk: EncodedChunk): void;
  reject(err: Error): void;
}

/**
 * One worker thread encoding chunks in the order they are sent (it answers each before it reads
 * the next). Idle, it does not keep the process alive; `terminate` ends it and fails whatever
 * was still pending.
 */
export class EncodeWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  constructor(
    private readonly url: URL,
    private readonly relaxed: boolean,
  ) {}

  private start(): Worker {
    const typescript = this.url.pathname.endsWith('.ts');
    const workerData = { relaxed: this.relaxed, ...(typescript ? { entry: this.url.href, tsx: tsxApiUrl() } : {}) };
    const worker = typescript ? new Worker(TSX_BOOT, { eval: true, workerData }) : new Worker(this.url, { workerData });
    running++;
    started++;
    worker.on('message', (reply: EncodeReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      running--;
      this.fail(new Error(`the encoding worker thread stopped (exit code ${code})`));
    });
    worker.unref();
    return worker;
  }

  private settle(reply: EncodeReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in reply) {
      p.reject(new Error(reply.error));
      return;
    }
    p.resolve({ out: Buffer.from(reply.out, 0, reply.used), used: reply.used, ends: new Int32Array(reply.ends), lengths: new Int32Array(reply.lengths) });
  }

  /** Fails every pending chunk and every later one: a worker that failed once is not trusted again. */
  private fail(err: Error): void {
    this.failure ??= err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.failure);
  }

  /** Encodes the documents (copied into one buffer, which is transferred); resolves with their lines. */
  encode(bsons: Uint8Array[]): Promise<EncodedChunk> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker ??= this.start();
    let total = 0;
    for (const b of bsons) total += b.length;
    const bson = Buffer.allocUnsafeSlow(total);
    const ends = new Int32Array(bsons.length);
    let at = 0;
    for (let k = 0; k < bsons.length; k++) {
      bson.set(bsons[k]!, at);
      at += bsons[k]!.length;
      ends[k] = at;
    }
    const id = this.nextId++;
    return new Promise<EncodedChunk>((resolve, reject) => {
      // Waiting for a reply keeps the process alive (an idle worker does not).
      if (this.pending.size === 0) this.worker!.ref();
      this.pending.set(id, { resolve, reject });
      const request: EncodeRequest = { id, bson: bson.buffer as ArrayBuffer, ends: ends.buffer };
      this.worker!.postMessage(request, [request.bson, request.ends]);
    });
  }

  /** Whether it failed (or was ended): it encodes nothing more. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Ends the thread (pending chunks fail); resolves once it has exited. */
  async terminate(): Promise<void> {
    const worker = this.worker;
    this.failure ??= new Error('the encoding worker thread was stopped');
    this.fail(this.failure);
    if (!worker) return;
    this.worker = undefined;
    await worker.terminate();
  }
}
