/**
 * The option catalogue: every option of the transfer commands (export, import, migrate, verify)
 * and of archive and throughput's subcommands declared once. The CLI's commander options (src/cli/options.ts), the prefixed forms of migrate
 * (`--from-…`/`--to-…`) and verify (`--left-…`/`--right-…`), the Azure DevOps task.json inputs
 * and the action.yml inputs (scripts/generate-task-inputs.ts) and the tasks' reading of their
 * inputs (tasks/common/option-inputs.ts) all come from here. This layer imports no front door.
 */
import { JSON_FORMATS } from '../core/manifest.js';
import { DEFAULT_STATE_FILE } from '../azure/throughput/state-file.js';
import { DEFAULT_MAX_DELETES_CAP, DEFAULT_MAX_DELETES_SHARE } from '../engine/mirror.js';
import { DEFAULT_PLAN_SAMPLE } from '../engine/plan.js';
import { DATABASE_STORE_TYPES, STORE_KINDS, storeTypeList } from '../stores/registry.js';
import { byteSize, choice, duration, list, nonNegativeInt, positiveInt, positiveNumber, share, shard, type Parser } from './parsers.js';

export type TransferCommand = 'export' | 'import' | 'migrate' | 'verify';
export const TRANSFER_COMMANDS: readonly TransferCommand[] = ['export', 'import', 'migrate', 'verify'];

/** Which environment variables back a store option: SRC_* for a source (or left), DST_* for a target (or right). */
export type Direction = 'source' | 'target';

/** One store of a command: export's source, import's target, migrate's from/to, verify's left/right. */
export interface Side {
  /** Prefix of the CLI flags and task inputs: '' (export, import), 'from', 'to', 'left', 'right'. */
  prefix: '' | 'from' | 'to' | 'left' | 'right';
  direction: Direction;
  /** The task input (and CLI flag key) choosing the store type: sourceType, destType, fromType... */
  typeKey: string;
  /** For labels: Source, Target, Left, Right. */
  word: string;
  /** The task.json group of its connection inputs. */
  group: string;
}

/** How an option looks in task.json (Azure DevOps wording) and, where it differs, in action.yml. */
export interface TaskView {
  label: string;
  group: string;
  help: string;
  /** The action.yml description, when the GitHub wording differs (no service connection, other paths). */
  actionHelp?: string;
  /** pickList labels, in order. */
  options?: Record<string, string>;
  defaultValue?: string;
  required?: boolean;
  visibleRule?: string;
  /** task.json type when not implied by the kind. */
  type?: string;
}

export type Kind = 'boolean' | 'string' | 'choice' | 'int' | 'count' | 'number' | 'share' | 'bytes' | 'duration' | 'list' | 'shard';

export interface OptionDecl {
  /** The task input's name (camelCase) and the key of the parsed value. */
  key: string;
  kind: Kind;
  choices?: readonly string[];
  /** CLI flag without `--` (default: the key in kebab-case); null: no CLI flag (the tasks only). */
  flag?: string | null;
  /** Placeholder in CLI help, e.g. `<n>`; booleans have none. */
  valueName?: string;
  /** CLI help text. */
  help: string;
  /** CLI default value (commander shows it in --help). */
  cliDefault?: string;
  /** commander refuses values outside `choices` (otherwise the command checks them with its own message). */
  cliChoices?: boolean;
  /** commander hands the command the flag's text; the command checks it with its own message (throughput's `--to`). */
  cliRaw?: boolean;
  /** A required CLI option. */
  cliRequired?: boolean;
  secret?: boolean;
  /** Environment fallbacks of the CLI, by direction for store options. */
  env?: Partial<Record<Direction, readonly string[]>>;
  /** The CLI's value when neither the flag nor an environment fallback gives one. */
  envDefault?: string;
  /** How the option looks in the tasks; absent when it is CLI-only. */
  task?: TaskView;
  /** Why the tasks do not offer it (required when `task` is absent). */
  cliOnly?: string;
  /** Why the CLI does not offer it (when flag is null). */
  taskOnly?: string;
}

/** A store option: declared once, expanded per side with the side's prefix. */
export interface StoreOptionDecl extends Omit<OptionDecl, 'task' | 'help'> {
  /** Which store types it applies to (its visible rule in the tasks). */
  stores: readonly string[];
  help: (side: Side) => string;
  task?: (side: Side) => TaskView;
  /**
   * 'side': one task input per side (fromCosmosKey, toCosmosKey);
   * 'shared': one task input for every side of the command (useRbac, maxRu: both Cosmos DB sides get it).
   */
  taskScope?: 'side' | 'shared';
  /** Added to a shared input's help on a command with two sides (migrate, verify). */
  sharedNote?: string;
  /** Only for commands whose sides include this store type (verify's dir). */
  only?: readonly TransferCommand[];
}

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function prefixed(prefix: string, key: string): string {
  return prefix ? `${prefix}${key[0]!.toUpperCase()}${key.slice(1)}` : key;
}

export const PARSERS: Record<Exclude<Kind, 'boolean' | 'string' | 'choice'>, Parser<unknown>> = {
  int: positiveInt,
  count: nonNegativeInt,
  number: positiveNumber,
  share,
  bytes: byteSize,
  duration,
  list,
  shard,
};

/** The parser of a declared option (string and boolean values need none). */
export function parserOf(decl: Pick<OptionDecl, 'kind' | 'choices'>): Parser<unknown> | undefined {
  if (decl.kind === 'choice') return choice(decl.choices ?? []);
  if (decl.kind === 'boolean' || decl.kind === 'string') return undefined;
  return PARSERS[decl.kind];
}

// ---------------------------------------------------------------------------------------------
// Sides of each command

const SIDES: Record<TransferCommand, readonly Side[]> = {
  export: [{ prefix: '', direction: 'source', typeKey: 'sourceType', word: 'Source', group: 'source' }],
  import: [{ prefix: '', direction: 'target', typeKey: 'destType', word: 'Target', group: 'target' }],
  migrate: [
    { prefix: 'from', direction: 'source', typeKey: 'fromType', word: 'Source', group: 'source' },
    { prefix: 'to', direction: 'target', typeKey: 'toType', word: 'Target', group: 'target' },
  ],
  verify: [
    { prefix: 'left', direction: 'source', typeKey: 'leftType', word: 'Left', group: 'left' },
    { prefix: 'right', direction: 'target', typeKey: 'rightType', word: 'Right', group: 'right' },
  ],
};

export function sidesOf(command: TransferCommand): readonly Side[] {
  return SIDES[command];
}

/** The action has one `cosmos-endpoint` for export's source and import's target: its text names no side. */
const actionLead = (s: Side) => (s.prefix ? `${s.word} ` : '');

const STORE_LABELS: Record<string, string> = { cosmos: 'Azure Cosmos DB (NoSQL API)', mongodb: 'MongoDB', dir: 'Export directory' };

// ---------------------------------------------------------------------------------------------
// Connection groups: Cosmos DB, MongoDB (and verify's export directory)

export const COSMOS_ENV: Record<Direction, { endpoint: readonly string[]; key: readonly string[] }> = {
  source: { endpoint: ['SRC_COSMOS_ENDPOINT', 'COSMOS_ENDPOINT'], key: ['SRC_COSMOS_KEY', 'COSMOS_KEY'] },
  target: { endpoint: ['DST_COSMOS_ENDPOINT', 'COSMOS_ENDPOINT'], key: ['DST_COSMOS_KEY', 'COSMOS_KEY'] },
};
export const MONGO_ENV: Record<Direction, readonly string[]> = { source: ['SRC_MONGO_URI'], target: ['DST_MONGO_URI'] };
export const DEFAULT_MONGO_URI = 'mongodb://localhost:27017/';

const ENTRA_HELP =
  "Authenticate to Cosmos DB with the service connection's identity (data-plane RBAC: Built-in Data Reader to read, Built-in Data Contributor to write) instead of an account key. Also used when a service connection is given and no key is. With RBAC docferry cannot create databases or containers: provision them first.";
const ENTRA_ACTION_HELP =
  'Authenticate to Cosmos DB with the Azure identity (OIDC with client-id/tenant-id, or azure/login) (data-plane RBAC: Built-in Data Reader to read, Built-in Data Contributor to write) instead of an account key. Also used when client-id/tenant-id are given and no key is. With RBAC docferry cannot create databases or containers: provision them first.';

