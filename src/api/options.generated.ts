// Generated from the option catalogue (src/options/catalogue.ts) by `npm run generate:inputs`
// (scripts/api-option-types.ts). Do not edit: change the catalogue and run it again.

/** The catalogue options of `docferry export`, under their catalogue keys, as the library takes them. */
export interface ExportCatalogueOptions {
  /**
   * Cosmos or mongodb.
   * CLI: `--source-type`.
   */
  sourceType: "cosmos" | "mongodb";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--cosmos-endpoint`.
   */
  cosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--cosmos-key`.
   */
  cosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--use-rbac`.
   */
  useRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--cosmos-ca-file`.
   */
  cosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--mongo-uri`.
   */
  mongoUri?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--max-ru`.
   */
  maxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--ru-share`.
   */
  ruShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--priority`.
   */
  priority?: "low" | "high";
  /**
   * How long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before giving up, e.g. 30s, 2m; a host name that does not resolve fails at once (default 30s).
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--connect-timeout`.
   */
  connectTimeout?: number | string;
  /**
   * Directory to create (default: data-export-<UTC yyyymmddTHHMMSS>).
   * CLI: `--output-dir`.
   */
  outputDir?: string;
  /**
   * Encoding of exported documents (MongoDB sources: canonical Extended JSON by default).
   * CLI: `--json-format`.
   */
  jsonFormat?: "json" | "canonical" | "relaxed" | "plain";
  /**
   * Start over: remove the earlier export (finished or partial) in --output-dir first; refused for a directory that is not a docferry export.
   * CLI: `--overwrite`.
   */
  overwrite?: boolean;
  /**
   * Compress each collection file (.json.gz).
   * CLI: `--gzip`.
   */
  gzip?: boolean;
  /**
   * Cosmos DB source: documents per query page (default: pages of about 4 MB, the service's cap, from the average document size; smaller pages mean less memory).
   * CLI: `--page-size`.
   */
  pageSize?: number;
  /**
   * MongoDB sources, canonical or relaxed Extended JSON: encode the lines in a worker thread (1) or on the main thread (0); auto: a worker when the process may use four cores or more (docs/BENCHMARKS.md, "Both cores").
   * @defaultValue "auto"
   * CLI: `--encode-threads`.
   */
  encodeThreads?: "auto" | "0" | "1";
  /**
   * Layout file: databases, containers, partition keys (default: the guide's layout).
   * CLI: `--layout`.
   */
  layoutFile?: string;
  /**
   * Only these collections, comma-separated (`coll` or `db.coll`).
   * An array, or one comma-separated string.
   * CLI: `--collections`.
   */
  collections?: readonly string[] | string;
  /**
   * Move every container or collection found on the source, not only the layout's (system databases never; unnamed ones get the layout's default partition key).
   * CLI: `--all`.
   */
  all?: boolean;
  /**
   * Fail (exit 1, before anything is written) when the layout names a collection the source lacks, or the source holds one the layout does not name.
   * CLI: `--strict`.
   */
  strict?: boolean;
  /**
   * Only documents matching this filter, in every collection: a Cosmos DB WHERE clause (c.archive_id = 'a1') or SELECT * FROM c WHERE ...; a MongoDB filter in Extended JSON ({"archive_id": "a1"}); an export records it and is marked a subset (docs/filters.md).
   * CLI: `--query`.
   */
  query?: string;
  /**
   * The --query filter, read from this file (for a filter too long or too quoted for a command line).
   * CLI: `--query-file`.
   */
  queryFile?: string;
  /**
   * Stop after this many rejected documents.
   * CLI: `--max-errors`.
   */
  maxErrors?: number;
  /**
   * Documents per write batch.
   * CLI: `--batch-size`.
   */
  batchSize?: number;
  /**
   * Also end a write batch at this size, e.g. 4MB or 512KB (default 2MB).
   * A number is bytes; a string is read as the CLI reads it (`4MB`, `512KB`).
   * CLI: `--batch-bytes`.
   */
  batchBytes?: number | string;
  /**
   * Write batches in flight per collection.
   * CLI: `--concurrency`.
   */
  concurrency?: number;
  /**
   * Collections moved at once.
   * CLI: `--parallel-collections`.
   */
  parallelCollections?: number;
  /**
   * Run shard I of N parallel jobs (MongoDB by _id range, Cosmos DB by feed range); the N shards are disjoint and together move everything (docs/sharding.md).
   * CLI: `--shard`.
   */
  shard?: `${number}/${number}`;
  /**
   * With --shard: the file every shard takes its split from (MongoDB _id boundaries, Cosmos DB feed ranges); the first shard to start writes it, the others read it.
   * CLI: `--shard-plan`.
   */
  shardPlan?: string;
  /**
   * With --shard and --max-ru/--ru-share: a blob (https://<account>.blob.core.windows.net/<container>/<run>.json) the shards share the budget through, so a shard that finishes gives its share to the others (default: a fixed 1/N each); one blob per run.
   * CLI: `--shard-budget`.
   */
  shardBudget?: string;
  /**
   * Storage connection string of the --shard-budget blob, for local storage such as Azurite; without one, a SAS in the URL or Entra ID (DefaultAzureCredential).
   * CLI: `--shard-budget-connection-string`.
   */
  shardBudgetConnectionString?: string;
  /**
   * How often a shard renews its lease in the --shard-budget record (default 5s); a lease not renewed for three periods expires and its share goes to the others.
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--shard-budget-period`.
   */
  shardBudgetPeriod?: number | string;
  /**
   * Re-read the finished export and compare it with the source: exit 5 when they differ.
   * CLI: `--verify`.
   */
  verify?: boolean;
  /**
   * With --verify: write every difference to this NDJSON file.
   * CLI: `--report`.
   */
  reportFile?: string;
  /**
   * Continue an interrupted export from its checkpoint (starts from the beginning when there is none).
   * CLI: `--resume`.
   */
  resume?: boolean;
  /**
   * Where the checkpoint is kept (default: <output-dir>/_checkpoint).
   * CLI: `--checkpoint`.
   */
  checkpointDir?: string;
}

