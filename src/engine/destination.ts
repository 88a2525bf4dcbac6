import { atDestination } from '../core/namespace-map.js';
import type { SinkStore, SourceStore, TargetDeletes } from '../stores/types.js';

/**
 * The target side of a run under the mapped names (`--map`, src/core/namespace-map.ts). The run
 * hands every store the scope under its source names; a scope with a `target` reaches the sink
 * (and mirror's listing and deletes, and the schema it rebuilds) under the target's names. The
 * stores themselves know nothing of mapping, and a scope without a target passes unchanged.
 */
export function sinkAtDestinations(inner: SinkStore): SinkStore {
  const sink: SinkStore = {
    kind: inner.kind,
    describe: () => inner.describe(),
    ...(inner.maxConcurrency !== undefined ? { maxConcurrency: inner.maxConcurrency } : {}),
    prepareAll: (scopes) => inner.prepareAll(scopes.map(atDestination)),
    open: (scope, resume) => inner.open(atDestination(scope), resume),
    close: () => inner.close(),
  };
  if (inner.adoptFinished) sink.adoptFinished = (scope, finished) => inner.adoptFinished!(atDestination(scope), finished);
  if (inner.applySchema) sink.applySchema = (scope, schema) => inner.applySchema!(atDestination(scope), schema);
  if (inner.deletes) {
    sink.deletes = (): TargetDeletes => {
      const d = inner.deletes!();
      return {
        keyOf: (item) => d.keyOf(item),
        idKeyOf: (doc) => d.idKeyOf(doc),
        list: (scope) => d.list(atDestination(scope)),
        delete: (scope, ids) => d.delete(atDestination(scope), ids),
      };
    };
  }
  return sink;
}

/** A side that is read under the mapped names: verify's right side. */
export function sourceAtDestinations(inner: SourceStore): SourceStore {
  const source: SourceStore = {
    kind: inner.kind,
    describe: () => inner.describe(),
    count: (scope) => inner.count(atDestination(scope)),
    read: (scope) => inner.read(atDestination(scope)),
    close: () => inner.close(),
  };
  if (inner.exists) source.exists = (scope) => inner.exists!(atDestination(scope));
  if (inner.schema) source.schema = (scope) => inner.schema!(atDestination(scope));
  if (inner.list) source.list = () => inner.list!();
  if (inner.checkFilter) source.checkFilter = (scope) => inner.checkFilter!(atDestination(scope));
  if (inner.stats) source.stats = (scope) => inner.stats!(atDestination(scope));
  if (inner.size) source.size = (scope) => inner.size!(atDestination(scope));
  if (inner.sample) source.sample = (scope, n) => inner.sample!(atDestination(scope), n);
  if (inner.throughput) source.throughput = (scope) => inner.throughput!(atDestination(scope));
  if (inner.shardPlan) source.shardPlan = (scope, count) => inner.shardPlan!(atDestination(scope), count);
  if (inner.readShard) source.readShard = (scope, plan, shard) => inner.readShard!(atDestination(scope), plan, shard);
  return source;
}
