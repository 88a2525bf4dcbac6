/**
 * `docferry plan` and the library's `planRun`: what an export, import or migrate would do,
 * found against the live source and target without writing, creating or deleting anything
 * (docs/cli.md, "docferry plan"). Per collection: source and destination, documents and bytes,
 * whether the target exists or would be created, its schema differences, and from a bounded
 * sample of documents the write cost (a target that charges request units), the duration under
 * the RU budget, and partition-key warnings. Everything store-specific is asked of the stores'
 * descriptors (`planning`, src/stores/descriptor.ts). One collection is planned in plan-collection.ts.
 */
import { readdir } from 'node:fs/promises';
import { isExtendedJson, encodeDocument } from '../core/codec.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { findContainer, layoutCollections, partitionKeyFor, resolveScope, sortByOrder, type CollectionSchema, type CollectionScope, type Layout } from '../core/layout.js';
import { countKey } from '../core/manifest.js';
import { describeFilters } from '../core/filter.js';
import { checkFilters, withFilters } from './filters.js';
import { applyNamespaceMap, atDestination, isEmptyMap, parseNamespaceMap } from '../core/namespace-map.js';
import { checkExportDir, type CheckedExport } from '../stores/exportdir/check.js';
import { DirSource } from '../stores/exportdir/source.js';
import { createSource, type DatabaseSpec } from '../stores/factory.js';
import type { PlannedRuBudget, SinkFactoryOptions } from '../stores/descriptor.js';
import { databaseStore, sameStore } from '../stores/registry.js';
import type { SourceStore } from '../stores/types.js';
import { routeShared, withoutSplitTargets } from '../core/shared.js';
import { sourceThroughShared } from './shared.js';
import { discover, discoveryOptions, type Discovery } from './discovery.js';
import type { ExportOptions } from './export.js';
import type { ImportOptions } from './import.js';
import { refuseReadWriteOverlap, type MigrateOptions } from './migrate.js';
import { checkMirrorOptions, type MirrorSummary, type RunMode } from './mirror.js';
import { openTarget, planIntoTarget, probe, sampleOf, sourceBytes, type TargetSide } from './plan-collection.js';
import type { PartitionFindings } from './plan-partitions.js';
import type { LayoutDifference } from './schema-check.js';

/** Documents a plan samples per collection unless told (`--sample`). */
export const DEFAULT_PLAN_SAMPLE = 200;

/** The run to plan: the engine options of that operation, as its command or API call builds them. */
export type PlanRequest = { operation: 'export'; options: ExportOptions } | { operation: 'import'; options: ImportOptions } | { operation: 'migrate'; options: MigrateOptions };

export interface PlanSettings {
  /** Documents read per collection for sizes, write costs and partition keys (default DEFAULT_PLAN_SAMPLE). */
  sample?: number;
}

type Name = { database: string; collection: string };

/** What a run would spend writing a collection into a target that charges request units. */
export interface PlannedEstimate {
  /** Request units for every document: the mean write cost of the sample x the documents. */
  requestUnits: number;
  /** The mean write cost of a sampled document. */
  requestUnitsPerDocument: number;
  /** The budget the run's writes would steer by. */
  budget: PlannedRuBudget;
  /** requestUnits / the budget's RU/s, when a budget is known: the collection alone in its budget. */
  seconds?: number;
}

