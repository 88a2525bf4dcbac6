import { isExtendedJson } from '../../core/codec.js';
import { idKey } from '../../core/digest.js';
import { redactUri } from '../../core/secrets.js';
import { connectTimeoutOf, openDatabase, urlAddress, type DatabaseStoreDescriptor } from '../descriptor.js';
import { checkMongoUri } from './uri.js';

/** A MongoDB server (or anything speaking its wire protocol: FerretDB, Cosmos DB for MongoDB). */
export interface MongoSpec {
  type: 'mongodb';
  uri: string;
  /** As a target: 24-hex string `_id`s of a plain JSON export become ObjectIds again. */
  restoreObjectIds?: boolean;
  /** Server selection and TCP connect timeout (default 30 s). */
  connectTimeoutMs?: number;
}

// Only SDK-free modules above: the driver's client comes in with the source or sink.

export const mongoStore: DatabaseStoreDescriptor<MongoSpec> = {
  type: 'mongodb',
  label: 'MongoDB server',
  name: 'MongoDB',
  specFromOptions(values) {
    const uri = values.connectionString('mongoUri');
    if (!uri) throw values.missing('mongoUri', { for: 'MongoDB', what: 'a mongodb:// or mongodb+srv:// connection string, from a secret variable', placeholder: 'uri' });
    checkMongoUri(uri, values.subject('mongoUri', 'MongoDB URI'));
    const restoreObjectIds = values.direction === 'target' && values.value('restoreObjectIds') === true;
    return { type: 'mongodb', uri, ...(restoreObjectIds ? { restoreObjectIds: true } : {}), ...connectTimeoutOf(values) };
  },
  specOptions: ['connectTimeout', 'restoreObjectIds'],
  targetOnlyOptions: ['restoreObjectIds'],
  identity: {
    field: '_id',
    // What a collection is unique by. Strings keep their text; other types their canonical form.
    journalKey(doc) {
      const id = doc._id;
      if (id === undefined || id === null) return undefined;
      return typeof id === 'string' ? `s:${id}` : `j:${idKey(id)}`;
    },
  },
  carriesBson: true,
  filterLanguage: 'a MongoDB filter in Extended JSON',
  selectByField: (field, values, outside) => JSON.stringify({ [field]: { [outside ? '$nin' : '$in']: values } }),
  exportFormats: {
    default: 'canonical',
    // JSON.stringify of BSON values is neither Extended JSON nor the documented mapping.
    refuse: (format) =>
      format === 'json'
        ? '--json-format json is the format of Cosmos DB exports. A MongoDB export is canonical Extended JSON (the default, every BSON type kept), relaxed Extended JSON, or plain JSON after the documented type mapping (--json-format plain).'
        : undefined,
  },
  address: (spec) => urlAddress('mongodb', spec.uri),
  printable: (spec) => redactUri(spec.uri),
  checkpointFingerprint: (target) => ({ restore_object_ids: target.restoreObjectIds ?? false }),
  importWarnings(target, from) {
    if (target.restoreObjectIds || from.sourceType !== mongoStore.type || isExtendedJson(from.format)) return [];
    return [
      `${from.dir} is a ${from.format} export of MongoDB: its ObjectId _ids are now 24-hex strings. Pass --restore-objectids to turn them back into ObjectIds (the application looks user_roles up by ObjectId).`,
    ];
  },
  openSource(spec) {
    return openDatabase(mongoStore, spec);
  },
  async createSource(spec) {
    const { MongoSource } = await import('./source.js');
    return new MongoSource(spec.uri, spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {});
  },
  planning: {
    async inspector(spec, options) {
      const { mongoInspector } = await import('./plan.js');
      return mongoInspector({ bsonInput: options.bsonInput, ...(spec.restoreObjectIds ? { restoreObjectIds: true } : {}) });
    },
    // A collection is created on the first write (the sink's prepareAll creates it up front).
    createsMissing: () => true,
  },
  async createSink(spec, options) {
    const { MongoSink } = await import('./sink.js');
    return new MongoSink(spec.uri, { bsonInput: options.bsonInput, ...(spec.restoreObjectIds ? { restoreObjectIds: true } : {}), ...(spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {}) });
  },
};
