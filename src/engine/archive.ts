/**
 * The archive stage: an export directory <-> a prefix in a Blob Storage container, checked
 * against the export's manifest both ways.
 *
 * Push checks the export as an import would, uploads the data files, and uploads manifest.json
 * last: a prefix without a manifest is a push that did not finish, and list/pull treat it so.
 * Pull downloads into a new or empty directory (each file under a temporary name, hashed on the
 * way, renamed once it matches the manifest), writes the manifest last, and runs the import's
 * own check over the result; when anything fails nothing is left behind in the directory.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { DocferryError, InputRefusedError, UsageError, errorMessage } from '../core/errors.js';
import { MANIFEST_FILE, countKey, type LegacyManifest, type Manifest } from '../core/manifest.js';
import { listArchiveEntries, fetchManifest, newestComplete, newestFirst, type ArchiveEntry, type ParsedManifest } from '../stores/blob/catalog.js';
import { openContainer, type ArchiveTarget } from '../stores/blob/connection.js';
import { blobErrorCode, blobStatus, describeBlobError } from '../stores/blob/errors.js';
import { defaultPrefix, manifestBlobName, normalizePrefix, safeRelativePath } from '../stores/blob/naming.js';
import { forEachLimit } from '../core/concurrency.js';
import { SHA256_METADATA, downloadBlobToFile, uploadFileAsBlockBlob, type DownloadedBlob } from '../stores/blob/transfer.js';
import { checkExportDir, digestFile, type CheckedExport } from '../stores/exportdir/check.js';
import { PRIVATE_FILE_MODE, fsyncDir, mkdirPrivate } from '../stores/exportdir/fsync.js';
import { ignoreEvents, type EventSink } from './events.js';

export type { ArchiveTarget } from '../stores/blob/connection.js';
export type { ArchiveEntry, ArchiveStatus } from '../stores/blob/catalog.js';

/** Defaults sized for a shared 2-core agent: at most 2 files x ~11 buffers x 4 MiB in memory. */
export const ARCHIVE_DEFAULTS = { blockSize: 4 * 1024 * 1024, blockConcurrency: 8, filesAtOnce: 2, downloadsAtOnce: 4 } as const;

const PROGRESS_INTERVAL_MS = 5000;

export interface ArchivePushOptions {
  exportDir: string;
  target: ArchiveTarget;
  /** Default: the export directory's base name, e.g. `data-export-20260212T170000/`. */
  prefix?: string;
  /** Push an export that is incomplete, failed or does not match its manifest (it stays so in the archive). */
  allowPartial?: boolean;
  /** Replace an archive already at the prefix (its manifest is removed first, so it is never mixed with the new files). */
  overwrite?: boolean;
  /** Create the container when missing (local storage; pulumi/archive provisions real ones). */
  createContainer?: boolean;
  /** Blocks in flight per file. */
  concurrency?: number;
  blockSize?: number;
  events?: EventSink;
}

export interface ArchivePushResult {
  prefix: string;
  /** Blobs written, the manifest included. */
  files: number;
  bytes: number;
  /** The container URL without any query. */
  container: string;
  durationMs: number;
  warnings: string[];
}

export interface ArchivePullOptions {
  target: ArchiveTarget;
  /** Default: the newest export whose manifest says complete, by its exported_at. */
  prefix?: string;
  /** Must not exist or be empty. */
  destDir: string;
  /** Pull an export that is not complete or does not match its manifest; the import then needs --allow-partial too. */
  allowPartial?: boolean;
  /** Files downloaded at once. */
  concurrency?: number;
  events?: EventSink;
}

export interface ArchivePullResult {
  dir: string;
  prefix: string;
  manifest: Manifest | LegacyManifest;
  /** Files written, the manifest included. */
  files: number;
  bytes: number;
  container: string;
  durationMs: number;
  warnings: string[];
}

export interface ArchiveListOptions {
  target: ArchiveTarget;
}

