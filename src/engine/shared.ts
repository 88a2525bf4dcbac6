import { UsageError } from '../core/errors.js';
import type { CollectionScope } from '../core/layout.js';
import { mergeDocument, splitDocument, undeclaredReason } from '../core/shared.js';
import { documentKey } from '../core/digest.js';
import type { CollectionSink, ReadOptions, SinkStore, SourceItem, SourceStore } from '../stores/types.js';

/** A store's filter for "field is one of values" (or outside them), in its own language (the descriptor's `selectByField`). */
export type SelectByField = (field: string, values: readonly string[], outside: boolean) => string;

function through(scope: CollectionScope, select: SelectByField, outside = false): CollectionScope {
  const route = scope.shared!;
  const filter = { query: select(route.discriminator, outside ? route.declared : [route.value], outside), from: `shared container ${scope.database}.${route.container}` };
  const { shared: _s, ...rest } = scope;
  void _s;
  // A split reads the shared container itself; a merge's right side is already at its target (sourceAtDestinations).
  return { ...rest, ...(route.side === 'source' ? { collection: route.container } : {}), filters: [...(scope.filters ?? []), filter] };
}

function needsFilter(scope: CollectionScope, side: 'source' | 'target'): boolean {
  return scope.shared?.side === side;
}

/**
 * A source that reads a shared container per discriminator value: `side` `source` for the source
 * of a split (the scope names the logical collection, the container is read through a filter and
 * the field removed when the layout says so; the split's first scope also yields, as rejects,
 * the documents whose value is missing or undeclared), `target` for verify's right side of a
 * merge (read at its target, through the same filter).
 */
export function sourceThroughShared(inner: SourceStore, select: SelectByField | undefined, side: 'source' | 'target'): SourceStore {
  const check = (scope: CollectionScope) => {
    if (!select) throw new UsageError(`${inner.describe()} cannot be read through a discriminator filter, so the shared container ${scope.database}.${scope.shared!.container} cannot be split from it.`);
    return select;
  };
  const map = (scope: CollectionScope) => (needsFilter(scope, side) ? through(scope, check(scope)) : scope);
  async function* read(scope: CollectionScope, options?: ReadOptions): AsyncIterable<SourceItem> {
    if (!needsFilter(scope, side)) {
      yield* inner.read(scope, options);
      return;
    }
    const route = scope.shared!;
    const strip = side === 'source' && !route.keepField;
    for await (const item of inner.read(through(scope, check(scope)), strip ? {} : options)) {
      yield strip && item.doc ? { ...item, doc: splitDocument(item.doc, route) } : item;
    }
    if (side !== 'source' || !route.remainder) return;
    for await (const item of inner.read(through(scope, check(scope), true))) {
      if (!item.doc) {
        yield item;
        continue;
      }
      const doc = item.whole ? item.whole() : item.doc;
      const id = documentKey(doc, 'json');
      yield { reason: undeclaredReason(doc, route), raw: JSON.stringify(doc), ...(id !== undefined ? { id } : {}), ...(item.position ? { position: item.position } : {}) };
    }
  }
  const source: SourceStore = {
    kind: inner.kind,
    describe: () => inner.describe(),
    count: (scope) => inner.count(map(scope)),
    read,
    close: () => inner.close(),
  };
  if (inner.exists) source.exists = (scope) => inner.exists!(map(scope));
  // The shared container's own properties (its /collection key) are not the split collections'.
  if (inner.schema) source.schema = (scope) => (needsFilter(scope, side) ? Promise.resolve(undefined) : inner.schema!(scope));
  if (inner.list) source.list = () => inner.list!();
  if (inner.checkFilter) source.checkFilter = (scope) => inner.checkFilter!(map(scope));
  if (inner.stats) source.stats = (scope) => inner.stats!(map(scope));
  if (inner.size) source.size = (scope) => inner.size!(map(scope));
  if (inner.sample) source.sample = (scope, n) => inner.sample!(map(scope), n);
  if (inner.throughput) source.throughput = (scope) => inner.throughput!(map(scope));
  const refuseShard = (scope: CollectionScope) => {
    if (needsFilter(scope, side)) throw new UsageError(`${scope.database}.${scope.collection} is read through the shared container ${scope.database}.${scope.shared!.container} (docs/shared-containers.md): --shard is not supported with it yet.`);
  };
  if (inner.shardPlan) source.shardPlan = (scope, count) => (refuseShard(scope), inner.shardPlan!(scope, count));
  if (inner.readShard) source.readShard = (scope, plan, shard) => (refuseShard(scope), inner.readShard!(scope, plan, shard));
  return source;
}

