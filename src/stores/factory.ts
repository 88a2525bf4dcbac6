import type { SourceType } from '../core/manifest.js';
import type { CosmosConnection } from './cosmos/connection.js';
import type { CosmosRuOptions } from './cosmos/ru-budget.js';
import { CosmosSink } from './cosmos/sink.js';
import { CosmosSource } from './cosmos/source.js';
import { MongoSink } from './mongo/sink.js';
import { MongoSource } from './mongo/source.js';
import type { SinkStore, SourceStore } from './types.js';

/** A database docferry reads from or writes to, as the CLI and the pipeline tasks describe it. */
export type DatabaseSpec =
  | { type: 'cosmos'; connection: CosmosConnection; pageSize?: number; ru?: CosmosRuOptions }
  | { type: 'mongodb'; uri: string; restoreObjectIds?: boolean };

export interface SinkFactoryOptions {
  /** The documents carry BSON types (from MongoDB or an Extended JSON export). */
  bsonInput: boolean;
  /** Where the documents were first read, when known: Cosmos DB system properties in them are its metadata, or the application's fields. */
  sourceType?: SourceType;
}

export function createSource(spec: DatabaseSpec): SourceStore {
  switch (spec.type) {
    case 'cosmos':
      return new CosmosSource(spec.connection, { ...(spec.pageSize !== undefined ? { pageSize: spec.pageSize } : {}), ...(spec.ru ? { ru: spec.ru } : {}) });
    case 'mongodb':
      return new MongoSource(spec.uri);
  }
}

export function createSink(spec: DatabaseSpec, options: SinkFactoryOptions): SinkStore {
  switch (spec.type) {
    case 'cosmos':
      return new CosmosSink(spec.connection, {
        bsonInput: options.bsonInput,
        ...(options.sourceType ? { systemProperties: options.sourceType === 'cosmos' ? 'drop' : 'reject' } : {}),
        ...(spec.ru ? { ru: spec.ru } : {}),
      });
    case 'mongodb':
      return new MongoSink(spec.uri, { bsonInput: options.bsonInput, ...(spec.restoreObjectIds ? { restoreObjectIds: true } : {}) });
  }
}
