/**
 * The `docferry` package entry point (`import ... from 'docferry'`): the library API (docs/api.md).
 *
 * - `exportData`, `importData`, `migrate`, `verify`: the CLI commands as functions, with the
 *   CLI's options under their catalogue keys, progress events (`onEvent`), cancellation
 *   (`signal`), and the summary `--json` prints as the result. They never print, never read
 *   process.env, never call process.exit.
 * - `planRun`: what a run would do, without writing.
 * - `loadLayout` and the layout types; the error classes with the exit codes they mean.
 * - The engine's run functions under their earlier names (`runExport`...), for 1.0.0 programs.
 *
 * Nothing here loads Pulumi, a pipeline task library or the CLI: those live under
 * `docferry/pulumi`, in the tasks and in bin/.
 */
export { exportData, importData, migrate, verify, type ExportDataOptions, type ImportDataOptions, type MigrateDataOptions, type VerifyDataOptions, type RunControlOptions } from './api/run.js';
export { planRun, DEFAULT_PLAN_SAMPLE, type PlanRunOptions, type PlanControlOptions, type RunPlan, type PlannedCollection, type PlannedEstimate, type PartitionFindings } from './api/plan.js';
export { NOT_APPLICABLE as API_NOT_APPLICABLE } from './api/catalogue-options.js';
export { API_OPTION_KEYS, type ExportCatalogueOptions, type ImportCatalogueOptions, type MigrateCatalogueOptions, type VerifyCatalogueOptions } from './api/options.generated.js';
export type { CosmosCredential } from './api/specs.js';
export { loadLayout, parseLayout, defaultLayoutPath, layoutSchemaPath, type Layout, type DatabaseLayout, type ContainerLayout, type PartitionKeySpec, type ThroughputSpec } from './core/layout.js';
export {
  ExitCode,
  DocferryError,
  UsageError,
  InputRefusedError,
  AuthenticationError,
  TargetSchemaError,
  AbortError,
  type ExitCodeValue,
} from './core/errors.js';
/** The engine's functions, as 1.0.0 exported them: prefer exportData, importData, migrate and verify. */
export { runExport, type ExportOptions } from './engine/export.js';
export { runImport, type ImportOptions } from './engine/import.js';
export { runMigrate, type MigrateOptions } from './engine/migrate.js';
export { runVerify, type VerifyOptions, type VerifySummary, type CollectionVerify } from './engine/verify.js';
export type { RunSummary, CollectionSummary, CollectionCounts, EngineEvent, EventSink } from './engine/events.js';
export type { MirrorSummary, CollectionMirror, RunMode } from './engine/mirror.js';
export { MANIFEST_FORMAT_VERSION } from './core/manifest.js';
export { toolVersion as version } from './core/package-info.js';
