/**
 * One collection of a plan (src/engine/plan.ts): whether it exists on each side, its bytes, its
 * sample as the target would store it, the target's schema differences, and the RU estimate.
 */
import { errorMessage } from '../core/errors.js';
import type { CollectionSchema, CollectionScope, Layout } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { DocumentInspector, SinkFactoryOptions, TargetPlanning } from '../stores/descriptor.js';
import { createSource, type DatabaseSpec } from '../stores/factory.js';
import { databaseStore, documentIdIn, isMissingCollectionError } from '../stores/registry.js';
import type { ProvisionedRu, SourceStore } from '../stores/types.js';
import type { PlannedCollection } from './plan.js';
import { analysePartitions, type SampledKey } from './plan-partitions.js';
import { layoutDifferences, type LayoutDifference } from './schema-check.js';
import { wantedSchema } from './schema-carry.js';
import { mergeDocument } from '../core/shared.js';

type Name = { database: string; collection: string };
const nameOf = (s: Name) => `${s.database}.${s.collection}`;

/** Whether a collection exists in a store read as a source: `exists` where the store has it, else a count that a missing collection fails. */
export async function probe(source: SourceStore, scope: CollectionScope, warnings: string[], side: string): Promise<{ exists?: boolean; count?: number }> {
  const found = source.exists ? await source.exists(scope) : undefined;
  if (found && !found.collection) return { exists: false, count: 0 };
  try {
    const count = await source.count(scope);
    return { ...(found || !source.exists ? { exists: true } : {}), ...(count !== undefined ? { count } : {}) };
  } catch (err) {
    if (isMissingCollectionError(source.kind, err)) return { exists: false, count: 0 };
    warnings.push(`${side} ${nameOf(scope)}: cannot count: ${redact(errorMessage(err))}`);
    return found ? { exists: true } : {};
  }
}

/** At most `n` items, through the source's own sample where it has one, else the start of its read. */
export async function sampleOf(source: SourceStore, scope: CollectionScope, n: number): Promise<{ docs: { doc: Record<string, unknown>; bytes?: number }[]; unreadable: string[] }> {
  const docs: { doc: Record<string, unknown>; bytes?: number }[] = [];
  const unreadable: string[] = [];
  if (n <= 0) return { docs, unreadable };
  for await (const item of source.sample ? source.sample(scope, n) : source.read(scope)) {
    if (item.doc) docs.push({ doc: item.doc, ...(item.bytes !== undefined ? { bytes: item.bytes } : {}) });
    else unreadable.push(item.reason);
    if (docs.length + unreadable.length >= n) break;
  }
  return { docs, unreadable };
}

/**
 * The sample as the run would hand it to the sink: a collection merged into a shared container gets
 * its discriminator set (it is the shared container's partition key), and a document that already
 * names another collection is one the run rejects.
 */
async function sampledAsWritten(source: SourceStore, scope: CollectionScope, n: number): Promise<{ docs: { doc: Record<string, unknown>; bytes?: number }[]; unreadable: string[] }> {
  const sampled = await sampleOf(source, scope, n);
  const route = scope.shared;
  if (route?.side !== 'target') return sampled;
  const docs: { doc: Record<string, unknown>; bytes?: number }[] = [];
  for (const d of sampled.docs) {
    const merged = mergeDocument(d.doc, route);
    if (typeof merged === 'string') sampled.unreadable.push(merged);
    else docs.push({ doc: merged });
  }
  return { docs, unreadable: sampled.unreadable };
}

/** The bytes of a collection: the store's figure, else the sample's mean encoded size x the count. */
export async function sourceBytes(source: SourceStore, scope: CollectionScope, count: number | undefined, sample: () => Promise<{ bytes?: number }[]>): Promise<Pick<PlannedCollection, 'bytes' | 'bytesFrom'>> {
  const stored = await source.size?.(scope).catch(() => undefined);
  if (stored !== undefined) return { bytes: stored, bytesFrom: 'store' };
  if (count === undefined) return {};
  if (count === 0) return { bytes: 0, bytesFrom: 'store' };
  const sizes = (await sample()).map((s) => s.bytes).filter((b): b is number => b !== undefined);
  if (sizes.length === 0) return {};
  return { bytes: Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length) * count), bytesFrom: 'sample' };
}

