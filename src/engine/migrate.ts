import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { resolveScope, type CollectionScope } from '../core/layout.js';
import { defaultExportDirName } from '../core/manifest.js';
import { createSink, createSource, type DatabaseSpec } from '../stores/factory.js';
import { databaseStore, sameStore } from '../stores/registry.js';
import type { SinkStore, SourceStore } from '../stores/types.js';
import { ignoreEvents, type EventSink, type RunSummary } from './events.js';
import type { LayoutRef } from './export.js';
import { checkpointName, openRunCheckpoint, type RunCheckpoint } from './checkpoint.js';
import { MirrorRun, checkMirrorOptions, mirrorOptions, type MirrorOptions, type RunMode } from './mirror.js';
import { readSchemas, rebuildSchemas, withSchemas } from './schema-carry.js';
import { pickTuning, runCollections, type TuningOptions } from './run.js';
import { withVerification } from './verify.js';
import { discover, discoveryOptions, type DiscoveryOptions } from './discovery.js';
import { applyNamespaceMap, destinationOf, isEmptyMap, mappingFingerprint, parseNamespaceMap } from '../core/namespace-map.js';
import { sinkAtDestinations } from './destination.js';
import { sinkIntoShared, sourceThroughShared } from './shared.js';
import { anyShared, routeShared, withoutSplitTargets } from '../core/shared.js';
import { checkFilters, filtersByCollection, refuseMirrorOfSubset, withFilters, type FilterOptions } from './filters.js';
import { shardPart } from '../core/shard.js';
import { hasSharableBudget, withShardBudget, withoutShardBudget, checkShardOptions, refuseShardOfFiltered, shardFingerprint, shardedSource, type ShardOptions } from './shard.js';

export interface MigrateOptions extends TuningOptions, MirrorOptions, DiscoveryOptions, FilterOptions, ShardOptions {
  source: DatabaseSpec;
  target: DatabaseSpec;
  /** Databases, collections and partition keys; the same names on both sides. */
  layout: LayoutRef;
  collections?: string[];
  mode: RunMode;
  /** Default: `docferry-rejects-<UTC yyyymmddTHHMMSS>` in the working directory. */
  rejectsDir?: string;
  events?: EventSink;
  /** Continue an interrupted migrate of the same source into the same target. */
  resume?: boolean;
  /** Default: `docferry-checkpoints/migrate-<hash of source and target>` in the working directory. */
  checkpointDir?: string;
  /** Compare source and target afterwards (exit 5 on differences). */
  verify?: boolean;
  /** With `verify`: every difference to this NDJSON file. */
  reportFile?: string;
  /** `--no-indexes`: do not rebuild (MongoDB) or check (Cosmos DB) the source's schema on the target. */
  noIndexes?: boolean;
  /**
   * `--map SRC=DST` rules (src/core/namespace-map.ts): the target database and collection of each
   * source collection. The layout is looked up by the source's names.
   */
  map?: string[];
}

/** `docferry-rejects-20260212T170000`, stamped like the export directories. */
export function defaultRejectsDirName(now: Date = new Date()): string {
  return defaultExportDirName(now).replace(/^data-export-/, 'docferry-rejects-');
}

/**
 * Database -> database, streaming: documents go from the source cursor through the type rules
 * straight into the target's bulk writes, with no intermediate directory. The same modes,
 * rules, rejects and summary as an import.
 */
/** A migrate within one server (possible with --map): refused when a collection would be read and written at once. */
export function refuseReadWriteOverlap(scopes: readonly CollectionScope[], source: DatabaseSpec): void {
  const from = databaseStore(source);
  const read = new Set(scopes.map((s) => `${s.database}.${s.collection}`));
  const overlap = scopes.map(destinationOf).map((d) => `${d.database}.${d.collection}`).filter((d) => read.has(d));
  if (overlap.length > 0) {
    throw new UsageError(
      `The source and the target are the same ${from.label} (${from.printable(source)}), and ${overlap.slice(0, 5).join(', ')} would be read and written at once. Map every collection of the run to names it does not read (--map), or check the --from-… and --to-… flags.`,
    );
  }
}

