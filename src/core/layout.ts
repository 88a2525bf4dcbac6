import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { UsageError } from './errors.js';
import { packageRoot } from './package-info.js';
import type { CollectionFilter, LayoutFilter } from './filter.js';

export type PartitionKeyKind = 'Hash' | 'MultiHash';

export interface PartitionKeySpec {
  paths: string[];
  kind?: PartitionKeyKind;
  version?: 1 | 2;
}

export type ThroughputSpec = { manual: number; autoscaleMax?: never } | { autoscaleMax: number; manual?: never };

export interface ContainerLayout {
  name: string;
  partitionKey: PartitionKeySpec;
  migrate?: boolean;
  indexingPolicy?: Record<string, unknown>;
  uniqueKeys?: string[][];
  defaultTtl?: number;
  throughput?: ThroughputSpec;
  /** Set by `docferry layout capture`: the container held no documents when captured. */
  empty?: boolean;
  /** The MongoDB side (indexes, collection options); pulumi/target ignores it. */
  mongo?: MongoCollectionSchema;
  /**
   * Only the documents that match this are exported or migrated (docs/filters.md): a Cosmos DB SQL
   * WHERE clause for a Cosmos DB source, a MongoDB filter (an object, or its Extended JSON text) for
   * a MongoDB source. pulumi/target ignores it.
   */
  filter?: LayoutFilter;
  /** The container holds several logical collections told apart by a field (docs/shared-containers.md). */
  shared?: SharedContainer;
}

/** A shared container's declaration in a layout. */
export interface SharedContainer {
  /** The top-level field whose value names the logical collection. */
  discriminator: string;
  /** The logical collections it holds: the discriminator values. */
  collections: string[];
  /** whole (default): moved as one container; split: read per value into per-collection targets; merge: written into from per-collection sources. */
  route?: 'whole' | 'split' | 'merge';
  /** split: keep the discriminator field in the documents (default true). */
  keepField?: boolean;
}

/**
 * How a scope reaches a shared container (src/core/shared.ts): `source`, it is read from the
 * source's shared container through the discriminator (a split); `target`, it is written into the
 * target's shared container with the discriminator set (a merge).
 */
export interface SharedRoute {
  side: 'source' | 'target';
  /** The shared container, in the scope's database. */
  container: string;
  discriminator: string;
  /** This scope's discriminator value: its logical collection. */
  value: string;
  /** Every value the layout declares. */
  declared: string[];
  keepField: boolean;
  /** A split's first scope also reads the documents whose value is missing or undeclared, to reject them. */
  remainder?: boolean;
}

/** A MongoDB index key value: 1 / -1 for a direction, or an index type. */
export type MongoIndexKeyValue = 1 | -1 | 'text' | '2dsphere' | '2d' | 'hashed';

/** One MongoDB index as listIndexes reports it (without v and ns); filters in relaxed Extended JSON. */
export interface MongoIndexSpec {
  name?: string;
  key: Record<string, MongoIndexKeyValue>;
  unique?: boolean;
  sparse?: boolean;
  hidden?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Record<string, unknown>;
  collation?: Record<string, unknown>;
  wildcardProjection?: Record<string, unknown>;
  weights?: Record<string, unknown>;
  default_language?: string;
  language_override?: string;
}

export interface MongoCollectionOptions {
  validator?: Record<string, unknown>;
  validationLevel?: 'off' | 'strict' | 'moderate';
  validationAction?: 'error' | 'warn' | 'errorAndLog';
  collation?: Record<string, unknown>;
  capped?: boolean;
  size?: number;
  max?: number;
  /** Noted only: docferry does not create time-series collections. */
  timeseries?: Record<string, unknown>;
  clusteredIndex?: Record<string, unknown>;
}

export interface MongoCollectionSchema {
  /** Every index but the _id one, in listIndexes order. */
  indexes: MongoIndexSpec[];
  options?: MongoCollectionOptions;
}

/** The Cosmos DB container properties an export carries and an import checks. */
export interface CosmosContainerSchema {
  partitionKey: PartitionKeySpec;
  indexingPolicy?: Record<string, unknown>;
  uniqueKeys?: string[][];
  defaultTtl?: number;
}

/** A collection's schema as an export records it (manifest `schemas`) and an import rebuilds or checks it. */
export interface CollectionSchema {
  cosmos?: CosmosContainerSchema;
  mongo?: MongoCollectionSchema;
}

/**
 * The schema a target is held to: both sides, one of them perhaps translated from the other
 * (src/core/schema-translate.ts). Each store reads its own side; `translation` holds, per side,
 * the warnings of that translation (what is weaker on the target, or not carried).
 */
