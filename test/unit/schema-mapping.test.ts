import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseLayout } from '../../src/core/layout.js';
import { layoutFromCapture } from '../../src/engine/schema-capture.js';
import { captureCosmosArm, containerFromCosmos, throughputFromArm, throughputFromOffer, type CosmosSqlResourcesApi } from '../../src/stores/cosmos/schema.js';
import { indexFromListIndexes, optionsFromListCollections } from '../../src/stores/mongo/schema.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/schema/${name}`, import.meta.url), 'utf8'));

/** The recorded ARM answers served through the sqlResources calls a capture makes. */
function recordedArm(rec: ReturnType<typeof fixture>): CosmosSqlResourcesApi {
  const notFound = () => Object.assign(new Error('NotFound'), { statusCode: 404 });
  async function* items<T>(list: T[]) { yield* list; }
  return {
    listSqlDatabases: () => items(rec.databases),
    listSqlContainers: (_rg, _acct, db) => items(rec.containers[db] ?? []),
    getSqlDatabaseThroughput: async (_rg, _acct, db) => rec.databaseThroughput[db] ?? Promise.reject(notFound()),
    getSqlContainerThroughput: async (_rg, _acct, db, c) => rec.containerThroughput[`${db}/${c}`] ?? Promise.reject(notFound()),
  };
}

