import type { CollectionSchema, CollectionScope } from '../core/layout.js';
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DocferryError, ExitCode, UsageError, errorMessage } from '../core/errors.js';
import { layoutCollections, resolveScope, sortByOrder, type Layout } from '../core/layout.js';
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, countKey, isoSeconds, type JsonFormat, type Manifest } from '../core/manifest.js';
import { toolName, toolVersion } from '../core/package-info.js';
import { redact } from '../core/secrets.js';
import { readManifest, writeManifest } from '../stores/exportdir/manifest-io.js';
import { readSchemas } from './schema-carry.js';
import { mkdirPrivate } from '../stores/exportdir/fsync.js';
import type { EncodeThreads } from '../stores/exportdir/encode-pool.js';
import { DirSink } from '../stores/exportdir/sink.js';
import { createSource, type DatabaseSpec } from '../stores/factory.js';
import { databaseStore, databaseStoreOfType } from '../stores/registry.js';
import { RunCheckpoint, assertNotLocked, endpointIdentity, hasCheckpoint } from './checkpoint.js';
import { ignoreEvents, type EventSink, type RunSummary } from './events.js';
import { pickTuning, runCollections, type TuningOptions } from './run.js';
import { withVerification, type VerifyOptions } from './verify.js';
import { discover, discoveryOptions, type Discovery, type DiscoveryOptions } from './discovery.js';
import { sourceThroughShared } from './shared.js';
import { anyShared, routeShared, withoutSplitTargets } from '../core/shared.js';
import { checkFilters, filtersByCollection, withFilters, type FilterOptions } from './filters.js';
import { withShardBudget, checkShardOptions, refuseShardOfFiltered, shardFingerprint, shardedSource, type ShardOptions } from './shard.js';
import { shardPart } from '../core/shard.js';
import type { ManifestShard } from '../core/manifest.js';
import type { SourceStore } from '../stores/types.js';

export interface LayoutRef {
  layout: Layout;
  /** Path or name the layout came from, recorded in the manifest. */
  source: string;
}

export interface ExportOptions extends TuningOptions, DiscoveryOptions, FilterOptions, ShardOptions {
  source: DatabaseSpec;
  layout: LayoutRef;
  collections?: string[];
  outputDir: string;
  /** Defaults: `json` from Cosmos DB, `canonical` Extended JSON from MongoDB. */
  format?: JsonFormat;
  gzip?: boolean;
  events?: EventSink;
  /** Continue an interrupted export in the same directory from its checkpoint. */
  resume?: boolean;
  /** Default: `<outputDir>/_checkpoint` (removed once the export is complete). */
  checkpointDir?: string;
  /**
   * Start over in a directory that holds an earlier export (partial or not): its files, rejects
   * and checkpoint are removed first. Refused for a directory that holds anything else.
   */
  overwrite?: boolean;
  /** `--encode-threads`: Extended JSON from BSON in a worker thread (src/stores/exportdir/encode-pool.ts); default auto. */
  encodeThreads?: EncodeThreads;
  /** Re-read the finished export and compare it with the source (exit 5 on differences). */
  verify?: boolean;
  /** With `verify`: every difference to this NDJSON file. */
  reportFile?: string;
}

/** The format of an export when none is asked for, as the source store's descriptor says. */
export function defaultFormat(sourceType: DatabaseSpec['type']): JsonFormat {
  return databaseStoreOfType(sourceType).exportFormats.default;
}

/**
 * Refuses a directory that holds anything; creates nothing, so that a run refused later (--strict)
 * leaves no trace. Resolves to the directory to create, when it does not exist yet.
 */
async function checkEmptyDir(dir: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return dir;
    throw new DocferryError(`Cannot use ${dir} as the output directory: ${errorMessage(err)}`);
  }
  if (entries.length > 0) {
    throw new UsageError(
      `Output directory ${dir} is not empty${entries.includes('manifest.json') ? ' (it already holds an export)' : ''}. Choose a new --output-dir, or pass --overwrite to remove the earlier export and start over` +
        `${entries.includes('_checkpoint') ? '. An interrupted export is there: re-run the same command with --resume to finish it' : ''}.`,
    );
  }
  return undefined;
}

