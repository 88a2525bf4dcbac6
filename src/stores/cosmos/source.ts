import type { CosmosClient } from '@azure/cosmos';
import { stripSystemProperties, type Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import { redactUri } from '../../core/secrets.js';
import type { SourceItem, SourceStore } from '../types.js';
import { createCosmosClient, describeCosmosError, type CosmosConnection } from './connection.js';

export interface CosmosSourceOptions {
  /** Documents per page of the query; bounds memory with the SDK's prefetch. */
  pageSize?: number;
}

/** Reads every item of a container with a cross-partition `SELECT * FROM c`, page by page. */
export class CosmosSource implements SourceStore {
  readonly kind = 'cosmos' as const;
  private readonly client: CosmosClient;

  constructor(
    private readonly conn: CosmosConnection,
    private readonly options: CosmosSourceOptions = {},
  ) {
    this.client = createCosmosClient(conn);
  }

  describe(): string {
    return redactUri(this.conn.endpoint);
  }

  private container(scope: CollectionScope) {
    return this.client.database(scope.database).container(scope.collection);
  }

  async count(scope: CollectionScope): Promise<number | undefined> {
    try {
      const { resources } = await this.container(scope).items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
      return resources.reduce((a, b) => a + b, 0);
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `counting ${scope.database}.${scope.collection}`);
    }
  }

  async *read(scope: CollectionScope): AsyncGenerator<SourceItem> {
    const iterator = this.container(scope)
      .items.query<Doc>('SELECT * FROM c', { maxItemCount: this.options.pageSize ?? 1000 })
      .getAsyncIterator();
    try {
      for await (const page of iterator) {
        for (const item of page.resources) yield { doc: stripSystemProperties(item) };
      }
    } catch (err) {
      throw describeCosmosError(err, this.conn.endpoint, `reading ${scope.database}.${scope.collection}`);
    }
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}
