import type { ContainerLayout, CosmosContainerSchema, Layout, MongoCollectionSchema, MongoIndexSpec, PartitionKeySpec } from './layout.js';
import { parseLayout } from './layout.js';

/**
 * Translating a collection's schema between MongoDB and Cosmos DB (docs/type-mapping.md,
 * "Indexes and container properties"). Pure functions: the plan `docferry layout translate`
 * prints, and what an import or migrate across backends creates, come from the same steps.
 * Every source element becomes one step, so nothing is left out without a word.
 */

/**
 * - `carried`: the target gets the same constraint or index.
 * - `covered`: the target's default behaviour already does it; nothing to create.
 * - `weaker`: carried, but it means less (or something else) on the target: a warning.
 * - `not carried`: the target gets nothing for it: a warning.
 */
export type TranslationOutcome = 'carried' | 'covered' | 'weaker' | 'not carried';

export interface TranslationStep {
  /** `db.coll`. */
  where: string;
  /** The source element: `unique index email_1 {"email":1}`, `default TTL 3600`. */
  source: string;
  outcome: TranslationOutcome;
  /** What the target gets: `unique key [/email]`. */
  target?: string;
  /** Why, in the words a reviewer needs. */
  detail: string;
}

/** Steps that a run reports as warnings: what is weaker on the target, or missing from it. */
export function isWarning(step: TranslationStep): boolean {
  return step.outcome === 'weaker' || step.outcome === 'not carried';
}

/** One line per step, as warnings and the plan print it. */
export function stepText(step: TranslationStep): string {
  const arrow = step.target ? ` -> ${step.target}` : '';
  return `${step.where}: ${step.source}${arrow} (${step.outcome}): ${step.detail}`;
}

/** Cosmos DB's documented limits on a container's unique key policy. */
export const COSMOS_MAX_UNIQUE_KEYS = 10;
export const COSMOS_MAX_UNIQUE_KEY_PATHS = 16;
/** The largest default TTL Cosmos DB takes, in seconds (a 32-bit signed integer). */
export const COSMOS_MAX_TTL = 2_147_483_647;

/** The policy a Cosmos DB container gets when none is given: every path indexed, `_etag` not. */
export const DEFAULT_COSMOS_INDEXING_POLICY: Readonly<Record<string, unknown>> = Object.freeze({
  indexingMode: 'consistent',
  automatic: true,
  includedPaths: [{ path: '/*' }],
  excludedPaths: [{ path: '/"_etag"/?' }],
});

/** The GeoJSON types a spatial index covers: those a MongoDB 2dsphere index takes. */
const SPATIAL_TYPES = ['Point', 'LineString', 'Polygon', 'MultiPolygon'];

const PLAIN_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `a.b` -> `/a/b`. Undefined for what a Cosmos DB path cannot say plainly: array positions
 * (`a.0`), operators (`$**`), and names that would need quoting.
 */
export function cosmosPathOf(field: string): string | undefined {
  const segments = field.split('.');
  return segments.every((s) => PLAIN_SEGMENT.test(s)) ? `/${segments.join('/')}` : undefined;
}

/**
 * `/a/b`, `/a/b/?`, `/a/*`, `/"a-b"/c` -> `a.b`, `a-b.c`. Undefined for array paths (`/tags/[]/x`)
 * and wildcards in the middle, which no single MongoDB field names.
 */