export const COSMOS_CONNECTION: readonly StoreOptionDecl[] = [
  {
    key: 'cosmosEndpoint',
    kind: 'string',
    stores: ['cosmos'],
    valueName: '<url>',
    help: (s) => `Cosmos DB account endpoint (env: ${COSMOS_ENV[s.direction].endpoint.join(', ')})`,
    env: { source: COSMOS_ENV.source.endpoint, target: COSMOS_ENV.target.endpoint },
    task: (s) => ({
      label: `${s.word} Cosmos DB endpoint`,
      group: s.group,
      help: `${s.word} Cosmos DB (NoSQL API) account endpoint, for example \`https://<account>.documents.azure.com:443/\`.`,
      actionHelp: `${actionLead(s)}Cosmos DB (NoSQL API) account endpoint, for example \`https://<account>.documents.azure.com:443/\`.`,
    }),
  },
  {
    key: 'cosmosKey',
    kind: 'string',
    stores: ['cosmos'],
    valueName: '<key>',
    secret: true,
    help: (s) => `Cosmos DB account key (env: ${COSMOS_ENV[s.direction].key.join(', ')}); prefer the environment, arguments are visible to other processes`,
    env: { source: COSMOS_ENV.source.key, target: COSMOS_ENV.target.key },
    task: (s) => ({
      label: `${s.word} Cosmos DB key`,
      group: s.group,
      help: `${s.word} Cosmos DB account key. Pass it from a secret variable (\`$(cosmosKey)\`); it is masked in the log. Leave empty to use the service connection (Entra ID).`,
      actionHelp: `${actionLead(s)}Cosmos DB account key. Pass it from a secret (e.g. secrets.COSMOS_KEY); it is masked in the log. Leave empty to use Entra ID (client-id/tenant-id or azure/login).`,
    }),
  },
  {
    key: 'useRbac',
    kind: 'boolean',
    stores: ['cosmos'],
    help: () => 'authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key',
    taskScope: 'shared',
    task: () => ({ label: 'Use Entra ID (RBAC) for Cosmos DB', group: 'connection', help: ENTRA_HELP, actionHelp: ENTRA_ACTION_HELP, defaultValue: 'false' }),
  },
  {
    key: 'cosmosCaFile',
    kind: 'string',
    stores: ['cosmos'],
    valueName: '<pem>',
    help: () => "also trust this CA certificate (e.g. the Cosmos DB emulator's self-signed one)",
    cliOnly: "for the Cosmos DB emulator's self-signed certificate on a workstation; an agent trusts extra CAs through NODE_EXTRA_CA_CERTS",
  },
];

const EACH_SIDE = 'Applies to each Cosmos DB side.';

/** The RU budget of a run against Cosmos DB: one budget for each Cosmos DB side. */
export const RU_BUDGET: readonly StoreOptionDecl[] = [
  {
    key: 'maxRu',
    kind: 'number',
    stores: ['cosmos'],
    valueName: '<ru/s>',
    help: () => 'Cosmos DB: request units per second the run may use, all collections together',
    taskScope: 'shared',
    sharedNote: EACH_SIDE,
    task: () => ({ label: 'Max RU/s', group: 'advanced', help: 'Cosmos DB: request units per second the run may use, all collections together (CLI `--max-ru`). Empty: no client-side limit.' }),
  },
  {
    key: 'ruShare',
    kind: 'share',
    stores: ['cosmos'],
    valueName: '<share>',
    help: () => "Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key)",
    taskScope: 'shared',
    sharedNote: EACH_SIDE,
    task: () => ({
      label: 'RU share',
      group: 'advanced',
      help: "Cosmos DB: share of each container's provisioned RU/s the run may use, e.g. `0.5` or `50%` (CLI `--ru-share`; needs an account key to read the provisioned throughput).",
    }),
  },
  {
    key: 'priority',
    kind: 'choice',
    choices: ['low', 'high'],
    cliChoices: true,
    stores: ['cosmos'],
    valueName: '<level>',
    help: () => 'Cosmos DB priority-based execution: low yields to the application when the account is busy',
    taskScope: 'shared',
    sharedNote: EACH_SIDE,
    task: () => ({
      label: 'Priority',
      group: 'advanced',
      options: { low: 'low: yield to the application', high: 'high' },
      help: 'Cosmos DB priority-based execution: `low` requests are throttled first when the account is busy (CLI `--priority`). Empty: the account default.',
    }),
  },
];

export const MONGO_CONNECTION: readonly StoreOptionDecl[] = [
  {
    key: 'mongoUri',
    kind: 'string',
    stores: ['mongodb'],
    valueName: '<uri>',
    secret: true,
    help: (s) => `MongoDB connection string (env: ${MONGO_ENV[s.direction].join(', ')}; default ${DEFAULT_MONGO_URI})`,
    env: { source: MONGO_ENV.source, target: MONGO_ENV.target },
    envDefault: DEFAULT_MONGO_URI,
    task: (s) => ({
      label: `${s.word} MongoDB connection string`,
      group: s.group,
      help: `${s.word} MongoDB connection string (\`mongodb://\` or \`mongodb+srv://\`). Pass it from a secret variable; its password is masked in the log.`,
      actionHelp: `${actionLead(s)}MongoDB connection string (\`mongodb://\` or \`mongodb+srv://\`). Pass it from a secret; its password is masked in the log.`,
    }),
  },
];

export const DIR_CONNECTION: readonly StoreOptionDecl[] = [
  {
    key: 'dir',
    kind: 'string',
    stores: ['dir'],
    only: ['verify'],
    valueName: '<dir>',
    help: (s) => `export directory (with --${s.prefix}-type dir)`,
    task: (s) => ({ label: `${s.word} export directory`, group: s.group, help: `The export directory (holding \`manifest.json\`) of the ${s.word.toLowerCase()} side.` }),
  },
];

/** The store type of each side: `--source-type`, `--dest-type`, `--from`/`--to`, `--left-type`/`--right-type`. */
function storeTypeOption(command: TransferCommand, side: Side): OptionDecl {
  const types = command === 'verify' ? STORE_KINDS : DATABASE_STORE_TYPES;
  const listed = storeTypeList(types);
  const ticked = storeTypeList(types.map((t) => `\`${t}\``));
  const databases = storeTypeList(DATABASE_STORE_TYPES.map((t) => `\`${t}\``));
  const flag = command === 'migrate' ? side.prefix : kebabCase(side.typeKey);
  const read = side.direction === 'source';
  const help =
    command === 'verify'
      ? `What the ${side.word.toLowerCase()} side is: ${ticked} (an export directory).`
      : read
        ? `Where the documents are read from: ${databases}.`
        : `Where the documents are written: ${databases}.`;
  const cliHelp =
    command === 'migrate'
      ? `${read ? 'source' : 'target'}: ${listed} (credentials: --${side.prefix}-… flags, else ${read ? 'SRC' : 'DST'}_* variables)`
      : listed;
  const label = command === 'verify' ? `${side.word} side` : `${side.word} type`;
  return {
    key: side.typeKey,
    kind: 'choice',
    choices: types,
    flag,
    valueName: '<type>',
    cliRequired: true,
    help: cliHelp,
    task: { label, group: side.group, required: true, options: Object.fromEntries(types.map((t) => [t, STORE_LABELS[t]!])), help },
  };
}

// ---------------------------------------------------------------------------------------------
// Groups shared by several commands

export const LAYOUT_SCOPE: readonly OptionDecl[] = [
  {
    key: 'layoutFile',
    flag: 'layout',
    kind: 'string',
    valueName: '<file>',
    help: "layout file: databases, containers, partition keys (default: the guide's layout)",
    task: {
      label: 'Layout file',
      group: 'scope',
      help: "Layout file (databases, containers, partition keys; see `layouts/layout.schema.json`). Empty: the built-in layout (the guide's `copilot` and `auth` databases).",
    },
  },
  {
    key: 'collections',
    kind: 'list',
    valueName: '<names>',
    help: 'only these collections, comma-separated (`coll` or `db.coll`)',
    task: {
      label: 'Collections',
      group: 'scope',
      help: 'Only these collections, comma-separated: `messages,threads` or `copilot.messages`. Empty: every collection the layout marks for migration. An unknown name fails the step.',
    },
  },
];