interface FileToPush {
  relPath: string;
  absPath: string;
  bytes: number;
  sha256: string;
  gzip: boolean;
}

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** A progress line every few seconds for a file that takes that long; nothing for small ones. */
function progressReporter(events: EventSink, verb: string, rel: string, total: number): (done: number) => void {
  const started = Date.now();
  let last = started;
  return (done) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
    events({ type: 'info', message: `${verb} ${rel}: ${mb(done)} of ${mb(total)}${pct}, ${mb((done * 1000) / Math.max(1, now - started))}/s` });
  };
}

async function checkBeforePush(exportDir: string, allowPartial: boolean): Promise<CheckedExport> {
  try {
    return await checkExportDir(exportDir, allowPartial ? { allowPartial: true } : {});
  } catch (err) {
    if (err instanceof InputRefusedError) {
      throw new InputRefusedError(`Not pushing ${exportDir}: it fails the check an import would run, and an archive must never look more complete than its export. Nothing was uploaded.\n${err.message}`);
    }
    throw err;
  }
}

/** What to upload: the files the manifest lists and the check found, with the digest the blob must end up with. */
async function filesToPush(checked: CheckedExport, trustManifest: boolean): Promise<FileToPush[]> {
  const listed = new Map((checked.manifest?.files ?? []).map((f) => [f.path, f]));
  const out: FileToPush[] = [];
  for (const f of checked.files) {
    const entry = listed.get(f.relPath);
    // A checked current manifest vouches for size and hash; otherwise hash what is on disk.
    const digest = trustManifest && entry ? { bytes: entry.bytes, sha256: entry.sha256 } : await digestFile(f.absPath);
    out.push({ relPath: f.relPath, absPath: f.absPath, bytes: digest.bytes, sha256: digest.sha256, gzip: f.compression === 'gzip' });
  }
  return out;
}

async function namesUnder(container: ContainerClient, prefix: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const blob of container.listBlobsFlat({ prefix })) names.add(blob.name);
  return names;
}

