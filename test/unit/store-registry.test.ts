import { expect } from 'chai';
import { ObjectId } from '../../src/core/bson.js';
import type { CollectionScope } from '../../src/core/layout.js';
import { JSON_FORMATS } from '../../src/core/manifest.js';
import { itemKey } from '../../src/engine/checkpoint.js';
import { defaultFormat } from '../../src/engine/export.js';
import { idForMessages } from '../../src/engine/transfer.js';
import type { CosmosSpec } from '../../src/stores/cosmos/descriptor.js';
import type { MongoSpec } from '../../src/stores/mongo/descriptor.js';
import {
  DATABASE_STORE_TYPES,
  STORE_KINDS,
  databaseStore,
  databaseStoreOfType,
  isDatabaseStoreType,
  isMissingCollectionError,
  namingStore,
  sameStore,
  storeAddress,
  storeByKind,
  storeOf,
} from '../../src/stores/registry.js';

const byId: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };
const byCollection: CollectionScope = { database: 'copilot', collection: 'messages', partitionKey: { paths: ['/collection'], kind: 'Hash', version: 2 } };
const hierarchical: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/tenant', '/user'], kind: 'MultiHash', version: 2 } };

const cosmos = (endpoint: string, key = 'c2VjcmV0LWFjY291bnQta2V5'): CosmosSpec => ({ type: 'cosmos', connection: { endpoint, key } });
const mongo = (uri: string, restoreObjectIds?: boolean): MongoSpec => ({ type: 'mongodb', uri, ...(restoreObjectIds !== undefined ? { restoreObjectIds } : {}) });