/** Namespace mapping (src/core/namespace-map.ts): where each collection goes on the target (or right) side. */
export const NAMESPACE_MAP: readonly OptionDecl[] = [
  {
    key: 'map',
    kind: 'list',
    valueName: '<src=dst>',
    help: 'write (verify: read the right side) under other names: `copilot.*=copilot_staging.*`, `auth.user_roles=auth.roles`; repeatable; rules in docs/cli.md "Renaming databases and collections"',
    task: {
      label: 'Rename namespaces',
      group: 'scope',
      type: 'multiLine',
      help: 'One rule a line, `SRC=DST` as `db.coll=db.coll` (CLI `--map`): `copilot.*=copilot_staging.*` renames a database, `auth.user_roles=auth.roles` one collection. `*` matches within the database name, or the rest of the collection name; DST takes the matches in order. The export keeps the source names. Two sources to one target, overlapping wildcard rules, or a rule that matches no collection fail the step before anything is written.',
    },
  },
];

/** Discovery (src/engine/discovery.ts): what a run does with what the source holds beyond the layout, or lacks. */
export const DISCOVERY: readonly OptionDecl[] = [
  {
    key: 'all',
    kind: 'boolean',
    help: 'move every container or collection found on the source, not only the layout\'s (system databases never; unnamed ones get the layout\'s default partition key)',
    task: {
      label: 'Every collection on the source',
      group: 'scope',
      defaultValue: 'false',
      help: "Every container or collection found on the source (verify: the left side), not only the layout's. System databases never; the ones the layout does not name get its default partition key. Not with Collections.",
    },
  },
  {
    key: 'strict',
    kind: 'boolean',
    help: 'fail (exit 1, before anything is written) when the layout names a collection the source lacks, or the source holds one the layout does not name',
    task: {
      label: 'Source must match the layout',
      group: 'scope',
      defaultValue: 'false',
      help: 'Fail the step, before anything is written, when the layout names a collection the source lacks or the source holds one the layout does not name. Without it both are warnings.',
    },
  },
];

/** Filters (src/engine/filters.ts, docs/filters.md): a subset of each collection's documents. */
export const FILTER: readonly OptionDecl[] = [
  {
    key: 'query',
    kind: 'string',
    valueName: '<filter>',
    help: "only documents matching this filter, in every collection: a Cosmos DB WHERE clause (c.archive_id = 'a1') or SELECT * FROM c WHERE ...; a MongoDB filter in Extended JSON ({\"archive_id\": \"a1\"}); an export records it and is marked a subset (docs/filters.md)",
    task: {
      label: 'Filter (query)',
      group: 'scope',
      type: 'multiLine',
      help: "Only the documents that match, in every collection of the step: for a Cosmos DB source a WHERE clause on the alias `c` (`c.archive_id = 'a1'`) or `SELECT * FROM c WHERE ...`; for a MongoDB source a filter in Extended JSON (`{\"archive_id\": \"a1\"}`), as mongoexport `--query` takes it. An export is then marked a subset in its manifest. Empty: every document. See docs/filters.md.",
    },
  },
  {
    key: 'queryFile',
    kind: 'string',
    valueName: '<file>',
    help: 'the --query filter, read from this file (for a filter too long or too quoted for a command line)',
    task: {
      label: 'Filter file',
      group: 'scope',
      // A plain string, as layoutFile: an empty filePath input arrives as the sources directory.
      help: 'Path of a file holding the filter, read instead of the Filter input (the same languages). Empty: none.',
    },
  },
];

export const TUNING: readonly OptionDecl[] = [
  {
    key: 'allowedRejects',
    flag: null,
    kind: 'count',
    help: '',
    taskOnly: 'the CLI reports rejects with exit code 3 and lets the caller decide; a task must pass or fail the step itself',
    task: {
      label: 'Allowed rejected documents',
      group: 'advanced',
      defaultValue: '0',
      help: 'The step fails when more documents than this are rejected (they are written to the rejects directory with the reason). Up to this many: the step succeeds with issues.',
    },
  },
  {
    key: 'maxErrors',
    kind: 'count',
    valueName: '<n>',
    help: 'stop after this many rejected documents',
    task: { label: 'Stop after rejected documents', group: 'advanced', help: 'Stop the run after this many rejected documents (CLI `--max-errors`). Empty: never stop early; every rejected document is recorded.' },
  },
  {
    key: 'batchSize',
    kind: 'int',
    valueName: '<n>',
    help: 'documents per write batch',
    task: { label: 'Batch size', group: 'advanced', help: 'Documents per write batch (CLI `--batch-size`). Empty: the engine default (500).' },
  },
  {
    key: 'batchBytes',
    kind: 'bytes',
    valueName: '<size>',
    help: 'also end a write batch at this size, e.g. 4MB or 512KB (default 2MB)',
    task: { label: 'Batch bytes', group: 'advanced', help: 'Also end a write batch at this size, e.g. `4MB` or `512KB` (CLI `--batch-bytes`). Empty: the engine default (2MB).' },
  },
  {
    key: 'concurrency',
    kind: 'int',
    valueName: '<n>',
    help: 'write batches in flight per collection',
    task: { label: 'Concurrency', group: 'advanced', help: 'Write batches in flight per collection (CLI `--concurrency`). Empty: the engine default (4).' },
  },
  {
    key: 'parallelCollections',
    kind: 'int',
    valueName: '<n>',
    help: 'collections moved at once',
    task: { label: 'Parallel collections', group: 'advanced', help: 'Collections moved at once (CLI `--parallel-collections`). Empty: the engine default (2).' },
  },
];

/** Scale-out (docs/sharding.md): one run split across parallel jobs, one shard each. */
const SHARD_OPTION = (split: string): OptionDecl => ({
  key: 'shard',
  kind: 'shard',
  valueName: '<i/n>',
  help: `run shard I of N parallel jobs (${split}); the N shards are disjoint and together move everything (docs/sharding.md)`,
  task: {
    label: 'Shard (I/N)',
    group: 'advanced',
    help: `Run shard I of N parallel jobs, e.g. \`$(System.JobPositionInPhase)/$(System.TotalJobsInPhase)\` (${split}). The N shards are disjoint and together move everything; see docs/sharding.md. Empty: the whole run in this job.`,
    actionHelp: `Run shard I of N parallel jobs, e.g. \`\${{ matrix.shard }}/\${{ strategy.job-total }}\` (${split}). The N shards are disjoint and together move everything; see docs/sharding.md. Empty: the whole run in this job.`,
  },
});

const SHARD_PLAN: OptionDecl = {
  key: 'shardPlan',
  kind: 'string',
  valueName: '<file>',
  help: 'with --shard: the file every shard takes its split from (MongoDB _id boundaries, Cosmos DB feed ranges); the first shard to start writes it, the others read it',
  task: {
    label: 'Shard plan file',
    group: 'advanced',
    help: 'With a shard: the file every shard takes its split from (MongoDB `_id` boundaries, Cosmos DB feed ranges). The first shard to start writes it, the others read it: a path every job sees. Empty: each shard computes the split itself (the same one, unless the source changes meanwhile; the merge refuses shards that split differently).',
  },
};

/** One RU budget shared through a record (docs/sharding.md, "One RU budget"). */
const SHARD_BUDGET: readonly OptionDecl[] = [
  {
    key: 'shardBudget',
    kind: 'string',
    valueName: '<blob-url>',
    help: 'with --shard and --max-ru/--ru-share: a blob (https://<account>.blob.core.windows.net/<container>/<run>.json) the shards share the budget through, so a shard that finishes gives its share to the others (default: a fixed 1/N each); one blob per run',
    task: {
      label: 'Shared budget record',
      group: 'advanced',
      help: 'With a shard and an RU budget: the blob every shard of this run shares the budget through, `https://<account>.blob.core.windows.net/<container>/<run id>.json` (a SAS query from a secret variable is accepted). A shard that finishes gives its share to the others. Empty: a fixed 1/N each. See docs/sharding.md.',
      actionHelp: 'With a shard and an RU budget: the blob every shard of this run shares the budget through, `https://<account>.blob.core.windows.net/<container>/<run id>.json` (a SAS query from a secret is accepted). A shard that finishes gives its share to the others. Empty: a fixed 1/N each. See docs/sharding.md.',
    },
  },
  {
    key: 'shardBudgetConnectionString',
    kind: 'string',
    valueName: '<string>',
    secret: true,
    help: 'storage connection string of the --shard-budget blob, for local storage such as Azurite; without one, a SAS in the URL or Entra ID (DefaultAzureCredential)',
    task: {
      label: 'Shared budget record connection string',
      group: 'advanced',
      help: 'A storage connection string for the shared budget record, from a secret variable. Empty: a SAS in its URL, or Entra ID.',
    },
  },
  {
    key: 'shardBudgetPeriod',
    kind: 'duration',
    valueName: '<duration>',
    help: 'how often a shard renews its lease in the --shard-budget record (default 5s); a lease not renewed for three periods expires and its share goes to the others',
    cliOnly: 'a tuning knob of the record: the tasks renew at the default period',
  },
];

