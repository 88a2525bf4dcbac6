import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { isExtendedJson } from '../core/codec.js';
import { findContainer, layoutCollections, partitionKeyFor, sortByOrder, type CollectionScope } from '../core/layout.js';
import { checkExportDir } from '../stores/exportdir/check.js';
import { checkForeignFiles, type ForeignFiles, type ForeignFingerprint } from '../stores/exportdir/foreign.js';
export type { ForeignFiles };
import type { JsonFormat } from '../core/manifest.js';
import { DirSource } from '../stores/exportdir/source.js';
import { createSink, type DatabaseSpec } from '../stores/factory.js';
import { databaseStore } from '../stores/registry.js';
import { applyNamespaceMap, mappingFingerprint, parseNamespaceMap } from '../core/namespace-map.js';
import { sinkAtDestinations } from './destination.js';
import { sinkIntoShared } from './shared.js';
import { anyShared, routeShared } from '../core/shared.js';
import { checkpointName, endpointIdentity, hasCheckpoint, openRunCheckpoint, type RunCheckpoint } from './checkpoint.js';
import { ignoreEvents, type EventSink, type RunSummary } from './events.js';
import type { LayoutRef } from './export.js';
import { MirrorRun, checkMirrorOptions, mirrorOptions, type MirrorOptions, type RunMode } from './mirror.js';
import { rebuildSchemas, withSchemas } from './schema-carry.js';
import { pickTuning, runCollections, type TuningOptions } from './run.js';
import { withVerification } from './verify.js';
import { refuseMirrorOfSubset, subsetWarning } from './filters.js';
import { countKey } from '../core/manifest.js';
import type { CollectionFilter } from '../core/filter.js';
import { shardPart } from '../core/shard.js';
import type { SourceStore } from '../stores/types.js';
import { withShardBudget, checkShardOptions, shardFingerprint, shardedSource, type ShardOptions } from './shard.js';

export interface ImportOptions extends TuningOptions, MirrorOptions, ShardOptions {
  exportDir: string;
  target: DatabaseSpec;
  layout: LayoutRef;
  collections?: string[];
  mode: RunMode;
  allowPartial?: boolean;
  /** Default: `<exportDir>/_rejects`. */
  rejectsDir?: string;
  events?: EventSink;
  /** Continue an interrupted import of the same export into the same target. */
  resume?: boolean;
  /** Default: `<exportDir>/_checkpoints/import-<hash of the target>` (removed once the import finished). */
  checkpointDir?: string;
  /** Compare the export with the target afterwards (exit 5 on differences). */
  verify?: boolean;
  /** With `verify`: every difference to this NDJSON file. */
  reportFile?: string;
  /**
   * Import the documents of this rejects file (or directory of them) instead of the export's
   * files, once fixed: see docs/reliability.md. `exportDir` is the export they came from.
   */
  fromRejects?: string;
  /** `--no-indexes`: do not rebuild (MongoDB) or check (Cosmos DB) the carried schema. */
  noIndexes?: boolean;
  /**
   * `--map SRC=DST` rules (src/core/namespace-map.ts): the target database and collection of each
   * collection of the export, by its name in the manifest. The layout is looked up by that name too.
   */
  map?: string[];
  /**
   * Files another tool wrote (mongoexport, a JSON dump), without a docferry manifest: each pattern
   * (relative to `exportDir`, which holds the rejects and checkpoints) into its `db.coll`.
   */
  files?: ForeignFiles[];
  /** With `files`: their encoding; detected from the first lines when absent. */
  jsonFormat?: JsonFormat;
}

/**
 * Export directory -> target database. The whole export is checked (manifest status, every
 * file's size, sha256 and count) and every target container is checked or created before the
 * first document is written.
 */
