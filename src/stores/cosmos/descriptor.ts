import { documentKey } from '../../core/digest.js';
import { valueAtPath } from '../../core/documents.js';
import { redactUri } from '../../core/secrets.js';
import { openDatabase, urlAddress, type DatabaseStoreDescriptor } from '../descriptor.js';
import type { CosmosConnection } from './connection.js';
import type { CosmosRuOptions } from './ru-budget.js';
import { cosmosSpecFromOptions } from './options.js';
import { ruBudgetChoice } from './ru-budget-rule.js';
import { statusOf } from './status.js';

/** An Azure Cosmos DB (NoSQL API) account, as the CLI and the pipeline tasks describe it. */
export interface CosmosSpec {
  type: 'cosmos';
  connection: CosmosConnection;
  pageSize?: number;
  ru?: CosmosRuOptions;
}

// Only types and SDK-free modules above: the SDK comes in with the source or sink, when a run uses one.

export const cosmosStore: DatabaseStoreDescriptor<CosmosSpec> = {
  type: 'cosmos',
  label: 'Cosmos DB account',
  name: 'Cosmos DB',
  specFromOptions: cosmosSpecFromOptions,
  specOptions: ['connectTimeout', 'pageSize'],
  identity: {
    field: 'id',
    // Ids are unique per logical partition only: the partition-key value is part of the key,
    // unless the container is partitioned by the id itself.
    journalKey(doc, scope) {
      const id = documentKey(doc, 'json');
      if (id === undefined) return undefined;
      if (scope.partitionKey.paths.length === 1 && scope.partitionKey.paths[0] === '/id') return id;
      return `${id}\u0000${JSON.stringify(scope.partitionKey.paths.map((p) => valueAtPath(doc, p) ?? null))}`;
    },
  },
  carriesBson: false,
  filterLanguage: 'Cosmos DB SQL (a WHERE clause, or SELECT * FROM c WHERE ...)',
  selectByField: (field, values, outside) => {
    const at = `c[${JSON.stringify(field)}]`;
    const inList = `${at} IN (${values.map((v) => JSON.stringify(v)).join(', ')})`;
    // `c.f IN (...)` is undefined, not false, for a missing field: IS_DEFINED makes NOT see it.
    return outside ? `NOT (IS_DEFINED(${at}) AND ${inList})` : inList;
  },
  exportFormats: {
    default: 'json',
    refuse: (format) => (format === 'json' ? undefined : `--json-format ${format} applies to MongoDB sources; Cosmos DB items are plain JSON and are exported as such.`),
  },
  address: (spec) => urlAddress('cosmos', spec.connection.endpoint),
  printable: (spec) => redactUri(spec.connection.endpoint),
  // A container that does not exist: the read fails with 404 (on the error, or on its cause once described).
  isMissingCollection: (err) => typeof err === 'object' && err !== null && (statusOf(err) === 404 || statusOf((err as { cause?: unknown }).cause ?? {}) === 404),
  checkpointFingerprint: () => ({}),
  budgetShare(spec, share) {
    const ru = spec.ru;
    if (!ru || (ru.maxRu === undefined && ru.ruShare === undefined)) return spec;
    // A share that moves (a shared budget record) is applied by the RU controllers as it changes.
    if (typeof share !== 'number') return { ...spec, ru: { ...ru, share } };
    return { ...spec, ru: { ...ru, ...(ru.maxRu !== undefined ? { maxRu: ru.maxRu * share } : {}), ...(ru.ruShare !== undefined ? { ruShare: ru.ruShare * share } : {}) } };
  },
  openSource(spec) {
    return openDatabase(cosmosStore, spec);
  },
  async createSource(spec) {
    const { CosmosSource } = await import('./source.js');
    return new CosmosSource(spec.connection, { ...(spec.pageSize !== undefined ? { pageSize: spec.pageSize } : {}), ...(spec.ru ? { ru: spec.ru } : {}) });
  },
  planning: {
    async inspector(_spec, options) {
      const { cosmosInspector } = await import('./plan.js');
      return cosmosInspector({ bsonInput: options.bsonInput, ...(options.sourceType ? { systemProperties: options.sourceType === cosmosStore.type ? 'drop' : 'reject' } : {}) });
    },
    // The sink creates missing databases and containers with an account key; a data-plane token cannot.
    createsMissing: (spec) =>
      spec.connection.key ? true : 'with --use-rbac docferry authenticates with a data-plane token, which cannot create databases or containers: provision them first (pulumi/target, or az cosmosdb sql container create)',
    logicalPartitionBytes: 20 * 1024 ** 3,
    ruBudget(spec, provisioned, scope) {
      const choice = ruBudgetChoice(spec.ru ?? {}, provisioned, scope);
      if ('problem' in choice) return choice;
      return { key: choice.key, from: choice.from, ...(choice.budget !== undefined ? { ruPerSecond: choice.budget } : {}) };
    },
  },
  async createSink(spec, options) {
    const { CosmosSink } = await import('./sink.js');
    return new CosmosSink(spec.connection, {
      bsonInput: options.bsonInput,
      // System properties in documents read from Cosmos DB are its metadata; elsewhere they are the application's fields.
      ...(options.sourceType ? { systemProperties: options.sourceType === cosmosStore.type ? 'drop' : 'reject' } : {}),
      ...(spec.ru ? { ru: spec.ru } : {}),
    });
  },
};