const SOURCE_SPLIT = 'MongoDB by _id range, Cosmos DB by feed range';
const SHARDING: Record<Op | 'verify', readonly OptionDecl[]> = {
  export: [SHARD_OPTION(SOURCE_SPLIT), SHARD_PLAN, ...SHARD_BUDGET],
  migrate: [SHARD_OPTION(SOURCE_SPLIT), SHARD_PLAN, ...SHARD_BUDGET],
  import: [SHARD_OPTION('the export directory by line range of each file'), ...SHARD_BUDGET],
  verify: [SHARD_OPTION("both sides by the left side's _id ranges: MongoDB on both sides"), SHARD_PLAN],
};

type Op = 'export' | 'import' | 'migrate';

const CHECKPOINT_DEFAULT: Record<Op, string> = {
  export: '<output-dir>/_checkpoint',
  import: '<export-dir>/_checkpoints/import-<target hash>',
  migrate: 'docferry-checkpoints/migrate-<source and target hash>',
};
const VERIFY_WHAT: Record<Op, string> = {
  export: 're-read the finished export and compare it with the source',
  import: 'compare the export with the target afterwards',
  migrate: 'compare the source with the target afterwards',
};
const VERIFY_TASK_WHAT: Record<Op, string> = {
  export: 'compare the finished export with the source',
  import: 'compare the export directory with the target',
  migrate: 'compare the source with the target',
};
const RESUME_TASK_WHAT: Record<Op, string> = {
  export: 'an interrupted export (in the same output directory)',
  import: 'an interrupted import of the same export into the same target',
  migrate: 'an interrupted migrate of the same source into the same target',
};

const REPORT_TASK: Omit<TaskView, 'visibleRule'> = {
  label: 'Verification report file',
  group: 'advanced',
  help: 'NDJSON file listing every difference the verification found. Empty: `$(Agent.TempDirectory)/docferry-verify-<UTC stamp>.ndjson`. The path is in the `reportFile` output variable. A path inside `$(Build.ArtifactStagingDirectory)` gives a warning: publish steps upload it.',
  actionHelp: 'NDJSON file listing every difference the verification found. Empty: `$GITHUB_WORKSPACE/docferry-verify-<UTC stamp>.ndjson`. The path is in the `report-file` output.',
};

/** --resume, --checkpoint, --verify and --report, worded the same on export, import and migrate. */
export function resumeVerify(op: Op): OptionDecl[] {
  return [
    {
      key: 'verify',
      kind: 'boolean',
      help: `${VERIFY_WHAT[op]}: exit 5 when they differ`,
      task: {
        label: 'Verify afterwards',
        group: op === 'export' ? 'source' : 'target',
        defaultValue: 'false',
        help: `After writing, ${VERIFY_TASK_WHAT[op]} document by document (ids and content digests). Differences fail the step and are listed in the report file.`,
      },
    },
    { key: 'reportFile', flag: 'report', kind: 'string', valueName: '<file>', help: 'with --verify: write every difference to this NDJSON file', task: { ...REPORT_TASK, visibleRule: 'verify = true' } },
    {
      key: 'resume',
      kind: 'boolean',
      help: `continue an interrupted ${op} from its checkpoint (starts from the beginning when there is none)`,
      task: {
        label: 'Resume an interrupted run',
        group: 'advanced',
        defaultValue: 'false',
        help: `Continue ${RESUME_TASK_WHAT[op]} from its checkpoint instead of starting over (only when the same run is repeated with the same inputs).`,
      },
    },
    {
      key: 'checkpointDir',
      flag: 'checkpoint',
      kind: 'string',
      valueName: '<dir>',
      help: `where the checkpoint is kept (default: ${CHECKPOINT_DEFAULT[op]})`,
      task: {
        label: 'Checkpoint directory',
        group: 'advanced',
        help: 'Where the checkpoint is kept while a run can be resumed (removed when it finishes). Empty: the engine default. On a hosted agent the workspace does not survive the job: point this at a persistent path to resume after a failed job.',
      },
    },
  ];
}

/** Every task has it (archive and throughput too: src/options/task-inputs.ts). */
export const FAIL_ON_WARNINGS: OptionDecl = {
  key: 'failOnWarnings',
  flag: null,
  kind: 'boolean',
  help: '',
  taskOnly: 'the CLI prints every warning on stderr and lists them in the --json summary, and leaves the verdict to its caller; a task must pass, pass with issues or fail the step itself',
  task: {
    label: 'Fail on warnings',
    group: 'advanced',
    defaultValue: 'false',
    help: 'Warnings (a collection that does not exist, nothing read, advice about the inputs) make the step Succeeded with issues; with this set, they fail it.',
  },
};

export const OUTPUT: readonly OptionDecl[] = [
  { key: 'json', kind: 'boolean', help: 'print one machine-readable JSON summary on stdout at the end', cliOnly: 'a task reports through output variables and the run summary page' },
  { key: 'quiet', kind: 'boolean', help: 'no progress output', cliOnly: 'a task always logs progress; the log is the only place to see it' },
  FAIL_ON_WARNINGS,
];

/**
 * `docferry plan export|import|migrate`: the options of the command it plans (above), and these.
 * CLI-only for now: a pipeline runs the plan through the CLI (no task input yet).
 */
export const PLAN_OWN: readonly OptionDecl[] = [
  {
    key: 'sample',
    kind: 'count',
    valueName: '<n>',
    cliDefault: String(DEFAULT_PLAN_SAMPLE),
    help: 'documents read per collection for sizes, RU estimates and partition-key checks (a bounded read, never the whole collection)',
    cliOnly: 'docferry plan has no task yet',
  },
  {
    key: FAIL_ON_WARNINGS.key,
    kind: FAIL_ON_WARNINGS.kind,
    flag: 'fail-on-warnings',
    help: 'exit 5 when the plan has warnings (documents without the partition key, a low-cardinality first key level, schema differences...), not only when it has problems',
    cliOnly: 'docferry plan has no task yet; the tasks take failOnWarnings for their own runs',
  },
];

export const PROGRESS_FORMATS = ['auto', 'plain', 'json'] as const;
export const DEFAULT_PROGRESS_INTERVAL = '10s';

/** Watching a run: the progress display, the JSON event stream and the run report. */
export const MONITORING: readonly OptionDecl[] = [
  {
    key: 'progress',
    kind: 'choice',
    choices: PROGRESS_FORMATS,
    cliChoices: true,
    valueName: '<format>',
    cliDefault: 'auto',
    help: 'progress on stderr: auto (bars on a terminal, plain lines otherwise), plain (lines), json (one JSON event per line, see docs/events.md)',
    cliOnly: 'a task logs plain progress lines and writes the run report to the summary page',
  },
  {
    key: 'events',
    kind: 'string',
    valueName: '<file>',
    help: 'also write the JSON event stream (docs/events.md) to this file or named pipe, whatever --progress shows',
    cliOnly: 'a task attaches the run report; a wrapper that wants the raw events runs the CLI',
  },
  {
    key: 'progressInterval',
    kind: 'duration',
    valueName: '<duration>',
    help: `time between two plain progress lines (or JSON stats events) of a collection, e.g. 10s, 1m (default ${DEFAULT_PROGRESS_INTERVAL})`,
    cliOnly: 'a task logs progress at the default interval',
  },
  {
    key: 'reportHtml',
    kind: 'string',
    valueName: '<file>',
    help: 'write the run report (charts over time, a table per collection, the verify result) as one self-contained HTML file',
    cliOnly: 'a task attaches the HTML report to the run by itself',
  },
  {
    key: 'reportMd',
    kind: 'string',
    valueName: '<file>',
    help: 'write the run report as Markdown with Mermaid charts (what GitHub and Azure DevOps summaries render)',
    cliOnly: 'a task uploads the Markdown report as its summary page by itself',
  },
];

