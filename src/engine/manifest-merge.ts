/**
 * `docferry manifest merge`: the N shard exports of one sharded export (docs/sharding.md) joined
 * into one export that import and verify read as any complete export. Each collection's part
 * files are concatenated, in shard order, into one file of the merged directory (gzip parts are
 * gzip members, so their concatenation is a gzip file too), hashed as they are copied, and checked
 * against the shard manifests. The merge refuses, naming the directories, a shard that is missing,
 * given twice, or that split or encoded the data differently from the others.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputRefusedError, UsageError, errorMessage } from '../core/errors.js';
import { layoutCollections, sortByOrder } from '../core/layout.js';
import { countKey, type Manifest, type ManifestFile } from '../core/manifest.js';
import { formatShard } from '../core/shard.js';
import { PRIVATE_FILE_MODE, fsyncDir, mkdirPrivate } from '../stores/exportdir/fsync.js';
import { readManifest, writeManifest } from '../stores/exportdir/manifest-io.js';
import { fileInside } from '../stores/exportdir/paths.js';
import { exportFileName } from '../stores/exportdir/sink.js';

export interface MergeOptions {
  dirs: string[];
  out: string;
}

export interface MergeResult {
  out: string;
  shards: number;
  files: ManifestFile[];
  documents: number;
}

interface ShardExport {
  dir: string;
  manifest: Manifest & { shard: NonNullable<Manifest['shard']> };
}

/** What must be the same in every shard: the same data, split the same way, written the same way. */
const SAME: { what: string; of: (m: Manifest) => unknown }[] = [
  { what: 'the number of shards', of: (m) => m.shard?.count },
  { what: 'the source type', of: (m) => m.source_type },
  { what: 'the source', of: (m) => m.source_endpoint },
  { what: 'the JSON format', of: (m) => m.json_format },
  { what: 'the layout', of: (m) => m.layout?.sha256 },
  { what: 'the collections', of: (m) => m.databases },
  { what: 'the compression (gzip or not)', of: (m) => [...new Set(m.files.map((f) => f.compression ?? 'none'))].sort() },
];

async function readShardExport(dir: string): Promise<ShardExport> {
  const read = await readManifest(dir).catch((err: unknown) => {
    throw new InputRefusedError(`Cannot merge ${dir}: ${errorMessage(err)}`);
  });
  if (!read) throw new InputRefusedError(`Cannot merge ${dir}: it has no manifest.json (not a finished export). Finish that shard (re-run it with --resume), then merge again.`);
  if (read.kind !== 'current' || !read.manifest.shard) {
    throw new InputRefusedError(`Cannot merge ${dir}: it is not a shard export (its manifest has no "shard"); only the exports of \`docferry export --shard I/N\` are merged.`);
  }
  const m = read.manifest as ShardExport['manifest'];
  if (m.status !== 'complete') {
    throw new InputRefusedError(`Cannot merge ${dir}: shard ${formatShard(m.shard)} did not finish (status "${m.status}"). Re-run that shard with --resume, then merge again.`);
  }
  return { dir, manifest: m };
}