export function mongoFieldOf(path: string): string | undefined {
  const trimmed = path.replace(/\/(\?|\*)$/, '');
  const segments = trimmed.replace(/^\//, '').split('/');
  const out: string[] = [];
  for (const raw of segments) {
    const s = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
    if (s === '' || s === '[]' || s === '*' || s === '?' || s.includes('.') || s.startsWith('$')) return undefined;
    out.push(s);
  }
  return out.length > 0 ? out.join('.') : undefined;
}

const keyText = (key: Record<string, unknown>) => JSON.stringify(key);
const indexLabel = (i: MongoIndexSpec) => `${i.unique ? 'unique ' : ''}${i.expireAfterSeconds !== undefined ? 'TTL ' : ''}index ${i.name ?? Object.keys(i.key).join('_')} ${keyText(i.key)}`;
const pathsText = (paths: readonly string[]) => `[${paths.join(', ')}]`;

/** What a MongoDB schema becomes on a Cosmos DB container; only the properties it sets. */
export interface CosmosTranslation {
  uniqueKeys?: string[][];
  defaultTtl?: number;
  /** The base policy with the translated composite and spatial indexes added; undefined when none were. */
  indexingPolicy?: Record<string, unknown>;
  steps: TranslationStep[];
}

export interface CosmosTranslationContext {
  where: string;
  /** The partition key the Cosmos DB container has (or will have): unique keys are scoped by it. */
  partitionKey: PartitionKeySpec;
  /** The policy the composite indexes are added to; default: DEFAULT_COSMOS_INDEXING_POLICY. */
  indexingPolicy?: Record<string, unknown>;
}

type Composite = { path: string; order: 'ascending' | 'descending' }[];

/**
 * MongoDB indexes and collection options -> Cosmos DB unique keys, default TTL and indexing policy.
 *
 * - A unique index becomes a unique key on the same paths (directions do not matter to
 *   uniqueness). Cosmos DB enforces it within each logical partition, so it means what the MongoDB
 *   index meant only when its paths include the partition key's; otherwise it is `weaker`. Sparse
 *   and partial unique indexes are not carried: a Cosmos DB unique key counts a missing value as a
 *   value, so it would refuse documents MongoDB accepted.
 * - A TTL index becomes the container's default TTL, `weaker`: Cosmos DB counts from each
 *   document's last write (`_ts`, the import's time after a copy), not from the indexed date, and
 *   it expires documents that lack the field too.
 * - An index on two or more fields becomes a composite index with the same orders: Cosmos DB
 *   needs one for an ORDER BY over several fields, and serves the reverse order from it.
 * - Single-field, hashed, sparse, partial and wildcard indexes are `covered`: Cosmos DB indexes
 *   every path by default. 2dsphere indexes become spatial indexes; text, 2d and hidden indexes,
 *   collations and the collection options (validator, capped, collation, time series) are not
 *   carried.
 */
export function cosmosFromMongo(mongo: MongoCollectionSchema, ctx: CosmosTranslationContext): CosmosTranslation {
  const { where } = ctx;
  const steps: TranslationStep[] = [];
  const step = (source: string, outcome: TranslationOutcome, detail: string, target?: string) => steps.push({ where, source, outcome, detail, ...(target ? { target } : {}) });
  const base = ctx.indexingPolicy ?? DEFAULT_COSMOS_INDEXING_POLICY;
  const indexesEveryPath = ((base.includedPaths as { path: string }[] | undefined) ?? [{ path: '/*' }]).some((p) => p.path === '/*');
  const pkPaths = ctx.partitionKey.paths;
  const uniqueKeys: string[][] = [];
  const composites: Composite[] = [];
  const spatial: { path: string; types: string[] }[] = [];
  let defaultTtl: { seconds: number; from: string } | undefined;

  for (const index of mongo.indexes) {
    const label = indexLabel(index);
    const fields = Object.keys(index.key);
    const values = Object.values(index.key);
    const paths = fields.map(cosmosPathOf);
    const directional = values.every((v) => v === 1 || v === -1);
    if (index.hidden) {
      step(label, 'not carried', 'a hidden index is not used by queries, and Cosmos DB has no hidden indexes.');
      continue;
    }
    if (index.expireAfterSeconds !== undefined) {
      const n = index.expireAfterSeconds;
      if (index.partialFilterExpression) step(label, 'not carried', 'a partial TTL index expires only the documents its filter matches; a Cosmos DB default TTL would expire every document. Set a per-item ttl on the documents that should expire.');
      else if (defaultTtl) step(label, 'not carried', `a Cosmos DB container has one default TTL: ${defaultTtl.seconds} s from ${defaultTtl.from} is used.`);
      else if (!(n > 0)) step(label, 'not carried', `expireAfterSeconds ${n} means the field holds each document's expiry time; Cosmos DB has no such TTL: set a per-item ttl (seconds from the last write) on each document instead.`);
      else if (n > COSMOS_MAX_TTL) step(label, 'not carried', `${n} s is above Cosmos DB's largest TTL (${COSMOS_MAX_TTL} s).`);
      else {
        defaultTtl = { seconds: n, from: index.name ?? fields.join('_') };
        step(label, 'weaker', `Cosmos DB counts the TTL from each document's last write (_ts), not from ${fields.join(', ')}: after a copy every document lives ${n} s from the time it was imported, and documents without ${fields.join(', ')} (which MongoDB never expires) expire too.`, `default TTL ${n}`);
      }
      continue;
    }
    if (values.includes('text')) {
      step(label, 'not carried', 'Cosmos DB full-text search is a separate full-text policy and index: set it by hand if the application searches text.');
      continue;
    }
    if (values.includes('2d')) {
      step(label, 'not carried', 'a 2d index is on legacy coordinate pairs; Cosmos DB spatial indexes take GeoJSON.');
      continue;
    }
    if (values.includes('2dsphere')) {
      const sphere = fields.filter((_, i) => values[i] === '2dsphere');
      const spaths = sphere.map(cosmosPathOf);
      if (spaths.some((p) => p === undefined)) {
        step(label, 'not carried', `the field ${sphere.join(', ')} has no plain Cosmos DB path.`);
        continue;
      }
      for (const p of spaths as string[]) if (!spatial.some((s) => s.path === `${p}/*`)) spatial.push({ path: `${p}/*`, types: [...SPATIAL_TYPES] });
      step(label, 'carried', 'GeoJSON values, queried with ST_DISTANCE, ST_WITHIN... (the container\'s default Geography configuration); other fields of the index are covered by the range indexes.', `spatial index ${(spaths as string[]).map((p) => `${p}/*`).join(', ')}`);
      continue;
    }
    if (fields.some((f) => f === '$**' || f.endsWith('.$**'))) {
      if (indexesEveryPath) step(label, 'covered', 'Cosmos DB indexes every path (includedPaths /*).');
      else step(label, 'not carried', 'the indexing policy does not include /*: add the paths to includedPaths.');
      continue;
    }
    if (index.collation && !index.unique) step(label, 'weaker', `Cosmos DB compares strings by their exact value: the collation ${keyText(index.collation)} (case or accent rules) is not carried.`);
    if (index.unique) {
      if (index.partialFilterExpression) step(label, 'not carried', 'Cosmos DB has no partial unique keys: every document would count, and documents MongoDB accepted would be refused.');
      else if (index.sparse) step(label, 'not carried', 'Cosmos DB unique keys have no sparse form: a missing value counts as a value, so two documents without the field in one logical partition would conflict.');
      else if (!directional) step(label, 'not carried', 'a unique key takes plain paths, not hashed or typed keys.');
      else if (paths.some((p) => p === undefined)) step(label, 'not carried', `the fields ${fields.join(', ')} have no plain Cosmos DB path (array positions, operators or names that need quoting).`);
      else if (paths.length > COSMOS_MAX_UNIQUE_KEY_PATHS) step(label, 'not carried', `a Cosmos DB unique key takes at most ${COSMOS_MAX_UNIQUE_KEY_PATHS} paths.`);
      else if (uniqueKeys.length >= COSMOS_MAX_UNIQUE_KEYS) step(label, 'not carried', `a Cosmos DB container takes at most ${COSMOS_MAX_UNIQUE_KEYS} unique keys.`);
      else {
        const ukPaths = paths as string[];
        uniqueKeys.push(ukPaths);
        const target = `unique key ${pathsText(ukPaths)}`;
        const collation = index.collation ? ` The collation ${keyText(index.collation)} is not carried: Cosmos DB compares exact values, so values that differ only in case or accents no longer conflict.` : '';
        const creation = ' Unique keys can only be set when a container is created.';
        if (pkPaths.every((p) => ukPaths.includes(p))) {
          step(label, collation ? 'weaker' : 'carried', `the unique key includes the partition key ${pathsText(pkPaths)}, so it is unique across the container, as in MongoDB.${collation}${creation}`, target);
        } else if (pkPaths.length === 1 && pkPaths[0] === '/id') {
          step(label, 'weaker', `Cosmos DB enforces unique keys within each logical partition, and with the partition key /id each holds one document: the unique key enforces nothing across documents. Partition the container by ${ukPaths.join(', ')} (in the layout) to keep the constraint.${collation}${creation}`, target);
        } else {
          step(label, 'weaker', `Cosmos DB enforces unique keys within each logical partition (partition key ${pathsText(pkPaths)}): documents with different partition-key values may share ${ukPaths.join(', ')}, which MongoDB refused.${collation}${creation}`, target);
        }
      }
    }
    if (fields.length >= 2) {
      if (!directional) step(label, 'not carried', 'a composite index takes plain paths with an order, not hashed or typed keys.');
      else if (paths.some((p) => p === undefined)) step(label, 'not carried', `the fields ${fields.join(', ')} have no plain Cosmos DB path for a composite index.`);
      else {
        const composite: Composite = (paths as string[]).map((path, i) => ({ path, order: values[i] === -1 ? 'descending' : 'ascending' }));
        if (!composites.some((c) => keyText(c as never) === keyText(composite as never))) composites.push(composite);
        step(label, 'carried', 'Cosmos DB needs a composite index for an ORDER BY over several fields (and serves the reverse order from the same one); equality filters are covered by the range indexes.', `composite index (${composite.map((c) => `${c.path} ${c.order}`).join(', ')})`);
      }
      continue;
    }
    if (index.unique) continue;
    if (indexesEveryPath) step(label, 'covered', `Cosmos DB indexes every path (includedPaths /*)${index.sparse || index.partialFilterExpression ? ', for every document: the sparse or partial filter only made the MongoDB index smaller' : ''}.`);
    else step(label, 'not carried', `the indexing policy does not include /*: add ${paths[0] ?? fields[0]}/? to includedPaths.`);
  }

  const options = mongo.options ?? {};
  const optionStep = (name: string, detail: string) => step(`collection option ${name}`, 'not carried', detail);
  if (options.validator) optionStep('validator', 'Cosmos DB has no document validation: the application (or a stored procedure or trigger) must check documents.');
  if (options.collation) optionStep('collation', `Cosmos DB compares strings by their exact value: the default collation ${keyText(options.collation)} is not carried.`);
  if (options.capped) optionStep('capped', 'Cosmos DB has no capped containers: nothing removes the oldest documents (a default TTL removes documents by age).');
  if (options.timeseries) optionStep('timeseries', 'Cosmos DB has no time-series containers: the documents are stored as they are.');
  if (options.clusteredIndex) optionStep('clusteredIndex', 'Cosmos DB stores items by partition key and id: there is no clustered index to set.');

  const out: CosmosTranslation = { steps };
  if (uniqueKeys.length > 0) out.uniqueKeys = uniqueKeys;
  if (defaultTtl) out.defaultTtl = defaultTtl.seconds;
  if (composites.length > 0 || spatial.length > 0) {
    const policy: Record<string, unknown> = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    const existing = (policy.compositeIndexes as Composite[] | undefined) ?? [];
    const added = composites.filter((c) => !existing.some((e) => keyText(e as never) === keyText(c as never)));
    if (existing.length + added.length > 0) policy.compositeIndexes = [...existing, ...added];
    const existingSpatial = (policy.spatialIndexes as { path: string }[] | undefined) ?? [];
    const addedSpatial = spatial.filter((s) => !existingSpatial.some((e) => e.path === s.path));
    if (existingSpatial.length + addedSpatial.length > 0) policy.spatialIndexes = [...existingSpatial, ...addedSpatial];
    out.indexingPolicy = policy;
  }
  return out;
}

/** What a Cosmos DB container's properties become on a MongoDB collection. */
export interface MongoTranslation {
  indexes: MongoIndexSpec[];
  steps: TranslationStep[];
}

/**
 * Cosmos DB container properties -> MongoDB indexes.
 *
 * - A unique key becomes a unique index on its paths **and the partition key's**: Cosmos DB
 *   enforced it within each logical partition, and a collection-wide unique index on its paths
 *   alone would refuse documents the source holds in different partitions. With the partition key
 *   /id (one document per logical partition) the unique key enforced nothing, and it is not carried.
 * - The partition-key paths become an index (queries name them); `/id` needs none: the import
 *   makes `_id` from `id`, and `_id` is always indexed.
 * - Composite indexes become compound indexes with the same orders, spatial indexes 2dsphere ones.
 * - A default TTL is not carried: MongoDB expires documents from a date field the container does
 *   not have. Vector and full-text indexes are not carried. Cosmos DB's range index on every path
 *   has no MongoDB counterpart (MongoDB indexes only the fields above): `covered` in the plan,
 *   since it is each database's default.
 */
export function mongoFromCosmos(cosmos: CosmosContainerSchema, where: string): MongoTranslation {
  const steps: TranslationStep[] = [];
  const step = (source: string, outcome: TranslationOutcome, detail: string, target?: string) => steps.push({ where, source, outcome, detail, ...(target ? { target } : {}) });
  const indexes: MongoIndexSpec[] = [];
  const add = (index: MongoIndexSpec) => {
    if (indexes.some((i) => keyText(i.key) === keyText(index.key))) return false;
    indexes.push(index);
    return true;
  };
  const keyOf = (fields: string[], dir: (i: number) => 1 | -1 = () => 1) => Object.fromEntries(fields.map((f, i) => [f, dir(i)])) as Record<string, 1 | -1>;
  const pkPaths = cosmos.partitionKey.paths;
  const pkFields = pkPaths.map(mongoFieldOf);
  const pkIsId = pkPaths.length === 1 && pkPaths[0] === '/id';

  for (const paths of cosmos.uniqueKeys ?? []) {
    const source = `unique key ${pathsText(paths)}`;
    const fields = paths.map(mongoFieldOf);
    if (fields.some((f) => f === undefined)) {
      step(source, 'not carried', 'a path has no single MongoDB field (an array or wildcard path).');
      continue;
    }
    if (pkIsId && !paths.includes('/id')) {
      step(source, 'not carried', `with the partition key /id each logical partition holds one document, so the unique key never constrained anything in Cosmos DB; a unique index on ${fields.join(', ')} would refuse documents the source holds. Create it by hand if the application relies on it.`);
      continue;
    }
    if (pkFields.some((f) => f === undefined)) {
      step(source, 'not carried', `the partition key ${pathsText(pkPaths)} has no MongoDB field to scope the unique index by.`);
      continue;
    }
    const scoped = [...(fields as string[]), ...(pkFields as string[]).filter((f) => !fields.includes(f))];
    const index: MongoIndexSpec = { name: `unique_${scoped.join('_')}`, key: keyOf(scoped), unique: true };
    add(index);
    const widened = scoped.length > fields.length;
    step(source, 'carried', widened
      ? `Cosmos DB enforced it within each logical partition: the partition key ${pkFields.join(', ')} is part of the unique index, so documents that share ${fields.join(', ')} in different partitions are still accepted, as in the source.`
      : 'the unique key includes the partition key, so it was unique across the container, as the index is.', `unique index ${index.name} ${keyText(index.key)}`);
  }

  if (pkIsId) step('partition key [/id]', 'covered', 'the import makes _id from id, and _id is always indexed.');
  else if (pkFields.some((f) => f === undefined)) step(`partition key ${pathsText(pkPaths)}`, 'not carried', 'a path has no single MongoDB field.');
  else {
    const fields = pkFields as string[];
    const index: MongoIndexSpec = { name: `pk_${fields.join('_')}`, key: keyOf(fields) };
    const added = add(index);
    step(`partition key ${pathsText(pkPaths)}`, added ? 'carried' : 'covered', added ? 'an index for the queries that name the partition key (it is no shard key).' : 'a unique index above already starts with these fields.', added ? `index ${index.name} ${keyText(index.key)}` : undefined);
  }

  const policy = cosmos.indexingPolicy;
  if (policy) {
    for (const composite of (policy.compositeIndexes as { path: string; order?: string }[][] | undefined) ?? []) {
      const source = `composite index (${composite.map((c) => `${c.path} ${c.order ?? 'ascending'}`).join(', ')})`;
      const fields = composite.map((c) => mongoFieldOf(c.path));
      if (fields.some((f) => f === undefined)) {
        step(source, 'not carried', 'a path has no single MongoDB field.');
        continue;
      }
      const index: MongoIndexSpec = { name: `composite_${(fields as string[]).join('_')}`, key: keyOf(fields as string[], (i) => (String(composite[i]!.order ?? 'ascending').toLowerCase() === 'descending' ? -1 : 1)) };
      const added = add(index);
      step(source, added ? 'carried' : 'covered', added ? 'a compound index with the same orders serves the same sorts.' : 'an index above has the same key.', added ? `index ${index.name} ${keyText(index.key)}` : undefined);
    }
    for (const s of (policy.spatialIndexes as { path: string }[] | undefined) ?? []) {
      const field = mongoFieldOf(s.path);
      if (!field) {
        step(`spatial index ${s.path}`, 'not carried', 'the path has no single MongoDB field.');
        continue;
      }
      const index: MongoIndexSpec = { name: `spatial_${field}`, key: { [field]: '2dsphere' } };
      add(index);
      step(`spatial index ${s.path}`, 'carried', 'GeoJSON values in a 2dsphere index (Cosmos DB Geometry containers use planar coordinates, which 2dsphere does not).', `index ${index.name} ${keyText(index.key)}`);
    }
    for (const v of (policy.vectorIndexes as { path: string; type?: string }[] | undefined) ?? []) step(`vector index ${v.path}`, 'not carried', 'MongoDB vector search is an Atlas Search index, not a collection index: create it with the Atlas tools.');
    for (const f of (policy.fullTextIndexes as { path: string }[] | undefined) ?? []) step(`full-text index ${f.path}`, 'not carried', 'create a text index by hand if the application searches text.');
    if (((policy.includedPaths as { path: string }[] | undefined) ?? []).some((p) => p.path === '/*')) {
      step('indexing policy: every path indexed (/*)', 'covered', 'MongoDB indexes only the fields above: queries on other fields scan the collection. Add indexes for the fields the application filters on.');
    }
  }
  if (cosmos.defaultTtl !== undefined) {
    step(`default TTL ${cosmos.defaultTtl}`, 'not carried', cosmos.defaultTtl === -1
      ? 'TTL is on with no default: documents with their own ttl field expired in Cosmos DB. A MongoDB TTL index needs a date field: create one by hand if the data should expire.'
      : 'a MongoDB TTL index needs a date field, and Cosmos DB counted from each document\'s last write (_ts), which is not copied: create a TTL index on a date field by hand if the data should expire.');
  }
  return { indexes, steps };
}

export type TranslateTarget = 'cosmos' | 'mongo';

export interface LayoutTranslation {
  layout: Layout;
  steps: TranslationStep[];
}

function cosmosOf(c: ContainerLayout): CosmosContainerSchema {
  return { partitionKey: c.partitionKey, ...(c.indexingPolicy ? { indexingPolicy: c.indexingPolicy } : {}), ...(c.uniqueKeys ? { uniqueKeys: c.uniqueKeys } : {}), ...(c.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}) };
}

/**
 * A layout with each container's other side filled in from the side it has: `--to cosmos` sets
 * unique keys, default TTL and composite indexes from the `mongo` blocks; `--to mongo` writes a
 * `mongo` block from the Cosmos DB properties. What the layout already sets on the target side is
 * kept (it was written on purpose) and said so; the steps' warnings go into the layout's notes,
 * so that whoever reviews the file reads them.
 */
export function translateLayout(layout: Layout, to: TranslateTarget): LayoutTranslation {
  const steps: TranslationStep[] = [];
  const out: Layout = JSON.parse(JSON.stringify(layout)) as Layout;
  for (const db of out.databases) {
    for (const c of db.containers) {
      const where = `${db.name}.${c.name}`;
      if (to === 'cosmos') {
        if (!c.mongo) continue;
        const t = cosmosFromMongo(c.mongo, { where, partitionKey: c.partitionKey, ...(c.indexingPolicy ? { indexingPolicy: c.indexingPolicy } : {}) });
        steps.push(...t.steps);
        const keep = (field: string) => steps.push({ where, source: `translated ${field}`, outcome: 'not carried', detail: `the layout sets ${field} already: kept as written.` });
        if (t.uniqueKeys) {
          if (c.uniqueKeys) keep('uniqueKeys');
          else c.uniqueKeys = t.uniqueKeys;
        }
        if (t.defaultTtl !== undefined) {
          if (c.defaultTtl !== undefined) keep('defaultTtl');
          else c.defaultTtl = t.defaultTtl;
        }
        if (t.indexingPolicy) c.indexingPolicy = t.indexingPolicy;
      } else {
        const t = mongoFromCosmos(cosmosOf(c), where);
        steps.push(...t.steps);
        if (c.mongo) steps.push({ where, source: 'translated MongoDB indexes', outcome: 'not carried', detail: 'the layout has a mongo block already: kept as written.' });
        else c.mongo = { indexes: t.indexes };
      }
    }
  }
  const warnings = steps.filter(isWarning).map(stepText);
  const side = to === 'cosmos' ? 'Cosmos DB' : 'MongoDB';
  out.notes = [...(out.notes ?? []), `Translated to ${side} by docferry layout translate: ${steps.length} step${steps.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}.`, ...warnings];
  return { layout: parseLayout(out, 'translated'), steps };
}