/** Verify's left side of a merge: its documents as the merge wrote them, the discriminator set. */
export function sourceAsMerged(inner: SourceStore): SourceStore {
  async function* read(scope: CollectionScope, options?: ReadOptions): AsyncIterable<SourceItem> {
    const route = scope.shared;
    if (route?.side !== 'target') {
      yield* inner.read(scope, options);
      return;
    }
    for await (const item of inner.read(scope)) {
      if (!item.doc) {
        yield item;
        continue;
      }
      const merged = mergeDocument(item.whole ? item.whole() : item.doc, route);
      if (typeof merged === 'string') {
        const id = documentKey(item.doc, 'json');
        yield { reason: merged, ...(id !== undefined ? { id } : {}), ...(item.position ? { position: item.position } : {}) };
      } else yield { doc: merged, ...(item.position ? { position: item.position } : {}) };
    }
  }
  const source: SourceStore = { kind: inner.kind, describe: () => inner.describe(), count: (scope) => inner.count(scope), read, close: () => inner.close() };
  for (const key of ['exists', 'schema', 'list', 'checkFilter', 'stats', 'size', 'sample', 'throughput', 'shardPlan', 'readShard'] as const) {
    if (inner[key]) (source as unknown as Record<string, unknown>)[key] = (inner[key] as (...a: unknown[]) => unknown).bind(inner);
  }
  return source;
}

/**
 * A sink that writes each scope of a merge into the shared container (its `target`, reached by
 * sinkAtDestinations inside) with the discriminator set from the collection's name; a document
 * that names another collection is rejected with the reason.
 */
export function sinkIntoShared(inner: SinkStore): SinkStore {
  // A merged collection's own properties (its /id key, its indexes) are not the shared container's.
  const plain = (scope: CollectionScope): CollectionScope => {
    if (scope.shared?.side !== 'target' || !scope.schema) return scope;
    const { schema: _schema, ...rest } = scope;
    void _schema;
    return rest;
  };
  const sink: SinkStore = {
    ...inner,
    describe: () => inner.describe(),
    close: () => inner.close(),
    // Several scopes share one target: it is prepared once.
    prepareAll: (scopes) => {
      const seen = new Set<string>();
      return inner.prepareAll(
        scopes.map(plain).filter((s) => {
          if (s.shared?.side !== 'target') return true;
          const key = `${s.target?.database ?? s.database}\u0000${s.target?.collection ?? s.collection}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        }),
      );
    },
    open: async (scope, resume) => {
      const opened = await inner.open(plain(scope), resume);
      const route = scope.shared;
      if (route?.side !== 'target') return opened;
      const wrapped: CollectionSink = {
        prepare: (doc) => {
          const merged = mergeDocument(doc, route);
          return typeof merged === 'string' ? merged : opened.prepare(merged);
        },
        write: (batch, mode) => opened.write(batch, mode),
        finish: () => opened.finish(),
        abort: (err) => opened.abort(err),
        ...(opened.stats ? { stats: () => opened.stats!() } : {}),
        ...(opened.checkpointState ? { checkpointState: () => opened.checkpointState!() } : {}),
        get resumeProblem() {
          return opened.resumeProblem;
        },
      };
      return wrapped;
    },
  };
  if (inner.applySchema) sink.applySchema = (scope, schema) => (scope.shared?.side === 'target' ? Promise.resolve({ created: [], problems: [], violations: [] }) : inner.applySchema!(scope, schema));
  if (inner.adoptFinished) sink.adoptFinished = (scope, finished) => inner.adoptFinished!(plain(scope), finished);
  return sink;
}
