/**
 * `planRun`: what an export, import or migrate would do, found without writing anything. The
 * full `docferry plan` (RU and time estimates) is issue 16's; RunPlan is meant to grow.
 */
import { errorMessage } from '../core/errors.js';
import { findContainer, layoutCollections, partitionKeyFor, resolveScope, sortByOrder, type CollectionScope } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { MirrorSummary, RunMode } from '../engine/mirror.js';
import { checkExportDir } from '../stores/exportdir/check.js';
import { createSource, type DatabaseSpec } from '../stores/factory.js';
import { databaseStore, isMissingCollectionError } from '../stores/registry.js';
import type { SourceStore } from '../stores/types.js';
import { applyNamespaceMap, destinationOf, parseNamespaceMap } from '../core/namespace-map.js';
import { sourceAtDestinations } from '../engine/destination.js';
import { readCall, exportOptionsOf, importOptionsOf, migrateOptionsOf, type ExportDataOptions, type ImportDataOptions, type MigrateDataOptions } from './run.js';

/** One collection of a planned run. */
export interface PlannedCollection {
  /** Where it is read: a database collection, or an export directory's file of it. */
  source: { database: string; collection: string };
  /** Where it is written: the source's names, or where a `map` rule sends them (src/core/namespace-map.ts). */
  target: { database: string; collection: string };
  /** Documents in the source: the store's count, an export's manifest count; undefined when unknown. */
  sourceDocuments?: number;
  /** false when the source collection does not exist (a run would read nothing from it); undefined when the store cannot tell. */
  sourceExists?: boolean;
  /**
   * Whether the target container or collection exists now; false: the run would create it
   * (Cosmos DB with an account key, MongoDB on first write); undefined: cannot tell. An export's
   * target is always a new file (false).
   */
  targetExists?: boolean;
}

/** What a run would do. Fields will be added (RU and time estimates: issue 16); none will change meaning. */
export interface RunPlan {
  operation: 'export' | 'import' | 'migrate';
  /** The source as summaries name it (credentials redacted). */
  source: string;
  /** The target as summaries name it (credentials redacted), or the output directory. */
  target: string;
  mode?: RunMode;
  collections: PlannedCollection[];
  /** `mode: 'mirror'`: the engine's mirror dry run (the source read in full, the target listed): `extra` documents would be deleted, or `refused`. */
  mirror?: MirrorSummary;
  /** Things to know before running: a collection missing, an export to be imported partially, a count that failed. */
  warnings: string[];
}

/** The options of the run to plan: the call's options with the operation it is. */
export type PlanRunOptions = ({ operation: 'export' } & ExportDataOptions) | ({ operation: 'import' } & ImportDataOptions) | ({ operation: 'migrate' } & MigrateDataOptions);

const nameOf = (s: { database: string; collection: string }) => `${s.database}.${s.collection}`;

/** Whether a collection exists in a store read as a source: `exists` where the store has it, else a count that a missing collection fails. */
async function probe(source: SourceStore, scope: CollectionScope, warnings: string[], side: string): Promise<{ exists?: boolean; count?: number }> {
  const found = source.exists ? await source.exists(scope) : undefined;
  if (found && !found.collection) return { exists: false, count: 0 };
  try {
    const count = await source.count(scope);
    return { ...(found ? { exists: true } : source.exists ? {} : { exists: true }), ...(count !== undefined ? { count } : {}) };
  } catch (err) {
    if (isMissingCollectionError(source.kind, err)) return { exists: false, count: 0 };
    warnings.push(`${side} ${nameOf(scope)}: cannot count: ${redact(errorMessage(err))}`);
    return found ? { exists: true } : {};
  }
}