export const DEFAULT_CONNECT_TIMEOUT = '30s';

/** How long to keep trying to reach a server: every command that connects. */
export const NETWORK: readonly OptionDecl[] = [
  {
    key: 'connectTimeout',
    kind: 'duration',
    valueName: '<duration>',
    help: `how long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before giving up, e.g. 30s, 2m; a host name that does not resolve fails at once (default ${DEFAULT_CONNECT_TIMEOUT})`,
    task: {
      label: 'Connect timeout',
      group: 'advanced',
      defaultValue: DEFAULT_CONNECT_TIMEOUT,
      help: 'How long to keep trying to reach a server (Cosmos DB, MongoDB, Blob Storage) before failing, e.g. 30s or 2m. A host name that does not resolve fails at once.',
    },
  },
];

// ---------------------------------------------------------------------------------------------
// archive push|pull|list and throughput raise|restore: commands with subcommands, one task each
// (its `command` input picks the subcommand). Their options are declared here like the others;
// the CLI (addSubcommandOptions in src/cli/options.ts), the Archive and Throughput task inputs
// and the action's (src/options/task-inputs.ts) and docs/cli.md's tables come from these lists.

export const SUBCOMMANDS = { archive: ['push', 'pull', 'list'], throughput: ['raise', 'restore'] } as const;
export type SubcommandCommand = keyof typeof SUBCOMMANDS;
export const SUBCOMMAND_COMMANDS = Object.keys(SUBCOMMANDS) as SubcommandCommand[];

/**
 * An option of a command with subcommands, declared once for all of them. `help` is its CLI help:
 * one text for every subcommand, or one per subcommand that offers it (the ones it names). A task
 * input offered by some subcommands only is shown for those (`command = push || command = pull`).
 */
export interface SubcommandOptionDecl extends Omit<OptionDecl, 'help'> {
  help: string | Readonly<Record<string, string>>;
  /** The CLI's environment fallback (read by the command; named in its help and in docs/cli.md). */
  cliEnv?: string;
}

/** One option as a subcommand (or, with every subcommand listed, its task) offers it. */
export interface SubcommandOption extends ResolvedOption {
  /** The subcommands offering it, in order. */
  subcommands: readonly string[];
  cliEnv?: string;
}

export const ARCHIVE_CONNECTION_STRING_ENV = 'AZURE_STORAGE_CONNECTION_STRING';

const ARCHIVE_OPTIONS: readonly SubcommandOptionDecl[] = [
  {
    key: 'exportDir',
    kind: 'string',
    valueName: '<dir>',
    cliRequired: true,
    help: { push: 'the directory an export wrote (holding manifest.json)' },
    task: { label: 'Export directory', group: 'archive', help: 'The export directory to push (holding `manifest.json`).' },
  },
  {
    key: 'destDir',
    kind: 'string',
    valueName: '<dir>',
    cliRequired: true,
    help: { pull: 'a new or empty directory to pull into' },
    task: {
      label: 'Destination directory',
      group: 'archive',
      help: 'A new or empty directory to pull into. Its path is in the `exportDir` output variable.',
      actionHelp: 'A new or empty directory to pull into. Its path is in the `export-dir` output.',
    },
  },
  {
    key: 'prefix',
    kind: 'string',
    valueName: '<prefix>',
    help: {
      push: "where in the container (default: the export directory's name, e.g. data-export-20260212T170000/)",
      pull: "which archived export (default: the newest complete one, by the manifest's exported_at)",
    },
    task: {
      label: 'Prefix',
      group: 'archive',
      help: "push: where in the container (default: the export directory's name). pull: which archived export (default: the newest complete one).",
    },
  },
  {
    key: 'overwrite',
    kind: 'boolean',
    help: { push: 'replace an archived export already at the prefix' },
    task: { label: 'Overwrite', group: 'advanced', defaultValue: 'false', help: 'Replace an archived export already at the prefix.' },
  },
  {
    key: 'allowPartial',
    kind: 'boolean',
    help: {
      push: 'push an export that is incomplete, failed or does not match its manifest (it stays marked so)',
      pull: 'pull an export that is not complete or does not match its manifest (the import then needs --allow-partial too)',
    },
    task: {
      label: 'Allow a partial export',
      group: 'advanced',
      defaultValue: 'false',
      help: 'push/pull an export that is incomplete, failed or does not match its manifest (it stays marked so).',
    },
  },
  {
    key: 'createContainer',
    kind: 'boolean',
    help: { push: 'create the container when it is missing (local storage; pulumi/archive provisions real ones)' },
    cliOnly: 'for local storage such as Azurite; a pipeline pushes to a container that pulumi/archive provisioned',
  },
  {
    key: 'concurrency',
    kind: 'int',
    valueName: '<n>',
    help: { push: 'blocks uploaded in parallel per file (default 8)', pull: 'files downloaded in parallel (default 4)' },
    cliOnly: 'a measuring knob: the task transfers with the defaults (8 blocks per file up, 4 files down)',
  },
  {
    key: 'containerUrl',
    kind: 'string',
    valueName: '<url>',
    cliRequired: true,
    help: 'the archive container: https://<account>.blob.core.windows.net/<container> (a SAS query is accepted and never printed)',
    task: {
      label: 'Container URL',
      group: 'archive',
      required: true,
      help: 'The archive container: `https://<account>.blob.core.windows.net/<container>`. A SAS query is accepted (from a secret variable) and never printed.',
      actionHelp: 'The archive container: `https://<account>.blob.core.windows.net/<container>`. A SAS query is accepted (from a secret) and never printed.',
    },
  },
  {
    key: 'storageConnectionString',
    flag: 'connection-string',
    kind: 'string',
    valueName: '<string>',
    secret: true,
    cliEnv: ARCHIVE_CONNECTION_STRING_ENV,
    help: `storage connection string for local storage such as Azurite (env: ${ARCHIVE_CONNECTION_STRING_ENV}); without one, Entra ID (DefaultAzureCredential) is used. Prefer the environment: arguments are visible to other processes`,
    task: {
      label: 'Storage connection string',
      group: 'connection',
      help: 'A storage account connection string, from a secret variable; wins over the service connection. Prefer the service connection (no shared keys).',
      actionHelp: 'A storage account connection string, from a secret; wins over the service connection. Prefer OIDC (no shared keys).',
    },
  },
  NETWORK[0]!,
  {
    key: 'json',
    kind: 'boolean',
    help: { push: 'print the result as JSON on stdout', pull: 'print the result as JSON on stdout', list: 'print the entries as JSON on stdout' },
    cliOnly: 'a task reports through output variables and the run summary page',
  },
  { key: 'quiet', kind: 'boolean', help: { push: 'no progress output', pull: 'no progress output' }, cliOnly: 'a task always logs progress; the log is the only place to see it' },
];

export const THROUGHPUT_SUBSCRIPTION_ENV = 'AZURE_SUBSCRIPTION_ID';

/** throughput restore takes the target only to check it against the state file. */
const raiseOrCheck = (help: string) => ({ raise: help, restore: `${help} (optional: checked against the state file)` });
const ESTIMATE_CLI = 'a refinement of the plan for an operator who knows the figure; the task plans from what the management API reports';

