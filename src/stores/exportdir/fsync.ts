import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Exports, rejects, checkpoints and reports hold personal data: only the user who runs docferry
 * may read them, whatever the umask (a mode can only lose bits to the umask, and these keep
 * every owner bit). See docs/reliability.md.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** `mkdir -p` with every new directory 0700; returns the first directory it made, like mkdir. */
export function mkdirPrivate(dir: string): Promise<string | undefined> {
  return mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Makes a rename durable: the directory entry is flushed, not only the file's data. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await fh.close();
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * After `mkdir(dir, { recursive: true })` returned `created` (the first directory it made, or
 * undefined): makes every new directory's name durable, each in its parent.
 */
export async function fsyncNewDirs(dir: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  const first = resolve(created);
  for (let d = resolve(dir); ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) return;
  }
}
