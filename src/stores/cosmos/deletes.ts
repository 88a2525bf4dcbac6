import type { CosmosClient, OperationInput, PartitionKey } from '@azure/cosmos';
import { backoffDelay, sleep } from '../../core/backoff.js';
import { idKey } from '../../core/digest.js';
import type { Doc, PartitionKeyValue } from '../../core/documents.js';
import { DocferryError } from '../../core/errors.js';
import type { CollectionScope } from '../../core/layout.js';
import type { SinkItem, StoredId, TargetDeletes } from '../types.js';
import { describeCosmosError, type CosmosErrorContext } from './connection.js';
import { isRetryableStatus, statusOf } from './status.js';

/** Ids per page of the listing query: a projection of id and partition key is some 100 bytes a row. */
const LIST_PAGE = 1000;
/**
 * Operations per `executeBulkOperations` call. The SDK groups them by partition range into
 * requests of 100 and waits about a second before flushing a partial group, so one call per
 * few thousand deletes keeps that wait rare.
 */
const DELETE_CALL = 2000;
const MAX_RETRY_ROUNDS = 8;

/** The identity Cosmos DB keeps a document under: its id within its logical partition. */
export function cosmosKey(id: string, partitionKey: PartitionKeyValue | PartitionKeyValue[] | undefined): string {
  const values = partitionKey === undefined ? [] : Array.isArray(partitionKey) ? partitionKey : [partitionKey];
  return `${id}\u0000${JSON.stringify(values)}`;
}

/** `/a/b` -> `c["a"]["b"]`, the segments unescaped as in valueAtPath. */
function pathExpression(path: string): string {
  return `c${path
    .split('/')
    .slice(1)
    .map((raw) => `[${JSON.stringify(raw.replace(/~1/g, '/').replace(/~0/g, '~'))}]`)
    .join('')}`;
}

interface CosmosRef {
  id: string;
  partitionKey: PartitionKeyValue | PartitionKeyValue[];
}

/**
 * Mirror support for Cosmos DB: the ids and partition-key values of a container by a projection
 * query, and deletes by bulk operations that each carry their partition key. A document with no
 * value at the partition-key path cannot be addressed that way and is left alone.
 */
export class CosmosDeletes implements TargetDeletes {
  constructor(
    private readonly client: CosmosClient,
    private readonly endpoint: string,
    private readonly errorContext: CosmosErrorContext,
  ) {}

  keyOf(item: SinkItem): string {
    return cosmosKey(item.id!, item.partitionKey);
  }

  idKeyOf(doc: Doc): string | undefined {
    const id = doc.id ?? doc._id;
    return id === undefined || id === null ? undefined : idKey(id);
  }

  async *list(scope: CollectionScope): AsyncGenerator<StoredId> {
    const name = `${scope.database}.${scope.collection}`;
    const paths = scope.partitionKey.paths;
    const hierarchical = scope.partitionKey.kind === 'MultiHash';
    const query = this.client
      .database(scope.database)
      .container(scope.collection)
      .items.query<Record<string, unknown>>(`SELECT c.id, ${paths.map((p, i) => `${pathExpression(p)} AS p${i}`).join(', ')} FROM c`, { maxItemCount: LIST_PAGE });
    while (query.hasMoreResults()) {
      let rows: Record<string, unknown>[];
      try {
        rows = (await query.fetchNext()).resources;
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw describeCosmosError(err, this.endpoint, `listing the ids of ${name}`, this.errorContext);
      }
      for (const row of rows) {
        const id = String(row.id);
        const values = paths.map((_, i) => row[`p${i}`]);
        if (values.some((v) => v === undefined || (v !== null && typeof v === 'object'))) {
          yield { key: cosmosKey(id, undefined), idKey: id, printable: id, undeletable: `it has no value at the partition-key path ${paths.join(', ')}`, ref: undefined };
          continue;
        }
        const partitionKey = (hierarchical ? values : values[0]) as PartitionKeyValue | PartitionKeyValue[];
        yield { key: cosmosKey(id, partitionKey), idKey: id, printable: id, partitionKey, ref: { id, partitionKey } satisfies CosmosRef };
      }
    }
  }

  async delete(scope: CollectionScope, ids: StoredId[]): Promise<number> {
    let deleted = 0;
    for (let at = 0; at < ids.length; at += DELETE_CALL) {
      deleted += await this.deleteCall(scope, ids.slice(at, at + DELETE_CALL).map((s) => s.ref as CosmosRef));
    }
    return deleted;
  }

  /** One bulk call, with the operations that failed transiently (429, 503, timeouts) sent again in rounds. */
  private async deleteCall(scope: CollectionScope, refs: CosmosRef[]): Promise<number> {
    const name = `${scope.database}.${scope.collection}`;
    const container = this.client.database(scope.database).container(scope.collection);
    let pending = refs;
    let deleted = 0;
    for (let round = 0; pending.length > 0; round++) {
      const ops = pending.map((r) => ({ operationType: 'Delete', id: r.id, partitionKey: r.partitionKey as PartitionKey }) as OperationInput);
      let results;
      try {
        results = await container.items.executeBulkOperations(ops);
      } catch (err) {
        if (!isRetryableStatus(statusOf(err)) || round + 1 >= MAX_RETRY_ROUNDS) throw describeCosmosError(err, this.endpoint, `deleting documents of ${name}`, this.errorContext);
        await sleep(backoffDelay(round));
        continue;
      }
      const again: CosmosRef[] = [];
      let last = '';
      results.forEach((r, i) => {
        const code = r.response?.statusCode ?? r.error?.code;
        const status = typeof code === 'number' ? code : undefined;
        if (status !== undefined && status >= 200 && status < 300) deleted++;
        else if (status === 404) return; // gone already: nothing to delete
        else if (status === 401 || status === 403) throw describeCosmosError({ code: status, message: r.error?.message ?? '' }, this.endpoint, `deleting documents of ${name}`, this.errorContext);
        else if (isRetryableStatus(status)) {
          again.push(pending[i]!);
          last = `HTTP ${status ?? 'error'}`;
        } else {
          throw new DocferryError(`Cosmos DB refused to delete document "${pending[i]!.id}" of ${name} (HTTP ${status}): ${(r.error?.message ?? '').split('\n')[0]!.slice(0, 300)}`);
        }
      });
      if (again.length > 0 && round + 1 >= MAX_RETRY_ROUNDS) {
        throw new DocferryError(`Cosmos DB kept failing ${again.length} deletes in ${name} after ${MAX_RETRY_ROUNDS} rounds (last: ${last}). Re-run the mirror: it deletes what is still there.`);
      }
      if (again.length > 0) await sleep(backoffDelay(round));
      pending = again;
    }
    return deleted;
  }
}
