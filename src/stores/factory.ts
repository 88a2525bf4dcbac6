import { UsageError } from '../core/errors.js';
import type { CosmosConnection } from './cosmos/connection.js';
import { CosmosSink } from './cosmos/sink.js';
import { CosmosSource } from './cosmos/source.js';
import type { SinkStore, SourceStore } from './types.js';

/** A database docferry reads from or writes to, as the CLI and the pipeline tasks describe it. */
export type DatabaseSpec =
  | { type: 'cosmos'; connection: CosmosConnection; pageSize?: number }
  | { type: 'mongodb'; uri: string; restoreObjectIds?: boolean };

export interface SinkFactoryOptions {
  /** The documents carry BSON types (from MongoDB or an Extended JSON export). */
  bsonInput: boolean;
}

export function createSource(spec: DatabaseSpec): SourceStore {
  switch (spec.type) {
    case 'cosmos':
      return new CosmosSource(spec.connection, spec.pageSize !== undefined ? { pageSize: spec.pageSize } : {});
    case 'mongodb':
      throw new UsageError('MongoDB as a source is not available yet.');
  }
}

export function createSink(spec: DatabaseSpec, options: SinkFactoryOptions): SinkStore {
  switch (spec.type) {
    case 'cosmos':
      return new CosmosSink(spec.connection, { bsonInput: options.bsonInput });
    case 'mongodb':
      throw new UsageError('MongoDB as a target is not available yet.');
  }
}
