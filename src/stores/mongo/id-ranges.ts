/**
 * Sharding a MongoDB collection by `_id` range (docs/sharding.md). N-1 boundaries, taken once from
 * the collection in `_id` order, cut it into N ranges: shard 1 takes everything below the first,
 * shard N everything from the last on, shard I in between `[boundary I-1, boundary I)`.
 *
 * `$gte`/`$lt` compare only within one bracket of MongoDB's type order, so a range whose ends are
 * of different types (an ObjectId and a string) also takes, by `$type`, every bracket between
 * them; the first shard every bracket before its end, the last every bracket after its start
 * (and any type without a bracket). The ranges are thus disjoint and together cover every `_id`,
 * whatever mix of types a collection holds.
 */
import type { Document, Filter } from 'mongodb';
import { EJSON } from '../../core/bson.js';
import type { Shard } from '../../core/shard.js';
import { printableId } from '../../core/type-mapping.js';
import { TYPE_BRACKETS, bracketOf } from './id-order.js';

export const ID_RANGE_PLAN = 'mongodb-id-range';

/** A collection's split as the plan file and the shard manifests keep it. */
export interface IdRangePlan {
  kind: typeof ID_RANGE_PLAN;
  /** Documents when the boundaries were taken. */
  documents: number;
  /** Canonical Extended JSON of each boundary `_id`, in `_id` order. */
  boundaries: unknown[];
  /** Another MongoDB collection's copy splits by the same boundaries (a sharded verify). */
  byIdentity: true;
}

export function isIdRangePlan(value: unknown): value is IdRangePlan {
  const v = value as IdRangePlan;
  return typeof v === 'object' && v !== null && v.kind === ID_RANGE_PLAN && Array.isArray(v.boundaries) && typeof v.documents === 'number';
}

/** The boundary `_id`s as BSON values again. */
export function boundariesOf(plan: IdRangePlan): unknown[] {
  return plan.boundaries.map((b) => EJSON.deserialize({ v: b }, { relaxed: false }).v as unknown);
}

export function planOf(documents: number, boundaries: readonly unknown[]): IdRangePlan {
  for (const b of boundaries) {
    if (bracketOf(b) === undefined) throw new Error(`cannot split by _id at ${printableId(b)}: MongoDB cannot range-query that _id type; run this collection unsharded (one shard)`);
  }
  return { kind: ID_RANGE_PLAN, byIdentity: true, documents, boundaries: boundaries.map((b) => (EJSON.serialize({ v: b }, { relaxed: false }) as { v: unknown }).v) };
}

function atLeast(lo: unknown): Filter<Document> {
  const seen = TYPE_BRACKETS.slice(0, bracketOf(lo)! + 1).flat();
  return { $or: [{ _id: { $gte: lo } }, { _id: { $not: { $type: seen } } }] } as Filter<Document>;
}

function below(hi: unknown): Filter<Document> {
  const before = TYPE_BRACKETS.slice(0, bracketOf(hi)!).flat();
  const lt = { _id: { $lt: hi } };
  return (before.length > 0 ? { $or: [lt, { _id: { $type: before } }] } : lt) as Filter<Document>;
}

/**
 * The filter of shard `shard` over `boundaries` (BSON values, in `_id` order): `{}` for the whole
 * collection, `null` for a shard that takes nothing (fewer documents than shards).
 */
export function idRangeFilter(boundaries: readonly unknown[], shard: Shard): Filter<Document> | null {
  const i = shard.index;
  if (i > boundaries.length + 1) return null;
  // Both ends in one type bracket (the usual case: all ObjectIds): one plain range, which the _id index serves.
  if (i >= 2 && i <= boundaries.length && bracketOf(boundaries[i - 2]) === bracketOf(boundaries[i - 1])) {
    return { _id: { $gte: boundaries[i - 2], $lt: boundaries[i - 1] } } as Filter<Document>;
  }
  const parts: Filter<Document>[] = [];
  if (i >= 2) parts.push(atLeast(boundaries[i - 2]));
  if (i <= boundaries.length) parts.push(below(boundaries[i - 1]));
  if (parts.length === 0) return {};
  return parts.length === 1 ? parts[0]! : ({ $and: parts } as Filter<Document>);
}