export async function runImport(o: ImportOptions): Promise<RunSummary> {
  if (o.fromRejects !== undefined && o.shard) throw new UsageError('--from-rejects imports a rejects file whole: run it without --shard.');
  if (o.fromRejects !== undefined) {
    const { runRejectsReplay } = await import('./replay.js');
    return runRejectsReplay({ ...o, fromRejects: o.fromRejects });
  }
  const events = o.events ?? ignoreEvents;
  checkMirrorOptions(o);
  const map = parseNamespaceMap(o.map);
  checkShardOptions(o, 'import');
  if (o.jsonFormat && !o.files) throw new UsageError('--json-format is for --files imports: an export directory\'s manifest says its format.');
  const foreign = o.files ? await checkForeignFiles(o.exportDir, o.files, o.jsonFormat) : undefined;
  const foreignPrint: ForeignFingerprint[] | undefined = foreign?.fingerprint;
  const checked = foreign
    ? foreign
    : await checkExportDir(o.exportDir, {
        ...(o.allowPartial ? { allowPartial: true } : {}),
        ...(o.collections ? { collections: o.collections } : {}),
      });
  const to = databaseStore(o.target);
  checked.warnings.push(...(to.importWarnings?.(o.target, { dir: o.exportDir, format: checked.format, ...(checked.sourceType ? { sourceType: checked.sourceType } : {}) }) ?? []));
  // A subset export (docs/filters.md): said loudly, and never mirrored (its filters ride on the
  // scopes for that check only: the files were filtered when they were written, and are read whole).
  const subset = checked.manifest?.subset ? importedFilters(checked.manifest.filters ?? {}, checked.files) : undefined;
  if (subset) checked.warnings.push(subsetWarning(o.exportDir, subset));
  const part = checked.manifest?.shard;
  if (part) {
    checked.warnings.push(
      `${o.exportDir} is shard ${part.index}/${part.count} of a sharded export: it holds only that shard's documents. Import the other shards too, or merge them first (docferry manifest merge) and import the result.`,
    );
  }
  for (const message of checked.warnings) events({ type: 'warning', message });
  // In the order of the layout this import applies, then the export's own (its manifest's layout).
  const layoutScopes: CollectionScope[] = sortByOrder(checked.files, layoutCollections(o.layout.layout)).map((f) => {
    const container = findContainer(o.layout.layout, f.database, f.collection);
    return {
      database: f.database,
      collection: f.collection,
      partitionKey: partitionKeyFor(o.layout.layout, f.database, f.collection),
      ...(container ? { container } : {}),
    };
  });
  // The carried schema, translated where the backends differ: containers docferry creates get it.
  // Before the sink is even opened: a bad mapping leaves the target untouched.
  // A merge (docs/shared-containers.md) sends each file's collection into the layout's shared container.
  const scopes = routeShared(applyNamespaceMap(map, o.noIndexes ? layoutScopes : withSchemas(layoutScopes, checked.manifest?.schemas), `the export ${o.exportDir}${o.collections?.length ? ' (narrowed by --collections)' : ''}`), o.layout.layout);
  if (anyShared(scopes) && (o.mode === 'mirror' || o.shard)) throw new UsageError(`A shared container is merged into (docs/shared-containers.md): ${o.mode === 'mirror' ? '--mode mirror' : '--shard'} is not supported with it yet.`);
  if (o.mode === 'mirror' && subset) {
    refuseMirrorOfSubset(
      scopes.map((s) => ({ ...s, filters: subset[countKey(s.database, s.collection)] ?? [] })),
      `${o.exportDir} is a subset export: only the documents matching its filters were exported from`,
    );
  }
  // Extended JSON lines decode to BSON values; json and plain lines are JSON the sinks map by the rules.
  const bsonInput = isExtendedJson(checked.format);
  const sink = sinkIntoShared(sinkAtDestinations(await withShardBudget(o.target, { ...o, events }, (spec) => createSink(spec, { bsonInput, ...(checked.sourceType ? { sourceType: checked.sourceType } : {}) }))));
  let source: SourceStore = new DirSource(checked);
  // A shard reads its line range of every file: the split follows from the manifest alone.
  const sharded = await shardedSource(source, `dir:${resolve(o.exportDir)}`, scopes, { ...o, events }).catch(async (err: unknown) => {
    await sink.close();
    throw err;
  });
  source = sharded.source;
  const targetIdentity = endpointIdentity(databaseStore(o.target).printable(o.target));
  const checkpointDir = o.checkpointDir ?? (await defaultImportCheckpoint(o.exportDir, targetIdentity, sink.describe(), o.shard ? shardPart(o.shard) : undefined));
  let summary: RunSummary;
  let mirror: MirrorRun | undefined;
  let checkpoint: RunCheckpoint | undefined;
  try {
    if (o.mode === 'mirror') {
      mirror = new MirrorRun(sink, { ...mirrorOptions(o), events });
      // The check's problems are not told apart per file: with --allow-partial no collection is trusted.
      if (o.allowPartial) mirror.distrustAll('--allow-partial: the export may be incomplete, and a document missing from it is no reason to delete its target copy');
      await mirror.open();
      if (o.dryRun) {
        return { ...(await mirror.dryRun({ operation: 'import', source, scopes, warnings: checked.warnings, ...pickTuning(o) })), exportDir: o.exportDir };
      }
    }
    checkpoint = await openRunCheckpoint({
      dir: checkpointDir,
      explicit: o.checkpointDir !== undefined,
      operation: 'import',
      // The same files (by checksum) into the same target in the same mode, or no resume.
      fingerprint: {
        target: targetIdentity,
        mode: o.mode,
        ...to.checkpointFingerprint(o.target),
        // Where each collection goes is part of what is resumed: another mapping is another import.
        ...(mappingFingerprint(map) ? { map: mappingFingerprint(map) } : {}),
        // In the manifest's file order, whatever order the collections run in, as earlier versions wrote it.
        files: foreignPrint ?? (checked.manifest ? sortByOrder(checked.files, checked.manifest.files) : checked.files).map((f) => ({ path: f.relPath, documents: f.expectedDocuments, sha256: checked.manifest?.files.find((m) => m.path === f.relPath)?.sha256 })),
        ...shardFingerprint(sharded.record),
      },
      resume: o.resume ?? false,
      sourceKind: source.kind,
      events,
    });
    summary = await runCollections({
      operation: 'import',
      source: mirror ? mirror.watchSource(source) : source,
      sink: mirror ? mirror.watchSink(sink) : sink,
      scopes,
      mode: o.mode === 'mirror' ? 'upsert' : o.mode,
      rejectsDir: o.rejectsDir ?? join(o.exportDir, '_rejects'),
      events,
      warnings: checked.warnings,
      ...(checkpoint ? { checkpoint } : {}),
      ...pickTuning(o),
    });
    summary = await rebuildSchemas(sink, scopes, summary, { events, ...(o.noIndexes ? { skip: true } : {}) });
    if (checkpoint && !summary.collections.some((c) => c.status === 'failed')) await checkpoint.remove();
    else if (checkpoint) summary = { ...summary, checkpointDir };
    if (mirror) summary = await mirror.finish(summary);
  } finally {
    await checkpoint?.release();
    await mirror?.close();
    await sink.close();
  }
  summary = { ...summary, exportDir: o.exportDir, ...(subset ? { subset } : {}) };
  if (!o.verify) return summary;
  return withVerification(summary, {
    // Files from other tools are read back as the import read them: the same files, in the format it used.
    left: { type: 'dir', path: o.exportDir, ...(o.files ? { files: o.files, jsonFormat: checked.format } : {}) },
    right: o.target,
    layout: o.layout,
    ...(o.collections ? { collections: o.collections } : {}),
    ...(o.map?.length ? { map: o.map } : {}),
    ...(o.allowPartial ? { allowPartial: true } : {}),
    ...(o.reportFile ? { reportFile: o.reportFile } : {}),
    events,
  });
}

