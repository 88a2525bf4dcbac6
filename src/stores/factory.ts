import type { SourceType } from '../core/manifest.js';
import type { CosmosConnection } from './cosmos/connection.js';
import type { CosmosRuOptions } from './cosmos/ru-budget.js';
import type { SinkStore, SourceStore } from './types.js';

/** A database docferry reads from or writes to, as the CLI and the pipeline tasks describe it. */
export type DatabaseSpec =
  | { type: 'cosmos'; connection: CosmosConnection; pageSize?: number; ru?: CosmosRuOptions }
  | { type: 'mongodb'; uri: string; restoreObjectIds?: boolean; /** Server selection and TCP connect timeout (default 30 s). */ connectTimeoutMs?: number };

export interface SinkFactoryOptions {
  /** The documents carry BSON types (from MongoDB or an Extended JSON export). */
  bsonInput: boolean;
  /** Where the documents were first read, when known: Cosmos DB system properties in them are its metadata, or the application's fields. */
  sourceType?: SourceType;
}

// Each store's SDK is loaded when a run needs it: together they are most of the CLI's memory.

export async function createSource(spec: DatabaseSpec): Promise<SourceStore> {
  switch (spec.type) {
    case 'cosmos': {
      const { CosmosSource } = await import('./cosmos/source.js');
      return new CosmosSource(spec.connection, { ...(spec.pageSize !== undefined ? { pageSize: spec.pageSize } : {}), ...(spec.ru ? { ru: spec.ru } : {}) });
    }
    case 'mongodb': {
      const { MongoSource } = await import('./mongo/source.js');
      return new MongoSource(spec.uri, spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {});
    }
  }
}

export async function createSink(spec: DatabaseSpec, options: SinkFactoryOptions): Promise<SinkStore> {
  switch (spec.type) {
    case 'cosmos': {
      const { CosmosSink } = await import('./cosmos/sink.js');
      return new CosmosSink(spec.connection, {
        bsonInput: options.bsonInput,
        ...(options.sourceType ? { systemProperties: options.sourceType === 'cosmos' ? 'drop' : 'reject' } : {}),
        ...(spec.ru ? { ru: spec.ru } : {}),
      });
    }
    case 'mongodb': {
      const { MongoSink } = await import('./mongo/sink.js');
      return new MongoSink(spec.uri, { bsonInput: options.bsonInput, ...(spec.restoreObjectIds ? { restoreObjectIds: true } : {}), ...(spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {}) });
    }
  }
}
