/**
 * The `docferry` package entry point (`import ... from 'docferry'`). What is here today: the
 * layout loader, the error classes with the exit codes they mean, and the engine's run
 * functions under their current names. The typed library API (exportData, importData, migrate,
 * verify, planRun with the CLI's options) is coming and will be added here.
 * Nothing here loads Pulumi or a pipeline task library: those live under `docferry/pulumi` and
 * in the tasks.
 */
export { loadLayout, parseLayout, defaultLayoutPath, layoutSchemaPath, type Layout, type DatabaseLayout, type ContainerLayout, type PartitionKeySpec, type ThroughputSpec } from './core/layout.js';
export {
  ExitCode,
  DocferryError,
  UsageError,
  InputRefusedError,
  AuthenticationError,
  TargetSchemaError,
  type ExitCodeValue,
} from './core/errors.js';
export { runExport, type ExportOptions } from './engine/export.js';
export { runImport, type ImportOptions } from './engine/import.js';
export { runMigrate, type MigrateOptions } from './engine/migrate.js';
export { runVerify, type VerifyOptions, type VerifySummary } from './engine/verify.js';
export type { RunSummary, CollectionSummary, CollectionCounts, EngineEvent, EventSink } from './engine/events.js';
export { MANIFEST_FORMAT_VERSION } from './core/manifest.js';
export { toolVersion as version } from './core/package-info.js';
