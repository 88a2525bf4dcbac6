import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputRefusedError, UsageError } from '../../core/errors.js';
import { detectJsonFormat } from '../../core/json-format-detect.js';
import type { JsonFormat } from '../../core/manifest.js';
import type { CheckedExport, CheckedFile } from './check.js';
import { openContent, readLines } from './lines.js';
import { JsonArrayError, splitJsonArray } from '../../core/json-array.js';
import { jsonArrayRefusal } from './source.js';

/** One `--files PATTERN --to db.coll` pair. */
export interface ForeignFiles {
  pattern: string;
  to: string;
}

/** What a --files import carries into its checkpoint: no sha256 to go by, so size and mtime. */
export interface ForeignFingerprint {
  path: string;
  bytes: number;
  mtimeMs: number;
}

const DETECT_LINES = 20;

/** `*` and `?` in the file name only: enough for `dump/users*.json`, and nothing to surprise. */
async function expand(base: string, pattern: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : join(base, pattern);
  const name = basename(abs);
  if (!/[*?]/.test(name)) return [abs];
  if (/[*?]/.test(dirname(abs))) throw new UsageError(`--files ${pattern}: a wildcard may only be in the file name, not in a directory.`);
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const entries = await readdir(dirname(abs)).catch(() => [] as string[]);
  return entries.filter((e) => re.test(e)).sort().map((e) => join(dirname(abs), e));
}

/** Whether the file's first character (after whitespace and a byte-order mark) opens a JSON array. */
async function isJsonArrayFile(path: string): Promise<boolean> {
  const stream = await openContent(path);
  try {
    let at = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++, at++) {
        const b = chunk[i]!;
        if (at < 3 && b === [0xef, 0xbb, 0xbf][at]) continue;
        if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
        return b === 0x5b;
      }
    }
    return false;
  } finally {
    stream.destroy();
  }
}

/**
 * A JSON array file read once through before anything is written: its elements counted (the run's
 * total), the first ones' text kept for format detection, and a file that is not one whole array
 * (truncated, two values) refused here with its byte and line, not after half of it is imported.
 */
async function scanJsonArray(relPath: string, path: string): Promise<{ elements: number; first: string[] }> {
  const stream = await openContent(path);
  const first: string[] = [];
  let elements = 0;
  try {
    for await (const e of splitJsonArray(stream)) {
      elements++;
      if (first.length < DETECT_LINES && e.text !== undefined) first.push(e.text);
    }
  } catch (err) {
    if (err instanceof JsonArrayError) throw jsonArrayRefusal(relPath, err);
    throw err;
  } finally {
    stream.destroy();
  }
  return { elements, first };
}

async function firstLines(path: string): Promise<string[]> {
  const out: string[] = [];
  const stream = await openContent(path);
  try {
    for await (const line of readLines(stream)) {
      if (line.text !== undefined) out.push(line.text);
      if (out.length >= DETECT_LINES) break;
    }
  } finally {
    stream.destroy();
  }
  return out;
}

/**
 * Files another tool wrote (mongoexport, a JSON dump): no manifest, so no sha256 and no counts
 * to check them against. Resolved relative to `dir`, which holds the rejects and checkpoints.
 */
export async function checkForeignFiles(dir: string, pairs: readonly ForeignFiles[], format?: JsonFormat): Promise<CheckedExport & { fingerprint: ForeignFingerprint[] }> {
  if (pairs.length === 0) throw new UsageError('--files needs at least one PATTERN with its --to db.coll.');
  const files: CheckedFile[] = [];
  const fingerprint: ForeignFingerprint[] = [];
  const seen = new Map<string, string>();
  // A JSON array file's first elements, for format detection.
  const arrays = new Map<string, string[]>();
  for (const { pattern, to } of pairs) {
    const dot = to.indexOf('.');
    if (dot <= 0 || dot === to.length - 1) throw new UsageError(`--to ${to}: give the target as db.coll (for --files ${pattern}).`);
    const database = to.slice(0, dot);
    const collection = to.slice(dot + 1);
    if (seen.has(to)) throw new UsageError(`--to ${to} is given twice (for --files ${seen.get(to)} and ${pattern}): put both patterns' files in one collection with one --files glob, or send them to different collections.`);
    seen.set(to, pattern);
    const matched = await expand(dir, pattern);
    const existing: string[] = [];
    for (const m of matched) if ((await stat(m).catch(() => undefined))?.isFile()) existing.push(m);
    if (existing.length === 0) throw new InputRefusedError(`--files ${pattern} matches no file (looked in ${resolve(dir)}). Give a file or a glob of file names, relative to --export-dir or absolute.`);
    if (existing.length > 1) {
      throw new UsageError(
        `--files ${pattern} matches ${existing.length} files (${existing.map((e) => basename(e)).join(', ')}) for one collection ${to}: give one file per --to (mongoexport writes one file per collection).`,
      );
    }
    const absPath = existing[0]!;
    const info = await stat(absPath);
    const relPath = relative(dir, absPath) || basename(absPath);
    if (await isJsonArrayFile(absPath)) {
      const scanned = await scanJsonArray(relPath, absPath);
      files.push({ database, collection, relPath, absPath, shape: 'array', expectedDocuments: scanned.elements });
      arrays.set(absPath, scanned.first);
    } else files.push({ database, collection, relPath, absPath });
    fingerprint.push({ path: relPath, bytes: info.size, mtimeMs: info.mtimeMs });
  }
  let chosen = format;
  if (!chosen) {
    for (const f of files) {
      const lines = arrays.get(f.absPath) ?? (await firstLines(f.absPath));
      const found = detectJsonFormat(lines);
      if (!found.format) throw new UsageError(`Cannot tell the JSON format of ${f.relPath}: ${found.why}. Pass --json-format canonical, relaxed or plain.`);
      if (chosen && chosen !== found.format && !(isExt(chosen) && isExt(found.format))) {
        throw new UsageError(`The --files inputs mix JSON formats (${f.relPath} looks ${found.format}, an earlier one ${chosen}): import them in separate runs, or pass --json-format.`);
      }
      chosen ??= found.format;
    }
  }
  const warnings = [
    `--files: ${files.map((f) => f.relPath).join(', ')} came without a docferry manifest: nothing could be checked against one (no sha256, no document counts). Every line is read and bad ones are rejected with their file and line, but a truncated or changed file cannot be told from a complete one.`,
  ];
  const arrayFiles = files.filter((f) => f.shape === 'array');
  if (arrayFiles.length > 0) {
    warnings.push(`--files: ${arrayFiles.map((f) => `${f.relPath} (${f.expectedDocuments} elements)`).join(', ')} ${arrayFiles.length === 1 ? 'is a JSON array' : 'are JSON arrays'}: read element by element; rejects name the element and the line it begins on. It was read through once to check that it is one whole array.`);
  }
  return { dir, manifestKind: 'none', format: chosen!, files, warnings, fingerprint };
}

function isExt(f: JsonFormat): boolean {
  return f === 'canonical' || f === 'relaxed';
}