/** The catalogue options of `docferry import`, under their catalogue keys, as the library takes them. */
export interface ImportCatalogueOptions {
  /**
   * Cosmos or mongodb.
   * CLI: `--dest-type`.
   */
  destType: "cosmos" | "mongodb";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--cosmos-endpoint`.
   */
  cosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--cosmos-key`.
   */
  cosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--use-rbac`.
   */
  useRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--cosmos-ca-file`.
   */
  cosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--mongo-uri`.
   */
  mongoUri?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--max-ru`.
   */
  maxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--ru-share`.
   */
  ruShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--priority`.
   */
  priority?: "low" | "high";
  /**
   * How long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before giving up, e.g. 30s, 2m; a host name that does not resolve fails at once (default 30s).
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--connect-timeout`.
   */
  connectTimeout?: number | string;
  /**
   * The directory an export wrote (holding manifest.json).
   * CLI: `--export-dir`.
   */
  exportDir: string;
  /**
   * Import a file another tool wrote (mongoexport, a JSON dump) with no docferry manifest, relative to --export-dir; `*` and `?` in the file name; repeatable, each with its --to.
   * An array, or one comma-separated string.
   * CLI: `--files`.
   */
  files?: readonly string[] | string;
  /**
   * With --files: the target database.collection of the --files given in the same position; repeatable.
   * An array, or one comma-separated string.
   * CLI: `--to`.
   */
  to?: readonly string[] | string;
  /**
   * With --files: their encoding (default: detected from the first lines; a file with no Extended JSON wrapper needs it).
   * CLI: `--json-format`.
   */
  jsonFormat?: "canonical" | "relaxed" | "plain";
  /**
   * Upsert overwrites existing documents; merge keeps them and counts them as skipped; mirror upserts, then deletes the target documents the source lacks (see --max-deletes).
   * @defaultValue "upsert"
   * CLI: `--mode`.
   */
  mode?: "upsert" | "merge" | "mirror";
  /**
   * MongoDB target: turn 24-hex string _ids back into ObjectIds.
   * CLI: `--restore-objectids`.
   */
  restoreObjectIds?: boolean;
  /**
   * Do not carry the source's schema: no indexes or collection options on a MongoDB target, no carried or translated indexing policy, unique keys and TTL for Cosmos DB containers docferry creates, and no check of either (docs/schema.md).
   * CLI: `--no-indexes`.
   */
  noIndexes?: boolean;
  /**
   * Import the documents of a rejects file (or a directory of them) of this export, once fixed, instead of its files.
   * CLI: `--from-rejects`.
   */
  fromRejects?: string;
  /**
   * Import even when the export is incomplete or does not match its manifest (loudly).
   * CLI: `--allow-partial`.
   */
  allowPartial?: boolean;
  /**
   * Where rejected documents are written (default: <export-dir>/_rejects).
   * CLI: `--rejects-dir`.
   */
  rejectsDir?: string;
  /**
   * --mode mirror: refuse, before deleting anything, to delete more documents than this (default: 10% of the target's documents, at most 1000).
   * CLI: `--max-deletes`.
   */
  maxDeletes?: number;
  /**
   * --mode mirror: read the source and list the target documents that would be deleted; write and delete nothing.
   * CLI: `--dry-run`.
   */
  dryRun?: boolean;
  /**
   * --mode mirror: write the id of every target document the source lacks to this NDJSON file.
   * CLI: `--deletes-file`.
   */
  deletesFile?: string;
  /**
   * Layout file: databases, containers, partition keys (default: the guide's layout).
   * CLI: `--layout`.
   */
  layoutFile?: string;
  /**
   * Only these collections, comma-separated (`coll` or `db.coll`).
   * An array, or one comma-separated string.
   * CLI: `--collections`.
   */
  collections?: readonly string[] | string;
  /**
   * Write (verify: read the right side) under other names: `copilot.*=copilot_staging.*`, `auth.user_roles=auth.roles`; repeatable; rules in docs/cli.md "Renaming databases and collections".
   * An array, or one comma-separated string.
   * CLI: `--map`.
   */
  map?: readonly string[] | string;
  /**
   * Stop after this many rejected documents.
   * CLI: `--max-errors`.
   */
  maxErrors?: number;
  /**
   * Documents per write batch.
   * CLI: `--batch-size`.
   */
  batchSize?: number;
  /**
   * Also end a write batch at this size, e.g. 4MB or 512KB (default 2MB).
   * A number is bytes; a string is read as the CLI reads it (`4MB`, `512KB`).
   * CLI: `--batch-bytes`.
   */
  batchBytes?: number | string;
  /**
   * Write batches in flight per collection.
   * CLI: `--concurrency`.
   */
  concurrency?: number;
  /**
   * Collections moved at once.
   * CLI: `--parallel-collections`.
   */
  parallelCollections?: number;
  /**
   * Run shard I of N parallel jobs (the export directory by line range of each file); the N shards are disjoint and together move everything (docs/sharding.md).
   * CLI: `--shard`.
   */
  shard?: `${number}/${number}`;
  /**
   * With --shard and --max-ru/--ru-share: a blob (https://<account>.blob.core.windows.net/<container>/<run>.json) the shards share the budget through, so a shard that finishes gives its share to the others (default: a fixed 1/N each); one blob per run.
   * CLI: `--shard-budget`.
   */
  shardBudget?: string;
  /**
   * Storage connection string of the --shard-budget blob, for local storage such as Azurite; without one, a SAS in the URL or Entra ID (DefaultAzureCredential).
   * CLI: `--shard-budget-connection-string`.
   */
  shardBudgetConnectionString?: string;
  /**
   * How often a shard renews its lease in the --shard-budget record (default 5s); a lease not renewed for three periods expires and its share goes to the others.
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--shard-budget-period`.
   */
  shardBudgetPeriod?: number | string;
  /**
   * Compare the export with the target afterwards: exit 5 when they differ.
   * CLI: `--verify`.
   */
  verify?: boolean;
  /**
   * With --verify: write every difference to this NDJSON file.
   * CLI: `--report`.
   */
  reportFile?: string;
  /**
   * Continue an interrupted import from its checkpoint (starts from the beginning when there is none).
   * CLI: `--resume`.
   */
  resume?: boolean;
  /**
   * Where the checkpoint is kept (default: <export-dir>/_checkpoints/import-<target hash>).
   * CLI: `--checkpoint`.
   */
  checkpointDir?: string;
}