export async function archivePush(o: ArchivePushOptions): Promise<ArchivePushResult> {
  const events = o.events ?? ignoreEvents;
  const started = Date.now();
  const prefix = o.prefix !== undefined ? normalizePrefix(o.prefix) : defaultPrefix(o.exportDir);
  const checked = await checkBeforePush(o.exportDir, o.allowPartial ?? false);
  const warnings = [...checked.warnings];
  for (const message of checked.warnings) events({ type: 'warning', message });
  const strict = !o.allowPartial && checked.manifestKind === 'current';
  const files = await filesToPush(checked, strict);
  const manifestBytes = await readFile(join(o.exportDir, MANIFEST_FILE));

  const { client: container, display } = await openContainer(o.target);
  const where = `${display}/${prefix}`;
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw describeBlobError(err, display, what);
    }
  };

  if (o.createContainer) await step('creating the container', () => container.createIfNotExists());
  const existing = await step(`listing ${prefix}`, () => namesUnder(container, prefix));
  const manifestName = manifestBlobName(prefix);
  if (existing.has(manifestName)) {
    if (!o.overwrite) {
      throw new UsageError(`${where} already holds an archived export (it has a manifest.json). Choose another --prefix, or pass --overwrite to replace it. Nothing was uploaded.`);
    }
    const message = `--overwrite: replacing the archived export at ${where}; its manifest is removed first so the prefix never looks complete with mixed files.`;
    warnings.push(message);
    events({ type: 'warning', message });
    await step(`removing the old manifest of ${prefix}`, () => container.getBlobClient(manifestName).deleteIfExists());
  } else if (existing.size > 0) {
    const message = `${where} holds ${existing.size} blobs of a push that did not finish (no manifest); they are replaced.`;
    warnings.push(message);
    events({ type: 'warning', message });
  }

  const total = files.reduce((n, f) => n + f.bytes, 0);
  events({ type: 'info', message: `pushing ${files.length} files (${mb(total)}) from ${o.exportDir} to ${where}` });
  const abort = new AbortController();
  const blockSize = o.blockSize ?? ARCHIVE_DEFAULTS.blockSize;
  const concurrency = o.concurrency ?? ARCHIVE_DEFAULTS.blockConcurrency;
  try {
    await forEachLimit(files, ARCHIVE_DEFAULTS.filesAtOnce, async (f) => {
      const blobName = `${prefix}${f.relPath}`;
      const sent = await step(`uploading ${blobName}`, () =>
        uploadFileAsBlockBlob(container, blobName, f.absPath, {
          blockSize,
          concurrency,
          contentType: f.gzip ? 'application/gzip' : 'application/x-ndjson',
          metadata: { [SHA256_METADATA]: f.sha256 },
          abortSignal: abort.signal,
          onProgress: progressReporter(events, 'uploading', f.relPath, f.bytes),
        }),
      );
      if (sent.sha256 !== f.sha256 || sent.bytes !== f.bytes) {
        throw new InputRefusedError(
          `${join(o.exportDir, f.relPath)} changed while it was being pushed (${sent.bytes} bytes, sha256 ${sent.sha256.slice(0, 16)}…; checked as ${f.bytes} bytes, ${f.sha256.slice(0, 16)}…). ` +
            `Nothing writes to an export after it finished: find what does, then push again. ${where} has no manifest, so it is not offered as an export.`,
        );
      }
      events({ type: 'info', message: `uploaded ${f.relPath} (${mb(f.bytes)})` });
    });
  } catch (err) {
    abort.abort();
    if (err instanceof DocferryError && !(err instanceof InputRefusedError)) {
      throw new DocferryError(`${err.message}\nThe push stopped before its manifest, so ${where} is not offered as an export; push again (same --prefix) once the cause is fixed.`, err.exitCode, { cause: err });
    }
    throw err;
  }

  // Leftovers of an earlier push to this prefix that the new manifest does not list.
  const keep = new Set([manifestName, ...files.map((f) => `${prefix}${f.relPath}`)]);
  for (const name of existing) {
    if (!keep.has(name)) await step(`removing the stale blob ${name}`, () => container.getBlobClient(name).deleteIfExists());
  }

  await step(`uploading ${manifestName}`, async () => {
    try {
      await container.getBlockBlobClient(manifestName).upload(manifestBytes, manifestBytes.length, {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata: { [SHA256_METADATA]: sha256Hex(manifestBytes) },
        // Without --overwrite a manifest that appeared meanwhile (a concurrent push) is never replaced.
        ...(o.overwrite ? {} : { conditions: { ifNoneMatch: '*' } }),
      });
    } catch (err) {
      if (!o.overwrite && (blobStatus(err) === 409 || blobStatus(err) === 412) && (blobErrorCode(err) === 'BlobAlreadyExists' || blobErrorCode(err) === 'ConditionNotMet')) {
        throw new UsageError(`Another push wrote ${manifestName} while this one ran; it was left as it is. Check ${where} with docferry archive list, or push to another --prefix.`);
      }
      throw err;
    }
  });
  const durationMs = Date.now() - started;
  const bytes = total + manifestBytes.length;
  events({ type: 'info', message: `pushed ${files.length + 1} files (${mb(bytes)}) to ${where} in ${(durationMs / 1000).toFixed(1)}s` });
  return { prefix, files: files.length + 1, bytes, container: display, durationMs, warnings };
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Returns whether the directory was created here (so a failed pull can remove it again). */
async function prepareDestination(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdirPrivate(dir);
      return true;
    }
    throw new DocferryError(`Cannot use ${dir} as --dest-dir: ${errorMessage(err)}`);
  }
  if (entries.length > 0) {
    throw new UsageError(`--dest-dir ${dir} is not empty${entries.includes(MANIFEST_FILE) ? ' (it already holds an export)' : ''}. Pull into a new or empty directory; a pull never mixes files with others.`);
  }
  return false;
}

async function emptyDestination(dir: string, created: boolean): Promise<void> {
  if (created) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
}

interface FileToPull {
  relPath: string;
  bytes?: number;
  sha256?: string;
}

