import type { Filter, MongoClient } from 'mongodb';
import { backoffDelay, sleep } from '../../core/backoff.js';
import { idKey } from '../../core/digest.js';
import type { Doc } from '../../core/documents.js';
import { DocferryError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import { printableId } from '../../core/type-mapping.js';
import type { SinkItem, StoredId, TargetDeletes } from '../types.js';
import { RAW_BSON_READ, describeMongoError, isRetryableMongoError } from './connection.js';

const LIST_BATCH = 1000;
/** `_id`s per deleteMany. FerretDB turns `$in` into one comparison per value: it is kept small there. */
const DELETE_BATCH = 500;
const FERRETDB_DELETE_BATCH = 50;
const MAX_RETRY_ROUNDS = 8;

/**
 * Mirror support for MongoDB: the `_id`s of a collection by a projection, and deletes by
 * `deleteMany({_id: {$in: [...]}})` in bounded batches. `_id`s are read with their BSON types
 * and deleted by those exact values; they are compared with the source's by their string form
 * (an ObjectId by its 24 hex digits, a number by its value), so a target document whose `_id`
 * differs from a source id in type only is taken for the source's and kept.
 */
export class MongoDeletes implements TargetDeletes {
  private batch: Promise<number> | undefined;

  constructor(
    private readonly client: MongoClient,
    private readonly uri: string,
  ) {}

  keyOf(item: SinkItem): string {
    return idKey(item.doc._id);
  }

  idKeyOf(doc: Doc): string | undefined {
    const id = doc._id ?? doc.id;
    return id === undefined || id === null ? undefined : idKey(id);
  }

  async *list(scope: CollectionScope): AsyncGenerator<StoredId> {
    const cursor = this.client
      .db(scope.database)
      .collection<Doc>(scope.collection)
      .find({}, { ...RAW_BSON_READ, projection: { _id: 1 }, batchSize: LIST_BATCH });
    try {
      for await (const doc of cursor) {
        const key = idKey(doc._id);
        yield { key, idKey: key, printable: printableId(doc._id), ref: doc._id };
      }
    } catch (err) {
      throw describeMongoError(err, this.uri, `listing the _ids of ${scope.database}.${scope.collection}`);
    } finally {
      await cursor.close().catch(() => {});
    }
  }

  async delete(scope: CollectionScope, ids: StoredId[]): Promise<number> {
    const collection = this.client.db(scope.database).collection<Doc>(scope.collection);
    const size = await this.batchSize();
    let deleted = 0;
    for (let at = 0; at < ids.length; at += size) {
      const filter = { _id: { $in: ids.slice(at, at + size).map((s) => s.ref) } } as Filter<Doc>;
      // Deleting by _id is idempotent: a batch whose answer was lost is simply sent again.
      for (let round = 0; ; round++) {
        try {
          deleted += (await collection.deleteMany(filter)).deletedCount;
          break;
        } catch (err) {
          if (!isRetryableMongoError(err)) throw describeMongoError(err, this.uri, `deleting documents of ${scope.database}.${scope.collection}`);
          if (round + 1 >= MAX_RETRY_ROUNDS) {
            throw new DocferryError(
              `MongoDB kept failing deletes in ${scope.database}.${scope.collection} after ${MAX_RETRY_ROUNDS} rounds (last: ${(err as Error).message.split('\n')[0]}). Re-run the mirror: it deletes what is still there.`,
            );
          }
          await sleep(backoffDelay(round));
        }
      }
    }
    return deleted;
  }

  private batchSize(): Promise<number> {
    this.batch ??= this.client
      .db('admin')
      .command({ buildInfo: 1 })
      .then(
        (info) => (info.ferretdbVersion !== undefined ? FERRETDB_DELETE_BATCH : DELETE_BATCH),
        () => FERRETDB_DELETE_BATCH,
      );
    return this.batch;
  }
}
