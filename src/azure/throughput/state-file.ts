/** The CLI's memory of an open window: a small JSON file written before the raise, removed after the restore. */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { ThroughputRestoreError } from './errors.js';
import { validateWindowState, type WindowState } from './window.js';

export const DEFAULT_STATE_FILE = '.docferry-throughput.json';

/** The state in the file, or undefined when there is no file. */
export async function readStateFile(path: string): Promise<WindowState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read the throughput state file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ThroughputRestoreError(`The throughput state file ${path} is not valid JSON (${(err as Error).message}); it was not written by docferry or it was cut short.`);
  }
  return validateWindowState(value, `The throughput state file ${path}`);
}

/** Written to a temporary name and renamed, so a crash never leaves half a file. */
export async function writeStateFile(path: string, state: WindowState): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}

export async function removeStateFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
