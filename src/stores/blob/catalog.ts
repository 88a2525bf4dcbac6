import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { InputRefusedError } from '../../core/errors.js';
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, isCurrentManifest, type LegacyManifest, type Manifest, type SourceType } from '../../core/manifest.js';
import { redactUri } from '../../core/secrets.js';
import { blobErrorCode, blobStatus } from './errors.js';
import { forEachLimit } from '../../core/concurrency.js';
import { SHA256_METADATA } from './transfer.js';

/**
 * `complete` / `failed` / `in-progress`: what the archived manifest says (a legacy manifest is
 * `complete` unless a count is -1). `incomplete`: blobs without a manifest, a push that never
 * finished. `damaged`: the manifest lists a blob that is missing or has another size (e.g. the
 * lifecycle rule deleted the data blobs a few seconds before their manifest). `unreadable`: a
 * manifest that is not valid JSON or not a manifest.
 */
export type ArchiveStatus = Manifest['status'] | 'incomplete' | 'damaged' | 'unreadable';

export interface ArchiveEntry {
  /** With the trailing `/`, as `--prefix` takes it. */
  prefix: string;
  exportedAt?: string;
  sourceType?: SourceType | string;
  sourceEndpoint?: string;
  status: ArchiveStatus;
  /** `db.coll` -> documents (-1: that collection failed in the export). */
  documentCounts: Record<string, number>;
  totalDocuments: number;
  /** Data blobs under the prefix (the manifest not counted) and their bytes. */
  blobs: number;
  bytes: number;
  legacy?: boolean;
  /** `I/N`: the archived export is one shard of a sharded export (its manifest's `shard`), not a whole one. */
  shard?: string;
  /** Why an entry is unreadable, or what failed in the export. */
  note?: string;
}

export type ParsedManifest = { kind: 'current'; manifest: Manifest } | { kind: 'legacy'; manifest: LegacyManifest };

export interface FetchedManifest {
  parsed: ParsedManifest;
  /** Exactly the archived bytes: the pulled directory gets these, not a re-serialisation. */
  bytes: Buffer;
}