describe('Store registry: one descriptor per store', () => {
  describe('what is registered', () => {
    it('registers the database stores Cosmos DB and MongoDB, in the order the front doors offer them, and the export directory', () => {
      expect(DATABASE_STORE_TYPES).to.deep.equal(['cosmos', 'mongodb']);
      expect(STORE_KINDS).to.deep.equal(['cosmos', 'mongodb', 'dir']);
      for (const kind of STORE_KINDS) expect(storeByKind(kind).type).to.equal(kind);
    });

    it('tells a database store type from anything else (a legacy manifest\'s source_type, an input value)', () => {
      expect(isDatabaseStoreType('cosmos')).to.equal(true);
      expect(isDatabaseStoreType('mongodb')).to.equal(true);
      for (const other of ['dir', 'Cosmos', 'postgres', 'toString', '', undefined, 3]) expect(isDatabaseStoreType(other), String(other)).to.equal(false);
    });

    it('refuses a kind nobody registered, naming it', () => {
      expect(() => storeByKind('postgres' as never)).to.throw(/no store is registered as "postgres"/);
    });

    it('labels each store as messages name it', () => {
      expect(STORE_KINDS.map((k) => storeByKind(k).label)).to.deep.equal(['Cosmos DB account', 'MongoDB server', 'export directory']);
    });
  });

  describe('document identity', () => {
    it('Cosmos DB names a document by id, MongoDB by _id; the other stands in when it is missing', () => {
      const both = { id: 'the-id', _id: 'the-_id' };
      expect(idForMessages(both, 'cosmos')).to.equal('the-id');
      expect(idForMessages(both, 'mongodb')).to.equal('the-_id');
      expect(idForMessages({ _id: 'only-_id' }, 'cosmos')).to.equal('only-_id');
      expect(idForMessages({ id: 'only-id' }, 'mongodb')).to.equal('only-id');
      expect(idForMessages({ name: 'no id' }, 'mongodb')).to.equal(undefined);
      expect(idForMessages({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b') }, 'mongodb')).to.equal('65a1b2c3d4e5f60718293a4b');
    });

    it('an export directory has no identity of its own: a run names documents as the store it writes to, or for an export the one it reads', () => {
      expect(storeByKind('dir').identity).to.equal(undefined);
      expect(namingStore('dir', 'mongodb')).to.equal('mongodb');
      expect(namingStore('dir', 'cosmos')).to.equal('cosmos');
      expect(namingStore('cosmos', 'dir')).to.equal('cosmos');
      expect(namingStore('mongodb', 'cosmos')).to.equal('mongodb');
      expect(namingStore('cosmos', 'mongodb')).to.equal('cosmos');
    });

    // The keys are stored in checkpoint journals: a checkpoint written by an earlier version must still resume.
    it('MongoDB journal keys are the _id: s: and the text for a string, j: and its canonical form for other types', () => {
      expect(itemKey({ _id: 'abc', id: 'other' }, byCollection, 'mongodb')).to.equal('s:abc');
      expect(itemKey({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b') }, byCollection, 'mongodb')).to.equal('j:65a1b2c3d4e5f60718293a4b');
      expect(itemKey({ _id: 42 }, byCollection, 'mongodb')).to.equal('j:42');
      expect(itemKey({ _id: { a: 1 } }, byCollection, 'mongodb')).to.equal('j:{"a":1}');
      expect(itemKey({ id: 'only-id' }, byCollection, 'mongodb')).to.equal(undefined);
      expect(itemKey({ _id: null }, byCollection, 'mongodb')).to.equal(undefined);
    });

    it('Cosmos DB journal keys are the id, with the partition-key values unless the container is partitioned by /id', () => {
      expect(itemKey({ id: 'a', collection: 'messages' }, byId, 'cosmos')).to.equal('a');
      expect(itemKey({ id: 'a', collection: 'messages' }, byCollection, 'cosmos')).to.equal('a\u0000["messages"]');
      expect(itemKey({ id: 'a', tenant: 't1' }, hierarchical, 'cosmos')).to.equal('a\u0000["t1",null]');
      expect(itemKey({ _id: 'b' }, byId, 'cosmos')).to.equal('b');
      expect(itemKey({ name: 'no id' }, byId, 'cosmos')).to.equal(undefined);
    });

    it('an export directory gives no journal key: its documents are remembered by line', () => {
      expect(itemKey({ id: 'a', _id: 'a' }, byId, 'dir')).to.equal(undefined);
    });
  });

  describe('addresses', () => {
    // Stored in migrate checkpoints (fingerprint and default directory name): the format must not change.
    it('is the type and the URL authority, lowercased, without credentials, path, query or trailing slash', () => {
      expect(storeAddress(cosmos('https://Account.documents.azure.com:443/'))).to.equal('cosmos:account.documents.azure.com:443');
      expect(storeAddress(mongo('mongodb://app:s3cret-pass@Mongo.Example.net:27017/copilot?authSource=admin&tls=true'))).to.equal('mongodb:mongo.example.net:27017');
      expect(storeAddress(mongo('mongodb+srv://app:s3cret-pass@cluster0.example.net/?retryWrites=true'))).to.equal('mongodb:cluster0.example.net');
      expect(storeAddress(mongo('mongodb://h1:27017,h2:27018/?replicaSet=rs0'))).to.equal('mongodb:h1:27017,h2:27018');
    });

    it('prints no credential, in the address or in the printable form', () => {
      const spec = mongo('mongodb://app:s3cret-pass@mongo.example.net:27017/copilot?authSource=admin');
      for (const text of [storeAddress(spec), databaseStore(spec).printable(spec)]) {
        expect(text).not.to.include('s3cret-pass');
        expect(text).not.to.include('app:');
      }
      expect(databaseStore(spec).printable(spec)).to.equal('mongodb://<redacted>@mongo.example.net:27017/copilot?authSource=admin');
      const account = cosmos('https://account.documents.azure.com:443/');
      expect(storeAddress(account)).not.to.include(account.connection.key);
      expect(databaseStore(account).printable(account)).to.equal('https://account.documents.azure.com:443/');
    });

    it('compares specs by address: other credentials, database or options are the same store; another host, port or store type is not', () => {
      expect(sameStore(mongo('mongodb://a:one@host:27017/db1'), mongo('mongodb://b:two@HOST:27017/db2?tls=true'))).to.equal(true);
      expect(sameStore(cosmos('https://acc.documents.azure.com:443/', 'a2V5LW9uZQ=='), cosmos('https://ACC.documents.azure.com:443', 'a2V5LXR3bw=='))).to.equal(true);
      expect(sameStore(mongo('mongodb://host:27017'), mongo('mongodb://host:27018'))).to.equal(false);
      expect(sameStore(mongo('mongodb://other:27017'), mongo('mongodb://host:27017'))).to.equal(false);
      expect(sameStore(cosmos('https://localhost:8081/'), mongo('mongodb://localhost:8081'))).to.equal(false);
    });

    it('an export directory is addressed by its absolute path', () => {
      expect(sameStore({ type: 'dir', path: 'exports/a' }, { type: 'dir', path: './exports/a/' })).to.equal(true);
      expect(sameStore({ type: 'dir', path: 'exports/a' }, { type: 'dir', path: 'exports/b' })).to.equal(false);
      expect(storeOf({ type: 'dir', path: 'exports/a' }).printable({ type: 'dir', path: 'exports/a' })).to.equal('exports/a');
    });
  });

  describe('export formats and BSON', () => {
    it('exports Cosmos DB as plain json and MongoDB as canonical Extended JSON by default', () => {
      expect(databaseStoreOfType('cosmos').exportFormats.default).to.equal('json');
      expect(databaseStoreOfType('mongodb').exportFormats.default).to.equal('canonical');
      expect(defaultFormat('cosmos')).to.equal('json');
      expect(defaultFormat('mongodb')).to.equal('canonical');
    });

    it('accepts every format but json from MongoDB, and only json from Cosmos DB, saying why', () => {
      const accepted = (type: 'cosmos' | 'mongodb') => JSON_FORMATS.filter((f) => databaseStoreOfType(type).exportFormats.refuse(f) === undefined);
      expect(accepted('cosmos')).to.deep.equal(['json']);
      expect(accepted('mongodb')).to.deep.equal(['canonical', 'relaxed', 'plain']);
      expect(databaseStoreOfType('cosmos').exportFormats.refuse('canonical')).to.match(/^--json-format canonical applies to MongoDB sources/);
      expect(databaseStoreOfType('mongodb').exportFormats.refuse('json')).to.match(/^--json-format json is the format of Cosmos DB exports/);
    });

    it('MongoDB documents carry BSON types, Cosmos DB items are plain JSON', () => {
      expect(databaseStoreOfType('mongodb').carriesBson).to.equal(true);
      expect(databaseStoreOfType('cosmos').carriesBson).to.equal(false);
    });
  });

  describe('missing collections', () => {
    it('Cosmos DB: a read that fails with 404, on the error or on the cause it was described from', () => {
      expect(isMissingCollectionError('cosmos', { code: 404 })).to.equal(true);
      expect(isMissingCollectionError('cosmos', new Error('described', { cause: { code: 404 } }))).to.equal(true);
      expect(isMissingCollectionError('cosmos', { code: 429 })).to.equal(false);
      expect(isMissingCollectionError('cosmos', new Error('no status'))).to.equal(false);
      expect(isMissingCollectionError('cosmos', undefined)).to.equal(false);
    });

    it('MongoDB and an export directory never read a missing collection as a failed read', () => {
      expect(isMissingCollectionError('mongodb', { code: 404 })).to.equal(false);
      expect(isMissingCollectionError('dir', { code: 404 })).to.equal(false);
    });

    it('every database store detects a missing collection one way: a failed read, or its source says whether it exists', async () => {
      const specs = { cosmos: cosmos('https://127.0.0.1:1/'), mongodb: mongo('mongodb://127.0.0.1:1/') };
      for (const type of DATABASE_STORE_TYPES) {
        const store = databaseStoreOfType(type);
        // Creating a source connects to nothing yet.
        const source = await store.createSource(specs[type] as never);
        try {
          const ways = [store.isMissingCollection !== undefined, typeof source.exists === 'function'].filter(Boolean);
          expect(ways, type).to.have.length(1);
          expect(source.kind).to.equal(type);
        } finally {
          await source.close();
        }
      }
    });
  });

  describe('checkpoints and import warnings', () => {
    // Stored in import and migrate checkpoints: an earlier version's checkpoint must still resume.
    it('a MongoDB target adds restore_object_ids to a checkpoint fingerprint; a Cosmos DB target adds nothing', () => {
      expect(databaseStore(mongo('mongodb://h')).checkpointFingerprint(mongo('mongodb://h'))).to.deep.equal({ restore_object_ids: false });
      expect(databaseStore(mongo('mongodb://h')).checkpointFingerprint(mongo('mongodb://h', true))).to.deep.equal({ restore_object_ids: true });
      expect(databaseStore(cosmos('https://a/')).checkpointFingerprint(cosmos('https://a/'))).to.deep.equal({});
    });

    it('warns before a plain or json MongoDB export goes into MongoDB without --restore-objectids, and only then', () => {
      const target = databaseStoreOfType('mongodb');
      const warnings = target.importWarnings!(mongo('mongodb://h'), { dir: 'exp', sourceType: 'mongodb', format: 'plain' });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/^exp is a plain export of MongoDB: its ObjectId _ids are now 24-hex strings\. Pass --restore-objectids/);
      expect(target.importWarnings!(mongo('mongodb://h', true), { dir: 'exp', sourceType: 'mongodb', format: 'plain' })).to.deep.equal([]);
      expect(target.importWarnings!(mongo('mongodb://h'), { dir: 'exp', sourceType: 'mongodb', format: 'canonical' })).to.deep.equal([]);
      expect(target.importWarnings!(mongo('mongodb://h'), { dir: 'exp', sourceType: 'cosmos', format: 'json' })).to.deep.equal([]);
      expect(target.importWarnings!(mongo('mongodb://h'), { dir: 'exp', format: 'json' })).to.deep.equal([]);
      expect(databaseStoreOfType('cosmos').importWarnings).to.equal(undefined);
    });
  });
});