describe('Schema capture: mapping the servers\' answers into a layout', () => {
  describe('Cosmos DB through the management plane (recorded @azure/arm-cosmosdb answers)', () => {
    it('keeps partition keys (Hash, MultiHash, version), the whole indexing policy, unique keys, TTL and database or container throughput', async () => {
      const notes: string[] = [];
      const dbs = await captureCosmosArm(recordedArm(fixture('arm-sql-containers.json')), 'rg', 'acct', notes);
      expect(dbs).to.have.length(1);
      expect(dbs[0]!.throughput).to.deep.equal({ autoscaleMax: 4000 });
      const [documents, legacy, roles] = dbs[0]!.containers;
      expect(documents!.name).to.equal('documents');
      expect(documents!.partitionKey).to.deep.equal({ paths: ['/collection'], kind: 'Hash', version: 2 });
      expect(documents!.indexingPolicy!.excludedPaths).to.deep.equal([{ path: '/"_etag"/?' }]);
      expect((documents!.indexingPolicy!.compositeIndexes as unknown[][])[0]).to.have.length(3);
      expect(documents!.uniqueKeys).to.equal(undefined);
      expect(documents!.throughput).to.equal(undefined);
      expect(legacy!.partitionKey).to.deep.equal({ paths: ['/pk'], kind: 'Hash', version: 1 });
      expect(legacy!.throughput).to.deep.equal({ manual: 400 });
      expect(roles!.partitionKey).to.deep.equal({ paths: ['/tenant', '/user'], kind: 'MultiHash', version: 2 });
      expect(roles!.uniqueKeys).to.deep.equal([['/email']]);
      expect(roles!.defaultTtl).to.equal(-1);
      const layout = layoutFromCapture(dbs, { name: 'arm', notes });
      expect(() => parseLayout(JSON.parse(JSON.stringify(layout)), 'round trip')).not.to.throw();
    });

    it('reads autoscale before manual, and an offer without throughput as none', () => {
      expect(throughputFromArm({ throughput: 400 })).to.deep.equal({ manual: 400 });
      expect(throughputFromArm({ throughput: 400, autoscaleSettings: { maxThroughput: 4000 } })).to.deep.equal({ autoscaleMax: 4000 });
      expect(throughputFromArm({})).to.equal(undefined);
      expect(throughputFromOffer({ content: { offerThroughput: 400, offerAutopilotSettings: { maxThroughput: 1000 } } })).to.deep.equal({ autoscaleMax: 1000 });
      expect(throughputFromOffer({ content: { offerThroughput: 500 } })).to.deep.equal({ manual: 500 });
    });

    it('names a container without a partition key in a note', () => {
      const notes: string[] = [];
      expect(containerFromCosmos({ id: 'old' }, notes).partitionKey.paths).to.deep.equal(['/_partitionKey']);
      expect(notes[0]).to.match(/old has no partition key/);
    });
  });

  describe('MongoDB (recorded listIndexes and listCollections answers of MongoDB 7.0)', () => {
    const rec = fixture('mongo-list-indexes.json');
    const notes: string[] = [];
    const indexes = rec.indexes.map((d: Record<string, unknown>) => indexFromListIndexes(d, notes, 'app.users'));

    it('leaves out the _id index and keeps every other kind with its options', () => {
      expect(indexes[0]).to.equal(undefined);
      expect(indexes[1]).to.deep.include({ name: 'email_1', key: { email: 1 }, unique: true });
      expect(indexes[1].collation.strength).to.equal(2);
      expect(indexes[2]).to.deep.equal({ name: 'createdAt_1', key: { createdAt: 1 }, expireAfterSeconds: 3600 });
      expect(indexes[3].key).to.deep.equal({ status: 1, date: -1 });
      expect(Object.keys(indexes[3].key)).to.deep.equal(['status', 'date']);
      expect(indexes[3].partialFilterExpression).to.deep.equal({ status: { $exists: true }, date: { $gt: { $date: '2024-01-01T00:00:00Z' } } });
      expect(indexes[5]).to.deep.equal({ name: 'nick_1', key: { nick: 1 }, sparse: true, hidden: true });
      expect(indexes[6]).to.deep.equal({ name: '$**_1', key: { '$**': 1 }, wildcardProjection: { meta: 1 } });
      expect(indexes[7]).to.deep.equal({ name: 'loc_2dsphere', key: { loc: '2dsphere' } });
    });

    it('turns a text index (_fts/_ftsx) back into the fields it was created on', () => {
      expect(indexes[4]).to.deep.equal({ name: 'body_text', key: { body: 'text' }, weights: { body: 1 }, default_language: 'english', language_override: 'language' });
    });

    it('names an index option a layout cannot hold instead of dropping it silently', () => {
      expect(notes.some((n) => /app\.users: index a_1 .*storageEngine/.test(n))).to.equal(true);
    });

    it('keeps the validator, collation and capped options; notes a time-series collection', () => {
      const n: string[] = [];
      const [users, log, metrics, plain] = rec.collections.map((c: { name: string }) => optionsFromListCollections(c, n, `app.${c.name}`));
      expect(users).to.deep.equal({ validator: { $jsonSchema: { bsonType: 'object', required: ['email'] } }, validationLevel: 'strict', validationAction: 'error', collation: { locale: 'en', strength: 2 } });
      expect(log).to.deep.equal({ capped: true, size: 1048576, max: 1000 });
      expect(metrics.timeseries.timeField).to.equal('t');
      expect(n.some((s) => /app\.metrics is a time-series collection/.test(s))).to.equal(true);
      expect(plain).to.equal(undefined);
    });

    it('makes a layout that the schema accepts', () => {
      const layout = layoutFromCapture(
        [{ name: 'app', containers: [{ name: 'users', partitionKey: { paths: ['/id'] }, mongo: { indexes: indexes.filter(Boolean), options: optionsFromListCollections(rec.collections[0]) } }] }],
        { name: 'mongo', notes: [] },
      );
      expect(() => parseLayout(JSON.parse(JSON.stringify(layout)), 'round trip')).not.to.throw();
    });
  });

  it('refuses a --collections name the capture did not find, and notes empty containers and databases without any', () => {
    const pk = { paths: ['/id'] };
    const dbs = [{ name: 'a', containers: [{ name: 'x', partitionKey: pk, empty: true }, { name: 'y', partitionKey: pk }] }, { name: 'b', containers: [] }];
    expect(() => layoutFromCapture(dbs, { name: 't', notes: [], collections: ['nope'] })).to.throw(/Unknown collection in --collections: nope/);
    const layout = layoutFromCapture(dbs, { name: 't', notes: [] });
    expect(layout.notes).to.include('Empty when captured: a.x.');
    expect(layout.notes!.some((n) => /Database b has no containers/.test(n))).to.equal(true);
    expect(layoutFromCapture(dbs, { name: 't', notes: [], collections: ['a.y'] }).databases[0]!.containers.map((c) => c.name)).to.deep.equal(['y']);
  });
});
