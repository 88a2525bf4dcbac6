/**
 * Filters on the documents a run reads (`--query`, `--query-file`, a layout container's `filter`):
 * an export or migrate of a subset. Each store reads the text in its own language (Cosmos DB SQL,
 * MongoDB Extended JSON): see src/stores/cosmos/filter.ts and src/stores/mongo/filter.ts, and
 * docs/filters.md.
 */

/** One filter on a collection's documents, as it was given. */
export interface CollectionFilter {
  /** A Cosmos DB SQL WHERE clause or `SELECT * FROM c WHERE ...`, or a MongoDB filter in Extended JSON. */
  query: string;
  /** Where it was given, for messages and the manifest: `--query`, `--query-file q.json`, `layout x.json`. */
  from: string;
}

/** What a layout container may hold as its filter: a SQL string, or a MongoDB filter as a (relaxed Extended JSON) object. */
export type LayoutFilter = string | Record<string, unknown>;

/** The text of a layout filter: an object is kept as its JSON, which is relaxed Extended JSON. */
export function layoutFilterText(filter: LayoutFilter): string {
  return typeof filter === 'string' ? filter : JSON.stringify(filter);
}

/** How messages name the filters of a collection: `'c.a = 1' (--query) and '...' (layout x.json)`. */
export function describeFilters(filters: readonly CollectionFilter[]): string {
  return filters.map((f) => `${JSON.stringify(f.query.length > 120 ? `${f.query.slice(0, 117)}...` : f.query)} (from ${f.from})`).join(' and ');
}