/** The same rules as the local manifest reader, applied to a downloaded manifest. */
export function parseManifest(bytes: Buffer, where: string): ParsedManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InputRefusedError(`${where} is not valid JSON (${(err as Error).message}). The archive is damaged: push the export again.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputRefusedError(`${where} is not a docferry manifest (expected a JSON object).`);
  if (isCurrentManifest(value)) {
    if (typeof value.format_version !== 'number' || value.format_version > MANIFEST_FORMAT_VERSION) {
      throw new InputRefusedError(`${where} has format version ${String(value.format_version)}, newer than this docferry understands (${MANIFEST_FORMAT_VERSION}). Upgrade docferry to pull it.`);
    }
    if (!Array.isArray(value.files)) throw new InputRefusedError(`${where} has no "files" list; the manifest is damaged.`);
    return { kind: 'current', manifest: value };
  }
  const legacy = value as LegacyManifest;
  if (typeof legacy.databases !== 'object' || legacy.databases === null) {
    throw new InputRefusedError(`${where} has neither "format_version" nor "databases": it is not an export manifest.`);
  }
  return { kind: 'legacy', manifest: legacy };
}

/** Downloads `<prefix>manifest.json`; undefined when there is none. Refuses one whose bytes differ from its sha256 metadata. */
export async function fetchManifest(container: ContainerClient, prefix: string, display: string): Promise<FetchedManifest | undefined> {
  const blob = container.getBlobClient(`${prefix}${MANIFEST_FILE}`);
  let bytes: Buffer;
  let claimed: string | undefined;
  try {
    const response = await blob.download(0, undefined, { maxRetryRequests: 3 });
    bytes = await streamToBuffer(response.readableStreamBody);
    claimed = response.metadata?.[SHA256_METADATA];
  } catch (err) {
    if (blobStatus(err) === 404 && blobErrorCode(err) !== 'ContainerNotFound') return undefined;
    throw err;
  }
  const where = `${display}/${prefix}${MANIFEST_FILE}`;
  if (claimed) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== claimed.toLowerCase()) {
      throw new InputRefusedError(`${where} has sha256 ${actual.slice(0, 16)}… but its blob metadata says ${claimed.slice(0, 16)}…: the manifest was changed or damaged after the push. Push the export again.`);
    }
  }
  return { parsed: parseManifest(bytes, where), bytes };
}

async function streamToBuffer(body: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

function summarize(prefix: string, parsed: ParsedManifest): Omit<ArchiveEntry, 'blobs' | 'bytes'> {
  const counts = parsed.manifest.document_counts ?? {};
  const totalDocuments = Object.values(counts).reduce((sum, n) => sum + (n > 0 ? n : 0), 0);
  const endpoint = parsed.manifest.source_endpoint ? { sourceEndpoint: redactUri(parsed.manifest.source_endpoint) } : {};
  const common = {
    prefix,
    ...(parsed.manifest.exported_at ? { exportedAt: parsed.manifest.exported_at } : {}),
    ...(parsed.manifest.source_type ? { sourceType: parsed.manifest.source_type } : {}),
    ...endpoint,
    documentCounts: counts,
    totalDocuments,
  };
  if (parsed.kind === 'legacy') {
    const failed = Object.entries(counts).filter(([, n]) => n === -1).map(([k]) => k);
    return { ...common, status: failed.length > 0 ? 'failed' : 'complete', legacy: true, ...(failed.length > 0 ? { note: `failed: ${failed.join(', ')}` } : {}) };
  }
  const failures = (parsed.manifest.failures ?? []).map((f) => `${f.database}.${f.collection}`);
  const shard = parsed.manifest.shard ? { shard: `${parsed.manifest.shard.index}/${parsed.manifest.shard.count}` } : {};
  return { ...common, status: parsed.manifest.status, ...shard, ...(failures.length > 0 ? { note: `failed: ${failures.join(', ')}` } : {}) };
}

/**
 * Every archived export in the container: prefixes holding a manifest (summarised from it) and
 * prefixes holding data blobs but no manifest (a push that did not finish), newest first.
 */
export async function listArchiveEntries(container: ContainerClient, display: string): Promise<ArchiveEntry[]> {
  const manifests: string[] = [];
  const data: { name: string; bytes: number }[] = [];
  for await (const blob of container.listBlobsFlat()) {
    if (blob.name === MANIFEST_FILE || blob.name.endsWith(`/${MANIFEST_FILE}`)) manifests.push(blob.name.slice(0, blob.name.length - MANIFEST_FILE.length));
    else data.push({ name: blob.name, bytes: blob.properties.contentLength ?? 0 });
  }
  const sizes = new Map(data.map((b) => [b.name, b.bytes]));
  // Longest first, so a data blob belongs to the deepest archive whose prefix it starts with.
  const byLength = [...manifests].sort((a, b) => b.length - a.length);
  const usage = new Map<string, { blobs: number; bytes: number }>();
  for (const blob of data) {
    const owner = byLength.find((p) => blob.name.startsWith(p)) ?? orphanPrefix(blob.name);
    if (owner === undefined) continue;
    const u = usage.get(owner) ?? { blobs: 0, bytes: 0 };
    u.blobs++;
    u.bytes += blob.bytes;
    usage.set(owner, u);
  }
  const entries: ArchiveEntry[] = [];
  await forEachLimit(manifests, 8, async (prefix) => {
    const u = usage.get(prefix) ?? { blobs: 0, bytes: 0 };
    try {
      const fetched = await fetchManifest(container, prefix, display);
      // Deleted between the listing and the download: it is no longer an archive.
      if (!fetched) return;
      const summary = summarize(prefix, fetched.parsed);
      const damage = missingOrResized(prefix, fetched.parsed, sizes);
      entries.push(damage.length > 0 && summary.status === 'complete' ? { ...summary, ...u, status: 'damaged', note: describeDamage(damage) } : { ...summary, ...u });
    } catch (err) {
      if (!(err instanceof InputRefusedError)) throw err;
      entries.push({ prefix, status: 'unreadable', documentCounts: {}, totalDocuments: 0, ...u, note: err.message });
    }
  });
  for (const [prefix, u] of usage) {
    if (!manifests.includes(prefix)) entries.push({ prefix, status: 'incomplete', documentCounts: {}, totalDocuments: 0, ...u, note: 'no manifest.json: the push did not finish' });
  }
  return entries.sort(newestFirst);
}

/** Files the manifest lists whose blob is absent or not the size the manifest says. */
function missingOrResized(prefix: string, parsed: ParsedManifest, sizes: ReadonlyMap<string, number>): string[] {
  if (parsed.kind === 'current') {
    return parsed.manifest.files.flatMap((f) => {
      const size = sizes.get(`${prefix}${f.path}`);
      if (size === undefined) return [`${f.path} missing`];
      return size === f.bytes ? [] : [`${f.path} is ${size} bytes, not ${f.bytes}`];
    });
  }
  const counts = parsed.manifest.document_counts ?? {};
  return Object.entries(parsed.manifest.databases).flatMap(([db, colls]) =>
    (colls ?? []).filter((c) => counts[`${db}.${c}`] !== -1 && !sizes.has(`${prefix}${db}/${c}.json`)).map((c) => `${db}/${c}.json missing`),
  );
}

function describeDamage(damage: string[]): string {
  return `${damage.slice(0, 3).join('; ')}${damage.length > 3 ? `; and ${damage.length - 3} more` : ''}`;
}

/** A data blob `<prefix><db>/<coll>.json` with no manifest above it: its prefix is two levels up. */
function orphanPrefix(name: string): string | undefined {
  const parts = name.split('/');
  if (parts.length < 3) return undefined;
  return `${parts.slice(0, -2).join('/')}/`;
}

function exportedAtMs(e: ArchiveEntry): number {
  const ms = e.exportedAt ? Date.parse(e.exportedAt) : NaN;
  return Number.isNaN(ms) ? -Infinity : ms;
}

export function newestFirst(a: ArchiveEntry, b: ArchiveEntry): number {
  return exportedAtMs(b) - exportedAtMs(a) || (a.prefix < b.prefix ? 1 : a.prefix > b.prefix ? -1 : 0);
}

/**
 * The newest export whose manifest says complete, by the manifest's exported_at (never by name or
 * blob time). One shard of a sharded export is complete too, but holds only its part: a restore
 * that took it by default would pass on a fraction of the data, so shards are only pulled by name.
 */
export function newestComplete(entries: readonly ArchiveEntry[]): ArchiveEntry | undefined {
  return [...entries].filter((e) => e.status === 'complete' && e.shard === undefined).sort(newestFirst)[0];
}