/** The live target's schema against what the run holds it to (the layout's, else the carried one): the differences, the partition key's blocking. */
function schemaDifferencesOf(target: Name, scope: CollectionScope, live: CollectionSchema, carried: CollectionSchema | undefined, noIndexes: boolean): (LayoutDifference & { blocking: boolean })[] {
  const wanted = wantedSchema(carried, scope);
  const layout: Layout = {
    databases: [{ name: target.database, containers: [{ name: target.collection, partitionKey: scope.partitionKey, ...(noIndexes ? {} : { ...pick(wanted?.cosmos), ...(wanted?.mongo ? { mongo: wanted.mongo } : {}) }) }] }],
  };
  const found = [{ name: target.database, containers: [{ name: target.collection, partitionKey: live.cosmos?.partitionKey ?? scope.partitionKey, ...pick(live.cosmos), ...(live.mongo ? { mongo: live.mongo } : {}) }] }];
  // A store whose live schema has a partition key cannot change it: the run refuses before writing.
  return layoutDifferences(layout, found, { cosmos: live.cosmos !== undefined, mongo: live.mongo !== undefined && !noIndexes }).map((d) => ({ ...d, blocking: d.what === 'partition key' }));
}

function pick(c: CollectionSchema['cosmos'] | undefined): Record<string, unknown> {
  if (!c) return {};
  return { ...(c.indexingPolicy ? { indexingPolicy: c.indexingPolicy } : {}), ...(c.uniqueKeys ? { uniqueKeys: c.uniqueKeys } : {}), ...(c.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}) };
}

export interface TargetSide {
  spec: DatabaseSpec;
  planning: TargetPlanning<DatabaseSpec>;
  reader: SourceStore;
  inspect: DocumentInspector;
  noIndexes: boolean;
}

export interface Planned {
  collection: PlannedCollection;
  warnings: string[];
  problems: string[];
}

