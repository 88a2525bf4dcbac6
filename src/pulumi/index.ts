/**
 * `docferry/pulumi`: the Pulumi components behind pulumi/target, pulumi/archive and
 * pulumi/throughput, for your own Pulumi programs. Needs @pulumi/pulumi and @pulumi/azure-native
 * (optional peer dependencies of docferry: a CLI-only install does not pull them in).
 * Nothing in the engine or the CLI imports this module.
 */
export {
  CosmosTargetFromLayout,
  COSMOS_TARGET_TYPE,
  DATA_CONTRIBUTOR_ROLE,
  DATA_READER_ROLE,
  accountArgsFromOptions,
  containerArgsFromLayout,
  databaseArgsFromLayout,
  dataRoleAssignments,
  partitionKeyArgs,
  sqlRoleDefinitionId,
  throughputOptions,
  type ConsistencyLevel,
  type CosmosTargetFromLayoutArgs,
  type ExistingAccountOptions,
  type NewAccountOptions,
  type PublicNetworkAccess,
  type TargetOptions,
} from './target.js';
export {
  ExportArchive,
  EXPORT_ARCHIVE_TYPE,
  STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE,
  lifecyclePolicy,
  resolveArchiveOptions,
  storageAccountArgs,
  type ArchiveOptions,
  type ExportArchiveArgs,
  type ResolvedArchiveOptions,
} from './archive.js';
export {
  MigrationThroughputWindow,
  THROUGHPUT_WINDOW_TYPE,
  ThroughputWindow,
  windowInputs,
  windowName,
  type MigrationThroughputWindowArgs,
  type WindowResourceInputs,
  type WindowSpec,
  type WindowSummary,
} from './throughput.js';
export { makeThroughputWindowProvider, type ClientFactory, type WindowInputs, type WindowOutputs } from './throughput-provider.js';
export { loadLayout, type Layout } from '../core/layout.js';
export { UsageError } from '../core/errors.js';
