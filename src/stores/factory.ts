import type { SinkFactoryOptions } from './descriptor.js';
import { databaseStore, type DatabaseSpec } from './registry.js';
import type { SinkStore, SourceStore } from './types.js';

export type { SinkFactoryOptions } from './descriptor.js';
export type { DatabaseSpec, StoreSpec } from './registry.js';

// Each store's SDK is loaded when a run needs it: together they are most of the CLI's memory.
// The descriptors (src/stores/*/descriptor.ts) import their source and sink with import(), and
// test/unit/engine-static-scan.test.ts checks that the engine's static imports reach no SDK.

export function createSource(spec: DatabaseSpec): Promise<SourceStore> {
  return databaseStore(spec).createSource(spec);
}

export function createSink(spec: DatabaseSpec, options: SinkFactoryOptions): Promise<SinkStore> {
  return databaseStore(spec).createSink(spec, options);
}