/** The catalogue options of `docferry migrate`, under their catalogue keys, as the library takes them. */
export interface MigrateCatalogueOptions {
  /**
   * Source: cosmos or mongodb (credentials: --from-… flags, else SRC_* variables).
   * CLI: `--from`.
   */
  fromType: "cosmos" | "mongodb";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--from-cosmos-endpoint`.
   */
  fromCosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--from-cosmos-key`.
   */
  fromCosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--from-use-rbac`.
   */
  fromUseRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--from-cosmos-ca-file`.
   */
  fromCosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--from-mongo-uri`.
   */
  fromMongoUri?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--from-max-ru`.
   */
  fromMaxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--from-ru-share`.
   */
  fromRuShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--from-priority`.
   */
  fromPriority?: "low" | "high";
  /**
   * Target: cosmos or mongodb (credentials: --to-… flags, else DST_* variables).
   * CLI: `--to`.
   */
  toType: "cosmos" | "mongodb";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--to-cosmos-endpoint`.
   */
  toCosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--to-cosmos-key`.
   */
  toCosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--to-use-rbac`.
   */
  toUseRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--to-cosmos-ca-file`.
   */
  toCosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--to-mongo-uri`.
   */
  toMongoUri?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--to-max-ru`.
   */
  toMaxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--to-ru-share`.
   */
  toRuShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--to-priority`.
   */
  toPriority?: "low" | "high";
  /**
   * How long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before giving up, e.g. 30s, 2m; a host name that does not resolve fails at once (default 30s).
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--connect-timeout`.
   */
  connectTimeout?: number | string;
  /**
   * Upsert overwrites existing documents; merge keeps them and counts them as skipped; mirror upserts, then deletes the target documents the source lacks (see --max-deletes).
   * @defaultValue "upsert"
   * CLI: `--mode`.
   */
  mode?: "upsert" | "merge" | "mirror";
  /**
   * MongoDB target: turn 24-hex string _ids back into ObjectIds.
   * CLI: `--restore-objectids`.
   */
  restoreObjectIds?: boolean;
  /**
   * Do not carry the source's schema: no indexes or collection options on a MongoDB target, no carried or translated indexing policy, unique keys and TTL for Cosmos DB containers docferry creates, and no check of either (docs/schema.md).
   * CLI: `--no-indexes`.
   */
  noIndexes?: boolean;
  /**
   * Where rejected documents are written (default: docferry-rejects-<UTC yyyymmddTHHMMSS>).
   * CLI: `--rejects-dir`.
   */
  rejectsDir?: string;
  /**
   * --mode mirror: refuse, before deleting anything, to delete more documents than this (default: 10% of the target's documents, at most 1000).
   * CLI: `--max-deletes`.
   */
  maxDeletes?: number;
  /**
   * --mode mirror: read the source and list the target documents that would be deleted; write and delete nothing.
   * CLI: `--dry-run`.
   */
  dryRun?: boolean;
  /**
   * --mode mirror: write the id of every target document the source lacks to this NDJSON file.
   * CLI: `--deletes-file`.
   */
  deletesFile?: string;
  /**
   * Layout file: databases, containers, partition keys (default: the guide's layout).
   * CLI: `--layout`.
   */
  layoutFile?: string;
  /**
   * Only these collections, comma-separated (`coll` or `db.coll`).
   * An array, or one comma-separated string.
   * CLI: `--collections`.
   */
  collections?: readonly string[] | string;
  /**
   * Write (verify: read the right side) under other names: `copilot.*=copilot_staging.*`, `auth.user_roles=auth.roles`; repeatable; rules in docs/cli.md "Renaming databases and collections".
   * An array, or one comma-separated string.
   * CLI: `--map`.
   */
  map?: readonly string[] | string;
  /**
   * Move every container or collection found on the source, not only the layout's (system databases never; unnamed ones get the layout's default partition key).
   * CLI: `--all`.
   */
  all?: boolean;
  /**
   * Fail (exit 1, before anything is written) when the layout names a collection the source lacks, or the source holds one the layout does not name.
   * CLI: `--strict`.
   */
  strict?: boolean;
  /**
   * Only documents matching this filter, in every collection: a Cosmos DB WHERE clause (c.archive_id = 'a1') or SELECT * FROM c WHERE ...; a MongoDB filter in Extended JSON ({"archive_id": "a1"}); an export records it and is marked a subset (docs/filters.md).
   * CLI: `--query`.
   */
  query?: string;
  /**
   * The --query filter, read from this file (for a filter too long or too quoted for a command line).
   * CLI: `--query-file`.
   */
  queryFile?: string;
  /**
   * Stop after this many rejected documents.
   * CLI: `--max-errors`.
   */
  maxErrors?: number;
  /**
   * Documents per write batch.
   * CLI: `--batch-size`.
   */
  batchSize?: number;
  /**
   * Also end a write batch at this size, e.g. 4MB or 512KB (default 2MB).
   * A number is bytes; a string is read as the CLI reads it (`4MB`, `512KB`).
   * CLI: `--batch-bytes`.
   */
  batchBytes?: number | string;
  /**
   * Write batches in flight per collection.
   * CLI: `--concurrency`.
   */
  concurrency?: number;
  /**
   * Collections moved at once.
   * CLI: `--parallel-collections`.
   */
  parallelCollections?: number;
  /**
   * Run shard I of N parallel jobs (MongoDB by _id range, Cosmos DB by feed range); the N shards are disjoint and together move everything (docs/sharding.md).
   * CLI: `--shard`.
   */
  shard?: `${number}/${number}`;
  /**
   * With --shard: the file every shard takes its split from (MongoDB _id boundaries, Cosmos DB feed ranges); the first shard to start writes it, the others read it.
   * CLI: `--shard-plan`.
   */
  shardPlan?: string;
  /**
   * With --shard and --max-ru/--ru-share: a blob (https://<account>.blob.core.windows.net/<container>/<run>.json) the shards share the budget through, so a shard that finishes gives its share to the others (default: a fixed 1/N each); one blob per run.
   * CLI: `--shard-budget`.
   */
  shardBudget?: string;
  /**
   * Storage connection string of the --shard-budget blob, for local storage such as Azurite; without one, a SAS in the URL or Entra ID (DefaultAzureCredential).
   * CLI: `--shard-budget-connection-string`.
   */
  shardBudgetConnectionString?: string;
  /**
   * How often a shard renews its lease in the --shard-budget record (default 5s); a lease not renewed for three periods expires and its share goes to the others.
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--shard-budget-period`.
   */
  shardBudgetPeriod?: number | string;
  /**
   * Compare the source with the target afterwards: exit 5 when they differ.
   * CLI: `--verify`.
   */
  verify?: boolean;
  /**
   * With --verify: write every difference to this NDJSON file.
   * CLI: `--report`.
   */
  reportFile?: string;
  /**
   * Continue an interrupted migrate from its checkpoint (starts from the beginning when there is none).
   * CLI: `--resume`.
   */
  resume?: boolean;
  /**
   * Where the checkpoint is kept (default: docferry-checkpoints/migrate-<source and target hash>).
   * CLI: `--checkpoint`.
   */
  checkpointDir?: string;
}

