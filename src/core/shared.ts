import { UsageError } from './errors.js';
import { findContainer, partitionKeyFor, resolvePartitionKey, type CollectionScope, type Layout } from './layout.js';
import type { Doc } from './documents.js';

/**
 * Shared containers (docs/shared-containers.md): one container holding several logical
 * collections told apart by a discriminator field, as in the guide's early `copilot.documents`.
 * Routing is expressed with the run's own mechanisms: a split is one scope per discriminator
 * value, read from the shared container through a filter; a merge is several scopes whose
 * `target` is the one shared container, the field set on each document.
 */
export function routeShared(scopes: readonly CollectionScope[], layout: Layout): CollectionScope[] {
  const out: CollectionScope[] = [];
  const merged = new Map<string, CollectionScope>();
  const splitNames = new Set<string>();
  for (const scope of scopes) {
    const shared = scope.container?.shared;
    if (!shared || (shared.route ?? 'whole') === 'whole') continue;
    if (shared.route === 'split') {
      shared.collections.forEach((value, i) => {
        splitNames.add(`${scope.database}.${value}`);
        const container = findContainer(layout, scope.database, value);
        out.push({
          database: scope.database,
          collection: value,
          partitionKey: partitionKeyFor(layout, scope.database, value),
          ...(container ? { container: { ...container, migrate: true } } : {}),
          ...(scope.target ? { target: { database: scope.target.database, collection: value } } : {}),
          shared: { side: 'source', container: scope.collection, discriminator: shared.discriminator, value, declared: [...shared.collections], keepField: shared.keepField ?? true, ...(i === 0 ? { remainder: true } : {}) },
        });
      });
    }
  }
  // A merge's target need not exist on the source: its declaration is the layout's.
  for (const db of layout.databases) {
    for (const c of db.containers) {
      if (c.shared?.route === 'merge') for (const value of c.shared.collections) merged.set(`${db.name}.${value}`, { database: db.name, collection: c.name, partitionKey: resolvePartitionKey(c.partitionKey), container: c });
    }
  }
  for (const scope of scopes) {
    const shared = scope.container?.shared;
    if (shared && (shared.route ?? 'whole') !== 'whole') continue;
    const name = `${scope.database}.${scope.collection}`;
    if (splitNames.has(name)) {
      throw new UsageError(
        `${name} is a container of its own on the source and also a collection of a shared container the layout splits: the split would write both into one target. Leave it out with --collections, or take it out of the shared container's "collections".`,
      );
    }
    const into = merged.get(name);
    if (!into) {
      out.push(scope);
      continue;
    }
    const declared = into.container!.shared!;
    out.push({
      ...scope,
      partitionKey: into.partitionKey,
      target: { database: scope.target?.database ?? scope.database, collection: into.collection },
      shared: { side: 'target', container: into.collection, discriminator: declared.discriminator, value: scope.collection, declared: [...declared.collections], keepField: true },
    });
  }
  return out;
}

/**
 * The layout's scopes without the per-collection containers a split writes: on the source the
 * split's values come from the shared container, so those containers are neither read nor reported
 * absent (an early deployment has none). Discovery then sees only what the run reads.
 */
export function withoutSplitTargets(scopes: readonly CollectionScope[]): CollectionScope[] {
  const split = new Set<string>();
  for (const s of scopes) if (s.container?.shared?.route === 'split') for (const v of s.container.shared.collections) split.add(`${s.database}.${v}`);
  return scopes.filter((s) => !split.has(`${s.database}.${s.collection}`));
}

/** Whether any scope goes through a shared container. */
export function anyShared(scopes: readonly CollectionScope[]): boolean {
  return scopes.some((s) => s.shared !== undefined);
}

/** A document read from a shared container for a split: the field removed when the layout says so. */
export function splitDocument(doc: Doc, route: { discriminator: string; keepField: boolean }): Doc {
  if (route.keepField) return doc;
  const { [route.discriminator]: _dropped, ...rest } = doc;
  void _dropped;
  return rest as Doc;
}

/**
 * A document written into a shared container: the discriminator set from its collection name, or
 * the reason it cannot be (it already names another collection).
 */
export function mergeDocument(doc: Doc, route: { discriminator: string; value: string }): Doc | string {
  const given = (doc as Record<string, unknown>)[route.discriminator];
  if (given !== undefined && given !== route.value) {
    return `its discriminator ${route.discriminator} is ${JSON.stringify(given)}, but it comes from the collection ${JSON.stringify(route.value)}, whose documents the shared container holds under ${route.discriminator} = ${JSON.stringify(route.value)}`;
  }
  return given === route.value ? doc : ({ ...doc, [route.discriminator]: route.value } as Doc);
}

/** Why a document the split read outside every declared value is rejected. */
export function undeclaredReason(doc: Doc, route: { discriminator: string; container: string; declared: readonly string[] }): string {
  const value = (doc as Record<string, unknown>)[route.discriminator];
  const what = value === undefined ? `has no ${route.discriminator} field` : `has ${route.discriminator} = ${JSON.stringify(value)}`;
  const id = (doc as Record<string, unknown>).id ?? (doc as Record<string, unknown>)._id;
  return `${id !== undefined ? `document ${JSON.stringify(id)}` : 'it'} ${what}, which is none of the collections the layout declares for the shared container ${route.container} (${route.declared.join(', ')}): add the value to its "collections", or fix the document`;
}