/** One collection of a planned run. */
export interface PlannedCollection {
  /** Where it is read: a database collection, or an export directory's file of it. */
  source: Name;
  /** Where it is written (the destination): the source's names, a `--map` rule's, or a shared container's. */
  target: Name;
  /**
   * Routed through a shared container (docs/shared-containers.md), as the run routes it: `split`,
   * read from the source's shared `container` where `discriminator` is `value`; `merge`, written
   * into the target's shared `container` (the `target` above) with `discriminator` set to `value`.
   */
  shared?: { route: 'split' | 'merge'; container: string; discriminator: string; value: string };
  /** The filter the run applies to the source, when it reads a subset. */
  filter?: string;
  /** Documents in the source: the store's count, an export's manifest count; undefined when unknown. */
  sourceDocuments?: number;
  /** false when the source collection does not exist (a run would read nothing from it); undefined when the store cannot tell. */
  sourceExists?: boolean;
  /** Bytes of the source's documents, and where the figure comes from. */
  bytes?: number;
  bytesFrom?: 'store' | 'manifest' | 'sample';
  /**
   * Whether the target container or collection exists now; false: the run would create it
   * (Cosmos DB with an account key, MongoDB on first write); undefined: cannot tell. An export's
   * target is always a new file (false).
   */
  targetExists?: boolean;
  /** The run would create the target container or collection. */
  create?: boolean;
  /** The sample: documents read, their mean size as the target stores them, and those the target would reject. */
  sample?: { documents: number; meanBytes?: number; rejected: number; reasons?: { reason: string; documents: number }[] };
  /** A Cosmos DB target: RU and time. */
  estimate?: PlannedEstimate;
  /** A partitioned target: what the sample says of the partition key. */
  partitionKey?: PartitionFindings;
  /** How the live target differs from what the run holds it to; `blocking` ones stop the run before it writes. */
  schemaDifferences?: (LayoutDifference & { blocking: boolean })[];
  /** Things to know that are no warning: where an estimate could not be made, and why. */
  notes?: string[];
}

/** What a run would do. Fields will be added; none will change meaning. */
export interface RunPlan {
  operation: 'export' | 'import' | 'migrate';
  /** The source as summaries name it (credentials redacted). */
  source: string;
  /** The target as summaries name it (credentials redacted), or the output directory. */
  target: string;
  mode?: RunMode;
  /** Documents sampled per collection (at most). */
  sampleSize: number;
  collections: PlannedCollection[];
  /** Named by the layout, missing on the source: nothing is read from them. */
  absent: Name[];
  /** Found on the source, not named by the layout, and not moved (`--all` moves them). */
  notMoved: (Name & { documents?: number })[];
  /** Target containers or collections the run would create. */
  created: Name[];
  totals: { documents: number; bytes: number; requestUnits?: number; seconds?: number };
  /** `mode: 'mirror'`: the engine's mirror dry run (the source read in full, the target listed): `extra` documents would be deleted, or `refused`. */
  mirror?: MirrorSummary;
  /** Things to know before running: a collection missing, documents the target would reject, partition-key risks, schema differences. */
  warnings: string[];
  /** What would stop the run before it writes (a partition key that differs, a container that cannot be created). */
  problems: string[];
  /** 0: the run can go; 5: `problems` would stop it. The CLI's --fail-on-warnings also makes warnings 5. */
  exitCode: number;
}

const nameOf = (s: Name) => `${s.database}.${s.collection}`;

/**
 * Where a source collection is written: its own names, or where a `--map` rule sends it (the
 * scopes were mapped by `applyNamespaceMap` as the run maps them; src/core/namespace-map.ts).
 */
export function destinationOf(scope: CollectionScope): CollectionScope {
  return atDestination(scope);
}

/** The filters a run applies when it reads a collection (`--query`, a layout's per-container filter; set on the scope by withFilters), as a summary names them. */
export function filterOf(scope: CollectionScope): string | undefined {
  return scope.filters?.length ? describeFilters(scope.filters) : undefined;
}