/** The catalogue options of `docferry verify`, under their catalogue keys, as the library takes them. */
export interface VerifyCatalogueOptions {
  /**
   * Cosmos, mongodb or dir.
   * CLI: `--left-type`.
   */
  leftType: "cosmos" | "mongodb" | "dir";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--left-cosmos-endpoint`.
   */
  leftCosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--left-cosmos-key`.
   */
  leftCosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--left-use-rbac`.
   */
  leftUseRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--left-cosmos-ca-file`.
   */
  leftCosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--left-mongo-uri`.
   */
  leftMongoUri?: string;
  /**
   * Export directory (with --left-type dir).
   * CLI: `--left-dir`.
   */
  leftDir?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--left-max-ru`.
   */
  leftMaxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--left-ru-share`.
   */
  leftRuShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--left-priority`.
   */
  leftPriority?: "low" | "high";
  /**
   * Cosmos, mongodb or dir.
   * CLI: `--right-type`.
   */
  rightType: "cosmos" | "mongodb" | "dir";
  /**
   * Cosmos DB account endpoint.
   * CLI: `--right-cosmos-endpoint`.
   */
  rightCosmosEndpoint?: string;
  /**
   * Cosmos DB account key.
   * CLI: `--right-cosmos-key`.
   */
  rightCosmosKey?: string;
  /**
   * Authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key.
   * CLI: `--right-use-rbac`.
   */
  rightUseRbac?: boolean;
  /**
   * Also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one).
   * CLI: `--right-cosmos-ca-file`.
   */
  rightCosmosCaFile?: string;
  /**
   * MongoDB connection string.
   * CLI: `--right-mongo-uri`.
   */
  rightMongoUri?: string;
  /**
   * Export directory (with --right-type dir).
   * CLI: `--right-dir`.
   */
  rightDir?: string;
  /**
   * Cosmos DB: request units per second the run may use, all collections together.
   * CLI: `--right-max-ru`.
   */
  rightMaxRu?: number;
  /**
   * Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key).
   * A share in (0, 1], or a percentage string (`50%`).
   * CLI: `--right-ru-share`.
   */
  rightRuShare?: number | `${number}%`;
  /**
   * Cosmos DB priority-based execution: low yields to the application when the account is busy.
   * CLI: `--right-priority`.
   */
  rightPriority?: "low" | "high";
  /**
   * How long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before giving up, e.g. 30s, 2m; a host name that does not resolve fails at once (default 30s).
   * A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).
   * CLI: `--connect-timeout`.
   */
  connectTimeout?: number | string;
  /**
   * Ids listed per kind of difference (default 20; --report lists all).
   * CLI: `--max-listed`.
   */
  maxListed?: number;
  /**
   * Write every difference to this NDJSON file.
   * CLI: `--report`.
   */
  reportFile?: string;
  /**
   * Compare an export directory even if it does not match its manifest.
   * CLI: `--allow-partial`.
   */
  allowPartial?: boolean;
  /**
   * Documents only the right side holds are listed ("extra, ignored") but are no difference: for a target that may hold more.
   * CLI: `--ignore-extra`.
   */
  ignoreExtra?: boolean;
  /**
   * Layout file: databases, containers, partition keys (default: the guide's layout).
   * CLI: `--layout`.
   */
  layoutFile?: string;
  /**
   * Only these collections, comma-separated (`coll` or `db.coll`).
   * An array, or one comma-separated string.
   * CLI: `--collections`.
   */
  collections?: readonly string[] | string;
  /**
   * Write (verify: read the right side) under other names: `copilot.*=copilot_staging.*`, `auth.user_roles=auth.roles`; repeatable; rules in docs/cli.md "Renaming databases and collections".
   * An array, or one comma-separated string.
   * CLI: `--map`.
   */
  map?: readonly string[] | string;
  /**
   * Move every container or collection found on the source, not only the layout's (system databases never; unnamed ones get the layout's default partition key).
   * CLI: `--all`.
   */
  all?: boolean;
  /**
   * Fail (exit 1, before anything is written) when the layout names a collection the source lacks, or the source holds one the layout does not name.
   * CLI: `--strict`.
   */
  strict?: boolean;
  /**
   * Only documents matching this filter, in every collection: a Cosmos DB WHERE clause (c.archive_id = 'a1') or SELECT * FROM c WHERE ...; a MongoDB filter in Extended JSON ({"archive_id": "a1"}); an export records it and is marked a subset (docs/filters.md).
   * CLI: `--query`.
   */
  query?: string;
  /**
   * The --query filter, read from this file (for a filter too long or too quoted for a command line).
   * CLI: `--query-file`.
   */
  queryFile?: string;
  /**
   * Run shard I of N parallel jobs (both sides by the left side's _id ranges: MongoDB on both sides); the N shards are disjoint and together move everything (docs/sharding.md).
   * CLI: `--shard`.
   */
  shard?: `${number}/${number}`;
  /**
   * With --shard: the file every shard takes its split from (MongoDB _id boundaries, Cosmos DB feed ranges); the first shard to start writes it, the others read it.
   * CLI: `--shard-plan`.
   */
  shardPlan?: string;
}

