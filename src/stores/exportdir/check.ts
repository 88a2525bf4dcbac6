import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InputRefusedError } from '../../core/errors.js';
import { filterByNames, layoutCollections, sortByOrder } from '../../core/layout.js';
import { countKey, type JsonFormat, type Manifest, type ManifestFile, type SourceType } from '../../core/manifest.js';
import { isGzipFile } from './lines.js';
import { readManifest } from './manifest-io.js';
import { fileInside } from './paths.js';

export interface CheckedFile {
  database: string;
  collection: string;
  /** Relative to the export directory. */
  relPath: string;
  absPath: string;
  /** From the manifest (a JSON array file: counted when it was checked); undefined when unknown. */
  expectedDocuments?: number;
  compression?: 'gzip';
  /**
   * `array`: the file holds one top-level JSON array of documents (mongoexport --jsonArray, another
   * tool's JSON export), read element by element (src/core/json-array.ts); else one document a line.
   */
  shape?: 'array';
}

export interface CheckedExport {
  dir: string;
  /** `current`: written by docferry; `legacy`: by the original scripts; `none`: no manifest (--allow-partial). */
  manifestKind: 'current' | 'legacy' | 'none';
  manifest?: Manifest;
  format: JsonFormat;
  sourceType?: SourceType;
  files: CheckedFile[];
  /** Things a person must see: legacy export, partial import, skipped files. */
  warnings: string[];
}

export interface CheckOptions {
  allowPartial?: boolean;
  collections?: readonly string[];
  /** What the directory is checked for, so messages say "importing" or "comparing". Default: import. */
  purpose?: 'import' | 'verify';
}

const WORDS = {
  import: { verb: 'import', doing: 'importing' },
  verify: { verb: 'compare', doing: 'comparing' },
} as const;

export interface FileDigest {
  bytes: number;
  sha256: string;
  /** Newline-terminated lines plus an unterminated last one: what the import will read. */
  lines: number;
  /** The file starts like gzip but does not decompress (corrupt or truncated): why. */
  damage?: string;
}

