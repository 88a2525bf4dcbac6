import type { DatabaseStoreType } from '../stores/registry.js';
import type { CollectionFilter } from './filter.js';
import type { CollectionSchema, Layout } from './layout.js';

/** Bumped when a reader of an older version could misread the directory. */
export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/**
 * How documents are encoded in the NDJSON files:
 * - `json`: plain JSON exactly as Cosmos DB returned it (minus system properties);
 * - `canonical` / `relaxed`: MongoDB Extended JSON v2, keeping BSON types;
 * - `plain`: plain JSON after the documented MongoDB -> Cosmos type mapping (lossy, like the original scripts).
 */
export type JsonFormat = 'json' | 'canonical' | 'relaxed' | 'plain';
export const JSON_FORMATS: readonly JsonFormat[] = ['json', 'canonical', 'relaxed', 'plain'];

/** The store an export was read from. The store registry's names: a type-only import, so core loads nothing of the stores. */
export type SourceType = DatabaseStoreType;

/**
 * `in-progress` while files are being written; `complete` only once every file was renamed into
 * place and hashed; `failed` when the run stopped early. Only `complete` exports import without
 * --allow-partial.
 */
export type ManifestStatus = 'in-progress' | 'complete' | 'failed';

export interface ManifestFile {
  /** Relative to the export directory, with forward slashes: `copilot/messages.json`. */
  path: string;
  database: string;
  collection: string;
  documents: number;
  /** Size of the stored file (compressed size when compressed). */
  bytes: number;
  /** sha256 of the stored bytes, hex. */
  sha256: string;
  compression?: 'gzip';
}

export interface ManifestFailure {
  database: string;
  collection: string;
  message: string;
}

export interface Manifest {
  format_version: number;
  tool: { name: string; version: string };
  status: ManifestStatus;
  /** When the export started, UTC, second precision with Z (as the original scripts wrote it). */
  exported_at: string;
  finished_at?: string;
  source_type: SourceType;
  /** Endpoint or URI with every credential replaced by `<redacted>`. */
  source_endpoint: string;
  json_format: JsonFormat;
  layout: { name?: string; source: string; sha256: string; document: Layout };
  databases: Record<string, string[]>;
  /** `db.coll` -> documents; -1 when that collection failed (the original scripts' convention). */
  document_counts: Record<string, number>;
  files: ManifestFile[];
  failures?: ManifestFailure[];
  /**
   * Collections the layout named that did not exist on the source: neither in \`databases\` nor in
   * \`files\`, so that an import (of this version or an older one) creates nothing for them.
   * Optional: readers that do not know it ignore it (format_version unchanged).
   */
  absent?: { database: string; collection: string }[];
  /**
   * What the export warned about, e.g. a MongoDB collection that does not exist on the server
   * (exported as an empty file). Optional: readers that do not know it ignore it.
   */
  warnings?: string[];
  /**
   * `db.coll` -> the schema the source had (MongoDB indexes and options, Cosmos DB container
   * properties), read when the export ran. Optional and additive (format_version stays 1): an
   * older docferry ignores it and imports without rebuilding indexes, as it always did.
   */
  schemas?: Record<string, CollectionSchema>;
  /**
   * Set when documents were filtered (--query, --query-file, a layout container's filter): the
   * export holds only the documents that matched, and is no full backup. An import says so and
   * refuses --mode mirror; verify applies the same filters to the live side (docs/filters.md).
   * Optional and additive (format_version stays 1): an older docferry ignores it.
   */
  subset?: true;
  /** With `subset`: `db.coll` -> the filters its documents were read with, as given and where from. */
  filters?: Record<string, CollectionFilter[]>;
  /**
   * A split shared container (docs/shared-containers.md): `db.coll` -> the shared container and
   * discriminator value its file was read from. Optional and additive.
   */
  shared?: Record<string, { container: string; discriminator: string; value: string }>;
  /**
   * Set by `export --shard I/N` (docs/sharding.md): this export holds shard `index` of `count`,
   * split as `plan` says (`db.coll` -> the source's split). `docferry manifest merge` joins the N
   * shards into one export without it. Optional and additive (format_version stays 1).
   */
  shard?: ManifestShard;
  /** Set by `docferry manifest merge`: this export joins the N shards of one sharded export, split as `plan` says. */
  merged?: { shards: number; plan: ManifestShard['plan']; from: { index: number; exported_at: string; documents: number }[] };
}

export interface ManifestShard {
  index: number;
  count: number;
  plan: Record<string, { kind: string; [key: string]: unknown }>;
}

/** What the original Python scripts wrote: no version, no status, no checksums. */
export interface LegacyManifest {
  exported_at?: string;
  source_type?: string;
  source_endpoint?: string;
  databases: Record<string, string[]>;
  document_counts?: Record<string, number>;
}

export function isCurrentManifest(value: unknown): value is Manifest {
  return typeof value === 'object' && value !== null && 'format_version' in value;
}

export function countKey(database: string, collection: string): string {
  return `${database}.${collection}`;
}

/** `data-export-20260212T170000`, the original scripts' default directory name. */
export function defaultExportDirName(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-02-12T17:00:00.123Z
  return `data-export-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** ISO-8601 UTC at second precision: `2026-02-12T17:00:00Z`. */
export function isoSeconds(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