const THROUGHPUT_OPTIONS: readonly SubcommandOptionDecl[] = [
  {
    key: 'subscriptionId',
    kind: 'string',
    valueName: '<id>',
    cliEnv: THROUGHPUT_SUBSCRIPTION_ENV,
    help: raiseOrCheck(`Azure subscription id (env: ${THROUGHPUT_SUBSCRIPTION_ENV})`),
    task: {
      label: 'Subscription id',
      group: 'target',
      help: "Subscription of the Cosmos DB account. Empty: the service connection's subscription (raise); the state file's (restore).",
      actionHelp: `Subscription of the Cosmos DB account. Empty: ${THROUGHPUT_SUBSCRIPTION_ENV} (raise); the state file's (restore).`,
    },
  },
  {
    key: 'resourceGroup',
    kind: 'string',
    valueName: '<name>',
    help: raiseOrCheck('resource group of the Cosmos DB account'),
    task: { label: 'Resource group', group: 'target', help: 'Resource group of the Cosmos DB account (raise; restore only checks it against the state file).' },
  },
  {
    key: 'accountName',
    kind: 'string',
    valueName: '<name>',
    help: raiseOrCheck('Cosmos DB account name'),
    task: { label: 'Account name', group: 'target', help: 'Cosmos DB account name (raise; restore only checks it).' },
  },
  { key: 'database', kind: 'string', valueName: '<name>', help: raiseOrCheck('database name'), task: { label: 'Database', group: 'target', help: 'Database name (raise; restore only checks it).' } },
  {
    key: 'container',
    kind: 'string',
    valueName: '<name>',
    help: raiseOrCheck('container name; omit for database-level (shared) throughput'),
    task: { label: 'Container', group: 'target', help: "Container name. Empty: the database's shared throughput." },
  },
  {
    key: 'targetThroughput',
    flag: 'to',
    kind: 'int',
    cliRaw: true,
    valueName: '<ru>',
    help: { raise: 'manual throughput to raise to (RU/s, multiple of 100)' },
    task: {
      label: 'Manual RU/s',
      group: 'target',
      help: "Manual throughput to raise to (RU/s, a multiple of 100). Give this or the autoscale maximum, matching the offer's current mode.",
    },
  },
  {
    key: 'autoscaleMax',
    kind: 'int',
    cliRaw: true,
    valueName: '<ru>',
    help: { raise: 'autoscale maximum to raise to (RU/s, multiple of 1000)' },
    task: { label: 'Autoscale max RU/s', group: 'target', help: 'Autoscale maximum to raise to (RU/s, a multiple of 1000).' },
  },
  {
    key: 'stateFile',
    kind: 'string',
    valueName: '<path>',
    cliDefault: DEFAULT_STATE_FILE,
    help: { raise: 'where to keep what was read, for the restore', restore: 'the state file written by `throughput raise`' },
    task: {
      label: 'State file',
      group: 'advanced',
      help: 'Where raise records what to restore. Empty: `$(Agent.TempDirectory)/docferry-throughput-state.json` (same job only: to restore in another job, put it in a published artifact).',
      actionHelp:
        'Where raise records what to restore. Empty: `$RUNNER_TEMP/docferry-throughput-state.json` (same job only: to restore in another job, put it in an uploaded artifact).',
    },
  },
  {
    key: 'acknowledgeFloor',
    kind: 'boolean',
    help: { raise: 'allow a raise that lifts the floor above the value to restore (the restore then only gets down to the floor)' },
    task: {
      label: 'Acknowledge a higher floor',
      group: 'advanced',
      defaultValue: 'false',
      help: "Raising lifts the lowest throughput the offer can go back to (highest-ever / 100 manual, / 10 autoscale). Without this the raise is refused when the restore could not get back to today's value.",
    },
  },
  { key: 'allowDecrease', kind: 'boolean', help: { raise: 'allow a target below the current value' }, cliOnly: 'the task opens a window upwards only (a target below the current value is refused); lower the throughput with the CLI or pulumi/throughput' },
  {
    key: 'storageGb',
    kind: 'number',
    cliRaw: true,
    valueName: '<gb>',
    help: { raise: 'data stored, if known: adds the storage floor (GB x 1 manual, GB x 10 autoscale) and refines the instant-scale estimate' },
    cliOnly: ESTIMATE_CLI,
  },
  {
    key: 'physicalPartitions',
    kind: 'int',
    cliRaw: true,
    valueName: '<n>',
    help: { raise: 'physical partition count, if known: instant-scale limit = n x 10,000 RU/s when the service does not report it' },
    cliOnly: ESTIMATE_CLI,
  },
  {
    key: 'waitForScaleUp',
    kind: 'duration',
    cliRaw: true,
    valueName: '<duration>',
    help: { raise: 'wait up to this long (e.g. 2h) for a scale-up the service applies asynchronously (offerReplacePending), with a progress line per read; default: do not wait' },
    task: {
      label: 'Wait for an asynchronous scale-up',
      group: 'advanced',
      help: 'A raise above the instant-scale limit is applied by the service over hours (offerReplacePending). Wait up to this long for it (e.g. 2h), with a log line per read of the offer. Empty: do not wait.',
    },
  },
  {
    key: 'progressInterval',
    kind: 'duration',
    cliRaw: true,
    valueName: '<duration>',
    help: { raise: 'time between two progress lines while the update runs, and between two reads of a pending scale-up (default 30s)' },
    task: {
      label: 'Progress interval',
      group: 'advanced',
      help: 'Time between two log lines while the update runs, and between two reads of an offer whose scale-up is pending, e.g. 30s or 1m. Empty: 30s.',
    },
  },
  {
    key: 'dryRun',
    kind: 'boolean',
    help: { raise: 'read and report only: change nothing, write no state', restore: 'read and report only: change nothing, keep the state file' },
    task: { label: 'Dry run', group: 'advanced', defaultValue: 'false', help: 'Read and report only: change nothing.' },
  },
  {
    key: 'json',
    kind: 'boolean',
    help: { raise: 'print the plan and state as JSON on stdout', restore: 'print the result as JSON on stdout' },
    cliOnly: 'a task reports through output variables and the run summary page',
  },
  NETWORK[0]!,
];

const SUBCOMMAND_OPTIONS: Record<SubcommandCommand, readonly SubcommandOptionDecl[]> = { archive: ARCHIVE_OPTIONS, throughput: THROUGHPUT_OPTIONS };

function offeredBy(command: SubcommandCommand, d: SubcommandOptionDecl): readonly string[] {
  return typeof d.help === 'string' ? SUBCOMMANDS[command] : SUBCOMMANDS[command].filter((s) => Object.hasOwn(d.help as object, s));
}

function subcommandOption(command: SubcommandCommand, d: SubcommandOptionDecl, help: string): SubcommandOption {
  const subcommands = offeredBy(command, d);
  let task = d.task;
  if (task && !task.visibleRule && subcommands.length < SUBCOMMANDS[command].length) task = { ...task, visibleRule: subcommands.map((s) => `command = ${s}`).join(' || ') };
  return { ...d, help, baseKey: d.key, group: command, subcommands, ...(task ? { task } : {}) };
}

/**
 * The options of `docferry <command> <subcommand>` in the order of its --help, with that
 * subcommand's help; without a subcommand, every option of the command once (its task's view).
 */
export function subcommandOptions(command: SubcommandCommand, subcommand?: string): SubcommandOption[] {
  return SUBCOMMAND_OPTIONS[command]
    .filter((d) => subcommand === undefined || offeredBy(command, d).includes(subcommand))
    .map((d) => {
      const help = typeof d.help === 'string' ? d.help : (d.help[subcommand ?? offeredBy(command, d)[0]!] ?? '');
      return subcommandOption(command, d, help);
    });
}

const MODE: OptionDecl = {
  key: 'mode',
  kind: 'choice',
  choices: ['upsert', 'merge', 'mirror'],
  valueName: '<mode>',
  cliDefault: 'upsert',
  help: 'upsert overwrites existing documents; merge keeps them and counts them as skipped; mirror upserts, then deletes the target documents the source lacks (see --max-deletes)',
  task: {
    label: 'Write mode',
    group: 'target',
    defaultValue: 'upsert',
    options: {
      upsert: 'upsert: overwrite existing documents',
      merge: 'merge: keep existing documents (counted as skipped)',
      mirror: 'mirror: upsert, then delete what the source lacks',
    },
    help: '`upsert` replaces documents that already exist in the target; `merge` keeps them and counts them as skipped; `mirror` upserts, then deletes the target documents the source lacks (bounded by the maximum deletes), so that the target equals the source.',
  },
};

/** --mode mirror's bounds and its dry run, worded the same on import and migrate. */
const MIRROR: readonly OptionDecl[] = [
  {
    key: 'maxDeletes',
    kind: 'count',
    valueName: '<n>',
    help: `--mode mirror: refuse, before deleting anything, to delete more documents than this (default: ${Math.round(DEFAULT_MAX_DELETES_SHARE * 100)}% of the target's documents, at most ${DEFAULT_MAX_DELETES_CAP})`,
    task: {
      label: 'Maximum deletes',
      group: 'target',
      visibleRule: 'mode = mirror',
      help: `Mirror mode: refuse, before deleting anything, to delete more target documents than this. Empty: ${Math.round(DEFAULT_MAX_DELETES_SHARE * 100)}% of the target's documents, at most ${DEFAULT_MAX_DELETES_CAP}.`,
    },
  },
  {
    key: 'dryRun',
    kind: 'boolean',
    help: '--mode mirror: read the source and list the target documents that would be deleted; write and delete nothing',
    task: {
      label: 'Dry run',
      group: 'target',
      defaultValue: 'false',
      visibleRule: 'mode = mirror',
      help: 'Mirror mode: read the source and list the target documents that would be deleted; write and delete nothing.',
    },
  },
  {
    key: 'deletesFile',
    kind: 'string',
    valueName: '<file>',
    help: '--mode mirror: write the id of every target document the source lacks to this NDJSON file',
    task: { label: 'Deletes file', group: 'advanced', visibleRule: 'mode = mirror', help: 'Mirror mode: write the id of every target document the source lacks to this NDJSON file.' },
  },
];