/** The filters of the collections this import reads (a subset export's, narrowed by --collections); undefined for none. */
function importedFilters(filters: Record<string, CollectionFilter[]>, files: readonly { database: string; collection: string }[]): Record<string, CollectionFilter[]> | undefined {
  const out: Record<string, CollectionFilter[]> = {};
  for (const f of files) {
    const key = countKey(f.database, f.collection);
    if (filters[key]) out[key] = filters[key];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * `<export-dir>/_checkpoints/import-<hash of the target's identity>`. Versions before 0.2 named it
 * by the target as displayed (with `<redacted>@` when the URI had credentials): such a checkpoint
 * is still found, so that an interrupted import can be resumed after an upgrade.
 */
async function defaultImportCheckpoint(exportDir: string, identity: string, displayed: string, part?: string): Promise<string> {
  // Each shard its own checkpoint (and lock): N shards import one export at once.
  if (part) return join(exportDir, '_checkpoints', `${checkpointName('import', identity)}-${part}`);
  const dir = join(exportDir, '_checkpoints', checkpointName('import', identity));
  const legacy = join(exportDir, '_checkpoints', checkpointName('import', displayed));
  if (legacy !== dir && !(await hasCheckpoint(dir)) && (await hasCheckpoint(legacy))) return legacy;
  return dir;
}