/** What an export directory may hold: docferry's own names, and database folders of collection files. */
const EXPORT_ENTRIES = new Set([MANIFEST_FILE, `${MANIFEST_FILE}.partial`, '_checkpoint', '_checkpoints', '_rejects']);
const COLLECTION_FILE = /^\.?[^/]+\.json(\.gz)?(\.partial)?$/;

/**
 * `--overwrite`: empties a directory that holds an earlier docferry export, finished or not. Only
 * a directory that is one (a manifest or an export checkpoint, and nothing but export files
 * beside them) is emptied; anything else is refused with what was found, and nothing is removed.
 */
async function planEarlierExportRemoval(dir: string, checkpointDir: string, events: EventSink): Promise<(() => Promise<void>) | undefined> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DocferryError(`Cannot use ${dir} as the output directory: ${errorMessage(err)}`);
  }
  if (entries.length === 0) return undefined;
  const names = entries.map((e) => e.name);
  const foreign: string[] = [];
  for (const e of entries) {
    if (EXPORT_ENTRIES.has(e.name)) continue;
    if (!e.isDirectory()) {
      foreign.push(e.name);
      continue;
    }
    const inner = await readdir(join(dir, e.name), { withFileTypes: true });
    for (const f of inner) if (!f.isFile() || !COLLECTION_FILE.test(f.name)) foreign.push(`${e.name}/${f.name}`);
  }
  const isExport = names.includes(MANIFEST_FILE) || (await hasCheckpoint(join(dir, '_checkpoint')));
  if (!isExport || foreign.length > 0) {
    const found = foreign.length > 0 ? `it holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''}, which no export writes` : 'it has neither a manifest.json nor an export checkpoint';
    throw new UsageError(`--overwrite: not removing anything in ${dir}: it does not look like a docferry export (${found}). Choose a new --output-dir, or empty it yourself.`);
  }
  await assertNotLocked(checkpointDir);
  await assertNotLocked(join(dir, '_checkpoint'));
  // Removed only once the source was listed and found fit (--strict): until then nothing is written.
  return async () => {
    for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
    events({ type: 'warning', message: `--overwrite: removed the earlier export in ${dir} (${names.join(', ')}); starting over.` });
  };
}

/**
 * Source database -> export directory. Files appear under their final names only when complete;
 * manifest.json is written last and says `complete` only when every collection succeeded.
 */
