import { ExitCode } from '../core/errors.js';
import type { CollectionSchema, CollectionScope, ContainerLayout, CosmosContainerSchema, MongoCollectionSchema, TargetSchema } from '../core/layout.js';
import { cosmosFromMongo, isWarning, mongoFromCosmos, stepText } from '../core/schema-translate.js';
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

/**
 * The schema of every collection that was read, for the manifest (export) or the target (migrate,
 * before the documents: a container docferry creates gets it). A collection that failed is
 * skipped; a schema that cannot be read is a warning in `report.warnings`.
 */
export async function readSchemas(source: SourceStore, scopes: readonly CollectionScope[], report: { warnings: string[]; collections?: RunSummary['collections'] } | undefined): Promise<Record<string, CollectionSchema>> {
  const out: Record<string, CollectionSchema> = {};
  if (!source.schema) return out;
  for (const scope of scopes) {
    const status = report?.collections?.find((c) => c.database === scope.database && c.collection === scope.collection)?.status;
    if (status === 'failed') continue;
    try {
      const schema = await source.schema(scope);
      if (schema) out[countKey(scope.database, scope.collection)] = schema;
    } catch (err) {
      report?.warnings.push(`${scope.database}.${scope.collection}: its schema (indexes, container properties) could not be read, so the ${report.collections ? 'export does not carry it' : 'target does not get it'}: ${redact(errorMessage(err))}`);
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
 * What a target is held to, per side (each store reads its own):
 * - Cosmos DB: per property, the layout's (the layout this run applies is what the containers
 *   were provisioned from), else the carried Cosmos DB one, else the one translated from the
 *   carried (or the layout's) MongoDB indexes;
 * - MongoDB: the carried indexes and options, else the layout's `mongo` block, else the carried
 *   (or the layout's) Cosmos DB properties translated.
 * The translations' warnings go with it (`translation`), so the target reports them.
 */
export function wantedSchema(carried: CollectionSchema | undefined, scope: CollectionScope): TargetSchema | undefined {
  const where = `${scope.database}.${scope.collection}`;
  const layout = schemaFromLayout(scope.container);
  const translation: NonNullable<TargetSchema['translation']> = {};

  const carriedCosmos = carried?.cosmos;
  const mongoSource = carried?.mongo ?? layout?.mongo;
  let cosmos: CosmosContainerSchema | undefined;
  const fromMongo = !carriedCosmos && mongoSource ? cosmosFromMongo(mongoSource, { where, partitionKey: scope.partitionKey, ...(scope.container?.indexingPolicy ? { indexingPolicy: scope.container.indexingPolicy } : {}) }) : undefined;
  if (layout?.cosmos || carriedCosmos || fromMongo) {
    const own = scope.container;
    const pick = <K extends 'indexingPolicy' | 'uniqueKeys' | 'defaultTtl'>(k: K): CosmosContainerSchema[K] | undefined => {
      if (own?.[k] !== undefined) {
        if (fromMongo?.[k] !== undefined) (translation.cosmos ??= []).push(`${where}: the layout sets ${k}: it is used instead of the one translated from the MongoDB indexes.`);
        return own[k] as CosmosContainerSchema[K];
      }
      return (carriedCosmos?.[k] ?? fromMongo?.[k]) as CosmosContainerSchema[K] | undefined;
    };
    const indexingPolicy = pick('indexingPolicy');
    const uniqueKeys = pick('uniqueKeys');
    const defaultTtl = pick('defaultTtl');
    cosmos = {
      partitionKey: own?.partitionKey ?? carriedCosmos?.partitionKey ?? scope.partitionKey,
      ...(indexingPolicy ? { indexingPolicy } : {}),
      ...(uniqueKeys ? { uniqueKeys } : {}),
      ...(defaultTtl !== undefined ? { defaultTtl } : {}),
    };
    if (fromMongo) (translation.cosmos ??= []).push(...fromMongo.steps.filter(isWarning).map(stepText));
  }

  let mongo: MongoCollectionSchema | undefined = mongoSource;
  const cosmosSource = carriedCosmos ?? layout?.cosmos;
  if (!mongo && cosmosSource) {
    const t = mongoFromCosmos(cosmosSource, where);
    mongo = { indexes: t.indexes };
    const warnings = t.steps.filter(isWarning).map(stepText);
    if (warnings.length > 0) translation.mongo = warnings;
  }
  if (!cosmos && !mongo) return undefined;
  return { ...(cosmos ? { cosmos } : {}), ...(mongo ? { mongo } : {}), ...(translation.cosmos || translation.mongo ? { translation } : {}) };
}

/** The scopes with the schema each target is held to (`--no-indexes`: none, the layout alone). */
export function withSchemas(scopes: readonly CollectionScope[], carried: Record<string, CollectionSchema> | undefined): CollectionScope[] {
  return scopes.map((scope) => {
    const schema = wantedSchema(carried?.[countKey(scope.database, scope.collection)], scope);
    return schema ? { ...scope, schema } : { ...scope };
  });
}

export interface RebuildOptions {
  /** `--no-indexes`: neither rebuild nor check. */
  skip?: boolean;
  events: EventSink;
}

/**
 * Rebuilds or checks the schema of every collection that was written (each scope's `schema`,
 * from withSchemas). Differences and what could
 * not be carried become warnings; a unique index the data violates also makes the run exit 5
 * (the target does not match its source), naming the index and the duplicate keys.
 */
export async function rebuildSchemas(sink: SinkStore, scopes: readonly CollectionScope[], summary: RunSummary, o: RebuildOptions): Promise<RunSummary> {
  if (o.skip || !sink.applySchema) return summary;
  const warnings = [...summary.warnings];
  let violated = false;
  for (const scope of scopes) {
    const status = summary.collections.find((c) => c.database === scope.database && c.collection === scope.collection)?.status;
    if (status === 'failed') continue;
    const schema = scope.schema;
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