/** The catalogue keys each command takes (the same as the interfaces above), for tests and tools. */
export const API_OPTION_KEYS = {
  export: ["sourceType", "cosmosEndpoint", "cosmosKey", "useRbac", "cosmosCaFile", "mongoUri", "maxRu", "ruShare", "priority", "connectTimeout", "outputDir", "jsonFormat", "overwrite", "gzip", "pageSize", "encodeThreads", "layoutFile", "collections", "all", "strict", "query", "queryFile", "maxErrors", "batchSize", "batchBytes", "concurrency", "parallelCollections", "shard", "shardPlan", "shardBudget", "shardBudgetConnectionString", "shardBudgetPeriod", "verify", "reportFile", "resume", "checkpointDir"],
  import: ["destType", "cosmosEndpoint", "cosmosKey", "useRbac", "cosmosCaFile", "mongoUri", "maxRu", "ruShare", "priority", "connectTimeout", "exportDir", "files", "to", "jsonFormat", "mode", "restoreObjectIds", "noIndexes", "fromRejects", "allowPartial", "rejectsDir", "maxDeletes", "dryRun", "deletesFile", "layoutFile", "collections", "map", "maxErrors", "batchSize", "batchBytes", "concurrency", "parallelCollections", "shard", "shardBudget", "shardBudgetConnectionString", "shardBudgetPeriod", "verify", "reportFile", "resume", "checkpointDir"],
  migrate: ["fromType", "fromCosmosEndpoint", "fromCosmosKey", "fromUseRbac", "fromCosmosCaFile", "fromMongoUri", "fromMaxRu", "fromRuShare", "fromPriority", "toType", "toCosmosEndpoint", "toCosmosKey", "toUseRbac", "toCosmosCaFile", "toMongoUri", "toMaxRu", "toRuShare", "toPriority", "connectTimeout", "mode", "restoreObjectIds", "noIndexes", "rejectsDir", "maxDeletes", "dryRun", "deletesFile", "layoutFile", "collections", "map", "all", "strict", "query", "queryFile", "maxErrors", "batchSize", "batchBytes", "concurrency", "parallelCollections", "shard", "shardPlan", "shardBudget", "shardBudgetConnectionString", "shardBudgetPeriod", "verify", "reportFile", "resume", "checkpointDir"],
  verify: ["leftType", "leftCosmosEndpoint", "leftCosmosKey", "leftUseRbac", "leftCosmosCaFile", "leftMongoUri", "leftDir", "leftMaxRu", "leftRuShare", "leftPriority", "rightType", "rightCosmosEndpoint", "rightCosmosKey", "rightUseRbac", "rightCosmosCaFile", "rightMongoUri", "rightDir", "rightMaxRu", "rightRuShare", "rightPriority", "connectTimeout", "maxListed", "reportFile", "allowPartial", "ignoreExtra", "layoutFile", "collections", "map", "all", "strict", "query", "queryFile", "shard", "shardPlan"],
} as const;