function filesToPull(parsed: ParsedManifest, where: string): FileToPull[] {
  if (parsed.kind === 'current') {
    return parsed.manifest.files.map((f) => ({ relPath: safeRelativePath(f.path, where), bytes: f.bytes, sha256: f.sha256 }));
  }
  // The original scripts listed collections, not files; -1 marked a collection whose file is unusable.
  const counts = parsed.manifest.document_counts ?? {};
  return Object.entries(parsed.manifest.databases).flatMap(([db, colls]) =>
    (colls ?? []).filter((c) => counts[countKey(db, c)] !== -1).map((c) => ({ relPath: safeRelativePath(`${db}/${c}.json`, where) })),
  );
}

function statusProblem(parsed: ParsedManifest): string | undefined {
  if (parsed.kind === 'current') {
    if (parsed.manifest.status === 'complete') return undefined;
    const failed = (parsed.manifest.failures ?? []).map((f) => `${f.database}.${f.collection} (${f.message})`).join('; ');
    return `its manifest says "${parsed.manifest.status}"${failed ? `: ${failed}` : ''}`;
  }
  const failed = Object.entries(parsed.manifest.document_counts ?? {}).filter(([, n]) => n === -1).map(([k]) => k);
  return failed.length > 0 ? `the original export recorded ${failed.join(', ')} as failed (count -1)` : undefined;
}

