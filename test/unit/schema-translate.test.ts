import { expect } from 'chai';
import type { CollectionScope, Layout, MongoIndexSpec } from '../../src/core/layout.js';
import { cosmosFromMongo, cosmosPathOf, isWarning, mongoFieldOf, mongoFromCosmos, translateLayout, type TranslationStep } from '../../src/core/schema-translate.js';
import { wantedSchema, withSchemas } from '../../src/engine/schema-carry.js';

const where = 'app.users';
const byId = { paths: ['/id'] };
const byTenant = { paths: ['/tenant'] };
const toCosmos = (indexes: MongoIndexSpec[], partitionKey = byTenant) => cosmosFromMongo({ indexes }, { where, partitionKey });
const only = (steps: TranslationStep[]) => {
  expect(steps, JSON.stringify(steps, null, 2)).to.have.length(1);
  return steps[0]!;
};

describe('Schema translation (docs/type-mapping.md, "Indexes and container properties")', () => {
  describe('field names and paths', () => {
    it('a dotted MongoDB field is a Cosmos DB path, and back; array positions, operators and names that need quoting are not', () => {
      expect(cosmosPathOf('email')).to.equal('/email');
      expect(cosmosPathOf('from.email')).to.equal('/from/email');
      expect(cosmosPathOf('tags.0')).to.equal(undefined);
      expect(cosmosPathOf('$**')).to.equal(undefined);
      expect(cosmosPathOf('first-name')).to.equal(undefined);
      expect(mongoFieldOf('/from/email')).to.equal('from.email');
      expect(mongoFieldOf('/loc/*')).to.equal('loc');
      expect(mongoFieldOf('/date/?')).to.equal('date');
      expect(mongoFieldOf('/"first-name"')).to.equal('first-name');
      expect(mongoFieldOf('/tags/[]/name')).to.equal(undefined);
    });
  });

  describe('MongoDB -> Cosmos DB', () => {
    it('a unique index becomes a unique key on the same paths; it is carried as it is when its paths include the partition key', () => {
      const t = toCosmos([{ name: 'tenant_email', key: { tenant: 1, email: -1 }, unique: true }]);
      expect(t.uniqueKeys).to.deep.equal([['/tenant', '/email']]);
      const uk = t.steps.find((s) => s.target?.startsWith('unique key'))!;
      expect(uk.outcome).to.equal('carried');
      expect(uk.detail).to.match(/unique across the container/).and.match(/only be set when a container is created/);
    });

    it('a unique index whose paths leave out the partition key is weaker: Cosmos DB enforces it per logical partition, and says so', () => {
      const s = only(toCosmos([{ name: 'email_1', key: { email: 1 }, unique: true }]).steps);
      expect(s).to.include({ outcome: 'weaker', target: 'unique key [/email]' });
      expect(s.detail).to.match(/within each logical partition \(partition key \[\/tenant\]\)/);
      expect(isWarning(s)).to.equal(true);
    });

    it('with the partition key /id the unique key enforces nothing across documents: carried, with that warning', () => {
      const t = toCosmos([{ name: 'email_1', key: { email: 1 }, unique: true }], byId);
      expect(t.uniqueKeys).to.deep.equal([['/email']]);
      expect(only(t.steps).detail).to.match(/with the partition key \/id each holds one document: the unique key enforces nothing/);
    });

    it('sparse and partial unique indexes are not carried: a unique key counts a missing value, and would refuse documents MongoDB accepted', () => {
      const t = toCosmos([
        { name: 'sparse', key: { a: 1 }, unique: true, sparse: true },
        { name: 'partial', key: { b: 1 }, unique: true, partialFilterExpression: { b: { $exists: true } } },
      ]);
      expect(t.uniqueKeys).to.equal(undefined);
      expect(t.steps.map((s) => s.outcome)).to.deep.equal(['not carried', 'not carried']);
      expect(t.steps[0]!.detail).to.match(/no sparse form/);
      expect(t.steps[1]!.detail).to.match(/no partial unique keys/);
    });

    it('a unique index with a collation is weaker: Cosmos DB compares exact values', () => {
      const s = only(toCosmos([{ name: 'ci', key: { tenant: 1, email: 1 }, unique: true, collation: { locale: 'en', strength: 2 } }]).steps.filter((x) => x.target?.startsWith('unique')));
      expect(s.outcome).to.equal('weaker');
      expect(s.detail).to.match(/collation .* is not carried/);
    });

    it('more unique indexes than a container takes (10) are not carried, each named', () => {
      const indexes = Array.from({ length: 11 }, (_, i) => ({ name: `u${i}`, key: { tenant: 1 as const, [`f${i}`]: 1 as const }, unique: true }));
      const t = toCosmos(indexes);
      expect(t.uniqueKeys).to.have.length(10);
      const refused = t.steps.filter((s) => s.outcome === 'not carried');
      expect(refused.map((s) => s.source)).to.deep.equal(['unique index u10 {"tenant":1,"f10":1}']);
      expect(refused[0]!.detail).to.match(/at most 10 unique keys/);
    });

    it('a TTL index becomes the default TTL, with the warning that Cosmos DB counts from _ts, not from the indexed field', () => {
      const t = toCosmos([{ name: 'created_ttl', key: { createdAt: 1 }, expireAfterSeconds: 3600 }]);
      expect(t.defaultTtl).to.equal(3600);
      const s = only(t.steps);
      expect(s).to.include({ outcome: 'weaker', target: 'default TTL 3600' });
      expect(s.detail).to.match(/last write \(_ts\), not from createdAt/).and.match(/from the time it was imported/).and.match(/without createdAt .* expire too/);
    });

    it('TTL indexes Cosmos DB cannot express are not carried: expireAfterSeconds 0 (an expiry date), a partial TTL, a second TTL', () => {
      const t = toCosmos([
        { name: 'at', key: { expiresAt: 1 }, expireAfterSeconds: 0 },
        { name: 'partial', key: { t: 1 }, expireAfterSeconds: 60, partialFilterExpression: { kind: 'session' } },
        { name: 'first', key: { a: 1 }, expireAfterSeconds: 60 },
        { name: 'second', key: { b: 1 }, expireAfterSeconds: 120 },
      ]);
      expect(t.defaultTtl).to.equal(60);
      expect(t.steps.map((s) => [s.source.split(' ')[2], s.outcome])).to.deep.equal([['at', 'not carried'], ['partial', 'not carried'], ['first', 'weaker'], ['second', 'not carried']]);
      expect(t.steps[0]!.detail).to.match(/per-item ttl/);
      expect(t.steps[3]!.detail).to.match(/one default TTL: 60 s from first/);
    });

    it('an index on two or more fields becomes a composite index with the same orders, added to the policy (the layout\'s or the default)', () => {
      const t = toCosmos([{ name: 'thread_date', key: { thread_id: 1, date: -1 } }]);
      expect(t.indexingPolicy).to.deep.equal({
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/*' }],
        excludedPaths: [{ path: '/"_etag"/?' }],
        compositeIndexes: [[{ path: '/thread_id', order: 'ascending' }, { path: '/date', order: 'descending' }]],
      });
      expect(only(t.steps)).to.include({ outcome: 'carried', target: 'composite index (/thread_id ascending, /date descending)' });
      const existing = [[{ path: '/collection', order: 'ascending' }, { path: '/date', order: 'descending' }]];
      const merged = cosmosFromMongo({ indexes: [{ key: { thread_id: 1, date: -1 } }, { key: { collection: 1, date: -1 } }] }, { where, partitionKey: byId, indexingPolicy: { indexingMode: 'consistent', compositeIndexes: existing } });
      expect(merged.indexingPolicy!.compositeIndexes).to.deep.equal([...existing, [{ path: '/thread_id', order: 'ascending' }, { path: '/date', order: 'descending' }]]);
    });

    it('a compound unique index gives both a unique key and a composite index', () => {
      const t = toCosmos([{ name: 'tenant_email', key: { tenant: 1, email: 1 }, unique: true }]);
      expect(t.uniqueKeys).to.deep.equal([['/tenant', '/email']]);
      expect(t.indexingPolicy!.compositeIndexes).to.have.length(1);
      expect(t.steps.map((s) => s.outcome)).to.deep.equal(['carried', 'carried']);
    });

    it('single-field, hashed, sparse, partial and wildcard indexes are covered by the range index on every path; with a policy that does not include /*, they are not', () => {
      const indexes: MongoIndexSpec[] = [{ key: { a: 1 } }, { key: { h: 'hashed' } }, { key: { s: 1 }, sparse: true }, { key: { p: 1 }, partialFilterExpression: { p: { $gt: 1 } } }, { key: { '$**': 1 } }];
      const t = toCosmos(indexes);
      expect(t.steps.map((s) => s.outcome)).to.deep.equal(['covered', 'covered', 'covered', 'covered', 'covered']);
      expect(t.indexingPolicy).to.equal(undefined);
      const narrow = cosmosFromMongo({ indexes }, { where, partitionKey: byId, indexingPolicy: { includedPaths: [{ path: '/name/?' }] } });
      expect(narrow.steps.map((s) => s.outcome)).to.deep.equal(['not carried', 'not carried', 'not carried', 'not carried', 'not carried']);
    });

    it('2dsphere becomes a spatial index; text, 2d and hidden indexes, a collation of an index, and the collection options are reported', () => {
      const t = cosmosFromMongo(
        { indexes: [{ key: { loc: '2dsphere' } }, { name: 'search', key: { body: 'text' } }, { key: { xy: '2d' } }, { name: 'h', key: { z: 1 }, hidden: true }, { name: 'c', key: { name: 1 }, collation: { locale: 'fr' } }], options: { validator: { $jsonSchema: {} }, collation: { locale: 'fr' }, capped: true, size: 4096, timeseries: { timeField: 't' } } },
        { where, partitionKey: byId },
      );
      expect(t.indexingPolicy!.spatialIndexes).to.deep.equal([{ path: '/loc/*', types: ['Point', 'LineString', 'Polygon', 'MultiPolygon'] }]);
      expect(t.steps.map((s) => `${s.source.split(' ').slice(0, 2).join(' ')}: ${s.outcome}`)).to.deep.equal([
        'index loc: carried',
        'index search: not carried',
        'index xy: not carried',
        'index h: not carried',
        'index c: weaker',
        'index c: covered',
        'collection option: not carried',
        'collection option: not carried',
        'collection option: not carried',
        'collection option: not carried',
      ]);
      expect(t.steps.filter((s) => s.source.startsWith('collection option')).map((s) => s.source)).to.deep.equal(['collection option validator', 'collection option collation', 'collection option capped', 'collection option timeseries']);
    });
  });

  describe('Cosmos DB -> MongoDB', () => {
    it('a unique key becomes a unique index on its paths and the partition key\'s, since Cosmos DB enforced it per logical partition', () => {
      const t = mongoFromCosmos({ partitionKey: { paths: ['/tenant/id'] }, uniqueKeys: [['/email'], ['/org', '/name']] }, where);
      expect(t.indexes).to.deep.equal([
        { name: 'unique_email_tenant.id', key: { email: 1, 'tenant.id': 1 }, unique: true },
        { name: 'unique_org_name_tenant.id', key: { org: 1, name: 1, 'tenant.id': 1 }, unique: true },
        { name: 'pk_tenant.id', key: { 'tenant.id': 1 } },
      ]);
      expect(t.steps[0]).to.include({ outcome: 'carried' });
      expect(t.steps[0]!.detail).to.match(/in different partitions are still accepted/);
    });

    it('a unique key that includes the partition key is the same unique index, and the partition-key index is not made twice', () => {
      const t = mongoFromCosmos({ partitionKey: byTenant, uniqueKeys: [['/tenant', '/email']] }, where);
      expect(t.indexes).to.deep.equal([{ name: 'unique_tenant_email', key: { tenant: 1, email: 1 }, unique: true }, { name: 'pk_tenant', key: { tenant: 1 } }]);
    });

    it('with the partition key /id a unique key enforced nothing, so it is not carried (a unique index would refuse data the source holds); /id itself needs no index', () => {
      const t = mongoFromCosmos({ partitionKey: byId, uniqueKeys: [['/email']] }, where);
      expect(t.indexes).to.deep.equal([]);
      expect(t.steps.map((s) => s.outcome)).to.deep.equal(['not carried', 'covered']);
      expect(t.steps[0]!.detail).to.match(/never constrained anything/);
    });

    it('partition-key paths become an index (a MultiHash key a compound one)', () => {
      expect(mongoFromCosmos({ partitionKey: { paths: ['/tenant', '/user'], kind: 'MultiHash' } }, where).indexes).to.deep.equal([{ name: 'pk_tenant_user', key: { tenant: 1, user: 1 } }]);
    });

    it('composite indexes become compound indexes with the same orders, spatial indexes 2dsphere; the range index on every path is covered, vector indexes are not carried', () => {
      const t = mongoFromCosmos({
        partitionKey: { paths: ['/collection'] },
        indexingPolicy: { includedPaths: [{ path: '/*' }], compositeIndexes: [[{ path: '/collection', order: 'ascending' }, { path: '/date', order: 'descending' }]], spatialIndexes: [{ path: '/loc/*' }], vectorIndexes: [{ path: '/embedding', type: 'flat' }] },
      }, where);
      expect(t.indexes).to.deep.equal([{ name: 'pk_collection', key: { collection: 1 } }, { name: 'composite_collection_date', key: { collection: 1, date: -1 } }, { name: 'spatial_loc', key: { loc: '2dsphere' } }]);
      expect(t.steps.map((s) => s.outcome)).to.deep.equal(['carried', 'carried', 'carried', 'not carried', 'covered']);
    });

    it('a default TTL is reported, not carried: MongoDB needs a date field', () => {
      const s = only(mongoFromCosmos({ partitionKey: byId, defaultTtl: 60 }, where).steps.filter((x) => x.source.startsWith('default TTL')));
      expect(s).to.include({ outcome: 'not carried', source: 'default TTL 60' });
      expect(s.detail).to.match(/needs a date field/);
    });
  });

  describe('a layout translated (docferry layout translate)', () => {
    const layout: Layout = {
      name: 'captured-mongodb',
      databases: [{ name: 'app', containers: [
        { name: 'users', partitionKey: { paths: ['/tenant'] }, mongo: { indexes: [{ name: 'tenant_email', key: { tenant: 1, email: 1 }, unique: true }, { name: 'seen', key: { seenAt: 1 }, expireAfterSeconds: 600 }] } },
        { name: 'roles', partitionKey: { paths: ['/id'] }, uniqueKeys: [['/name']], mongo: { indexes: [{ name: 'email_1', key: { email: 1 }, unique: true }] } },
      ] }],
    };

    it('--to cosmos fills unique keys, TTL and composite indexes from the mongo blocks, keeps what the layout sets, and writes the warnings into its notes', () => {
      const { layout: out, steps } = translateLayout(layout, 'cosmos');
      const [users, roles] = out.databases[0]!.containers;
      expect(users!.uniqueKeys).to.deep.equal([['/tenant', '/email']]);
      expect(users!.defaultTtl).to.equal(600);
      expect(users!.indexingPolicy!.compositeIndexes).to.deep.equal([[{ path: '/tenant', order: 'ascending' }, { path: '/email', order: 'ascending' }]]);
      expect(roles!.uniqueKeys).to.deep.equal([['/name']]);
      expect(steps.some((s) => s.where === 'app.roles' && /sets uniqueKeys already/.test(s.detail))).to.equal(true);
      expect(out.notes![0]).to.match(/^Translated to Cosmos DB by docferry layout translate: \d+ steps, \d+ warnings\.$/);
      expect(out.notes!.slice(1)).to.deep.equal(steps.filter(isWarning).map((s) => `${s.where}: ${s.source}${s.target ? ` -> ${s.target}` : ''} (${s.outcome}): ${s.detail}`));
      expect(layout.databases[0]!.containers[0]!.uniqueKeys, 'the input is not changed').to.equal(undefined);
    });

    it('--to mongo writes a mongo block where there is none', () => {
      const cosmosOnly: Layout = { databases: [{ name: 'auth', containers: [{ name: 'user_roles', partitionKey: { paths: ['/tenant'] }, uniqueKeys: [['/email']] }] }] };
      const { layout: out } = translateLayout(cosmosOnly, 'mongo');
      expect(out.databases[0]!.containers[0]!.mongo).to.deep.equal({ indexes: [{ name: 'unique_email_tenant', key: { email: 1, tenant: 1 }, unique: true }, { name: 'pk_tenant', key: { tenant: 1 } }] });
    });
  });

  describe('what a target is held to on an import or migrate', () => {
    const scope = (container?: CollectionScope['container']): CollectionScope => ({ database: 'app', collection: 'users', partitionKey: { paths: ['/tenant'], kind: 'Hash', version: 2 }, ...(container ? { container } : {}) });

    it('MongoDB indexes carried to Cosmos DB: translated unique keys, TTL and composite indexes, with the warnings for the Cosmos DB side only', () => {
      const s = wantedSchema({ mongo: { indexes: [{ name: 'email_1', key: { email: 1 }, unique: true }, { key: { a: 1, b: -1 } }] } }, scope())!;
      expect(s.cosmos!.uniqueKeys).to.deep.equal([['/email']]);
      expect(s.cosmos!.partitionKey.paths).to.deep.equal(['/tenant']);
      expect(s.cosmos!.indexingPolicy!.compositeIndexes).to.have.length(1);
      expect(s.translation!.cosmos!.join('\n')).to.match(/app\.users: unique index email_1 .* -> unique key \[\/email\] \(weaker\)/);
      expect(s.translation!.mongo).to.equal(undefined);
      expect(s.mongo!.indexes).to.have.length(2);
    });

    it('the layout\'s own Cosmos DB properties win over the translated ones, and that is said', () => {
      const s = wantedSchema({ mongo: { indexes: [{ name: 'email_1', key: { email: 1 }, unique: true }] } }, scope({ name: 'users', partitionKey: { paths: ['/tenant'] }, uniqueKeys: [['/tenant', '/name']] }))!;
      expect(s.cosmos!.uniqueKeys).to.deep.equal([['/tenant', '/name']]);
      expect(s.translation!.cosmos!.some((w) => /the layout sets uniqueKeys/.test(w))).to.equal(true);
    });

    it('Cosmos DB properties carried to MongoDB: the carried ones, not the layout\'s partition key alone', () => {
      const s = wantedSchema({ cosmos: { partitionKey: { paths: ['/tenant'] }, uniqueKeys: [['/email']], defaultTtl: 60 } }, scope({ name: 'users', partitionKey: { paths: ['/tenant'] } }))!;
      expect(s.mongo!.indexes.map((i) => i.name)).to.deep.equal(['unique_email_tenant', 'pk_tenant']);
      expect(s.translation!.mongo!.some((w) => /default TTL 60 \(not carried\)/.test(w))).to.equal(true);
      // Cosmos DB target: the carried properties fill what the layout does not set.
      expect(s.cosmos).to.deep.equal({ partitionKey: { paths: ['/tenant'] }, uniqueKeys: [['/email']], defaultTtl: 60 });
    });

    it('withSchemas attaches each scope\'s schema by db.coll; a collection with nothing to hold is left without one', () => {
      const [a, b] = withSchemas([scope(), { ...scope(), collection: 'other' }], { 'app.users': { cosmos: { partitionKey: byTenant, defaultTtl: 5 } } });
      expect(a!.schema!.cosmos!.defaultTtl).to.equal(5);
      expect(b!.schema).to.equal(undefined);
    });
  });
});