async function withSource<T>(spec: DatabaseSpec, work: (s: SourceStore) => Promise<T>): Promise<T> {
  const source = await createSource(spec);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

/**
 * What `exportData`, `importData` or `migrate` with these options would do, without writing,
 * creating or deleting anything: the collections in scope (source name -> target name), the
 * source document counts, whether each target container or collection exists or would be
 * created, and for `mode: 'mirror'` the mirror dry run's deletes. Options are checked as the run
 * checks them (a UsageError for bad ones). It does not estimate RU or time yet, and does not
 * check target partition keys against the layout (the run does that before its first write).
 *
 * @example
 * ```ts
 * const plan = await planRun({ operation: 'migrate', fromType: 'mongodb', fromMongoUri, toType: 'mongodb', toMongoUri, mode: 'mirror' });
 * for (const c of plan.collections) console.log(c.source.collection, c.sourceDocuments, c.targetExists ? 'exists' : 'created');
 * console.log('would delete', plan.mirror?.extra);
 * ```
 */
export async function planRun(options: PlanRunOptions): Promise<RunPlan> {
  const { operation, ...rest } = options;
  const warnings: string[] = [];
  if (operation === 'export') {
    const o = exportOptionsOf(readCall('export', rest));
    const scopes = resolveScope(o.layout.layout, o.collections);
    const collections = await withSource(o.source, async (source) => {
      const out: PlannedCollection[] = [];
      for (const scope of scopes) {
        const p = await probe(source, scope, warnings, 'source');
        if (p.exists === false) warnings.push(`source ${nameOf(scope)} does not exist on ${source.describe()}: its export file would be empty.`);
        out.push(planned(scope, p, false));
      }
      return out;
    });
    return { operation, source: databaseStore(o.source).printable(o.source), target: o.outputDir, collections, warnings };
  }
  const run = operation === 'import' ? importOptionsOf(readCall('import', rest)) : migrateOptionsOf(readCall('migrate', rest));
  let scopes: CollectionScope[];
  const counts = new Map<string, { exists?: boolean; count?: number }>();
  let sourceName: string;
  if (operation === 'import') {
    const o = run as ReturnType<typeof importOptionsOf>;
    const checked = await checkExportDir(o.exportDir, { ...(o.allowPartial ? { allowPartial: true } : {}), ...(o.collections ? { collections: o.collections } : {}) });
    warnings.push(...checked.warnings);
    scopes = sortByOrder(checked.files, layoutCollections(o.layout.layout)).map((f) => {
      if (f.expectedDocuments !== undefined) counts.set(nameOf(f), { exists: true, count: f.expectedDocuments });
      const container = findContainer(o.layout.layout, f.database, f.collection);
      return { database: f.database, collection: f.collection, partitionKey: partitionKeyFor(o.layout.layout, f.database, f.collection), ...(container ? { container } : {}) };
    });
    sourceName = o.exportDir;
  } else {
    const o = run as ReturnType<typeof migrateOptionsOf>;
    scopes = resolveScope(o.layout.layout, o.collections);
    await withSource(o.source, async (source) => {
      for (const scope of scopes) {
        const p = await probe(source, scope, warnings, 'source');
        if (p.exists === false) warnings.push(`source ${nameOf(scope)} does not exist on ${source.describe()}: nothing would be migrated from it.`);
        counts.set(nameOf(scope), p);
      }
    });
    sourceName = databaseStore(o.source).printable(o.source);
  }
  // As the run does: a bad mapping is refused before the target is opened.
  scopes = applyNamespaceMap(parseNamespaceMap(run.map), scopes, operation === 'import' ? `the export ${sourceName}` : `the source ${sourceName}`);
  const collections = await withSource(run.target, async (inner) => {
    const target = sourceAtDestinations(inner);
    const out: PlannedCollection[] = [];
    for (const scope of scopes) out.push(planned(scope, counts.get(nameOf(scope)) ?? {}, (await probe(target, scope, warnings, 'target')).exists));
    return out;
  });
  const plan: RunPlan = { operation, source: sourceName, target: databaseStore(run.target).printable(run.target), mode: run.mode, collections, warnings };
  if (run.mode !== 'mirror') return plan;
  // The engine's mirror dry run: reads the source in full and lists the target; writes, creates and deletes nothing.
  // Without what a dry run refuses or would write: resume, verify, the deletes file.
  const { resume: _resume, verify: _verify, reportFile: _report, deletesFile: _deletes, ...dryRun } = run;
  void _resume, void _verify, void _report, void _deletes;
  const dry =
    operation === 'import'
      ? await (await import('../engine/import.js')).runImport({ ...(dryRun as ReturnType<typeof importOptionsOf>), dryRun: true })
      : await (await import('../engine/migrate.js')).runMigrate({ ...(dryRun as ReturnType<typeof migrateOptionsOf>), dryRun: true });
  return { ...plan, ...(dry.mirror ? { mirror: dry.mirror } : {}), warnings: [...new Set([...warnings, ...dry.warnings])] };
}

function planned(scope: CollectionScope, source: { exists?: boolean; count?: number }, targetExists: boolean | undefined): PlannedCollection {
  const name = { database: scope.database, collection: scope.collection };
  return {
    source: name,
    target: { ...destinationOf(scope) },
    ...(source.count !== undefined ? { sourceDocuments: source.count } : {}),
    ...(source.exists !== undefined ? { sourceExists: source.exists } : {}),
    ...(targetExists !== undefined ? { targetExists } : {}),
  };
}
