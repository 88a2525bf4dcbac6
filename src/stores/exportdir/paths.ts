import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InputRefusedError } from '../../core/errors.js';

/**
 * Whether a path a manifest lists could name a file outside its directory: absolute, a drive,
 * a `..`, `.` or empty part, a backslash or a control character. Such a path is never read,
 * written or pulled, whatever else the manifest says.
 */
export function isUnsafeRelativePath(path: string): boolean {
  return (
    path === '' ||
    path.includes('\\') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f]/.test(path) ||
    /^[a-z]:/i.test(path) ||
    isAbsolute(path) ||
    path.split('/').some((s) => s === '' || s === '.' || s === '..')
  );
}

/**
 * The file a manifest entry names, once it is sure to lie inside `dir`: lexically, and after
 * symbolic links are followed (a link to a file elsewhere is refused like a `..`). `entry` names
 * the manifest entry for the message. A file that does not exist is returned unchecked by
 * realpath: the caller reports it as missing.
 */
export async function fileInside(dir: string, relPath: string, entry: string): Promise<string> {
  const manifest = join(dir, 'manifest.json');
  if (isUnsafeRelativePath(relPath)) {
    throw new InputRefusedError(
      `${manifest} lists the file "${relPath}" (${entry}), which is not a relative path inside the export directory (absolute, with .. or empty parts). ` +
        'The manifest is damaged or was tampered with: nothing was read or written. Restore the export from its archive or export again.',
    );
  }
  const absPath = join(dir, relPath);
  let real: string;
  try {
    real = await realpath(absPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absPath;
    throw err;
  }
  const root = await realpath(dir);
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new InputRefusedError(
      `${manifest} lists the file "${relPath}" (${entry}), but it is a symbolic link to ${real}, outside the export directory. ` +
        'An export is read only from inside its directory: nothing was read or written. Replace the link with the file itself.',
    );
  }
  return absPath;
}