export interface TargetSchema extends CollectionSchema {
  translation?: { cosmos?: string[]; mongo?: string[] };
}

/** What rebuilding or checking one collection's schema on a target came to. */
export interface SchemaOutcome {
  /** Indexes (or properties) created. */
  created: string[];
  /** Differences and what could not be carried: reported, never silently skipped. */
  problems: string[];
  /** Unique indexes the data violates, by name with the offending key values. */
  violations: string[];
}

export interface DatabaseLayout {
  name: string;
  throughput?: ThroughputSpec;
  containers: ContainerLayout[];
}

export interface Layout {
  name?: string;
  description?: string;
  defaultPartitionKey?: PartitionKeySpec;
  /** What a capture could not read or found worth saying; nothing acts on it. */
  notes?: string[];
  databases: DatabaseLayout[];
}

/** A partition key with its defaults filled in, as it is compared with a live container. */
export interface ResolvedPartitionKey {
  paths: string[];
  kind: PartitionKeyKind;
  version: 1 | 2;
}

/** One collection a run moves: where it lives and how it is partitioned. */
export interface CollectionScope {
  database: string;
  collection: string;
  partitionKey: ResolvedPartitionKey;
  container?: ContainerLayout;
  /**
   * Where a `--map` rule sends it (src/core/namespace-map.ts): the target database and collection
   * when they differ from `database` and `collection`, which stay the source's names.
   */
  target?: { database: string; collection: string };
  /**
   * What an import or migrate creates the target with and checks it against (unset with
   * `--no-indexes`): the layout's properties, the carried ones, translated where the backends differ.
   */
  schema?: TargetSchema;
  /** Only documents matching every one of these are read (src/engine/filters.ts); none: all. */
  filters?: CollectionFilter[];
  /** Read from or written into a shared container through its discriminator. */
  shared?: SharedRoute;
}

export const defaultLayoutPath = resolve(packageRoot, 'layouts', 'default.json');
export const layoutSchemaPath = resolve(packageRoot, 'layouts', 'layout.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function validateAgainstSchema(value: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(layoutSchemaPath, 'utf8')) as Record<string, unknown>;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => {
    // Ajv says "must be equal to one of the allowed values" without the values: name them.
    const allowed = e.keyword === 'enum' ? (e.params as { allowedValues?: unknown[] }).allowedValues : undefined;
    if (allowed) {
      const given = e.instancePath.split('/').slice(1).reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], value);
      return `${e.instancePath || '(root)'} must be one of ${allowed.map(String).join(', ')}, not ${JSON.stringify(given)}`;
    }
    return `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`;
  });
}

export function resolvePartitionKey(spec: PartitionKeySpec): ResolvedPartitionKey {
  return {
    paths: [...spec.paths],
    kind: spec.kind ?? (spec.paths.length > 1 ? 'MultiHash' : 'Hash'),
    version: spec.version ?? 2,
  };
}

/** Checks beyond the JSON Schema: rules that need to look at several fields at once. */
function semanticProblems(layout: Layout): string[] {
  const problems: string[] = [];
  const checkKey = (where: string, pk: PartitionKeySpec) => {
    const kind = pk.kind ?? (pk.paths.length > 1 ? 'MultiHash' : 'Hash');
    if (kind === 'Hash' && pk.paths.length !== 1) problems.push(`${where}: a Hash partition key takes exactly one path (use MultiHash for ${pk.paths.length})`);
    if (kind === 'MultiHash' && pk.paths.length < 2) problems.push(`${where}: a MultiHash partition key takes two or three paths`);
    if (kind === 'MultiHash' && pk.version === 1) problems.push(`${where}: MultiHash partition keys require version 2`);
  };
  if (layout.defaultPartitionKey) checkKey('defaultPartitionKey', layout.defaultPartitionKey);
  const dbNames = new Set<string>();
  for (const db of layout.databases) {
    if (dbNames.has(db.name)) problems.push(`database "${db.name}" is listed twice`);
    dbNames.add(db.name);
    const names = new Set<string>();
    for (const c of db.containers) {
      if (names.has(c.name)) problems.push(`container "${db.name}.${c.name}" is listed twice`);
      names.add(c.name);
      checkKey(`container "${db.name}.${c.name}"`, c.partitionKey);
      if (c.throughput?.manual !== undefined && c.throughput.manual % 100 !== 0) problems.push(`container "${db.name}.${c.name}": manual throughput must be a multiple of 100`);
      if (c.throughput?.autoscaleMax !== undefined && c.throughput.autoscaleMax % 1000 !== 0) problems.push(`container "${db.name}.${c.name}": autoscaleMax must be a multiple of 1000`);
    }
  }
  return problems;
}