export async function runExport(o: ExportOptions): Promise<RunSummary> {
  const formats = databaseStore(o.source).exportFormats;
  const format = o.format ?? formats.default;
  const refused = formats.refuse(format);
  if (refused) throw new UsageError(refused);
  checkShardOptions(o, 'export');
  const layoutScopes = withoutSplitTargets(resolveScope(o.layout.layout, o.collections));
  const checkpointDir = o.checkpointDir ?? join(o.outputDir, '_checkpoint');
  const events = o.events ?? ignoreEvents;
  let removeEarlier: (() => Promise<void>) | undefined;
  let createDir: string | undefined;
  if (o.overwrite) {
    if (o.resume) throw new UsageError('--overwrite starts the export over and --resume continues it: pass one of them.');
    removeEarlier = await planEarlierExportRemoval(o.outputDir, checkpointDir, events);
    if (!removeEarlier) createDir = await checkEmptyDir(o.outputDir);
  } else if (o.resume && !(await hasCheckpoint(checkpointDir))) {
    const existing = await readManifest(o.outputDir).catch(() => undefined);
    if (existing?.kind === 'current' && existing.manifest.status === 'complete') {
      events({ type: 'info', message: `${o.outputDir} already holds a complete export; nothing to resume.` });
      const summary = completeSummary(o.outputDir, existing.manifest);
      return o.verify ? withVerification(summary, verifyOptions(o, events)) : summary;
    }
    createDir = await checkEmptyDir(o.outputDir).catch((err: unknown) => {
      throw new UsageError(`Cannot resume: ${o.outputDir} holds no checkpoint (${checkpointDir}) but is not empty. ${errorMessage(err).split('. ')[0]}; start the export again in a new directory.`);
    });
  } else if (!o.resume) {
    createDir = await checkEmptyDir(o.outputDir);
  }
  const startedAt = new Date();
  // A split shared container is read per discriminator value: one file per value (docs/shared-containers.md).
  const from = databaseStore(o.source);
  const source = sourceThroughShared(await withShardBudget(o.source, { ...o, events }, createSource), (f, v, out) => from.selectByField(f, v, out), 'source');
  let discovery: Discovery;
  let scopes: CollectionScope[];
  try {
    discovery = await discover(source, o.layout.layout, layoutScopes, { ...discoveryOptions(o), narrowed: (o.collections?.length ?? 0) > 0, events });
    scopes = withFilters(routeShared(discovery.scopes, o.layout.layout), o.layout, o.query);
    if (o.shard && anyShared(scopes)) throw new UsageError('A shared container is split (docs/shared-containers.md): --shard is not supported with it yet.');
    // A filter the server refuses fails here, before the directory is touched.
    await checkFilters(source, scopes);
    await removeEarlier?.();
    if (createDir) await mkdirPrivate(createDir);
  } catch (err) {
    await source.close();
    throw err;
  }
  const filters = filtersByCollection(scopes);
  if (o.shard) refuseShardOfFiltered(scopes);
  let read: SourceStore;
  let shard: ManifestShard | undefined;
  try {
    ({ source: read, record: shard } = await shardedSource(source, databaseStore(o.source).address(o.source), scopes, { ...o, events }));
  } catch (err) {
    await source.close();
    throw err;
  }
  const sink = new DirSink({ dir: o.outputDir, format, keepPartialOnAbort: true, ...(o.gzip ? { gzip: true } : {}), ...(o.shard ? { part: shardPart(o.shard) } : {}), ...(o.encodeThreads ? { encodeThreads: o.encodeThreads } : {}) });
  let checkpoint: RunCheckpoint;
  try {
    checkpoint = await RunCheckpoint.open({
      dir: checkpointDir,
      operation: 'export',
      // Where the source is, never who signs in: a run that failed on a wrong password resumes with the right one.
      // Filters only when there are some, so that checkpoints of earlier versions still match.
      fingerprint: { source: endpointIdentity(databaseStore(o.source).printable(o.source)), json_format: format, gzip: o.gzip ?? false, ...(filters ? { filters } : {}), ...shardFingerprint(shard) },
      resume: o.resume ?? false,
      sourceKind: source.kind,
      events,
    });
  } catch (err) {
    await source.close();
    throw err;
  }

  let schemas: Record<string, CollectionSchema> = {};
  const manifest = (status: Manifest['status'], summary?: RunSummary, fatal?: unknown): Manifest => {
    const failures = [
      ...(summary?.collections ?? []).filter((c) => c.status === 'failed').map((c) => ({ database: c.database, collection: c.collection, message: c.error ?? 'failed' })),
      ...(summary && summary.totals.rejected > 0 ? [{ database: '*', collection: '*', message: `${summary.totals.rejected} documents could not be exported; see _rejects/` }] : []),
      ...(fatal ? [{ database: '*', collection: '*', message: redact(errorMessage(fatal)) }] : []),
    ];
    const databases: Record<string, string[]> = {};
    const counts: Record<string, number> = {};
    for (const s of scopes) {
      (databases[s.database] ??= []).push(s.collection);
      const file = sink.files.find((f) => f.database === s.database && f.collection === s.collection);
      counts[countKey(s.database, s.collection)] = file ? file.documents : -1;
    }
    const layoutText = JSON.stringify(o.layout.layout);
    return {
      format_version: MANIFEST_FORMAT_VERSION,
      tool: { name: toolName, version: toolVersion },
      status,
      exported_at: isoSeconds(startedAt),
      finished_at: isoSeconds(),
      source_type: o.source.type,
      source_endpoint: source.describe(),
      json_format: format,
      layout: {
        ...(o.layout.layout.name ? { name: o.layout.layout.name } : {}),
        source: o.layout.source,
        sha256: createHash('sha256').update(layoutText).digest('hex'),
        document: o.layout.layout,
      },
      databases,
      document_counts: counts,
      files: [...sink.files].sort((a, b) => a.path.localeCompare(b.path)),
      ...(failures.length > 0 ? { failures } : {}),
      ...(discovery.absent.length > 0 ? { absent: discovery.absent } : {}),
      ...(summary && summary.warnings.length > 0 ? { warnings: summary.warnings } : summary || discovery.warnings.length === 0 ? {} : { warnings: discovery.warnings }),
      ...(Object.keys(schemas).length > 0 ? { schemas } : {}),
      ...(filters ? { subset: true as const, filters } : {}),
      ...(anyShared(scopes) ? { shared: Object.fromEntries(scopes.filter((s) => s.shared).map((s) => [countKey(s.database, s.collection), { container: s.shared!.container, discriminator: s.shared!.discriminator, value: s.shared!.value }])) } : {}),
      ...(shard ? { shard } : {}),
    };
  };

  let summary: RunSummary;
  let finished = false;
  try {
    try {
      summary = await runCollections({
        operation: 'export',
        source: read,
        sink,
        scopes,
        mode: 'upsert',
        rejectsDir: join(o.outputDir, '_rejects'),
        events,
        warnings: discovery.warnings,
        checkpoint,
        ...pickTuning(o),
      });
    } catch (err) {
      await writeManifest(o.outputDir, manifest('failed', undefined, err)).catch(() => {});
      throw err;
    }
    schemas = await readSchemas(source, scopes, summary);
    const complete = summary.exitCode === ExitCode.ok;
    try {
      await writeManifest(o.outputDir, manifest(complete ? 'complete' : 'failed', summary));
    } catch (err) {
      throw new DocferryError(
        `Cannot write the manifest of ${o.outputDir}: ${errorMessage(err)}. The export is not complete. ` +
          `${(err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'The disk is full: free space, then ' : 'Fix the problem, then '}re-run the same export with --resume.`,
        ExitCode.failed,
        { cause: err },
      );
    }
    finished = !summary.collections.some((c) => c.status === 'failed');
    if (finished) await checkpoint.remove();
  } finally {
    await source.close();
    // Ends the export's encoding worker thread, if it started one.
    await sink.close().catch(() => {});
    await checkpoint.release();
  }
  const complete = summary.exitCode === ExitCode.ok;
  const result: RunSummary = { ...summary, target: o.outputDir, exportDir: o.outputDir, ...(finished ? {} : { checkpointDir }), ...(filters ? { subset: filters } : {}) };
  // An export writes new files: it has no write mode, and a summary naming one ("mode upsert") misleads.
  delete result.mode;
  return complete && o.verify ? withVerification(result, verifyOptions(o, events)) : result;
}

/** `--verify`: the export just written, re-read and compared with the source. */
function verifyOptions(o: ExportOptions, events: EventSink): VerifyOptions {
  return {
    left: o.source,
    right: { type: 'dir', path: o.outputDir },
    layout: o.layout,
    ...(o.collections ? { collections: o.collections } : {}),
    ...(o.reportFile ? { reportFile: o.reportFile } : {}),
    events,
  };
}

/** What a resumed export reports when the directory was already complete. */
function completeSummary(dir: string, m: Manifest): RunSummary {
  const collections = sortByOrder(m.files, layoutCollections(m.layout?.document)).map((f) => ({ database: f.database, collection: f.collection, status: 'ok' as const, read: f.documents, written: f.documents, skipped: 0, rejected: 0, resumed: f.documents, durationMs: 0 }));
  const total = collections.reduce((n, c) => n + c.read, 0);
  const now = new Date().toISOString();
  return {
    operation: 'export',
    source: m.source_endpoint,
    target: dir,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    collections,
    totals: { read: total, written: total, skipped: 0, rejected: 0 },
    exportDir: dir,
    warnings: m.warnings ?? [],
    ...(m.filters ? { subset: m.filters } : {}),
    exitCode: ExitCode.ok,
  };
}
