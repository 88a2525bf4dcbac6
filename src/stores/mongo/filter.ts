import type { Document } from 'mongodb';
import { EJSON } from '../../core/bson.js';
import type { CollectionFilter } from '../../core/filter.js';

/**
 * A MongoDB filter (docs/filters.md): a query document in Extended JSON, canonical or relaxed,
 * as mongoexport's `--query` takes it (`{"thread_id": "t1"}`, `{"_id": {"$oid": "..."}}`,
 * `{"at": {"$gte": {"$date": "2026-01-01T00:00:00Z"}}}`).
 */
export function parseMongoFilter(text: string): Document | string {
  let value: unknown;
  try {
    // Not relaxed: a canonical {"$numberLong"} stays an Int64, as mongoexport --query reads it; relaxed input is still taken.
    value = EJSON.parse(text, { relaxed: false });
  } catch (err) {
    return `it is not Extended JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a MongoDB filter is a JSON object, such as {"thread_id": "t1"}';
  return value as Document;
}

/** The filter a collection's filters make together ({} for none), or why one cannot be taken (naming the collection and its origin). */
export function mongoFilter(name: string, filters: readonly CollectionFilter[] | undefined): Document | string {
  const parsed: Document[] = [];
  for (const f of filters ?? []) {
    const doc = parseMongoFilter(f.query);
    if (typeof doc === 'string') return `The filter of ${name} (from ${f.from}) is not a MongoDB filter: ${doc}.`;
    if (Object.keys(doc).length > 0) parsed.push(doc);
  }
  return parsed.length === 0 ? {} : parsed.length === 1 ? parsed[0]! : { $and: parsed };
}

/** The filter, and (when resuming a broken cursor) only what sorts after the last `_id` read. */
export function andAfter(filter: Document, after: Document | undefined): Document {
  if (!after) return filter;
  return Object.keys(filter).length === 0 ? after : { $and: [filter, after] };
}
