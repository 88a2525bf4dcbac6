import { createHash, randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, rename, rm, rmdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Doc } from '../core/documents.js';
import { IdTable } from '../core/id-table.js';
import { DocferryError, ExitCode, UsageError } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { toolName, toolVersion } from '../core/package-info.js';
import { PRIVATE_FILE_MODE, fsyncDir, fsyncNewDirs, mkdirPrivate } from '../stores/exportdir/fsync.js';
import { journalKey } from '../stores/registry.js';
import type { SourceItem, StoreKind } from '../stores/types.js';
import { zeroCounts, type CollectionCounts, type EventSink, type Operation } from './events.js';

/**
 * A run's checkpoint: a directory holding `checkpoint.json` (what the run is, which collections
 * are finished) and one append-only journal per collection in progress. Each journal line is
 * one unit the target confirmed: the source items it covered (line numbers for a file, ids for
 * a database), the counts it added, and the sink's state after it (an export file's size and
 * sha256). A resumed run skips confirmed items, so at most the batches in flight at the kill
 * are sent again. See docs/reliability.md.
 */

export const CHECKPOINT_FORMAT_VERSION = 1;
const HEADER = 'checkpoint.json';

export class CheckpointError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.inputRefused);
  }
}

/** Another run holds the checkpoint: nothing is wrong with the command, it must wait (exit 1). */
export class CheckpointLockedError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}

const LOCK = 'run.lock';
/** A lock file still empty after this long was left by a run killed while it wrote it. */
const UNWRITTEN_LOCK_STALE_MS = 10_000;

interface LockInfo {
  pid: number;
  host: string;
  started_at: string;
  operation: string;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const l = JSON.parse(text) as LockInfo;
    return typeof l.pid === 'number' && typeof l.host === 'string' && typeof l.started_at === 'string' ? l : undefined;
  } catch {
    return undefined;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One run at a time per checkpoint: `run.lock` in the checkpoint directory, created with O_EXCL,
 * holds the pid, host and start time of the run that owns it. A lock whose process no longer
 * runs on this host is stale (a kill, a crash) and is taken over, with a warning. A lock of
 * another host cannot be checked from here and is never taken over.
 */
async function acquireLock(dir: string, operation: Operation, events: EventSink | undefined): Promise<{ path: string; info: LockInfo }> {
  await fsyncNewDirs(dir, await mkdirPrivate(dir));
  const path = join(dir, LOCK);
  const info: LockInfo = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), operation };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(path, 'wx', PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(`${JSON.stringify(info)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsyncDir(dir);
      return { path, info };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile
    const held = parseLock(text);
    if (held) {
      if (held.host !== info.host) {
        throw new CheckpointLockedError(
          `Another run (pid ${held.pid} on host ${held.host}, started ${held.started_at}) holds the checkpoint ${dir}. ` +
            `Wait for it to finish. If that run is gone for good, delete ${path} and run again.`,
        );
      }
      if (processRuns(held.pid)) {
        throw new CheckpointLockedError(
          `Another run (pid ${held.pid}, started ${held.started_at}) holds the checkpoint ${dir}: two runs on one checkpoint would undo each other's work. ` +
            'Wait for it to finish, then run again with --resume.',
        );
      }
    } else {
      const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
      if (age < UNWRITTEN_LOCK_STALE_MS) {
        throw new CheckpointLockedError(`Another run is starting on the checkpoint ${dir} (its lock ${path} is being written). Wait for it to finish, then run again with --resume.`);
      }
    }
    // Stale. Moved aside first, so that of two runs taking it over at once only one removes it,
    // and a fresh lock another run made meanwhile is put back, never deleted.
    const aside = `${path}.stale-${process.pid}`;
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== text) await link(aside, path).catch(() => {});
    await rm(aside, { force: true });
    if (moved !== text) continue;
    // Reported, not warned: resuming after a kill is what checkpoints are for.
    events?.({
      type: 'info',
      message: held
        ? `The checkpoint ${dir} was locked by run pid ${held.pid} (started ${held.started_at}), which no longer runs on this host: it was interrupted. Taking the lock over.`
        : `The checkpoint ${dir} had an unreadable lock ${path}, left by a run killed as it started. Taking the lock over.`,
    });
  }
  throw new CheckpointLockedError(`Cannot lock the checkpoint ${dir}: other runs keep taking it. Run one at a time.`);
}

