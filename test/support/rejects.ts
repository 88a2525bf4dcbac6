import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The rejects directory of the latest run under a `--rejects-dir` (each run writes to `<dir>/<run id>/`). */
export async function latestRunRejectsDir(base: string): Promise<string> {
  const runs = (await readdir(base, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(base, e.name));
  if (runs.length === 0) throw new Error(`no run directory in ${base}`);
  const made = await Promise.all(runs.map(async (r) => ({ r, t: (await stat(r)).birthtimeMs || (await stat(r)).mtimeMs })));
  return made.sort((a, b) => a.t - b.t || a.r.localeCompare(b.r))[made.length - 1]!.r;
}