const RESTORE_OBJECT_IDS = (typeKey: string): OptionDecl => ({
  key: 'restoreObjectIds',
  flag: 'restore-objectids',
  kind: 'boolean',
  help: 'MongoDB target: turn 24-hex string _ids back into ObjectIds',
  task: {
    label: 'Restore ObjectId _ids',
    group: 'target',
    defaultValue: 'false',
    visibleRule: `${typeKey} = mongodb`,
    help: 'MongoDB target: turn 24-hex string `_id`s back into ObjectIds (exports of MongoDB `user_roles` need this for the application to find them).',
  },
});

// ---------------------------------------------------------------------------------------------
// Per-command options

const EXPORT_OWN: readonly OptionDecl[] = [
  {
    key: 'outputDir',
    kind: 'string',
    valueName: '<dir>',
    help: 'directory to create (default: data-export-<UTC yyyymmddTHHMMSS>)',
    task: {
      label: 'Output directory',
      group: 'source',
      help: 'Directory to create for the export; it must not exist or be empty. Empty: `$(Agent.TempDirectory)/data-export-<UTC yyyymmddTHHMMSS>`, emptied after the job. The path is in the `exportDir` output variable. The export holds personal data: a path inside `$(Build.ArtifactStagingDirectory)` gives a warning, since publish steps upload it.',
      actionHelp: 'Directory to create for the export; it must not exist or be empty. Empty: `$GITHUB_WORKSPACE/data-export-<UTC yyyymmddTHHMMSS>`. The path is in the `export-dir` output.',
    },
  },
  {
    key: 'jsonFormat',
    kind: 'choice',
    choices: JSON_FORMATS,
    cliChoices: true,
    valueName: '<format>',
    help: 'encoding of exported documents (MongoDB sources: canonical Extended JSON by default)',
    task: {
      label: 'JSON format',
      group: 'advanced',
      defaultValue: 'auto',
      options: {
        auto: 'auto: json for Cosmos DB, canonical Extended JSON for MongoDB',
        json: 'json',
        canonical: 'canonical Extended JSON',
        relaxed: 'relaxed Extended JSON',
        plain: 'plain JSON (lossy)',
      },
      help: 'Encoding of exported documents. `auto` keeps every BSON type from MongoDB (canonical Extended JSON) and plain JSON from Cosmos DB.',
    },
  },
  {
    key: 'overwrite',
    kind: 'boolean',
    help: 'start over: remove the earlier export (finished or partial) in --output-dir first; refused for a directory that is not a docferry export',
    task: {
      label: 'Start over',
      group: 'advanced',
      defaultValue: 'false',
      help: 'Remove an earlier export (finished or partial) in the output directory first and start over. Refused for a directory that is not a docferry export.',
    },
  },
  { key: 'gzip', kind: 'boolean', help: 'compress each collection file (.json.gz)', task: { label: 'Compress files (gzip)', group: 'advanced', defaultValue: 'false', help: 'Write each collection as `.json.gz`.' } },
  {
    key: 'pageSize',
    kind: 'int',
    valueName: '<n>',
    help: 'Cosmos DB source: documents per query page (default: pages of about 4 MB, the service\'s cap, from the average document size; smaller pages mean less memory)',
    cliOnly: 'a measuring knob: the source sizes its pages by document size and RU budget, which is what a pipeline wants',
  },
  {
    key: 'encodeThreads',
    kind: 'choice',
    choices: ['auto', '0', '1'],
    cliChoices: true,
    valueName: '<n>',
    cliDefault: 'auto',
    help: 'MongoDB sources, canonical or relaxed Extended JSON: encode the lines in a worker thread (1) or on the main thread (0); auto: a worker when the process may use four cores or more (docs/BENCHMARKS.md, "Both cores")',
    cliOnly: 'the task bundles are single files without the worker module: a task encodes on the main thread',
  },
];

/** mongorestore's flag: the schema travels by default, as its indexes do. */
const NO_INDEXES: OptionDecl = {
  key: 'noIndexes',
  flag: 'no-indexes',
  kind: 'boolean',
  help: 'do not carry the source\'s schema: no indexes or collection options on a MongoDB target, no carried or translated indexing policy, unique keys and TTL for Cosmos DB containers docferry creates, and no check of either (docs/schema.md)',
  task: {
    label: 'Skip indexes and schema',
    group: 'advanced',
    defaultValue: 'false',
    help: "Do not carry the source's schema (CLI `--no-indexes`): no indexes or collection options on a MongoDB target, no carried or translated indexing policy, unique keys and TTL for Cosmos DB containers docferry creates, and no check of either. Off: the schema travels with the documents, as with mongorestore.",
  },
};

const IMPORT_OWN: readonly OptionDecl[] = [
  {
    key: 'exportDir',
    kind: 'string',
    valueName: '<dir>',
    cliRequired: true,
    help: 'the directory an export wrote (holding manifest.json)',
    task: {
      label: 'Export directory',
      group: 'target',
      required: true,
      help: 'The directory an export wrote (holding `manifest.json`), e.g. a downloaded pipeline artifact. Every file is checked (size, SHA-256, count) before anything is written.',
    },
  },
  {
    key: 'files',
    kind: 'list',
    valueName: '<pattern>',
    help: 'import a file another tool wrote (mongoexport, a JSON dump) with no docferry manifest, relative to --export-dir; `*` and `?` in the file name; repeatable, each with its --to',
    task: {
      label: 'Files from other tools',
      group: 'scope',
      type: 'multiLine',
      help: 'Files without a docferry manifest (mongoexport output, a JSON dump), one a line, relative to the export directory (CLI `--files`); the line of the same number in "Target collections" says where each goes. Nothing can be checked against a manifest (no SHA-256, no counts): the step says so.',
    },
  },
  {
    key: 'to',
    kind: 'list',
    valueName: '<db.coll>',
    help: 'with --files: the target database.collection of the --files given in the same position; repeatable',
    task: { label: 'Target collections', group: 'scope', type: 'multiLine', help: 'With "Files from other tools": `db.coll` one a line (CLI `--to`), the target of the file on the line of the same number.' },
  },
  {
    key: 'jsonFormat',
    kind: 'choice',
    choices: ['canonical', 'relaxed', 'plain'],
    cliChoices: true,
    valueName: '<format>',
    help: 'with --files: their encoding (default: detected from the first lines; a file with no Extended JSON wrapper needs it)',
    task: {
      label: 'Files JSON format',
      group: 'scope',
      defaultValue: 'auto',
      options: { auto: 'auto: detected from the first lines', canonical: 'canonical Extended JSON', relaxed: 'relaxed Extended JSON (mongoexport default)', plain: 'plain JSON' },
      help: 'With "Files from other tools": their encoding. Auto detects it from `$oid`/`$date`/`$numberLong` wrappers in the first lines; a file with none needs it set.',
    },
  },
  MODE,
  RESTORE_OBJECT_IDS('destType'),
  NO_INDEXES,
  {
    key: 'fromRejects',
    kind: 'string',
    valueName: '<path>',
    help: 'import the documents of a rejects file (or a directory of them) of this export, once fixed, instead of its files',
    task: {
      label: 'Import fixed rejects',
      group: 'advanced',
      help: 'A rejects file (or a directory of them) of this export: import its documents, once fixed, instead of the export\'s files (see docs/reliability.md, "Importing fixed rejects").',
    },
  },
  {
    key: 'allowPartial',
    kind: 'boolean',
    help: 'import even when the export is incomplete or does not match its manifest (loudly)',
    task: { label: 'Allow a partial export', group: 'advanced', defaultValue: 'false', help: 'Import even when the export is incomplete or does not match its manifest (warned loudly). Leave off for production.' },
  },
  {
    key: 'rejectsDir',
    kind: 'string',
    valueName: '<dir>',
    help: 'where rejected documents are written (default: <export-dir>/_rejects)',
    task: {
      label: 'Rejects directory',
      group: 'advanced',
      help: 'Where rejected documents are written with their reason. Empty: `_rejects` inside the export directory. A path inside `$(Build.ArtifactStagingDirectory)` gives a warning: publish steps upload it, and rejects hold personal data.',
      actionHelp: 'Where rejected documents are written with their reason. Empty: `_rejects` inside the export directory.',
    },
  },
];

