import { ExitCode } from '../core/errors.js';
import type { CollectionSchema, CollectionScope, ContainerLayout } from '../core/layout.js';
import { countKey } from '../core/manifest.js';
import { errorMessage } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import type { SinkStore, SourceStore } from '../stores/types.js';
import type { EventSink, RunSummary } from './events.js';

/**
 * Carrying a collection's schema with its documents (docs/schema.md): an export records what the
 * source has; an import or migrate rebuilds it on a MongoDB target and checks it on a Cosmos DB
 * one, after the documents are written (one index build instead of an update per write).
 */

/** The schema of every collection that was read, for the manifest; a schema that cannot be read is a warning. */
export async function readSchemas(source: SourceStore, scopes: readonly CollectionScope[], summary: RunSummary | undefined): Promise<Record<string, CollectionSchema>> {
  const out: Record<string, CollectionSchema> = {};
  if (!source.schema) return out;
  for (const scope of scopes) {
    const status = summary?.collections.find((c) => c.database === scope.database && c.collection === scope.collection)?.status;
    if (status === 'failed') continue;
    try {
      const schema = await source.schema(scope);
      if (schema) out[countKey(scope.database, scope.collection)] = schema;
    } catch (err) {
      summary?.warnings.push(`${scope.database}.${scope.collection}: its schema (indexes, container properties) could not be read, so the export does not carry it: ${redact(errorMessage(err))}`);
    }
  }
  return out;
}

/** The schema a layout names for a container: its Cosmos DB properties, and its MongoDB block. */
export function schemaFromLayout(container: ContainerLayout | undefined): CollectionSchema | undefined {
  if (!container) return undefined;
  return {
    cosmos: {
      partitionKey: container.partitionKey,
      ...(container.indexingPolicy ? { indexingPolicy: container.indexingPolicy } : {}),
      ...(container.uniqueKeys ? { uniqueKeys: container.uniqueKeys } : {}),
      ...(container.defaultTtl !== undefined ? { defaultTtl: container.defaultTtl } : {}),
    },
    ...(container.mongo ? { mongo: container.mongo } : {}),
  };
}

/**
 * What a target is held to: the layout's Cosmos DB properties (the layout this run applies is what
 * the containers were provisioned from) else the carried ones; the carried MongoDB indexes else the
 * layout's; a MongoDB target without either gets the Cosmos DB properties translated.
 */
export function wantedSchema(carried: CollectionSchema | undefined, scope: CollectionScope): CollectionSchema | undefined {
  const layout = schemaFromLayout(scope.container);
  const cosmos = layout?.cosmos ?? carried?.cosmos;
  const mongo = carried?.mongo ?? layout?.mongo;
  if (!cosmos && !mongo) return undefined;
  return { ...(cosmos ? { cosmos } : {}), ...(mongo ? { mongo } : {}) };
}

export interface RebuildOptions {
  /** `--no-indexes`: neither rebuild nor check. */
  skip?: boolean;
  events: EventSink;
}

/**
 * Rebuilds or checks the schema of every collection that was written. Differences and what could
 * not be carried become warnings; a unique index the data violates also makes the run exit 5
 * (the target does not match its source), naming the index and the duplicate keys.
 */
export async function rebuildSchemas(sink: SinkStore, scopes: readonly CollectionScope[], carried: Record<string, CollectionSchema> | undefined, summary: RunSummary, o: RebuildOptions): Promise<RunSummary> {
  if (o.skip || !sink.applySchema) return summary;
  const warnings = [...summary.warnings];
  let violated = false;
  for (const scope of scopes) {
    const status = summary.collections.find((c) => c.database === scope.database && c.collection === scope.collection)?.status;
    if (status === 'failed') continue;
    const schema = wantedSchema(carried?.[countKey(scope.database, scope.collection)], scope);
    if (!schema) continue;
    let outcome;
    try {
      outcome = await sink.applySchema(scope, schema);
    } catch (err) {
      warnings.push(`${scope.database}.${scope.collection}: its schema could not be rebuilt or checked: ${redact(errorMessage(err))}`);
      continue;
    }
    if (outcome.created.length > 0) o.events({ type: 'info', message: `${scope.database}.${scope.collection}: created index${outcome.created.length === 1 ? '' : 'es'} ${outcome.created.join(', ')}` });
    for (const message of [...outcome.problems, ...outcome.violations]) {
      o.events({ type: 'warning', message });
      warnings.push(message);
    }
    if (outcome.violations.length > 0) violated = true;
  }
  return { ...summary, warnings, ...(violated && summary.exitCode === ExitCode.ok ? { exitCode: ExitCode.differences } : {}) };
}