/** sha256 and size over the stored bytes, and the line count of the (decompressed) content. */
export async function digestFile(path: string): Promise<FileDigest> {
  const gz = await isGzipFile(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let lastByte = 0x0a;
  const countLines = (chunk: Buffer) => {
    let i = chunk.indexOf(0x0a);
    while (i !== -1) {
      lines++;
      i = chunk.indexOf(0x0a, i + 1);
    }
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
  };
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let damage: string | undefined;
  if (gz) {
    const gunzip = createGunzip();
    // A corrupt stream is a finding about the file, not a failure of the check: keep hashing the
    // stored bytes and report it (a failed gunzip never emits 'drain' again: waiting on it hung).
    const counted = new Promise<void>((resolve) => {
      gunzip.on('data', countLines);
      gunzip.on('end', resolve);
      gunzip.on('error', (err) => {
        damage ??= err.message;
        resolve();
      });
    });
    for await (const chunk of raw) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (damage) continue;
      if (!gunzip.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            gunzip.off('drain', done);
            gunzip.off('error', done);
            resolve();
          };
          gunzip.once('drain', done);
          gunzip.once('error', done);
        });
      }
    }
    if (!damage) gunzip.end();
    await counted;
  } else {
    for await (const chunk of raw) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      countLines(chunk as Buffer);
    }
  }
  if (lastByte !== 0x0a) lines++;
  return { bytes, sha256: hash.digest('hex'), lines, ...(damage ? { damage } : {}) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Everything an import checks before it writes anything: the manifest says the export is
 * complete, and every file it lists is there with its size, sha256 and document count.
 */
export async function checkExportDir(dir: string, options: CheckOptions = {}): Promise<CheckedExport> {
  if (!(await exists(dir))) {
    throw new InputRefusedError(`Export directory ${dir} does not exist. Pass the directory an export wrote (the one holding manifest.json) with --export-dir.`);
  }
  const read = await readManifest(dir);
  const warnings: string[] = [];
  const problems: string[] = [];
  const allow = options.allowPartial ?? false;
  const words = WORDS[options.purpose ?? 'import'];

  if (!read) {
    // --allow-partial cannot help here: without a manifest there is no list of files to read.
    const interrupted = await exists(join(dir, '_checkpoint'));
    throw new InputRefusedError(
      `${join(dir, 'manifest.json')} is missing: ${dir} is not a finished export (the manifest is written last), so there is no list of files to ${words.verb}. ` +
        (interrupted
          ? 'An interrupted export is there: finish it by re-running the same export command with --resume, then run this again.'
          : 'Export again into a new directory (or re-run the export that wrote it), then run this again.') +
        (words.verb === 'import' && !interrupted ? ' If these are files another tool wrote (mongoexport, a JSON dump), import them with --files PATTERN --to db.coll (docs/cli.md "Importing files from other tools").' : ''),
    );
  }

  if (read.kind === 'legacy') {
    const legacy = read.manifest;
    warnings.push(`${dir} was written by the original export scripts: its manifest has no checksums, so only file presence and document counts are checked.`);
    const all = manifestCollections(legacy.databases);
    for (const { database, collection } of all) await fileInside(dir, `${database}/${collection}.json`, `${database}.${collection}`);
    const selected = filterByNames(all, options.collections);
    const files: CheckedFile[] = [];
    for (const { database, collection } of selected) {
      const relPath = `${database}/${collection}.json`;
      const absPath = await fileInside(dir, relPath, `${database}.${collection}`);
      const expected = legacy.document_counts?.[countKey(database, collection)];
      if (expected === -1) {
        problems.push(`${relPath}: the original export recorded this collection as failed (count -1).`);
        continue;
      }
      if (!(await exists(absPath))) {
        problems.push(`${relPath} is listed in the manifest but missing.`);
        continue;
      }
      if (expected !== undefined) {
        const { lines } = await digestFile(absPath);
        if (lines !== expected) problems.push(`${relPath} holds ${lines} lines but the manifest counts ${expected} documents (truncated or changed).`);
      }
      files.push({ database, collection, relPath, absPath, ...(expected !== undefined ? { expectedDocuments: expected } : {}) });
    }
    return finish(words, { dir, manifestKind: 'legacy', format: 'json', ...(legacy.source_type === 'cosmos' || legacy.source_type === 'mongodb' ? { sourceType: legacy.source_type } : {}), files, warnings }, problems, allow);
  }

  const manifest = read.manifest;
  if (manifest.status !== 'complete') {
    const failed = (manifest.failures ?? []).map((f) => `${f.database}.${f.collection} (${f.message})`).join('; ');
    problems.push(`the export's status is "${manifest.status}"${failed ? `: ${failed}` : ''}; it did not finish.`);
  }
  // manifest.files is sorted by path; import, verify and their summaries go in the export's layout order.
  const selected = sortByOrder(filterByNames(manifest.files, options.collections), layoutCollections(manifest.layout?.document), manifestCollections(manifest.databases));
  const files: CheckedFile[] = [];
  // Every entry, selected or not: a manifest that points outside its directory is not trusted at all.
  for (const f of manifest.files) await fileInside(dir, typeof f.path === 'string' ? f.path : '', `${f.database}.${f.collection}`);
  for (const f of selected) {
    const absPath = join(dir, f.path);
    if (!(await exists(absPath))) {
      problems.push(`${f.path} is listed in the manifest but missing.`);
      continue;
    }
    const problem = await fileProblem(absPath, f);
    if (problem) problems.push(problem);
    files.push({ database: f.database, collection: f.collection, relPath: f.path, absPath, expectedDocuments: f.documents, ...(f.compression ? { compression: f.compression } : {}) });
  }
  // Not an empty collection: nothing to create on the target, and nothing to compare.
  const absent = Array.isArray(manifest.absent) ? manifest.absent : [];
  for (const a of options.collections?.length ? [] : absent) {
    warnings.push(`${a.database}.${a.collection} did not exist on the source when ${dir} was exported (the manifest records it as absent): ${words.verb === 'import' ? 'skipped, nothing is created for it' : 'not compared'}.`);
  }
  return finish(words, { dir, manifestKind: 'current', manifest, format: manifest.json_format, sourceType: manifest.source_type, files, warnings }, problems, allow);
}

/** The manifest's `databases` map as a list, in the order the export wrote it (its layout's). */
function manifestCollections(databases: Record<string, string[] | undefined> | undefined): { database: string; collection: string }[] {
  return Object.entries(databases ?? {}).flatMap(([database, colls]) => (colls ?? []).map((collection) => ({ database, collection })));
}

async function fileProblem(absPath: string, f: ManifestFile): Promise<string | undefined> {
  const digest = await digestFile(absPath);
  const advice = 'The file was changed, truncated or damaged after the export: restore it from the archive or export again.';
  if (digest.bytes !== f.bytes) return `${f.path} is ${digest.bytes} bytes but the manifest says ${f.bytes}. ${advice}`;
  if (digest.sha256 !== f.sha256) return `${f.path} has sha256 ${digest.sha256.slice(0, 16)}… but the manifest says ${f.sha256.slice(0, 16)}…. ${advice}`;
  if (digest.damage) return `${f.path} is gzip but does not decompress (${digest.damage}). ${advice}`;
  if (digest.lines !== f.documents) return `${f.path} holds ${digest.lines} lines but the manifest counts ${f.documents} documents. ${advice}`;
  return undefined;
}

function finish(words: (typeof WORDS)[keyof typeof WORDS], result: CheckedExport, problems: string[], allowPartial: boolean): CheckedExport {
  if (problems.length === 0) return result;
  if (!allowPartial) {
    throw new InputRefusedError(
      `Refusing to ${words.verb} ${result.dir}${words.verb === 'import' ? '; nothing was written' : ''}:\n  - ${problems.join('\n  - ')}\n` +
        `Pass --allow-partial to ${words.verb} anyway (documents may be missing or damaged).`,
    );
  }
  result.warnings.push(...problems.map((p) => `--allow-partial: ${words.doing} despite: ${p}`));
  return result;
}