const MIGRATE_OWN: readonly OptionDecl[] = [
  MODE,
  RESTORE_OBJECT_IDS('toType'),
  NO_INDEXES,
  {
    key: 'rejectsDir',
    kind: 'string',
    valueName: '<dir>',
    help: 'where rejected documents are written (default: docferry-rejects-<UTC yyyymmddTHHMMSS>)',
    task: {
      label: 'Rejects directory',
      group: 'advanced',
      help: 'Where rejected documents are written with their reason. Empty: `$(Agent.TempDirectory)/docferry-rejects-<UTC stamp>`, emptied after the job. A path inside `$(Build.ArtifactStagingDirectory)` gives a warning: publish steps upload it, and rejects hold personal data.',
      actionHelp: 'Where rejected documents are written with their reason. Empty: `$GITHUB_WORKSPACE/docferry-rejects-<UTC stamp>`.',
    },
  },
];

const VERIFY_OWN: readonly OptionDecl[] = [
  {
    key: 'maxListed',
    kind: 'int',
    valueName: '<n>',
    help: 'ids listed per kind of difference (default 20; --report lists all)',
    task: { label: 'Ids listed per difference', group: 'advanced', help: 'How many ids of each kind of difference the summary lists (default 20); the report file lists all.' },
  },
  { key: 'reportFile', flag: 'report', kind: 'string', valueName: '<file>', help: 'write every difference to this NDJSON file', task: REPORT_TASK },
  {
    key: 'allowPartial',
    kind: 'boolean',
    help: 'compare an export directory even if it does not match its manifest',
    task: { label: 'Allow a partial export', group: 'advanced', defaultValue: 'false', help: 'Compare an export directory even when it does not match its manifest.' },
  },
  {
    key: 'ignoreExtra',
    kind: 'boolean',
    help: 'documents only the right side holds are listed ("extra, ignored") but are no difference: for a target that may hold more',
    task: {
      label: 'Ignore extra documents',
      group: 'advanced',
      defaultValue: 'false',
      help: 'Documents only the right side (the target) holds are listed as "extra, ignored" but are no difference: for a target that may legitimately hold more.',
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Resolution: the options of one command, store options expanded per side

/** One option as a command offers it, store options already prefixed for their side. */
export interface ResolvedOption extends OptionDecl {
  /** The declaration's key before the side prefix (maxRu for fromMaxRu). */
  baseKey: string;
  /** The catalogue group, for docs and tests. */
  group: string;
  /** The side of a store option. */
  side?: Side;
  /** The store types it applies to (store options). */
  stores?: readonly string[];
  /**
   * The task input that carries it, when it differs from the CLI's key (a 'shared' store option:
   * --from-max-ru and --to-max-ru are both the task input maxRu).
   */
  taskKey?: string;
}

function storeOptions(command: TransferCommand, side: Side, group: string, decls: readonly StoreOptionDecl[]): ResolvedOption[] {
  const sides = SIDES[command];
  const typeRule = (of: readonly Side[], stores: readonly string[]) => of.map((x) => stores.map((t) => `${x.typeKey} = ${t}`).join(' || ')).join(' || ');
  return decls
    .filter((d) => !d.only || d.only.includes(command))
    .map((d) => {
      const { help, task, taskScope, sharedNote, stores, only: _only, ...rest } = d;
      void _only;
      const shared = taskScope === 'shared';
      let view = task?.(side);
      if (view) {
        view = { ...view, visibleRule: view.visibleRule ?? typeRule(shared ? sides : [side], stores) };
        if (shared && sides.length > 1 && sharedNote) view = { ...view, help: `${view.help} ${sharedNote}` };
      }
      return {
        ...rest,
        key: prefixed(side.prefix, d.key),
        baseKey: d.key,
        group,
        side,
        stores,
        ...(d.flag === undefined ? { flag: side.prefix ? `${side.prefix}-${kebabCase(d.key)}` : kebabCase(d.key) } : {}),
        help: help(side),
        ...(view ? { task: view } : {}),
        ...(shared ? { taskKey: d.key } : {}),
      };
    });
}

function plain(group: string, decls: readonly OptionDecl[]): ResolvedOption[] {
  return decls.map((d) => ({ ...d, baseKey: d.key, group }));
}

function connection(command: TransferCommand): ResolvedOption[] {
  return SIDES[command].flatMap((side) => [
    { ...storeTypeOption(command, side), baseKey: 'type', group: 'connection', side },
    ...storeOptions(command, side, 'cosmos', COSMOS_CONNECTION),
    ...storeOptions(command, side, 'mongodb', MONGO_CONNECTION),
    ...storeOptions(command, side, 'dir', DIR_CONNECTION),
    ...storeOptions(command, side, 'ru-budget', RU_BUDGET),
  ]);
}

const BUILDERS: Record<TransferCommand, () => ResolvedOption[]> = {
  export: () => [...connection('export'), ...plain('network', NETWORK), ...plain('export', EXPORT_OWN), ...plain('scope', LAYOUT_SCOPE), ...plain('scope', DISCOVERY), ...plain('scope', FILTER), ...plain('tuning', TUNING), ...plain('shard', SHARDING.export), ...plain('output', OUTPUT), ...plain('monitoring', MONITORING), ...plain('resume', resumeVerify('export'))],
  import: () => [
    ...connection('import'),
    ...plain('network', NETWORK),
    ...plain('import', IMPORT_OWN),
    ...plain('mirror', MIRROR),
    ...plain('scope', LAYOUT_SCOPE),
    ...plain('scope', NAMESPACE_MAP),
    ...plain('tuning', TUNING),
    ...plain('shard', SHARDING.import),
    ...plain('output', OUTPUT),
    ...plain('monitoring', MONITORING),
    ...plain('resume', resumeVerify('import')),
  ],
  migrate: () => [
    ...connection('migrate'),
    ...plain('network', NETWORK),
    ...plain('migrate', MIGRATE_OWN),
    ...plain('mirror', MIRROR),
    ...plain('scope', LAYOUT_SCOPE),
    ...plain('scope', NAMESPACE_MAP),
    ...plain('scope', DISCOVERY),
    ...plain('scope', FILTER),
    ...plain('tuning', TUNING),
    ...plain('shard', SHARDING.migrate),
    ...plain('output', OUTPUT),
    ...plain('monitoring', MONITORING),
    ...plain('resume', resumeVerify('migrate')),
  ],
  verify: () => [...connection('verify'), ...plain('network', NETWORK), ...plain('verify', VERIFY_OWN), ...plain('scope', LAYOUT_SCOPE), ...plain('scope', NAMESPACE_MAP), ...plain('scope', DISCOVERY), ...plain('scope', FILTER), ...plain('shard', SHARDING.verify), ...plain('output', OUTPUT), ...plain('monitoring', MONITORING)],
};

/** Every option of a command, in the order of its --help. */
export function commandOptions(command: TransferCommand): ResolvedOption[] {
  return BUILDERS[command]();
}

/** The CLI flag of an option (without `--`), or undefined for a task-only one. */
export function flagOf(o: Pick<OptionDecl, 'key' | 'flag'>): string | undefined {
  if (o.flag === null) return undefined;
  return o.flag ?? kebabCase(o.key);
}

/** The task input name that carries an option, or undefined for a CLI-only one. */
export function taskInputOf(o: ResolvedOption): string | undefined {
  return o.task ? (o.taskKey ?? o.key) : undefined;
}

/** The option a command offers under a catalogue key (prefixed for store options). */
export function findOption(command: TransferCommand, key: string): ResolvedOption {
  const o = commandOptions(command).find((x) => x.key === key);
  if (!o) throw new Error(`The option catalogue has no option "${key}" for ${command}.`);
  return o;
}