async function withSource<T>(spec: DatabaseSpec, work: (s: SourceStore) => Promise<T>): Promise<T> {
  const source = await createSource(spec);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

/** The totals, and the run's duration: each budget's RU over its RU/s, budgets one after another (an upper bound when collections run in parallel). */
function totalsOf(collections: PlannedCollection[]): RunPlan['totals'] {
  const totals: RunPlan['totals'] = { documents: 0, bytes: 0 };
  for (const c of collections) {
    totals.documents += c.sourceDocuments ?? 0;
    totals.bytes += c.bytes ?? 0;
  }
  const estimated = collections.filter((c) => c.estimate);
  if (estimated.length === 0) return totals;
  totals.requestUnits = estimated.reduce((a, c) => a + c.estimate!.requestUnits, 0);
  if (estimated.every((c) => c.estimate!.budget.ruPerSecond)) {
    const byBudget = new Map<string, { ru: number; rate: number }>();
    for (const c of estimated) {
      const g = byBudget.get(c.estimate!.budget.key) ?? { ru: 0, rate: c.estimate!.budget.ruPerSecond! };
      g.ru += c.estimate!.requestUnits;
      byBudget.set(c.estimate!.budget.key, g);
    }
    totals.seconds = Math.round([...byBudget.values()].reduce((a, g) => a + g.ru / g.rate, 0) * 10) / 10;
  }
  return totals;
}

/** An export refuses a non-empty output directory unless it resumes or overwrites: said before, not found out after. */
async function outputDirProblem(o: ExportOptions): Promise<string | undefined> {
  if (o.resume || o.overwrite) return undefined;
  const entries = await readdir(o.outputDir).catch(() => [] as string[]);
  return entries.length > 0 ? `Output directory ${o.outputDir} is not empty: the export would refuse it. Choose a new --output-dir, or pass --overwrite (or --resume for an interrupted export).` : undefined;
}

function scopeOf(layout: Layout, f: Name): CollectionScope {
  const container = findContainer(layout, f.database, f.collection);
  return { database: f.database, collection: f.collection, partitionKey: partitionKeyFor(layout, f.database, f.collection), ...(container ? { container } : {}) };
}

function finish(plan: Omit<RunPlan, 'totals' | 'created' | 'exitCode'>): RunPlan {
  // Collections merged into one shared container create it once.
  const created = [...new Map(plan.collections.filter((c) => c.create).map((c) => [nameOf(c.target), c.target])).values()];
  return { ...plan, created, totals: totalsOf(plan.collections), warnings: [...new Set(plan.warnings)], problems: [...new Set(plan.problems)], exitCode: plan.problems.length > 0 ? ExitCode.differences : ExitCode.ok };
}

function discoveredLists(d: Discovery | undefined): Pick<RunPlan, 'absent' | 'notMoved'> {
  return { absent: d?.absent ?? [], notMoved: d?.unnamed ?? [] };
}

/**
 * The plan of a run, with the options the run would be given. Options are checked as the run
 * checks them (a UsageError for bad ones); `--strict` fails as the run would. Reads the sources'
 * counts and sizes, a sample of at most `settings.sample` documents per collection, and the
 * targets' containers, schemas and throughput; writes nothing.
 */
export async function runPlan(request: PlanRequest, settings: PlanSettings = {}): Promise<RunPlan> {
  const n = settings.sample ?? DEFAULT_PLAN_SAMPLE;
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--sample takes a whole number of documents, not ${n}.`);
  const warnings: string[] = [];
  const problems: string[] = [];
  const quiet = () => {};
  if (request.operation === 'export') {
    const o = request.options;
    const store = databaseStore(o.source);
    const format = o.format ?? store.exportFormats.default;
    const refused = store.exportFormats.refuse(format);
    if (refused) throw new UsageError(refused);
    const dirProblem = await outputDirProblem(o);
    if (dirProblem) problems.push(dirProblem);
    return withSource(o.source, async (opened) => {
      // As the run does: a split shared container is read per discriminator value, one file per value.
      const source = sourceThroughShared(opened, (f, v, out) => store.selectByField(f, v, out), 'source');
      const discovery = await discover(source, o.layout.layout, withoutSplitTargets(resolveScope(o.layout.layout, o.collections)), { ...discoveryOptions(o), narrowed: (o.collections?.length ?? 0) > 0, events: quiet });
      warnings.push(...discovery.warnings);
      // As the run does: the filters ride on the scopes (counts are of the matching documents), and one the server refuses stops the plan.
      const filtered = withFilters(routeShared(discovery.scopes, o.layout.layout), o.layout, o.query);
      await checkFilters(source, filtered);
      const collections: PlannedCollection[] = [];
      for (const scope of filtered) {
        const p = await probe(source, scope, warnings, 'source');
        if (p.exists === false) warnings.push(`source ${nameOf(scope)} does not exist on ${source.describe()}: its export file would be empty.`);
        const filter = filterOf(scope);
        // A source that could not even be counted: one document read says why (the run would fail on it).
        if (p.count === undefined && p.exists !== false) await sampleOf(source, scope, 1);
        const bytes = p.exists === false ? {} : await sourceBytes(source, scope, p.count, async () => (await sampleOf(source, scope, n)).docs.map((d) => ({ bytes: d.bytes ?? Buffer.byteLength(encodeDocument(d.doc, format)) })));
        collections.push({
          source: { database: scope.database, collection: scope.collection },
          target: { database: scope.database, collection: scope.collection },
          ...(scope.shared ? { shared: { route: 'split' as const, container: scope.shared.container, discriminator: scope.shared.discriminator, value: scope.shared.value } } : {}),
          ...(filter ? { filter } : {}),
          ...(p.count !== undefined ? { sourceDocuments: p.count } : {}),
          ...(p.exists !== undefined ? { sourceExists: p.exists } : {}),
          ...bytes,
          targetExists: false,
        });
      }
      return finish({ operation: 'export', source: store.printable(o.source), target: o.outputDir, sampleSize: n, collections, ...discoveredLists(discovery), warnings, problems });
    });
  }

  const run = request.options;
  checkMirrorOptions(run);
  if (request.operation === 'import' && request.options.fromRejects !== undefined) {
    throw new UsageError('docferry plan import plans the files of an export, not a rejects file: leave out --from-rejects (the replay itself checks every line before writing).');
  }
  const to = databaseStore(run.target);
  const map = parseNamespaceMap(run.map);
  let source: SourceStore;
  let sourceName: string;
  let scopes: CollectionScope[];
  let discovery: Discovery | undefined;
  let checked: CheckedExport | undefined;
  let factory: SinkFactoryOptions;
  const facts = new Map<string, { exists?: boolean; count?: number; bytes?: number }>();
  if (request.operation === 'import') {
    const o = request.options;
    checked = await checkExportDir(o.exportDir, { ...(o.allowPartial ? { allowPartial: true } : {}), ...(o.collections ? { collections: o.collections } : {}) });
    warnings.push(...checked.warnings);
    warnings.push(...(to.importWarnings?.(o.target, { dir: o.exportDir, format: checked.format, ...(checked.sourceType ? { sourceType: checked.sourceType } : {}) }) ?? []));
    const manifestFiles = checked.manifest?.files ?? [];
    scopes = sortByOrder(checked.files, layoutCollections(o.layout.layout)).map((f) => {
      const bytes = manifestFiles.find((m) => m.path === f.relPath)?.bytes;
      facts.set(nameOf(f), { exists: true, ...(f.expectedDocuments !== undefined ? { count: f.expectedDocuments } : {}), ...(bytes !== undefined ? { bytes } : {}) });
      return scopeOf(o.layout.layout, f);
    });
    source = new DirSource(checked);
    sourceName = o.exportDir;
    factory = { bsonInput: isExtendedJson(checked.format), ...(checked.sourceType ? { sourceType: checked.sourceType } : {}) };
  } else {
    const o = request.options;
    const from = databaseStore(o.source);
    if (sameStore(o.source, o.target) && isEmptyMap(map)) {
      throw new UsageError(`The source and the target are the same ${from.label} (${from.printable(o.source)}), and the layout names the same databases on both sides: a migrate would read and write the same collections. Check the --from-… and --to-… flags and the SRC_*/DST_* variables.`);
    }
    // Scopes of a split shared container are read from it through its discriminator, as the run reads them.
    source = sourceThroughShared(await createSource(o.source), (f, v, out) => from.selectByField(f, v, out), 'source');
    sourceName = from.printable(o.source);
    factory = { bsonInput: from.carriesBson, sourceType: o.source.type };
    try {
      discovery = await discover(source, o.layout.layout, withoutSplitTargets(resolveScope(o.layout.layout, o.collections)), { ...discoveryOptions(o), narrowed: (o.collections?.length ?? 0) > 0, events: quiet, absentOutcome: 'nothing is read from it, and nothing is created for it on the target' });
    } catch (err) {
      await source.close();
      throw err;
    }
    warnings.push(...discovery.warnings);
    scopes = discovery.scopes;
  }
  // As the run does: a bad mapping is refused before the target is opened, and shared containers
  // are split or merged into (src/core/shared.ts) after the mapping, before the filters.
  try {
    scopes = routeShared(applyNamespaceMap(map, scopes, request.operation === 'import' ? `the export ${sourceName}` : `the source ${sourceName}`), run.layout.layout);
    if (request.operation === 'migrate') {
      const o = request.options;
      if (sameStore(o.source, o.target)) refuseReadWriteOverlap(scopes, o.source);
      scopes = withFilters(scopes, o.layout, o.query);
      await checkFilters(source, scopes);
    }
  } catch (err) {
    await source.close();
    throw err;
  }

  let target: TargetSide | undefined;
  const collections: PlannedCollection[] = [];
  try {
    target = await openTarget(run.target, factory, run.noIndexes ?? false);
    for (const scope of scopes) {
      let f = facts.get(nameOf(scope));
      // A merged collection's own schema is not the shared container's: the run does not apply it.
      const merged = scope.shared?.side === 'target';
      let carried: CollectionSchema | undefined = merged ? undefined : checked?.manifest?.schemas?.[countKey(scope.database, scope.collection)];
      if (!f) {
        const p = await probe(source, scope, warnings, 'source');
        if (p.exists === false) warnings.push(`source ${nameOf(scope)} does not exist on ${source.describe()}: nothing would be migrated from it.`);
        f = p;
        if (p.exists !== false && !run.noIndexes && !merged) carried = await source.schema?.(scope).catch(() => undefined);
      }
      const filter = filterOf(scope);
      const dst = destinationOf(scope);
      const base: PlannedCollection = {
        source: { database: scope.database, collection: scope.collection },
        target: { database: dst.database, collection: dst.collection },
        ...(scope.shared ? { shared: { route: scope.shared.side === 'source' ? ('split' as const) : ('merge' as const), container: scope.shared.container, discriminator: scope.shared.discriminator, value: scope.shared.value } } : {}),
        ...(filter ? { filter } : {}),
        ...(f.count !== undefined ? { sourceDocuments: f.count } : {}),
        ...(f.exists !== undefined ? { sourceExists: f.exists } : {}),
        ...(f.bytes !== undefined ? { bytes: f.bytes, bytesFrom: 'manifest' as const } : {}),
      };
      const planned = await planIntoTarget(target, scope, dst, source, base, carried, n);
      let c = planned.collection;
      if (c.bytes === undefined && f.exists !== false) {
        const storeBytes = await source.size?.(scope).catch(() => undefined);
        if (storeBytes !== undefined) c = { ...c, bytes: storeBytes, bytesFrom: 'store' };
        else if (c.sample?.meanBytes !== undefined && c.sourceDocuments !== undefined) c = { ...c, bytes: c.sample.meanBytes * c.sourceDocuments, bytesFrom: 'sample' };
      }
      collections.push(c);
      warnings.push(...planned.warnings);
      problems.push(...planned.problems);
    }
  } finally {
    await Promise.allSettled([source.close(), target?.reader.close()]);
  }
  let plan = finish({ operation: request.operation, source: sourceName, target: to.printable(run.target), mode: run.mode, sampleSize: n, collections, ...discoveredLists(discovery), warnings, problems });
  if (run.mode !== 'mirror') return plan;
  // The engine's mirror dry run: reads the source in full and lists the target; writes, creates and deletes nothing.
  // Without what a dry run refuses or would write: resume, verify, the deletes file.
  const { resume: _resume, verify: _verify, reportFile: _report, deletesFile: _deletes, ...dryRun } = run;
  void _resume, void _verify, void _report, void _deletes;
  const dry =
    request.operation === 'import'
      ? await (await import('./import.js')).runImport({ ...(dryRun as ImportOptions), dryRun: true })
      : await (await import('./migrate.js')).runMigrate({ ...(dryRun as MigrateOptions), dryRun: true });
  plan = { ...plan, ...(dry.mirror ? { mirror: dry.mirror } : {}), warnings: [...new Set([...plan.warnings, ...dry.warnings])] };
  return plan;
}