/** Refuses a missing, duplicated or differently split shard, by name; the shards in order. */
export function checkShards(shards: readonly ShardExport[]): ShardExport[] {
  if (shards.length === 0) throw new UsageError('manifest merge: give the shard export directories to merge.');
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    for (const rule of SAME) {
      if (JSON.stringify(rule.of(s.manifest)) !== JSON.stringify(rule.of(first.manifest))) {
        throw new InputRefusedError(
          `Cannot merge: ${s.dir} and ${first.dir} differ in ${rule.what} (${JSON.stringify(rule.of(s.manifest))} and ${JSON.stringify(rule.of(first.manifest))}): they are not shards of one export.`,
        );
      }
    }
  }
  const count = first.manifest.shard.count;
  const byIndex = new Map<number, ShardExport>();
  for (const s of shards) {
    const i = s.manifest.shard.index;
    const seen = byIndex.get(i);
    if (seen) throw new InputRefusedError(`Cannot merge: shard ${i}/${count} is given twice (${seen.dir} and ${s.dir}). Give each shard once.`);
    byIndex.set(i, s);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new InputRefusedError(`Cannot merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (given: ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`).join(', ')}). Run or download the missing shard, then merge again.`);
  }
  const ordered = [...byIndex.values()].sort((a, b) => a.manifest.shard.index - b.manifest.shard.index);
  // The same boundaries in every shard, or two shards may hold the same documents (or neither some).
  for (const s of ordered.slice(1)) {
    for (const [key, part] of Object.entries(first.manifest.shard.plan)) {
      if (JSON.stringify(s.manifest.shard.plan[key]) !== JSON.stringify(part)) {
        throw new InputRefusedError(
          `Cannot merge: shard ${formatShard(s.manifest.shard)} (${s.dir}) split ${key} with other boundaries than shard ${formatShard(first.manifest.shard)} (${first.dir}), so their documents may overlap or leave gaps. ` +
            'The source changed between the shards, or they were not given the same --shard-plan: export every shard again with one --shard-plan file.',
        );
      }
    }
    if (Object.keys(s.manifest.shard.plan).length !== Object.keys(first.manifest.shard.plan).length) {
      throw new InputRefusedError(`Cannot merge: shard ${formatShard(s.manifest.shard)} (${s.dir}) and shard ${formatShard(first.manifest.shard)} (${first.dir}) split different collections.`);
    }
  }
  return ordered;
}

async function ensureEmptyOut(out: string): Promise<void> {
  const entries = await readdir(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) throw new UsageError(`manifest merge: the output directory ${out} is not empty. Choose a new --out.`);
  await mkdirPrivate(out);
}

/** Appends a part to the merged file, hashing it as copied; refuses a part that is not what its manifest says. */
async function appendPart(fh: Awaited<ReturnType<typeof open>>, position: number, shard: ShardExport, file: ManifestFile, merged: ReturnType<typeof createHash>): Promise<number> {
  const path = await fileInside(shard.dir, file.path, `${file.database}.${file.collection}`);
  const own = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      own.update(buf);
      merged.update(buf);
      let offset = 0;
      while (offset < buf.length) {
        const { bytesWritten } = await fh.write(buf, offset, buf.length - offset, position + bytes + offset);
        offset += bytesWritten;
      }
      bytes += buf.length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputRefusedError(`Cannot merge: ${file.path} of shard ${formatShard(shard.manifest.shard)} is listed in ${join(shard.dir, 'manifest.json')} but missing.`);
    throw err;
  }
  const sha = own.digest('hex');
  if (bytes !== file.bytes || sha !== file.sha256) {
    throw new InputRefusedError(
      `Cannot merge: ${join(shard.dir, file.path)} is ${bytes} bytes with sha256 ${sha.slice(0, 16)}…, but its manifest says ${file.bytes} bytes, ${file.sha256.slice(0, 16)}…: it was changed or damaged after the export. Export that shard again.`,
    );
  }
  return bytes;
}

export async function mergeShards(o: MergeOptions): Promise<MergeResult> {
  const shards = checkShards(await Promise.all(o.dirs.map(readShardExport)));
  const first = shards[0]!.manifest;
  await ensureEmptyOut(o.out);
  const collections = sortByOrder(
    Object.entries(first.databases).flatMap(([database, colls]) => colls.map((collection) => ({ database, collection }))),
    layoutCollections(first.layout?.document),
  );
  const gzip = first.files.some((f) => f.compression === 'gzip');
  const files: ManifestFile[] = [];
  const counts: Record<string, number> = {};
  try {
    for (const c of collections) {
      const key = countKey(c.database, c.collection);
      const parts = shards.map((s) => {
        const f = s.manifest.files.find((x) => x.database === c.database && x.collection === c.collection);
        if (!f) throw new InputRefusedError(`Cannot merge: shard ${formatShard(s.manifest.shard)} (${s.dir}) has no file for ${key}.`);
        return { shard: s, file: f };
      });
      const relPath = exportFileName(c, gzip);
      await mkdirPrivate(join(o.out, c.database));
      const finalPath = join(o.out, relPath);
      const temp = `${finalPath}.partial`;
      const fh = await open(temp, 'w', PRIVATE_FILE_MODE);
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        for (const p of parts) bytes += await appendPart(fh, bytes, p.shard, p.file, hash);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, finalPath);
      await fsyncDir(join(o.out, c.database));
      const documents = parts.reduce((n, p) => n + p.file.documents, 0);
      counts[key] = documents;
      files.push({ path: relPath, database: c.database, collection: c.collection, documents, bytes, sha256: hash.digest('hex'), ...(gzip ? { compression: 'gzip' as const } : {}) });
    }
  } catch (err) {
    // Nothing half-merged that looks like an export: there is no manifest until the end anyway.
    await rm(o.out, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  const all = shards.map((s) => s.manifest);
  const warnings = [...new Set(all.flatMap((m) => m.warnings ?? []))];
  // The merged export is no shard: it holds them all.
  const { shard: _shard, warnings: _warnings, ...base } = first;
  void _shard;
  void _warnings;
  const manifest: Manifest = {
    ...base,
    status: 'complete',
    exported_at: all.map((m) => m.exported_at).sort()[0]!,
    finished_at: all.map((m) => m.finished_at ?? m.exported_at).sort().at(-1)!,
    document_counts: counts,
    files: [...files].sort((a, b) => a.path.localeCompare(b.path)),
    ...(warnings.length > 0 ? { warnings } : {}),
    merged: { shards: first.shard.count, plan: first.shard.plan, from: shards.map((s) => ({ index: s.manifest.shard.index, exported_at: s.manifest.exported_at, documents: s.manifest.files.reduce((n, f) => n + f.documents, 0) })) },
  };
  await writeManifest(o.out, manifest);
  return { out: o.out, shards: first.shard.count, files, documents: files.reduce((n, f) => n + f.documents, 0) };
}