/** One collection (`scope`) into a database target (`target`, its destination): existence, schema, the sample as the target would store it, and the estimate. */
export async function planIntoTarget(t: TargetSide, scope: CollectionScope, target: CollectionScope, source: SourceStore, base: PlannedCollection, carried: CollectionSchema | undefined, n: number): Promise<Planned> {
  const warnings: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  const where = nameOf(target);
  const out: PlannedCollection = { ...base };
  const told: string[] = [];
  let exists = (await probe(t.reader, target, told, 'target')).exists;
  if (exists === undefined && t.reader.schema) {
    // The store could not tell: reading its schema says, or why the target cannot be read (the run would fail on it too).
    try {
      exists = (await t.reader.schema(target)) !== undefined;
    } catch (err) {
      if (isMissingCollectionError(t.reader.kind, err)) exists = false;
      else problems.push(`target ${where} cannot be read: ${redact(errorMessage(err))}`);
    }
  }
  if (problems.length === 0) warnings.push(...told);
  if (exists !== undefined) out.targetExists = exists;
  let live: CollectionSchema | undefined;
  if (exists === false) {
    const creates = t.planning.createsMissing(t.spec);
    if (creates === true) out.create = true;
    else problems.push(`${where} does not exist on the target and would not be created: ${creates}.`);
  } else if (exists && t.reader.schema) {
    live = await t.reader.schema(target).catch((err: unknown) => {
      notes.push(`its schema could not be read: ${redact(errorMessage(err))}`);
      return undefined;
    });
    if (live) {
      const differences = schemaDifferencesOf(target, target, live, carried, t.noIndexes);
      if (differences.length > 0) out.schemaDifferences = differences;
      for (const d of differences) {
        const text = `${where}: ${d.what}: ${d.detail}`;
        if (d.blocking) problems.push(`${text}. A container's partition key cannot be changed: migrate into a new container, or pass the layout that matches with --layout.`);
        else warnings.push(`${text} (the run reports it after writing; docs/schema.md).`);
      }
    }
  }
  if (out.sourceExists === false) return { collection: withNotes(out, notes), warnings, problems };

  const { docs, unreadable } = await sampledAsWritten(source, scope, n);
  const inspected = docs.map((d) => ({ id: documentIdIn(d.doc, source.kind), ...t.inspect(d.doc, target, live) }));
  const reasons = new Map<string, number>();
  for (const r of unreadable) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  for (const i of inspected) if (i.refused) reasons.set(i.refused, (reasons.get(i.refused) ?? 0) + 1);
  const rejected = unreadable.length + inspected.filter((i) => i.refused || i.partitionKeyProblem).length;
  const sizes = inspected.map((i) => i.bytes).filter((b): b is number => b !== undefined);
  out.sample = {
    documents: docs.length + unreadable.length,
    ...(sizes.length > 0 ? { meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) } : {}),
    rejected,
    ...(reasons.size > 0 ? { reasons: [...reasons].map(([reason, documents]) => ({ reason, documents })) } : {}),
  };
  if (reasons.size > 0) {
    const listed = [...reasons].slice(0, 3).map(([r, c]) => `${c} x ${r}`).join('; ');
    warnings.push(`${where}: ${[...reasons.values()].reduce((a, b) => a + b, 0)} of ${out.sample.documents} sampled documents would be rejected (${listed}).`);
  }

  if (t.planning.logicalPartitionBytes !== undefined && inspected.length > 0) {
    const keys: SampledKey[] = inspected
      .filter((i) => !i.refused)
      .map((i) => ({ ...(i.partitionKey ? { key: i.partitionKey } : {}), ...(i.bytes !== undefined ? { bytes: i.bytes } : {}), ...(i.partitionKeyProblem ? { problem: i.partitionKeyProblem } : {}), ...(i.id !== undefined ? { id: String(i.id) } : {}) }));
    const analysed = analysePartitions(keys, target.partitionKey, { ...(out.sourceDocuments !== undefined ? { documents: out.sourceDocuments } : {}), limitBytes: t.planning.logicalPartitionBytes, where });
    out.partitionKey = analysed.findings;
    warnings.push(...analysed.warnings);
  }

  const costs = inspected.filter((i) => !i.refused && !i.partitionKeyProblem && i.writeCost !== undefined).map((i) => i.writeCost!);
  if (t.planning.ruBudget) {
    if (costs.length === 0) {
      if ((out.sourceDocuments ?? 0) > 0) notes.push('no sampled document could be costed: no RU estimate');
    } else {
      let provisioned: ProvisionedRu | undefined;
      let throughputError: string | undefined;
      if (exists && t.reader.throughput) {
        provisioned = await t.reader.throughput(target).catch((err: unknown) => {
          throughputError = redact(errorMessage(err));
          return undefined;
        });
      }
      let budget = t.planning.ruBudget(t.spec, provisioned, target);
      if ('problem' in budget && exists === false) {
        // Created by the run: its share is read once it exists (the run reads it then).
        notes.push(`${budget.problem.split(':')[0]}: the share of a container that does not exist yet cannot be computed`);
        budget = { key: `${target.database}/${target.collection}`, from: 'none' };
      }
      if ('problem' in budget) problems.push(throughputError ?? budget.problem);
      else {
        const perDocument = costs.reduce((a, b) => a + b, 0) / costs.length;
        const requestUnits = Math.round(perDocument * (out.sourceDocuments ?? costs.length));
        out.estimate = {
          requestUnits,
          requestUnitsPerDocument: Math.round(perDocument * 100) / 100,
          budget,
          ...(budget.ruPerSecond ? { seconds: Math.round((requestUnits / budget.ruPerSecond) * 10) / 10 } : {}),
        };
        if (!budget.ruPerSecond) {
          const why = exists === false ? 'the container does not exist yet, so its throughput is not known' : throughputError ? `its provisioned throughput could not be read (${throughputError.split(': ').slice(-1)[0]?.replace(/\.$/, '')})` : 'no throughput is provisioned on it';
          notes.push(`no RU budget is known (${why}): no duration; pass --max-ru for one`);
        }
      }
    }
  }
  return { collection: withNotes(out, notes), warnings, problems };
}

function withNotes(c: PlannedCollection, notes: string[]): PlannedCollection {
  return notes.length > 0 ? { ...c, notes } : c;
}

export async function openTarget(spec: DatabaseSpec, options: SinkFactoryOptions, noIndexes: boolean): Promise<TargetSide> {
  const store = databaseStore(spec);
  const planning = store.planning as TargetPlanning<DatabaseSpec>;
  const inspect = await planning.inspector(spec, options);
  const reader = await createSource(spec);
  return { spec, planning, reader, inspect, noIndexes };
}