export function parseLayout(value: unknown, source: string): Layout {
  const problems = validateAgainstSchema(value);
  if (problems.length === 0) problems.push(...semanticProblems(value as Layout));
  if (problems.length > 0) {
    throw new UsageError(`Layout ${source} is not valid:\n  - ${problems.join('\n  - ')}\nSee layouts/layout.schema.json for the format.`);
  }
  return value as Layout;
}

export function loadLayout(path: string = defaultLayoutPath): Layout {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read layout file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}. Pass an existing file with --layout.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`Layout file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseLayout(value, path);
}

export function findContainer(layout: Layout, database: string, collection: string): ContainerLayout | undefined {
  return layout.databases.find((d) => d.name === database)?.containers.find((c) => c.name === collection);
}

/** The partition key for a collection, also for one the layout does not name (the original scripts' /id rule). */
export function partitionKeyFor(layout: Layout, database: string, collection: string): ResolvedPartitionKey {
  const container = findContainer(layout, database, collection);
  return resolvePartitionKey(container?.partitionKey ?? layout.defaultPartitionKey ?? { paths: ['/id'] });
}

/**
 * The collections a run moves: every container the layout marks for migration, narrowed by
 * `--collections` names. A name that matches nothing is an error, never silently dropped.
 * A name may be `coll` (matches in every database) or `db.coll`.
 */
export function resolveScope(layout: Layout, filter?: readonly string[]): CollectionScope[] {
  const all: CollectionScope[] = layout.databases.flatMap((db) =>
    db.containers
      .filter((c) => c.migrate !== false)
      .map((c) => ({ database: db.name, collection: c.name, partitionKey: resolvePartitionKey(c.partitionKey), container: c })),
  );
  if (!filter || filter.length === 0) return all;
  const unknown = filter.filter((name) => !all.some((s) => matchesName(s, name)));
  if (unknown.length > 0) {
    const known = [...new Set(all.map((s) => s.collection))].join(', ');
    throw new UsageError(`Unknown collection${unknown.length > 1 ? 's' : ''} in --collections: ${unknown.join(', ')}. The layout has: ${known}.`);
  }
  return all.filter((s) => filter.some((name) => matchesName(s, name)));
}

function matchesName(scope: { database: string; collection: string }, name: string): boolean {
  return name === scope.collection || name === `${scope.database}.${scope.collection}`;
}

/** Same rule, for a list of collections found in an export rather than in the layout. */
export function filterByNames<T extends { database: string; collection: string }>(items: T[], filter?: readonly string[]): T[] {
  if (!filter || filter.length === 0) return items;
  const unknown = filter.filter((name) => !items.some((s) => matchesName(s, name)));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown collection${unknown.length > 1 ? 's' : ''} in --collections: ${unknown.join(', ')}. Available: ${items.map((s) => `${s.database}.${s.collection}`).join(', ')}.`);
  }
  return items.filter((s) => filter.some((name) => matchesName(s, name)));
}

/**
 * `items` in the order the lists name their collections: the first list that names a collection
 * decides its place; collections no list names come last, in their original order (stable).
 * Summaries and progress then read like the layout, not like file paths or completion order.
 */
export function sortByOrder<T extends { database: string; collection: string }>(
  items: readonly T[],
  ...orders: readonly (readonly { database: string; collection: string }[])[]
): T[] {
  const rank = new Map<string, number>();
  for (const list of orders) {
    for (const c of list) {
      const key = `${c.database}\u0000${c.collection}`;
      if (!rank.has(key)) rank.set(key, rank.size);
    }
  }
  const at = (c: { database: string; collection: string }) => rank.get(`${c.database}\u0000${c.collection}`) ?? Number.MAX_SAFE_INTEGER;
  return [...items].sort((a, b) => at(a) - at(b));
}

/** Every container of a layout, in the order the layout lists them (migrated or not). */
export function layoutCollections(layout: Pick<Layout, 'databases'> | undefined): { database: string; collection: string }[] {
  return (layout?.databases ?? []).flatMap((db) => (db.containers ?? []).map((c) => ({ database: db.name, collection: c.name })));
}

export function samePartitionKey(a: ResolvedPartitionKey, b: ResolvedPartitionKey): boolean {
  return a.kind === b.kind && a.paths.length === b.paths.length && a.paths.every((p, i) => p === b.paths[i]);
}

export function describePartitionKey(pk: ResolvedPartitionKey): string {
  return pk.kind === 'Hash' ? pk.paths[0]! : `${pk.kind}(${pk.paths.join(', ')})`;
}
