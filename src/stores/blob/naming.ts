import { basename, resolve } from 'node:path';
import { InputRefusedError, UsageError } from '../../core/errors.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { isUnsafeRelativePath } from '../exportdir/paths.js';

/**
 * An archived export is a "folder" in the container: `<prefix>manifest.json` next to
 * `<prefix><db>/<coll>.json`, exactly the export directory's relative paths under a prefix.
 */
export function manifestBlobName(prefix: string): string {
  return `${prefix}${MANIFEST_FILE}`;
}

/** A prefix always ends with `/`, never starts with one and has no `.`/`..` or empty segments. */
export function normalizePrefix(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (
    trimmed === '' ||
    trimmed.startsWith('/') ||
    trimmed.includes('\\') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(trimmed)
  ) {
    throw new UsageError(`--prefix "${raw}" is not usable: give a name such as data-export-20260212T170000 (sub-folders with /, no leading /, no . or .. parts).`);
  }
  return `${trimmed}/`;
}

/** `data-export-20260212T170000/` for an export written to ./data-export-20260212T170000. */
export function defaultPrefix(exportDir: string): string {
  return normalizePrefix(basename(resolve(exportDir)));
}

/**
 * A path from a downloaded manifest is about to become a file name on this machine: it must stay
 * inside the destination directory whatever the manifest says.
 */
export function safeRelativePath(path: string, where: string): string {
  if (
    isUnsafeRelativePath(path) ||
    path === MANIFEST_FILE
  ) {
    throw new InputRefusedError(`${where} lists the file "${path}", which is not a relative path inside the export (absolute, with .. or empty parts). The manifest is damaged or was tampered with; nothing was pulled.`);
  }
  return path;
}