export async function runMigrate(o: MigrateOptions): Promise<RunSummary> {
  const layoutScopes = withoutSplitTargets(resolveScope(o.layout.layout, o.collections));
  checkMirrorOptions(o);
  const map = parseNamespaceMap(o.map);
  checkShardOptions(o, 'migrate');
  const from = databaseStore(o.source);
  const to = databaseStore(o.target);
  const intoItself = sameStore(o.source, o.target);
  // With --map, one server can be both: checked below, once the names on each side are known.
  if (intoItself && isEmptyMap(map)) {
    throw new UsageError(
      `The source and the target are the same ${from.label} (${from.printable(o.source)}), and the layout names the same databases on both sides: a migrate would read and write the same collections. Check the --from-… and --to-… flags and the SRC_*/DST_* variables.`,
    );
  }
  const events = o.events ?? ignoreEvents;
  // One record shares one budget: the writing side's when it has one, else the reading side's.
  const recordOnTarget = hasSharableBudget(o.target);
  const sourceShard = { ...(recordOnTarget ? withoutShardBudget(o) : o), events };
  const targetShard = { ...(recordOnTarget ? o : withoutShardBudget(o)), events };
  // Scopes of a split shared container are read from it through its discriminator; others pass unchanged.
  const source: SourceStore = sourceThroughShared(await withShardBudget(o.source, sourceShard, createSource), (f, v, out) => from.selectByField(f, v, out), 'source');
  let sink: SinkStore;
  try {
    // Documents read from MongoDB carry BSON types; the Cosmos DB sink maps them by the rules.
    sink = sinkIntoShared(sinkAtDestinations(await withShardBudget(o.target, targetShard, (spec) => createSink(spec, { bsonInput: from.carriesBson, sourceType: o.source.type }))));
  } catch (err) {
    await source.close();
    throw err;
  }
  let summary: RunSummary;
  let mirror: MirrorRun | undefined;
  let checkpoint: RunCheckpoint | undefined;
  try {
    const discovery = await discover(source, o.layout.layout, layoutScopes, { ...discoveryOptions(o), narrowed: (o.collections?.length ?? 0) > 0, events, absentOutcome: 'nothing is read from it, and nothing is created for it on the target' });
    // Before anything is written: a bad mapping leaves the target untouched.
    const mapped = routeShared(applyNamespaceMap(map, discovery.scopes, `the source ${from.printable(o.source)}${o.collections?.length ? ' (narrowed by --collections)' : ''}`), o.layout.layout);
    if (anyShared(mapped) && (o.mode === 'mirror' || o.shard)) throw new UsageError(`A shared container is split or merged (docs/shared-containers.md): ${o.mode === 'mirror' ? '--mode mirror' : '--shard'} is not supported with it yet; use --mode upsert (or merge), unsharded.`);
    if (intoItself) refuseReadWriteOverlap(mapped, o.source);
    const filtered = withFilters(mapped, o.layout, o.query);
    if (o.mode === 'mirror') refuseMirrorOfSubset(filtered, 'these collections are read through a filter:');
    await checkFilters(source, filtered);
    const filters = filtersByCollection(filtered);
    // The source's schema is read before the documents, so that a container docferry creates gets it.
    const scopes = o.noIndexes ? filtered : withSchemas(filtered, await readSchemas(source, filtered, { warnings: discovery.warnings }));
    if (o.mode === 'mirror') {
      mirror = new MirrorRun(sink, { ...mirrorOptions(o), events });
      await mirror.open();
      if (o.dryRun) return await mirror.dryRun({ operation: 'migrate', source, scopes, warnings: discovery.warnings, ...pickTuning(o) });
    }
    const addresses = { source: from.address(o.source), target: to.address(o.target) };
    if (o.shard) refuseShardOfFiltered(scopes);
    const sharded = await shardedSource(source, addresses.source, scopes, { ...o, events });
    // Each shard its own checkpoint (and lock): N shards migrate at once from one working directory.
    const defaultName = `${checkpointName('migrate', addresses.source, addresses.target)}${o.shard ? `-${shardPart(o.shard)}` : ''}`;
    const checkpointDir = o.checkpointDir ?? join('docferry-checkpoints', defaultName);
    checkpoint = await openRunCheckpoint({
      dir: checkpointDir,
      explicit: o.checkpointDir !== undefined,
      operation: 'migrate',
      // Map and filters only when there are some, so that checkpoints of earlier versions still match.
      fingerprint: { ...addresses, mode: o.mode, ...to.checkpointFingerprint(o.target), ...(mappingFingerprint(map) ? { map: mappingFingerprint(map) } : {}), ...(filters ? { filters } : {}), ...shardFingerprint(sharded.record) },
      resume: o.resume ?? false,
      sourceKind: source.kind,
      events,
    });
    summary = await runCollections({
      operation: 'migrate',
      source: mirror ? mirror.watchSource(sharded.source) : sharded.source,
      sink: mirror ? mirror.watchSink(sink) : sink,
      scopes,
      mode: o.mode === 'mirror' ? 'upsert' : o.mode,
      rejectsDir: o.rejectsDir ?? defaultRejectsDirName(),
      events,
      warnings: discovery.warnings,
      ...(checkpoint ? { checkpoint } : {}),
      ...pickTuning(o),
    });
    if (!o.noIndexes) summary = await rebuildSchemas(sink, scopes, summary, { events });
    if (checkpoint && !summary.collections.some((c) => c.status === 'failed')) await checkpoint.remove();
    else if (checkpoint) summary = { ...summary, checkpointDir };
    if (mirror) summary = await mirror.finish(summary);
    if (filters) summary = { ...summary, subset: filters };
  } finally {
    await checkpoint?.release();
    await mirror?.close();
    await Promise.allSettled([source.close(), sink.close()]);
  }
  if (!o.verify) return summary;
  return withVerification(summary, { left: o.source, right: o.target, layout: o.layout, ...(o.query ? { query: o.query } : {}), ...(o.all ? { all: true } : {}), discoveryTold: true, ...(o.collections ? { collections: o.collections } : {}), ...(o.map?.length ? { map: o.map } : {}), ...(o.reportFile ? { reportFile: o.reportFile } : {}), events });
}
