import type { Doc } from '../core/documents.js';
import { IdTable } from '../core/id-table.js';
import type { CollectionScope } from '../core/layout.js';
import type { CollectionSink, SinkItem, SinkStats, SinkStore, SourceItem, SourceStore, TargetDeletes, WriteMode, WriteResult } from '../stores/types.js';

/**
 * What a mirror run knows of one collection's source: the identity of every document read, and
 * whether that knowledge can be trusted to delete by. Identities are kept as 128-bit digests
 * (IdTable, some 30-60 bytes an id whatever its length) until the target has been listed.
 */
export class SourceIds {
  /** Prepared documents, by the target's identity (MongoDB `_id`; Cosmos DB `id` and partition key). */
  exact: IdTable | undefined = new IdTable();
  /** Documents that were read but never prepared (refused, duplicates), by id alone: their target copies stay whatever their partition key. */
  loose: IdTable | undefined = new IdTable();
  /** Why no document of this collection may be deleted, once that is known. */
  unsafe: string | undefined;

  constructor(readonly scope: CollectionScope) {}

  /** One reason is enough; the first is kept. */
  distrust(reason: string): void {
    this.unsafe ??= reason;
  }

  /** After the target was listed: the ids are not needed any more. */
  release(): void {
    this.exact = undefined;
    this.loose = undefined;
  }

  has(key: string, idKey: string): boolean {
    if (this.exact!.has(key)) return true;
    return this.loose!.size > 0 && this.loose!.has(idKey);
  }
}

export interface WatchHooks {
  /** The ids of a collection, created when it is first asked for. */
  idsFor(scope: CollectionScope): SourceIds;
  /** Called when a collection's writes are all done, before the sink finishes it: lists the target. */
  written(ids: SourceIds): Promise<void>;
}

/**
 * The source as the run reads it, noting what would make deleting unsafe: a line that could not
 * be read and names no id, and a collection the source does not have (MongoDB reads a missing
 * collection as empty, which would otherwise make every target document look deleted).
 */
export function watchSource(inner: SourceStore, hooks: WatchHooks): SourceStore {
  const watched: SourceStore = {
    kind: inner.kind,
    describe: () => inner.describe(),
    count: (scope) => inner.count(scope),
    read: (scope) => readWatched(inner, scope, hooks),
    close: () => inner.close(),
  };
  if (inner.exists) {
    watched.exists = async (scope) => {
      const ids = hooks.idsFor(scope);
      let found: Awaited<ReturnType<NonNullable<SourceStore['exists']>>>;
      try {
        found = await inner.exists!(scope);
      } catch (err) {
        ids.distrust(`could not check that ${scope.database}.${scope.collection} exists in the source`);
        throw err;
      }
      if (!found) ids.distrust(`could not check that ${scope.database}.${scope.collection} exists in the source`);
      else if (!found.collection) ids.distrust(`${scope.database}.${scope.collection} does not exist in the source (${inner.describe()}): a missing collection reads as empty`);
      return found;
    };
  }
  if (inner.stats) watched.stats = (scope) => inner.stats!(scope);
  return watched;
}

async function* readWatched(inner: SourceStore, scope: CollectionScope, hooks: WatchHooks): AsyncGenerator<SourceItem> {
  for await (const item of inner.read(scope)) {
    if (!item.doc) {
      const ids = hooks.idsFor(scope);
      // A duplicate line names its id (its first line is in the target under that id); a line
      // that could not be parsed names none, and its document could be any of the target's.
      if (item.id !== undefined) ids.loose?.add(item.id);
      else ids.distrust(`${item.position?.file ? `${item.position.file}${item.position.line ? `, line ${item.position.line}` : ''}` : 'a source document'} could not be read and names no id, so any target document could be its copy`);
    }
    yield item;
  }
}

/**
 * The sink as the run writes to it: every document it prepares adds its identity to the
 * collection's source ids (one digest per document), every document it refuses adds its id, and
 * once the collection's writes are done the target is listed.
 */
export function watchSink(inner: SinkStore, deletes: TargetDeletes, hooks: WatchHooks): SinkStore {
  const watched: SinkStore = {
    kind: inner.kind,
    describe: () => inner.describe(),
    prepareAll: (scopes) => inner.prepareAll(scopes),
    open: async (scope, resume) => new WatchedCollectionSink(await inner.open(scope, resume), deletes, hooks.idsFor(scope), hooks),
    close: () => inner.close(),
  };
  if (inner.maxConcurrency !== undefined) Object.defineProperty(watched, 'maxConcurrency', { value: inner.maxConcurrency });
  if (inner.adoptFinished) watched.adoptFinished = (scope, finished) => inner.adoptFinished!(scope, finished);
  return watched;
}

class WatchedCollectionSink implements CollectionSink {
  readonly stats?: () => SinkStats;
  readonly checkpointState?: () => unknown;

  constructor(
    private readonly inner: CollectionSink,
    private readonly deletes: TargetDeletes,
    private readonly ids: SourceIds,
    private readonly hooks: WatchHooks,
  ) {
    if (inner.stats) this.stats = () => inner.stats!();
    if (inner.checkpointState) this.checkpointState = () => inner.checkpointState!();
  }

  prepare(doc: Doc): SinkItem | string {
    const prepared = this.inner.prepare(doc);
    if (typeof prepared === 'string') {
      // Rejected: in the source, not written. Its target copy, if any, must survive.
      const id = this.deletes.idKeyOf(doc);
      if (id !== undefined) this.ids.loose?.add(id);
      else this.ids.distrust('a source document that was rejected has no id, so any target document could be its copy');
    } else {
      this.ids.exact?.add(this.deletes.keyOf(prepared));
    }
    return prepared;
  }

  write(batch: SinkItem[], mode: WriteMode): Promise<WriteResult[]> {
    return this.inner.write(batch, mode);
  }

  async finish(): Promise<void> {
    await this.hooks.written(this.ids);
    await this.inner.finish();
  }

  abort(error: unknown): Promise<void> {
    this.ids.distrust('the collection failed');
    this.ids.release();
    return this.inner.abort(error);
  }

  get resumeProblem(): string | undefined {
    return this.inner.resumeProblem;
  }
}