export async function archivePull(o: ArchivePullOptions): Promise<ArchivePullResult> {
  const events = o.events ?? ignoreEvents;
  const started = Date.now();
  const dir = o.destDir;
  const allowPartial = o.allowPartial ?? false;
  const { client: container, display } = await openContainer(o.target);
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw describeBlobError(err, display, what);
    }
  };

  let prefix: string;
  if (o.prefix !== undefined) {
    prefix = normalizePrefix(o.prefix);
  } else {
    const entries = await step('listing the archived exports', () => listArchiveEntries(container, display));
    const newest = newestComplete(entries);
    for (const e of entries.filter((x) => x.status === 'damaged' || x.status === 'unreadable')) {
      events({ type: 'warning', message: `not considered: ${e.prefix} is ${e.status} (${(e.note ?? '').split('\n')[0]})` });
    }
    if (!newest) {
      const others = entries.map((e) => `${e.prefix} (${e.status}${e.shard ? `, shard ${e.shard}` : ''})`).join(', ');
      const shards = entries.some((e) => e.shard) ? ' Shards of a sharded export are pulled by name, each with --prefix, and joined with docferry manifest merge.' : '';
      throw new InputRefusedError(`${display} holds no complete archived export${others ? `; it has only ${others}` : ''}. Push a complete export first, or name one with --prefix.${shards}`);
    }
    const newerShard = entries.find((e) => e.shard && e.status === 'complete' && newestFirst(e, newest) < 0);
    if (newerShard) events({ type: 'warning', message: `not considered: ${newerShard.prefix} and other newer archives are shards of a sharded export (shard ${newerShard.shard}); pull each with --prefix and join them with docferry manifest merge to restore it.` });
    prefix = newest.prefix;
    events({ type: 'info', message: `newest complete export in ${display}: ${prefix} (exported ${newest.exportedAt ?? 'at an unknown time'})` });
  }
  const where = `${display}/${prefix}`;
  const fetched = await step(`reading ${manifestBlobName(prefix)}`, () => fetchManifest(container, prefix, display));
  if (!fetched) {
    throw new InputRefusedError(
      `${where} has no manifest.json: nothing was pushed there, or the push did not finish (the manifest is uploaded last). ` +
        'docferry archive list shows the archived exports.',
    );
  }
  const problem = statusProblem(fetched.parsed);
  if (problem && !allowPartial) {
    throw new InputRefusedError(`Not pulling ${where}: ${problem}; it did not finish. Pull a complete export, or pass --allow-partial to pull it anyway (the import then needs --allow-partial too). Nothing was downloaded.`);
  }
  const files = filesToPull(fetched.parsed, `${where}${MANIFEST_FILE}`);

  const created = await prepareDestination(dir);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    events({ type: 'warning', message });
  };
  if (problem) warn(`--allow-partial: pulling ${where} although ${problem}.`);
  const abort = new AbortController();
  let bytes = 0;
  try {
    events({ type: 'info', message: `pulling ${files.length} files from ${where} into ${dir}` });
    await forEachLimit(files, o.concurrency ?? ARCHIVE_DEFAULTS.downloadsAtOnce, async (f) => {
      const blobName = `${prefix}${f.relPath}`;
      const dest = join(dir, f.relPath);
      await mkdirPrivate(dirname(dest));
      const accept = (got: DownloadedBlob) => {
        const mismatch = blobMismatch(f, got);
        if (!mismatch) {
          if (got.metadataSha256 && f.sha256 && got.metadataSha256.toLowerCase() !== f.sha256) {
            warn(`blob ${blobName}: content matches the manifest but its sha256 metadata does not (metadata changed after the push).`);
          }
          return;
        }
        const message = `Blob ${display}/${blobName} does not match the archived manifest: ${mismatch}. The archive was changed or damaged after the push.`;
        if (!allowPartial) throw new InputRefusedError(`${message} Nothing usable was left in ${dir}. Push the export again from a good copy, or pull another export (docferry archive list).`);
        warn(`--allow-partial: keeping ${f.relPath} although: ${message}`);
      };
      let got: DownloadedBlob;
      try {
        got = await downloadBlobToFile(container, blobName, dest, accept, { abortSignal: abort.signal });
      } catch (err) {
        if (blobStatus(err) === 404 && blobErrorCode(err) !== 'ContainerNotFound') {
          const message = `Blob ${display}/${blobName} is listed in the archived manifest but missing.`;
          if (!allowPartial) throw new InputRefusedError(`${message} Nothing usable was left in ${dir}. Push the export again, or pull another export (docferry archive list).`);
          warn(`--allow-partial: ${message}`);
          return;
        }
        throw describeBlobError(err, display, `downloading ${blobName}`);
      }
      bytes += got.bytes;
      events({ type: 'info', message: `downloaded ${f.relPath} (${mb(got.bytes)})` });
    });
    // Last, as the export itself did: a directory with a manifest is one whose files all arrived.
    const manifestPath = join(dir, MANIFEST_FILE);
    await writeFile(`${manifestPath}.partial`, fetched.bytes, { flush: true, mode: PRIVATE_FILE_MODE });
    await rename(`${manifestPath}.partial`, manifestPath);
    await fsyncDir(dir);
    bytes += fetched.bytes.length;
    let checked: CheckedExport;
    try {
      checked = await checkExportDir(dir, allowPartial ? { allowPartial: true } : {});
    } catch (err) {
      if (err instanceof InputRefusedError) {
        throw new InputRefusedError(`The export pulled from ${where} fails the import check, so it was removed from ${dir}:\n${err.message}`);
      }
      throw err;
    }
    for (const w of checked.warnings) warn(w);
  } catch (err) {
    abort.abort();
    await emptyDestination(dir, created);
    throw err;
  }
  const durationMs = Date.now() - started;
  events({ type: 'info', message: `pulled ${files.length + 1} files (${mb(bytes)}) from ${where} into ${dir} in ${(durationMs / 1000).toFixed(1)}s; every file matches the manifest` });
  return { dir: resolve(dir), prefix, manifest: fetched.parsed.manifest, files: files.length + 1, bytes, container: display, durationMs, warnings };
}

function blobMismatch(expected: FileToPull, got: DownloadedBlob): string | undefined {
  if (expected.bytes !== undefined && got.bytes !== expected.bytes) return `${got.bytes} bytes, but the manifest says ${expected.bytes}`;
  if (expected.sha256 !== undefined && got.sha256 !== expected.sha256) return `sha256 ${got.sha256.slice(0, 16)}…, but the manifest says ${expected.sha256.slice(0, 16)}…`;
  return undefined;
}

/** Every archived export in the container, newest first, summarised from its manifest; pushes that did not finish show as `incomplete`. */
export async function archiveList(o: ArchiveListOptions): Promise<ArchiveEntry[]> {
  const { client: container, display } = await openContainer(o.target);
  try {
    return await listArchiveEntries(container, display);
  } catch (err) {
    throw describeBlobError(err, display, 'listing the archived exports');
  }
}
