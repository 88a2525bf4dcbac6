/**
 * `planRun`: what an export, import or migrate would do, found without writing anything: the
 * plan `docferry plan <operation> --json` prints (one engine function, src/engine/plan.ts).
 */
import { UsageError } from '../core/errors.js';
import { runPlan, type PlanRequest, type RunPlan } from '../engine/plan.js';
import { readCall, exportOptionsOf, importOptionsOf, migrateOptionsOf, type ExportDataOptions, type ImportDataOptions, type MigrateDataOptions } from './run.js';

export type { PlannedCollection, PlannedEstimate, RunPlan } from '../engine/plan.js';
export type { PartitionFindings } from '../engine/plan-partitions.js';
export { DEFAULT_PLAN_SAMPLE } from '../engine/plan.js';

/** What a plan takes beside the run's options. */
export interface PlanControlOptions {
  /** Documents read per collection for sizes, write costs and partition keys (`--sample`; default 200). 0: none. */
  sample?: number;
}

/** The options of the run to plan: the call's options with the operation it is. */
export type PlanRunOptions = PlanControlOptions & (({ operation: 'export' } & ExportDataOptions) | ({ operation: 'import' } & ImportDataOptions) | ({ operation: 'migrate' } & MigrateDataOptions));

/**
 * What `exportData`, `importData` or `migrate` with these options would do, without writing,
 * creating or deleting anything. Per collection: the source and the destination, the document
 * count and the bytes, whether the target container or collection exists or would be created,
 * how it differs from the layout (`schemaDifferences`), and from a sample of at most `sample`
 * documents: what the target would reject, the partition-key findings, and for a Cosmos DB
 * target the estimated RU and, under the RU budget, the duration (docs/cli.md, "docferry plan",
 * states the cost model). For `mode: 'mirror'` the mirror dry run's deletes. Options are checked
 * as the run checks them (a UsageError for bad ones).
 *
 * @returns The plan; `exitCode` 5 when `problems` would stop the run (it is not thrown).
 * @throws UsageError (2), InputRefusedError (4: an export an import would refuse), DocferryError
 *   (1: a server that cannot be reached, `strict` and a source that differs from the layout).
 *
 * @example
 * ```ts
 * const plan = await planRun({ operation: 'migrate', fromType: 'mongodb', fromMongoUri, toType: 'cosmos', toCosmosEndpoint, toCosmosKey, toMaxRu: 4000 });
 * for (const c of plan.collections) console.log(c.source.collection, c.sourceDocuments, c.estimate?.requestUnits, c.estimate?.seconds);
 * if (plan.problems.length > 0) throw new Error(plan.problems.join('\n'));
 * ```
 */
export async function planRun(options: PlanRunOptions): Promise<RunPlan> {
  const { operation, sample, ...rest } = options;
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 0)) throw new UsageError(`planRun: option "sample" takes a whole number of documents (0 or more), not ${String(sample)}.`);
  const settings = sample !== undefined ? { sample } : {};
  let request: PlanRequest;
  if (operation === 'export') request = { operation, options: exportOptionsOf(readCall('export', rest)) };
  else if (operation === 'import') request = { operation, options: importOptionsOf(readCall('import', rest)) };
  else if (operation === 'migrate') request = { operation, options: migrateOptionsOf(readCall('migrate', rest)) };
  else throw new UsageError(`planRun: option "operation" must be export, import or migrate, not ${JSON.stringify(operation)}.`);
  return runPlan(request, settings);
}
