import { UsageError } from '../core/errors.js';
import { describeFilters, layoutFilterText, type CollectionFilter } from '../core/filter.js';
import type { CollectionScope } from '../core/layout.js';
import { countKey } from '../core/manifest.js';
import type { SourceStore } from '../stores/types.js';
import type { LayoutRef } from './export.js';

/**
 * Filters on what a run reads (docs/filters.md). A `--query` (or `--query-file`) applies to every
 * collection of the run; a layout container's `filter` to that container. Both together: a
 * document must match both (the layout's filter is a standing rule of the container, the flag
 * narrows one run), so neither is ever silently dropped.
 */
export interface FilterOptions {
  /** `--query` or `--query-file`: the filter text and where it came from. */
  query?: CollectionFilter;
}

/** The scopes with their filters: the command's, then the layout container's. */
export function withFilters(scopes: readonly CollectionScope[], layout: LayoutRef, query: CollectionFilter | undefined): CollectionScope[] {
  return scopes.map((scope) => {
    const filters: CollectionFilter[] = [];
    if (query) filters.push(query);
    const own = scope.container?.filter;
    if (own !== undefined) filters.push({ query: layoutFilterText(own), from: `layout ${layout.source}` });
    return filters.length > 0 ? { ...scope, filters } : scope;
  });
}

/** Whether any scope is filtered. */
export function anyFiltered(scopes: readonly CollectionScope[]): boolean {
  return scopes.some((s) => (s.filters?.length ?? 0) > 0);
}

/** `db.coll` -> its filters, for the manifest, the checkpoint fingerprint and summaries; undefined when nothing is filtered. */
export function filtersByCollection(scopes: readonly CollectionScope[]): Record<string, CollectionFilter[]> | undefined {
  const out: Record<string, CollectionFilter[]> = {};
  for (const s of scopes) if (s.filters && s.filters.length > 0) out[countKey(s.database, s.collection)] = s.filters.map((f) => ({ query: f.query, from: f.from }));
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Every filter checked by the source's server before anything is written: one it cannot take
 * or that the server refuses fails the run with the collection and where the filter came from.
 */
export async function checkFilters(source: SourceStore, scopes: readonly CollectionScope[]): Promise<void> {
  for (const scope of scopes) {
    if (!scope.filters || scope.filters.length === 0) continue;
    if (!source.checkFilter) throw new UsageError(`${source.describe()} cannot be filtered (${describeFilters(scope.filters)} for ${scope.database}.${scope.collection}): filters apply to a database source.`);
    await source.checkFilter(scope);
  }
}

/**
 * Mirror mode deletes what the source did not send: with a filter, that is every target document
 * outside it. Refused, naming the filtered collections.
 */
export function refuseMirrorOfSubset(scopes: readonly CollectionScope[], what: string): void {
  const filtered = scopes.filter((s) => (s.filters?.length ?? 0) > 0);
  if (filtered.length === 0) return;
  throw new UsageError(
    `--mode mirror deletes every target document its source does not hold, and ${what} ${filtered.map((s) => `${s.database}.${s.collection} (${describeFilters(s.filters!)})`).join(', ')}: ` +
      'mirroring would delete every target document outside the filter. Use --mode upsert (or merge), or leave the filtered collections out with --collections.',
  );
}

/** The warning an import or verify of a subset export gives, naming each filtered collection. */
export function subsetWarning(dir: string, filters: Record<string, CollectionFilter[]>): string {
  const list = Object.entries(filters).map(([name, f]) => `${name}: ${describeFilters(f)}`);
  return `${dir} is a subset export, not a full backup: only the documents matching its filters were exported (${list.join('; ')}). The target gets only those documents.`;
}