interface DoneEntry {
  counts: CollectionCounts;
  /** The sink's finished state (an export file's manifest entry), checked again on resume. */
  finished?: unknown;
  /** The size of the collection's rejects file before this run's rejects, when it had any. */
  rejects_base?: number;
  finished_at: string;
}

interface Header {
  format_version: number;
  tool: string;
  operation: Operation;
  /** What must be the same for the checkpoint to apply: source, target, mode, format, files. */
  fingerprint: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  done: Record<string, DoneEntry>;
  /** The run's id, which names its rejects directory; a resumed run keeps it. Absent before 0.2. */
  run_id?: string;
}

interface JournalLine {
  /** Line ranges [from, to] of a file source. */
  l?: [number, number][];
  /** Keys of database documents. */
  k?: string[];
  /** read, written, skipped, rejected added by this unit. */
  c: [number, number, number, number];
  /** The sink's state after this unit. */
  s?: unknown;
  /**
   * The size of the collection's rejects file once this unit's rejects were written (only on
   * units with rejects, and on a first line that records where the file stood before any).
   */
  r?: number;
}

export interface CommitUnit {
  lines: number[];
  keys: string[];
  delta: CollectionCounts;
  sinkState?: unknown;
  /** The size of the collection's rejects file once this unit's rejects were written. */
  rejectsSize?: number;
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function scopeKey(scope: { database: string; collection: string }): string {
  return `${scope.database}.${scope.collection}`;
}

/**
 * Where a store is, without who signs in to it: scheme and hosts (with port), lower-cased. The
 * user, password, key, auth database and query are left out, so that a run resumed with other
 * or corrected credentials (a wrong password, a key rotated meanwhile) is the same run. Also
 * reads the `<redacted>@` form earlier versions recorded.
 */
export function endpointIdentity(raw: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(raw.trim());
  if (!m) return raw.trim();
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  // A password may hold '/' or '@' (percent-encoded or not): the hosts come after the last '@' of the part before the query.
  const query = rest.indexOf('?');
  const head = query >= 0 ? rest.slice(0, query) : rest;
  const afterUser = head.slice(head.lastIndexOf('@') + 1);
  let hosts = afterUser.split(/[/#]/)[0]!.toLowerCase();
  if (scheme === 'https') hosts = hosts.replace(/:443$/, '');
  return `${scheme}://${hosts}`;
}

/** A fingerprint with its endpoints compared by identity, so that checkpoints of earlier versions still match. */
function comparable(fingerprint: Record<string, unknown>): Record<string, unknown> {
  const out = { ...fingerprint };
  for (const k of ['source', 'target']) {
    const v = out[k];
    if (typeof v === 'string' && v.includes('://')) out[k] = endpointIdentity(v);
  }
  return out;
}

/** A run's id, e.g. `20260212T170000Z-3fa9`: sorts by start time, unique enough for a person to tell runs apart. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/** Short, filesystem-safe name for a run's checkpoint (e.g. per import target). */
export function checkpointName(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12)}`;
}

/**
 * The key a database document is remembered by, as its store's descriptor says: its `_id` for
 * MongoDB (what it is unique by), its `id` plus partition-key value for Cosmos DB (ids are unique
 * per logical partition only).
 */
export function itemKey(doc: Doc, scope: CollectionScope, sourceKind: StoreKind): string | undefined {
  return journalKey(doc, scope, sourceKind);
}

class LineSet {
  private ranges: [number, number][] = [];
  add(from: number, to: number): void {
    this.ranges.push([from, to]);
  }
  /** Sorts and merges; call once after loading. */
  seal(): void {
    this.ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of this.ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.ranges = merged;
  }
  has(line: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.ranges[mid]!;
      if (line < a) hi = mid - 1;
      else if (line > b) lo = mid + 1;
      else return true;
    }
    return false;
  }
  get size(): number {
    return this.ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  }
}

function toRanges(lines: number[]): [number, number][] {
  const sorted = [...lines].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

/** One collection's progress: what is confirmed, and the counts and sink state that go with it. */
export class CollectionCheckpoint {
  private lines = new LineSet();
  private keys = new IdTable();
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Totals of the confirmed units (an earlier run's share of the summary). */
  counts: CollectionCounts = zeroCounts();
  /** The sink's state after the last confirmed unit. */
  sinkState: unknown;
  /** Source items confirmed by earlier runs. */
  restored = 0;
  /**
   * The rejects file's size before the first reject this checkpoint knows of, and after the
   * last confirmed unit's rejects: anything beyond that belongs to units never confirmed.
   */
  rejectsBase: number | undefined;
  rejectsSize: number | undefined;

  constructor(
    private readonly run: RunCheckpoint,
    readonly scope: CollectionScope,
    private readonly path: string,
    private readonly sourceKind: StoreKind,
  ) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const rows = text.split('\n');
    let good = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row === '') continue;
      let entry: JournalLine;
      try {
        entry = JSON.parse(row) as JournalLine;
        if (!Array.isArray(entry.c) || entry.c.length !== 4) throw new Error('no counts');
      } catch {
        // A kill in the middle of an append leaves half a last line: that unit was never confirmed.
        if (i === rows.length - 1) break;
        throw new CheckpointError(`Checkpoint journal ${this.path} is damaged at line ${i + 1}. Delete the checkpoint directory ${this.run.dir} and run again without --resume.`);
      }
      good += row.length + 1;
      for (const [a, b] of entry.l ?? []) this.lines.add(a, b);
      for (const k of entry.k ?? []) this.keys.add(k);
      const [r, w, s, j] = entry.c;
      this.counts = { read: this.counts.read + r, written: this.counts.written + w, skipped: this.counts.skipped + s, rejected: this.counts.rejected + j };
      if (entry.s !== undefined) this.sinkState = entry.s;
      if (typeof entry.r === 'number') {
        this.rejectsBase ??= entry.r;
        this.rejectsSize = entry.r;
      }
    }
    this.lines.seal();
    this.restored = this.lines.size + this.keys.size;
    if (Buffer.byteLength(text) !== good) {
      // Drop the half line so the next append starts on a line of its own.
      const fh = await open(this.path, 'r+');
      await fh.truncate(good);
      await fh.close();
    }
  }

  /** Whether an earlier run already got this item confirmed by the target. */
  isConfirmed(item: SourceItem): boolean {
    const unit = item.position?.element ?? item.position?.line;
    if (unit !== undefined) return this.lines.has(unit);
    if (!item.doc || this.keys.size === 0) return false;
    const key = itemKey(item.doc, this.scope, this.sourceKind);
    return key !== undefined && this.keys.has(key);
  }

  /** How the journal names an item: its line in a file, else its key; undefined when it has neither. */
  keyOf(item: { doc?: Doc; position?: { line?: number; element?: number } }): { line: number } | { key: string } | undefined {
    // A JSON array file's items are named by their element (several may share a line); a file holds one kind or the other.
    const unit = item.position?.element ?? item.position?.line;
    if (unit !== undefined) return { line: unit };
    if (!item.doc) return undefined;
    const key = itemKey(item.doc, this.scope, this.sourceKind);
    return key === undefined ? undefined : { key };
  }

  /** Appends one confirmed unit. Units may be confirmed out of order; each line stands alone. */
  commit(unit: CommitUnit): Promise<void> {
    const line: JournalLine = {
      ...(unit.lines.length ? { l: toRanges(unit.lines) } : {}),
      ...(unit.keys.length ? { k: unit.keys } : {}),
      c: [unit.delta.read, unit.delta.written, unit.delta.skipped, unit.delta.rejected],
      ...(unit.sinkState !== undefined ? { s: unit.sinkState } : {}),
      ...(unit.rejectsSize !== undefined ? { r: unit.rejectsSize } : {}),
    };
    if (unit.rejectsSize !== undefined) {
      this.rejectsBase ??= unit.rejectsSize;
      this.rejectsSize = unit.rejectsSize;
    }
    const text = `${JSON.stringify(line)}\n`;
    const next = this.chain.then(async () => {
      if (!this.fh) {
        this.fh = await open(this.path, 'a', PRIVATE_FILE_MODE);
        // The journal's name must survive a power loss as well as its lines.
        await fsyncDir(this.run.dir);
      }
      await this.fh.write(text);
      // On disk before the unit counts as confirmed: a power loss keeps every line a resume
      // trusts (the target has the unit's documents, the rejects file its rejects).
      await this.fh.datasync();
    });
    this.chain = next.catch(() => {});
    return next;
  }

  /** Forget everything: the sink started the collection over. */
  async reset(): Promise<void> {
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
    await rm(this.path, { force: true });
    this.lines = new LineSet();
    this.keys.clear();
    this.counts = zeroCounts();
    this.sinkState = undefined;
    this.restored = 0;
    this.rejectsBase = undefined;
    this.rejectsSize = undefined;
  }

  async markDone(counts: CollectionCounts, finished: unknown): Promise<void> {
    await this.close();
    await this.run.markDone(this.scope, counts, finished, this.rejectsBase);
    await rm(this.path, { force: true });
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
  }
}

export interface OpenCheckpointOptions {
  dir: string;
  operation: Operation;
  fingerprint: Record<string, unknown>;
  /** Continue from an existing checkpoint; without it an old checkpoint is discarded. */
  resume: boolean;
  sourceKind: StoreKind;
  events?: EventSink;
}

export class RunCheckpoint {
  private header!: Header;
  private chain: Promise<void> = Promise.resolve();
  /** Whether an earlier run's state was loaded. */
  resumed = false;
  private lock: { path: string; info: LockInfo } | undefined;

  private constructor(
    readonly dir: string,
    private readonly sourceKind: StoreKind,
  ) {}

  /**
   * Opens (with `resume`) or starts a checkpoint. A checkpoint written for another source,
   * target, mode or export is refused, never half-applied.
   */
  static async open(o: OpenCheckpointOptions): Promise<RunCheckpoint> {
    const cp = new RunCheckpoint(o.dir, o.sourceKind);
    cp.lock = await acquireLock(o.dir, o.operation, o.events);
    try {
      await cp.start(o);
    } catch (err) {
      await cp.release();
      throw err;
    }
    return cp;
  }

  private async start(o: OpenCheckpointOptions): Promise<void> {
    const startedAt = new Date().toISOString();
    const existing = await readHeader(o.dir);
    if (o.resume && existing) {
      if (existing.format_version > CHECKPOINT_FORMAT_VERSION) {
        throw new CheckpointError(`Checkpoint ${o.dir} has format version ${existing.format_version}, newer than this docferry understands. Resume with the docferry version that wrote it, or run without --resume.`);
      }
      const was = comparable(existing.fingerprint);
      const now = comparable(o.fingerprint);
      if (existing.operation !== o.operation || stable(was) !== stable(now)) {
        const differs = Object.keys({ ...was, ...now }).filter((k) => stable(was[k]) !== stable(now[k]));
        throw new CheckpointError(
          `Cannot resume: the checkpoint in ${o.dir} belongs to a different ${existing.operation} (${differs.join(', ') || 'operation'} changed). ` +
            'Run with the same source, target, mode and files to resume it, or without --resume to start over.',
        );
      }
      this.header = existing;
      this.resumed = true;
      const done = Object.keys(existing.done);
      o.events?.({ type: 'info', message: `resuming from checkpoint ${o.dir}${done.length ? ` (${done.length} collections already finished)` : ''}` });
      return;
    }
    if (o.resume) o.events?.({ type: 'info', message: `no checkpoint in ${o.dir}: starting from the beginning` });
    // An earlier checkpoint is discarded; the lock this run holds stays.
    for (const entry of await readdir(o.dir)) if (entry !== LOCK) await rm(join(o.dir, entry), { recursive: true, force: true });
    this.header = { format_version: CHECKPOINT_FORMAT_VERSION, tool: `${toolName} ${toolVersion}`, operation: o.operation, fingerprint: o.fingerprint, created_at: startedAt, updated_at: startedAt, done: {}, run_id: newRunId() };
    await this.writeHeader();
  }

  /**
   * Lets another run have the checkpoint. Every run calls it when it ends, finished or not; a
   * process that is killed leaves the lock, which the next run finds stale.
   */
  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    if (!lock) return;
    await this.chain;
    const text = await readFile(lock.path, 'utf8').catch(() => undefined);
    const held = text === undefined ? undefined : parseLock(text);
    if (held && held.pid === lock.info.pid && held.started_at === lock.info.started_at) await rm(lock.path, { force: true });
  }

  /**
   * The id of the run this checkpoint belongs to: a resumed run continues the interrupted run's
   * rejects files. Undefined for a checkpoint of an earlier version (its rejects files have no run id).
   */
  get runId(): string | undefined {
    return this.header.run_id;
  }

  done(scope: CollectionScope): DoneEntry | undefined {
    return this.header.done[scopeKey(scope)];
  }

  /** Forget that a collection was finished (its output no longer matches). */
  async undone(scope: CollectionScope): Promise<void> {
    delete this.header.done[scopeKey(scope)];
    await this.writeHeader();
  }

  async collection(scope: CollectionScope): Promise<CollectionCheckpoint> {
    const safe = scopeKey(scope).replace(/[^A-Za-z0-9._-]/g, '_');
    const cp = new CollectionCheckpoint(this, scope, join(this.dir, `${safe}.journal`), this.sourceKind);
    if (this.resumed) await cp.load();
    return cp;
  }

  async markDone(scope: CollectionScope, counts: CollectionCounts, finished: unknown, rejectsBase?: number): Promise<void> {
    this.header.done[scopeKey(scope)] = { counts, ...(finished !== undefined ? { finished } : {}), ...(rejectsBase !== undefined ? { rejects_base: rejectsBase } : {}), finished_at: new Date().toISOString() };
    await this.writeHeader();
  }

  /** The run finished: nothing to resume any more. */
  async remove(): Promise<void> {
    await this.chain;
    await rm(this.dir, { recursive: true, force: true });
    this.lock = undefined;
    // The default homes of import and migrate checkpoints are only ours when empty.
    const parent = dirname(this.dir);
    if (basename(parent) === '_checkpoints' || basename(parent) === 'docferry-checkpoints') await rmdir(parent).catch(() => {});
  }

  private writeHeader(): Promise<void> {
    const next = this.chain.then(async () => {
      this.header.updated_at = new Date().toISOString();
      const path = join(this.dir, HEADER);
      await writeFile(`${path}.partial`, `${JSON.stringify(this.header, null, 2)}\n`, { flush: true, mode: PRIVATE_FILE_MODE });
      await rename(`${path}.partial`, path);
      await fsyncDir(this.dir);
    });
    this.chain = next.catch(() => {});
    return next;
  }
}

async function readHeader(dir: string): Promise<Header | undefined> {
  const path = join(dir, HEADER);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  try {
    const h = JSON.parse(text) as Header;
    if (typeof h.format_version !== 'number' || typeof h.done !== 'object' || !h.fingerprint) throw new Error('missing fields');
    return h;
  } catch (err) {
    throw new CheckpointError(`Checkpoint ${path} is damaged (${(err as Error).message}). Delete ${dir} and run again without --resume.`);
  }
}

/** Refuses when a live run (or one of another host) holds the checkpoint in `dir`; a stale or missing lock passes. */
export async function assertNotLocked(dir: string): Promise<void> {
  const text = await readFile(join(dir, LOCK), 'utf8').catch(() => undefined);
  const held = text === undefined ? undefined : parseLock(text);
  if (!held) return;
  if (held.host !== hostname() || processRuns(held.pid)) {
    throw new CheckpointLockedError(`Another run (pid ${held.pid}${held.host !== hostname() ? ` on host ${held.host}` : ''}, started ${held.started_at}) holds the checkpoint ${dir}. Wait for it to finish; nothing was removed.`);
  }
}

/** Whether a directory holds a checkpoint (for "resume" advice in errors). */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return (await readHeader(dir).catch(() => undefined)) !== undefined;
}

/**
 * The checkpoint of an import or migrate. Without --resume or an explicit --checkpoint, a place
 * that cannot be written (a read-only export directory) only costs the ability to resume: the
 * run goes on, with a warning that says how to get it back.
 */
export async function openRunCheckpoint(o: OpenCheckpointOptions & { explicit: boolean }): Promise<RunCheckpoint | undefined> {
  try {
    return await RunCheckpoint.open(o);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (o.resume || o.explicit || !(code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR')) throw err;
    o.events?.({ type: 'warning', message: `Cannot keep a checkpoint in ${o.dir} (${code}): this run cannot be resumed if interrupted. Pass --checkpoint <dir> to keep one elsewhere.` });
    return undefined;
  }
}
