import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputRefusedError } from '../../core/errors.js';
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, isCurrentManifest, type LegacyManifest, type Manifest } from '../../core/manifest.js';
import { PRIVATE_FILE_MODE, fsyncDir } from './fsync.js';

export type ReadManifest = { kind: 'current'; manifest: Manifest } | { kind: 'legacy'; manifest: LegacyManifest };

export async function readManifest(dir: string): Promise<ReadManifest | undefined> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputRefusedError(`${path} is not valid JSON (${(err as Error).message}). The export is damaged: restore it from the archive or export again.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputRefusedError(`${path} is not a docferry manifest (expected a JSON object).`);
  }
  if (isCurrentManifest(value)) {
    if (typeof value.format_version !== 'number' || value.format_version > MANIFEST_FORMAT_VERSION) {
      throw new InputRefusedError(
        `${path} has format version ${String(value.format_version)}, newer than this docferry understands (${MANIFEST_FORMAT_VERSION}). Upgrade docferry to import it.`,
      );
    }
    if (!Array.isArray(value.files)) throw new InputRefusedError(`${path} has no "files" list; the manifest is damaged.`);
    return { kind: 'current', manifest: value };
  }
  const legacy = value as LegacyManifest;
  if (typeof legacy.databases !== 'object' || legacy.databases === null) {
    throw new InputRefusedError(`${path} has neither "format_version" nor "databases": it is not an export manifest.`);
  }
  return { kind: 'legacy', manifest: legacy };
}

/** Written to a temporary name and renamed, so a reader never sees half a manifest. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const temp = `${path}.partial`;
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { encoding: 'utf8', flush: true, mode: PRIVATE_FILE_MODE });
  await rename(temp, path);
  await fsyncDir(dir);
}
