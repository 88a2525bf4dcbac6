import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Binary, BSONRegExp, Double, Int32, Long, ObjectId, Timestamp } from 'mongodb';
import { EJSON } from '../../src/core/bson.js';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { redact } from '../../src/core/secrets.js';
import { COPILOT_COLLECTIONS, generateDocuments, type SyntheticCollection } from '../../src/synthetic/copilot.js';
import { runCli, spawnCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { encodeWorkerCounts } from '../../src/stores/exportdir/encode-pool.js';
import { exportData } from '../../src/api/run.js';
import { AbortError } from '../../src/core/errors.js';
import { MongoSource } from '../../src/stores/mongo/source.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS: Record<SyntheticCollection, number> = { sources: 5, archives: 12, messages: 20, threads: 20, chunks: 25, summaries: 8, reports: 5, user_roles: 6 };
const SYNTHETIC_TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);
const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;
const TYPES_ID = ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b');

/** One document per BSON type FerretDB stores (Decimal128 it cannot: see the unit tests), and _ids of many types. */
function typedDocuments(): Doc[] {
  return [
    {
      _id: TYPES_ID,
      date: new Date('2024-05-06T07:08:09.123Z'),
      before1970: new Date(-1_000_000_000_000),
      int32: new Int32(42),
      int64: Long.fromNumber(5),
      int64Big: Long.fromString('9007199254740993'),
      int64Min: Long.fromString('-9223372036854775808'),
      double: new Double(5),
      fraction: new Double(-1.25),
      huge: new Double(1.7976931348623157e308),
      tiny: new Double(5e-324),
      binary: new Binary(Buffer.from([0, 1, 2, 254, 255]), Binary.SUBTYPE_DEFAULT),
      uuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), Binary.SUBTYPE_UUID),
      md5: new Binary(Buffer.from('d41d8cd98f00b204e9800998ecf8427e', 'hex'), Binary.SUBTYPE_MD5),
      userDefined: new Binary(Buffer.from('x'), 0x80),
      emptyBinary: new Binary(Buffer.alloc(0)),
      yes: true,
      no: false,
      nothing: null,
      ts: new Timestamp({ t: 1_700_000_000, i: 7 }),
      regex: new BSONRegExp('^a.c$', 'im'),
      nested: { a: { b: { c: new Int32(1), d: new Double(2) } } },
      array: [new Int32(1), 'two', new Double(3), true, null, { at: new Date(0) }, Long.fromNumber(4)],
      emptyDoc: {},
      emptyArray: [],
      text: 'héllo ✓ 😀',
    },
    { _id: 'string-id', kind: 'string' },
    { _id: new Int32(7), kind: 'int32' },
    { _id: Long.fromString('9007199254740993'), kind: 'int64' },
    { _id: new Double(2.5), kind: 'double' },
    { _id: new Date('2020-01-01T00:00:00.001Z'), kind: 'date' },
    { _id: { tenant: 'a', n: new Int32(1) }, kind: 'document' },
    { _id: new Binary(Buffer.from([0xfb, 0xff])), kind: 'binary' },
    { _id: true, kind: 'boolean' },
  ];
}

let counter = 0;

interface Names {
  copilot: string;
  auth: string;
}

function freshNames(suffix = ''): Names {
  counter++;
  return { copilot: `copilot_m${counter}${suffix}`, auth: `auth_m${counter}${suffix}` };
}

function layoutFor(n: Names, extra: string[] = []): Layout {
  const pk = { paths: ['/id'], kind: 'Hash' as const };
  return {
    name: 'mongo-test',
    databases: [
      { name: n.copilot, containers: [...COPILOT_COLLECTIONS, ...extra].map((name) => ({ name, partitionKey: pk })) },
      { name: n.auth, containers: [{ name: 'user_roles', partitionKey: pk }] },
    ],
  };
}

async function writeLayout(dir: string, layout: Layout): Promise<string> {
  const path = join(dir, `layout-${counter}.json`);
  await writeFile(path, JSON.stringify(layout));
  return path;
}

async function withMongo<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

async function seedMongo(uri: string, db: string, coll: string, docs: Doc[]): Promise<void> {
  await withMongo(uri, async (c) => {
    if (docs.length > 0) await c.db(db).collection<Doc>(coll).insertMany(docs);
  });
}

async function seedSynthetic(uri: string, n: Names, seed = 11): Promise<void> {
  for (const c of COPILOT_COLLECTIONS) await seedMongo(uri, n.copilot, c, [...generateDocuments(c, COUNTS[c], { seed, flavor: 'mongodb' })]);
  await seedMongo(uri, n.auth, 'user_roles', [...generateDocuments('user_roles', COUNTS.user_roles, { seed, flavor: 'mongodb' })]);
}

/** Every document with its stored BSON types, in _id order. */
async function readMongo(uri: string, db: string, coll: string): Promise<Doc[]> {
  return withMongo(uri, (c) => c.db(db).collection<Doc>(coll).find({}, { sort: { _id: 1 }, ...RAW }).toArray());
}

/** Canonical Extended JSON: equal strings mean equal values and equal BSON types. */
function canonical(docs: Doc[]): string[] {
  return docs.map((d) => EJSON.stringify(d, { relaxed: false }));
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

async function rejectsOf(dir: string, db: string, coll: string): Promise<{ id?: string; reason: string; line?: number }[]> {
  return lines(await readFile(join(await latestRunRejectsDir(dir), `${db}.${coll}.ndjson`), 'utf8')).map((l) => JSON.parse(l));
}

function totals(stdout: string): { read: number; written: number; skipped: number; rejected: number } {
  return JSON.parse(stdout).totals;
}

/** An export directory the way the original scripts wrote it (a manifest without checksums). */
async function handWrittenExport(dir: string, db: string, coll: string, docs: Doc[]): Promise<void> {
  await mkdir(join(dir, db), { recursive: true });
  await writeFile(join(dir, db, `${coll}.json`), docs.map((d) => `${JSON.stringify(d)}\n`).join(''));
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db]: [coll] }, document_counts: { [`${db}.${coll}`]: docs.length } }),
  );
}

describe('MongoDB export and import with full type fidelity (FerretDB)', function () {
  this.timeout(120_000);
  let source: MongoTestServer;
  let target: MongoTestServer;
  let cosmos: CosmosTestServer;
  let work: string;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    [source, target, cosmos] = await Promise.all([startMongoTestServer(), startMongoTestServer(), startCosmosTestServer()]);
    work = await tempDir('docferry-mongo-');
  });

  after(async () => {
    await Promise.all([source?.stop(), target?.stop(), cosmos?.stop()]);
    await removeTempDirs();
  });

  const mongoExport = (uri: string, layout: string, dir: string, ...extra: string[]) =>
    runCli(['export', '--source-type', 'mongodb', '--mongo-uri', uri, '--layout', layout, '--output-dir', dir, ...extra]);
  const mongoImport = (uri: string, layout: string, dir: string, ...extra: string[]) =>
    runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', uri, '--layout', layout, '--export-dir', dir, '--json', ...extra]);
  const cosmosArgs = (s: CosmosTestServer) => ['--cosmos-endpoint', s.endpoint, '--cosmos-key', s.key];

  it('MongoDB -> canonical export -> MongoDB keeps every value with its BSON type, field by field', async () => {
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n, ['types']));
    await seedMongo(source.uri, n.copilot, 'types', typedDocuments());
    const dir = join(work, `typed-${counter}`);
    const exp = await mongoExport(source.uri, layout, dir, '--collections', 'types');
    expect(exp.code, exp.stderr).to.equal(0);

    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest).to.include({ status: 'complete', source_type: 'mongodb', json_format: 'canonical' });
    expect(manifest.document_counts[`${n.copilot}.types`]).to.equal(typedDocuments().length);
    const text = await readFile(join(dir, n.copilot, 'types.json'), 'utf8');
    expect(text).to.include('{"$numberDouble":"5.0"}').and.include('{"$numberLong":"9007199254740993"}').and.include('{"$date":{"$numberLong":"1714979289123"}}');

    const imp = await mongoImport(target.uri, layout, dir);
    expect(imp.code, imp.stderr).to.equal(0);
    expect(totals(imp.stdout)).to.deep.equal({ read: 9, written: 9, skipped: 0, rejected: 0 });
    const [before, after] = await Promise.all([readMongo(source.uri, n.copilot, 'types'), readMongo(target.uri, n.copilot, 'types')]);
    expect(after).to.have.length(9);
    expect(canonical(after)).to.deep.equal(canonical(before));
    // spot checks on the driver's own classes, not just the text form
    const rich = after.find((d) => (d._id as ObjectId).equals?.(TYPES_ID))!;
    expect(rich.double).to.be.instanceOf(Double);
    expect(rich.int32).to.be.instanceOf(Int32);
    expect(rich.int64).to.be.instanceOf(Long);
    expect(rich.date).to.be.instanceOf(Date);
    expect(rich.ts).to.be.instanceOf(Timestamp);
    expect((rich.uuid as Binary).sub_type).to.equal(Binary.SUBTYPE_UUID);
    expect(Object.keys(rich)).to.deep.equal(Object.keys(typedDocuments()[0]!));
  });

  it('exports several collections at once, each file in _id order, and imports them back exactly', async () => {
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n));
    await seedSynthetic(source.uri, n);
    const dir = join(work, `synthetic-${counter}`);
    const exp = await mongoExport(source.uri, layout, dir, '--parallel-collections', '4', '--json');
    expect(exp.code, exp.stderr).to.equal(0);
    expect(totals(exp.stdout)).to.deep.include({ read: SYNTHETIC_TOTAL, written: SYNTHETIC_TOTAL });
    for (const [db, coll] of [...COPILOT_COLLECTIONS.map((c) => [n.copilot, c]), [n.auth, 'user_roles']] as [string, SyntheticCollection][]) {
      const fileIds = lines(await readFile(join(dir, db, `${coll}.json`), 'utf8')).map((l) => EJSON.stringify((EJSON.parse(l, { relaxed: false }) as Doc)._id));
      const serverIds = (await readMongo(source.uri, db, coll)).map((d) => EJSON.stringify(d._id));
      expect(fileIds, coll).to.deep.equal(serverIds);
      expect(fileIds, coll).to.have.length(COUNTS[coll]);
    }
    const imp = await mongoImport(target.uri, layout, dir);
    expect(imp.code, imp.stderr).to.equal(0);
    for (const c of COPILOT_COLLECTIONS) expect(canonical(await readMongo(target.uri, n.copilot, c)), c).to.deep.equal(canonical(await readMongo(source.uri, n.copilot, c)));
    const roles = await readMongo(target.uri, n.auth, 'user_roles');
    expect(roles).to.have.length(COUNTS.user_roles);
    for (const r of roles) expect(r._id).to.be.instanceOf(ObjectId);
  });

  it('MongoDB -> export -> Cosmos DB follows the documented mapping', async () => {
    const n = freshNames(cosmos.suffix);
    const layout = await writeLayout(work, layoutFor(n, ['types']));
    await seedSynthetic(source.uri, n);
    await seedMongo(source.uri, n.copilot, 'types', typedDocuments());
    const dir = join(work, `to-cosmos-${counter}`);
    expect((await mongoExport(source.uri, layout, dir)).code).to.equal(0);
    const imp = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(cosmos), '--layout', layout, '--export-dir', dir, '--json']);
    expect(imp.code, imp.stderr).to.equal(0);
    expect(totals(imp.stdout)).to.deep.equal({ read: SYNTHETIC_TOTAL + 9, written: SYNTHETIC_TOTAL + 9, skipped: 0, rejected: 0 });

    // Synthetic data: strings and numbers unchanged; _id (and so id) a string, ObjectIds as 24 hex.
    for (const c of COPILOT_COLLECTIONS) {
      const mongoDocs = [...generateDocuments(c, COUNTS[c], { seed: 11, flavor: 'mongodb' })];
      const expected = mongoDocs.map((d) => ({ ...d, id: d._id })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      expect(await readAllCosmos(cosmos, n.copilot, c), c).to.deep.equal(expected);
    }
    const roles = await readAllCosmos(cosmos, n.auth, 'user_roles');
    const originalRoles = [...generateDocuments('user_roles', COUNTS.user_roles, { seed: 11, flavor: 'mongodb' })];
    expect(roles.map((r) => r.id).sort()).to.deep.equal(originalRoles.map((r) => (r._id as ObjectId).toHexString()).sort());
    for (const r of roles) expect(r._id).to.equal(r.id).and.match(/^[0-9a-f]{24}$/);

    // Every BSON type by its rule (docs/type-mapping.md).
    const typed = await readAllCosmos(cosmos, n.copilot, 'types');
    expect(typed.map((d) => [d.id, d.kind ?? 'rich']).sort()).to.deep.equal(
      [
        ['65a1b2c3d4e5f60718293a4b', 'rich'],
        ['string-id', 'string'],
        ['7', 'int32'],
        ['9007199254740993', 'int64'],
        ['2.5', 'double'],
        ['2020-01-01T00:00:00.001Z', 'date'],
        ['{"tenant":"a","n":1}', 'document'],
        ['fbff', 'binary'],
        ['true', 'boolean'],
      ].sort(),
    );
    expect(typed.find((d) => d.kind === 'int64')!._id).to.equal('9007199254740993');
    expect(typed.find((d) => d.kind === 'int32')!._id).to.equal(7);
    expect(typed.find((d) => d.kind === 'binary')!._id).to.equal('+/8=');
    const rich = typed.find((d) => d.id === '65a1b2c3d4e5f60718293a4b')!;
    expect(rich).to.deep.equal({
      _id: '65a1b2c3d4e5f60718293a4b',
      date: '2024-05-06T07:08:09.123Z',
      before1970: '1938-04-24T22:13:20.000Z',
      int32: 42,
      int64: 5,
      int64Big: '9007199254740993',
      int64Min: '-9223372036854775808',
      double: 5,
      fraction: -1.25,
      huge: 1.7976931348623157e308,
      tiny: 5e-324,
      binary: 'AAEC/v8=',
      uuid: Buffer.from('0123456789abcdef0123456789abcdef', 'hex').toString('base64'),
      md5: Buffer.from('d41d8cd98f00b204e9800998ecf8427e', 'hex').toString('base64'),
      userDefined: 'eA==',
      emptyBinary: '',
      yes: true,
      no: false,
      nothing: null,
      ts: { t: 1_700_000_000, i: 7 },
      regex: '/^a.c$/im',
      nested: { a: { b: { c: 1, d: 2 } } },
      array: [1, 'two', 3, true, null, { at: '1970-01-01T00:00:00.000Z' }, 4],
      emptyDoc: {},
      emptyArray: [],
      text: 'héllo ✓ 😀',
      id: '65a1b2c3d4e5f60718293a4b',
    });
  });

  it('Cosmos DB -> export -> MongoDB takes _id from _id or else id, and gives JSON numbers BSON types', async () => {
    const n = freshNames(cosmos.suffix);
    const layout = await writeLayout(work, layoutFor(n));
    for (const c of COPILOT_COLLECTIONS) await seedCosmos(cosmos, n.copilot, c, generateDocuments(c, COUNTS[c], { seed: 5 }));
    await seedCosmos(cosmos, n.auth, 'user_roles', generateDocuments('user_roles', COUNTS.user_roles, { seed: 5 }));
    await seedCosmos(cosmos, n.copilot, 'reports', [{ id: 'numbers', _id: 'numbers', small: 7, big: 2 ** 40, fraction: 0.5, huge: 1e300 }]);
    const dir = join(work, `from-cosmos-${counter}`);
    const exp = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(cosmos), '--layout', layout, '--output-dir', dir]);
    expect(exp.code, exp.stderr).to.equal(0);
    const imp = await mongoImport(target.uri, layout, dir);
    expect(imp.code, imp.stderr).to.equal(0);
    expect(totals(imp.stdout)).to.deep.equal({ read: SYNTHETIC_TOTAL + 1, written: SYNTHETIC_TOTAL + 1, skipped: 0, rejected: 0 });

    for (const c of COPILOT_COLLECTIONS) {
      const cosmosDocs = await readAllCosmos(cosmos, n.copilot, c);
      const mongoDocs = await readMongo(target.uri, n.copilot, c);
      expect(mongoDocs, c).to.have.length(cosmosDocs.length);
      const byId = new Map(mongoDocs.map((d) => [d._id as string, d]));
      for (const item of cosmosDocs) {
        const stored = byId.get(item._id as string)!;
        expect(stored, `${c} ${item.id}`).to.not.equal(undefined);
        expect(Object.keys(stored)[0]).to.equal('_id');
        // Same content once BSON numbers are read back as JS numbers.
        expect(EJSON.deserialize(EJSON.serialize(stored), { relaxed: true })).to.deep.equal(item);
      }
    }
    const numbers = (await readMongo(target.uri, n.copilot, 'reports')).find((d) => d._id === 'numbers')!;
    expect(numbers.small).to.be.instanceOf(Int32);
    expect(numbers.big).to.be.instanceOf(Long);
    expect((numbers.big as Long).toString()).to.equal(String(2 ** 40));
    expect(numbers.fraction).to.be.instanceOf(Double);
    expect(numbers.huge).to.be.instanceOf(Double);
    const sources = await readMongo(target.uri, n.copilot, 'sources');
    expect(sources.every((s) => s.files_processed instanceof Int32)).to.equal(true);

    // user_roles in Cosmos DB have only a uuid id: it becomes _id, and id stays.
    const roles = await readMongo(target.uri, n.auth, 'user_roles');
    expect(roles).to.have.length(COUNTS.user_roles);
    for (const r of roles) {
      expect(r._id).to.equal(r.id);
      expect(r._id).to.match(/^[0-9a-f-]{36}$/);
    }
  });

  it('--restore-objectids turns user_roles _ids back into the ObjectIds the application looks up, after a trip through Cosmos DB', async () => {
    const n = freshNames(cosmos.suffix);
    const layout = await writeLayout(work, layoutFor(n));
    const original = [...generateDocuments('user_roles', COUNTS.user_roles, { seed: 3, flavor: 'mongodb' })];
    await seedMongo(source.uri, n.auth, 'user_roles', original);
    const fromMongo = join(work, `roles-mongo-${counter}`);
    expect((await mongoExport(source.uri, layout, fromMongo, '--collections', 'user_roles')).code).to.equal(0);
    expect((await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(cosmos), '--layout', layout, '--export-dir', fromMongo])).code).to.equal(0);
    const fromCosmos = join(work, `roles-cosmos-${counter}`);
    expect((await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(cosmos), '--layout', layout, '--output-dir', fromCosmos, '--collections', 'user_roles'])).code).to.equal(0);

    // Without the flag: the original scripts' breakage, string _ids the application cannot find.
    const plainTarget = await startMongoTestServer();
    try {
      const without = await mongoImport(plainTarget.uri, layout, fromCosmos);
      expect(without.code, without.stderr).to.equal(0);
      const stored = await readMongo(plainTarget.uri, n.auth, 'user_roles');
      expect(stored.every((d) => typeof d._id === 'string')).to.equal(true);
      const found = await withMongo(plainTarget.uri, (c) => c.db(n.auth).collection<Doc>('user_roles').findOne({ _id: original[0]!._id } as never));
      expect(found).to.equal(null);
    } finally {
      await plainTarget.stop();
    }

    const withFlag = await mongoImport(target.uri, layout, fromCosmos, '--restore-objectids');
    expect(withFlag.code, withFlag.stderr).to.equal(0);
    const restored = await readMongo(target.uri, n.auth, 'user_roles');
    expect(restored).to.have.length(original.length);
    for (const doc of original) {
      const found = await withMongo(target.uri, (c) => c.db(n.auth).collection<Doc>('user_roles').findOne({ _id: doc._id } as never));
      expect(found, (doc._id as ObjectId).toHexString()).to.not.equal(null);
      expect(found!._id).to.be.instanceOf(ObjectId);
      // Everything else as it was, plus the id Cosmos DB needed.
      const { id, ...rest } = found!;
      expect(id).to.equal((doc._id as ObjectId).toHexString());
      expect(rest).to.deep.equal(doc);
    }
  });

  it('a plain export follows the documented mapping and imports into Cosmos DB and back into MongoDB', async () => {
    const n = freshNames(cosmos.suffix);
    const layout = await writeLayout(work, layoutFor(n, ['types']));
    await seedMongo(source.uri, n.copilot, 'types', typedDocuments());
    const roles = [...generateDocuments('user_roles', 4, { seed: 9, flavor: 'mongodb' })];
    await seedMongo(source.uri, n.auth, 'user_roles', roles);
    const dir = join(work, `plain-${counter}`);
    const exp = await mongoExport(source.uri, layout, dir, '--collections', 'types,user_roles', '--json-format', 'plain');
    expect(exp.code, exp.stderr).to.equal(0);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.json_format).to.equal('plain');

    const typedLines = lines(await readFile(join(dir, n.copilot, 'types.json'), 'utf8')).map((l) => JSON.parse(l) as Doc);
    // top-level _id always a string (the original scripts' rule), no id added, other values mapped
    expect(typedLines.map((d) => d._id)).to.deep.equal(['2.5', '7', '9007199254740993', 'string-id', '{"tenant":"a","n":1}', 'fbff', '65a1b2c3d4e5f60718293a4b', 'true', '2020-01-01T00:00:00.001Z']);
    expect(typedLines.every((d) => !('id' in d))).to.equal(true);
    const rich = typedLines.find((d) => d._id === '65a1b2c3d4e5f60718293a4b')!;
    expect(rich).to.include({ date: '2024-05-06T07:08:09.123Z', int64Big: '9007199254740993', double: 5, binary: 'AAEC/v8=', regex: '/^a.c$/im' });
    const roleLines = lines(await readFile(join(dir, n.auth, 'user_roles.json'), 'utf8')).map((l) => JSON.parse(l) as Doc);
    expect(roleLines.map((d) => d._id).sort()).to.deep.equal(roles.map((r) => (r._id as ObjectId).toHexString()).sort());

    const toCosmos = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(cosmos), '--layout', layout, '--export-dir', dir, '--json']);
    expect(toCosmos.code, toCosmos.stderr).to.equal(0);
    const items = await readAllCosmos(cosmos, n.copilot, 'types');
    expect(items.map((d) => d.id).sort()).to.deep.equal(typedLines.map((d) => d._id as string).sort());
    expect(items.find((d) => d.id === '65a1b2c3d4e5f60718293a4b')).to.deep.equal({ ...rich, id: '65a1b2c3d4e5f60718293a4b' });

    const back = await startMongoTestServer();
    try {
      const warned = await mongoImport(back.uri, layout, dir, '--collections', 'types');
      expect(warned.code, warned.stderr).to.equal(0);
      expect(warned.stderr).to.include('Pass --restore-objectids');
      const restored = await mongoImport(back.uri, layout, dir, '--collections', 'user_roles', '--restore-objectids');
      expect(restored.code, restored.stderr).to.equal(0);
      const stored = await readMongo(back.uri, n.auth, 'user_roles');
      expect(stored.map((d) => (d._id as ObjectId).toHexString()).sort()).to.deep.equal(roles.map((r) => (r._id as ObjectId).toHexString()).sort());
      const typedBack = await readMongo(back.uri, n.copilot, 'types');
      const richBack = typedBack.find((d) => d._id === '65a1b2c3d4e5f60718293a4b')!;
      // plain is lossy as documented: dates stay ISO strings, whole doubles become Int32
      expect(richBack.date).to.equal('2024-05-06T07:08:09.123Z');
      expect(richBack.double).to.be.instanceOf(Int32);
      expect(richBack.fraction).to.be.instanceOf(Double);
      expect(richBack.int64Big).to.equal('9007199254740993');
    } finally {
      await back.stop();
    }
  });

  it('merge keeps existing documents and counts them as skipped; upsert overwrites them', async () => {
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n));
    await seedMongo(source.uri, n.copilot, 'sources', [...generateDocuments('sources', 5, { seed: 2, flavor: 'mongodb' })]);
    await seedMongo(source.uri, n.copilot, 'archives', [...generateDocuments('archives', 12, { seed: 2, flavor: 'mongodb' })]);
    const dir = join(work, `modes-${counter}`);
    expect((await mongoExport(source.uri, layout, dir, '--collections', 'sources,archives')).code).to.equal(0);

    const first = await mongoImport(target.uri, layout, dir, '--mode', 'merge');
    expect(totals(first.stdout)).to.deep.equal({ read: 17, written: 17, skipped: 0, rejected: 0 });
    await withMongo(target.uri, (c) => c.db(n.copilot).collection<Doc>('sources').updateOne({ _id: 'ietf-quic' } as never, { $set: { status: 'edited-in-target' } }));
    // a document only the target has is left alone by both modes
    await seedMongo(target.uri, n.copilot, 'sources', [{ _id: 'target-only', name: 'x' }]);

    const merge = await mongoImport(target.uri, layout, dir, '--mode', 'merge', '--batch-size', '4', '--concurrency', '3');
    expect(merge.code, merge.stderr).to.equal(0);
    expect(totals(merge.stdout)).to.deep.equal({ read: 17, written: 0, skipped: 17, rejected: 0 });
    const edited = async () => (await readMongo(target.uri, n.copilot, 'sources')).find((d) => d._id === 'ietf-quic')!.status;
    expect(await edited()).to.equal('edited-in-target');

    const upsert = await mongoImport(target.uri, layout, dir, '--batch-size', '4', '--concurrency', '3');
    expect(upsert.code, upsert.stderr).to.equal(0);
    expect(totals(upsert.stdout)).to.deep.equal({ read: 17, written: 17, skipped: 0, rejected: 0 });
    expect(await edited()).to.not.equal('edited-in-target');
    expect(canonical(await readMongo(target.uri, n.copilot, 'archives'))).to.deep.equal(canonical(await readMongo(source.uri, n.copilot, 'archives')));
    expect(await readMongo(target.uri, n.copilot, 'sources')).to.have.length(6);
  });

  it('upsert over 150 existing documents in one batch completes (FerretDB hangs on large update commands)', async function () {
    this.timeout(60_000);
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n));
    const fresh = Array.from({ length: 150 }, (_, i) => ({ _id: `doc-${String(i).padStart(3, '0')}`, v: new Int32(i), text: 'new' }));
    await seedMongo(source.uri, n.copilot, 'messages', fresh);
    await seedMongo(target.uri, n.copilot, 'messages', fresh.map((d) => ({ ...d, text: 'old' })));
    const dir = join(work, `big-upsert-${counter}`);
    expect((await mongoExport(source.uri, layout, dir, '--collections', 'messages')).code).to.equal(0);
    const r = await mongoImport(target.uri, layout, dir, '--concurrency', '4');
    expect(r.code, r.stderr).to.equal(0);
    expect(totals(r.stdout)).to.deep.equal({ read: 150, written: 150, skipped: 0, rejected: 0 });
    expect(canonical(await readMongo(target.uri, n.copilot, 'messages'))).to.deep.equal(canonical(fresh));
  });

  for (const mode of ['upsert', 'merge'] as const) {
    it(`${mode}: a document the server refuses goes to the rejects file with its id and the server's reason; the rest are written`, async () => {
      const n = freshNames();
      const layout = await writeLayout(work, layoutFor(n));
      const docs: Doc[] = [
        { id: 'ok-1', name: 'fine' },
        { id: 'ok-2', name: 'fine' },
        { id: 'dotted', 'a.b': 1 },
        { id: 'ok-3', name: 'fine' },
        { id: 'nested-dollar', x: { $bad: 1 } },
        { id: 'nested-array', a: [[1, 2]] },
      ];
      if (mode === 'upsert') {
        // The ok documents exist already: after the first batch the sink replaces straight away,
        // and FerretDB stops an unordered update at the first refused document.
        await seedMongo(target.uri, n.copilot, 'sources', ['ok-1', 'ok-2', 'ok-3'].map((id) => ({ _id: id, name: 'old' })));
      }
      const dir = join(work, `refused-${mode}-${counter}`);
      await handWrittenExport(dir, n.copilot, 'sources', docs);
      const rejectsDir = join(dir, 'rejected');
      const r = await mongoImport(target.uri, layout, dir, '--mode', mode, '--rejects-dir', rejectsDir, '--batch-size', '2', '--concurrency', '1');
      const storedDocs = await readMongo(target.uri, n.copilot, 'sources');
      const stored = storedDocs.map((d) => d._id);
      const rejects = existsSync(rejectsDir) ? await rejectsOf(rejectsDir, n.copilot, 'sources') : [];
      // Nothing silently lost, whatever the server accepts.
      expect([...stored, ...rejects.map((e) => e.id)].sort()).to.deep.equal(docs.map((d) => d.id).sort());
      for (const e of rejects) expect(e.reason).to.match(/^MongoDB refused the document \(code \d+\): ./);
      expect(storedDocs.filter((d) => String(d._id).startsWith('ok-')).map((d) => d.name)).to.deep.equal(['fine', 'fine', 'fine']);
      if (target.external) return;
      expect(r.code).to.equal(3);
      expect(totals(r.stdout)).to.deep.equal({ read: 6, written: 3, skipped: 0, rejected: 3 });
      expect(stored).to.deep.equal(['ok-1', 'ok-2', 'ok-3']);
      const byId = Object.fromEntries(rejects.map((e) => [e.id, e]));
      expect(byId.dotted!.reason).to.include("key must not contain '.' sign");
      expect(byId['nested-dollar']!.reason).to.include("key must not start with '$' sign");
      expect(byId['nested-array']!.reason).to.include('nested arrays are not supported');
      expect(byId.dotted!.line).to.equal(3);
      expect(r.stderr).to.match(/rejected .*line 3, id dotted\): MongoDB refused the document/);
    });
  }

  it('never prints or stores the password of a MongoDB URI', async () => {
    const password = 'Sup3r-Secret-Pw';
    let uriWithPassword: string;
    if (source.external) {
      // A real server: only its own URI's credentials can be used (or none at all).
      uriWithPassword = source.uri;
    } else {
      // FerretDB without authentication accepts PLAIN credentials and ignores them.
      const url = new URL(source.uri);
      uriWithPassword = `mongodb://docferry:${encodeURIComponent(password)}@${url.host}/?authMechanism=PLAIN`;
    }
    const secret = source.external ? (new URL(uriWithPassword).password || 'no-password-in-uri') : password;
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n));
    await seedMongo(source.uri, n.copilot, 'sources', [...generateDocuments('sources', 3, { seed: 4, flavor: 'mongodb' })]);
    const dir = join(work, `secret-${counter}`);
    const exp = await spawnCli(['export', '--source-type', 'mongodb', '--layout', layout, '--output-dir', dir, '--collections', 'sources', '--json'], { SRC_MONGO_URI: uriWithPassword });
    expect(exp.code, exp.stderr).to.equal(0);
    const manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
    expect(JSON.parse(manifestText).source_endpoint).to.not.include(secret);
    if (!source.external) expect(JSON.parse(manifestText).source_endpoint).to.equal(`mongodb://<redacted>@${new URL(source.uri).host}/?authMechanism=PLAIN`);
    expect(JSON.parse(exp.stdout).source).to.include('<redacted>');

    // An import with a rejected document: summary, progress and the rejects file.
    const refusing = join(work, `secret-rejects-${counter}`);
    await handWrittenExport(refusing, n.copilot, 'sources', [{ id: 'dotted', 'a.b': 1 }, { id: 'fine' }]);
    const imp = await spawnCli(['import', '--dest-type', 'mongodb', '--mongo-uri', uriWithPassword, '--layout', layout, '--export-dir', refusing, '--json']);
    expect([0, 3]).to.include(imp.code);
    const rejectFiles = existsSync(join(refusing, '_rejects')) ? (await readdir(join(refusing, '_rejects'), { recursive: true })).filter((f) => f.endsWith('.ndjson')) : [];
    const rejectsText = (await Promise.all(rejectFiles.map((f) => readFile(join(refusing, '_rejects', f), 'utf8')))).join('');
    // A server that cannot be reached: the error names the server, not the password.
    const unreachable = await spawnCli(['import', '--dest-type', 'mongodb', '--layout', layout, '--export-dir', refusing], {
      DST_MONGO_URI: `mongodb://docferry:${encodeURIComponent(password)}@127.0.0.1:9/?serverSelectionTimeoutMS=300&authMechanism=PLAIN`,
    });
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.include('Cannot reach MongoDB at mongodb://<redacted>@127.0.0.1:9/');

    for (const [what, text] of [
      ['export stdout', exp.stdout],
      ['export stderr', exp.stderr],
      ['manifest', manifestText],
      ['import stdout', imp.stdout],
      ['import stderr', imp.stderr],
      ['rejects', rejectsText],
      ['error', unreachable.stderr],
    ]) {
      expect(text, what).to.not.include(secret);
      expect(text, what).to.not.include(password);
      expect(text, what).to.not.include(encodeURIComponent(password));
    }
  });

  it('hides every credential a MongoDB URI can carry wherever the URI is described', async () => {
    const cases: [string, string, string][] = [
      ['mongodb://user:p%40ss-word-1@db.example.net:27017/?authSource=admin', 'mongodb://<redacted>@db.example.net:27017/?authSource=admin', 'p@ss-word-1'],
      ['mongodb+srv://u:pw-abcdef@cluster0.example.net/db?retryWrites=true', 'mongodb+srv://<redacted>@cluster0.example.net/db?retryWrites=true', 'pw-abcdef'],
      ['mongodb://db.example.net/?tls=true&tlsCertificateKeyFile=/tmp/x.pem&tlsCertificateKeyFilePassword=keyPass-123', 'mongodb://db.example.net/?tls=true&tlsCertificateKeyFile=/tmp/x.pem&tlsCertificateKeyFilePassword=<redacted>', 'keyPass-123'],
    ];
    for (const [uri, described, secret] of cases) {
      const store = new MongoSource(uri);
      expect(store.describe()).to.equal(described);
      await store.close();
      expect(redact(`failed on ${secret}`)).to.equal('failed on <redacted>');
    }
    const bad = await runCli(['export', '--source-type', 'mongodb', '--output-dir', join(work, `bad-uri-${counter}`)], {
      SRC_MONGO_URI: 'mongodb://AKIA1:awsSecret-9@db.example.net/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:sessionTok-77',
    });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('The MongoDB URI "mongodb://<redacted>@db.example.net/');
    expect(bad.stderr).to.not.include('awsSecret-9').and.not.include('sessionTok-77');
  });

  it('--encode-threads 1 (the worker thread) and 0 (the main thread) write the same files, byte for byte, canonical, relaxed and gzip', async () => {
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n, ['types']));
    // More than a chunk (256 documents), so that the worker is used, with every BSON type FerretDB keeps among them.
    await seedMongo(source.uri, n.copilot, 'types', [...typedDocuments(), ...generateDocuments('messages', 700, { seed: 12, flavor: 'mongodb' })]);
    for (const extra of [[], ['--json-format', 'relaxed'], ['--gzip']]) {
      const files: Buffer[] = [];
      for (const threads of ['0', '1']) {
        const dir = join(work, `threads-${threads}-${counter}-${extra.join('')}`);
        const started = encodeWorkerCounts().started;
        const exp = await mongoExport(source.uri, layout, dir, '--collections', 'types', '--encode-threads', threads, ...extra);
        expect(exp.code, exp.stderr).to.equal(0);
        expect(encodeWorkerCounts(), `--encode-threads ${threads}`).to.deep.equal({ running: 0, started: started + (threads === '1' ? 1 : 0) });
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        expect(manifest.status).to.equal('complete');
        expect(manifest.document_counts[`${n.copilot}.types`]).to.equal(709);
        files.push(await readFile(join(dir, manifest.files[0]!.path)));
      }
      expect(files[1]!.equals(files[0]!), extra.join(' ') || 'canonical').to.equal(true);
    }
    const refused = await mongoExport(source.uri, layout, join(work, `threads-2-${counter}`), '--encode-threads', '2');
    expect(refused.code).to.equal(2);
  });

  it('an export cancelled mid-collection with the worker resumes with it and ends byte for byte the export without it', async () => {
    const n = freshNames();
    const layoutFile = await writeLayout(work, layoutFor(n));
    // Enough documents that the export outlasts the first progress event (250 ms) on an idle machine:
    // with 1,500 it could finish before it, and the abort came after the end.
    const total = 8000;
    await seedMongo(source.uri, n.copilot, 'messages', [...generateDocuments('messages', total, { seed: 13, flavor: 'mongodb' })]);
    const base = { sourceType: 'mongodb', mongoUri: source.uri, layoutFile, collections: ['messages'], batchSize: 100 } as const;
    const whole = join(work, `threads-whole-${counter}`);
    await exportData({ ...base, outputDir: whole, encodeThreads: '0' });
    const dir = join(work, `threads-resumed-${counter}`);
    const controller = new AbortController();
    let written = 0;
    const cancelled = await exportData({
      ...base,
      outputDir: dir,
      encodeThreads: '1',
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.written >= 300 && written === 0) {
          written = e.written;
          controller.abort();
        }
      },
    }).then(() => undefined, (err: unknown) => err);
    expect(cancelled).to.be.instanceOf(AbortError);
    expect(written).to.be.at.least(300);
    expect(encodeWorkerCounts().running, 'ended by the abort').to.equal(0);
    expect(existsSync(join(dir, n.copilot, 'messages.json'))).to.equal(false);
    const started = encodeWorkerCounts().started;
    const resumed = await exportData({ ...base, outputDir: dir, encodeThreads: '1', resume: true });
    expect(resumed.collections[0]!.resumed).to.be.at.least(300).and.below(total);
    expect(encodeWorkerCounts()).to.deep.equal({ running: 0, started: started + 1 });
    const [a, b] = await Promise.all([readFile(join(whole, n.copilot, 'messages.json')), readFile(join(dir, n.copilot, 'messages.json'))]);
    expect(b.equals(a)).to.equal(true);
  });

  it('refuses --json-format json for a MongoDB source, and reads SRC_MONGO_URI / DST_MONGO_URI', async () => {
    const n = freshNames();
    const layout = await writeLayout(work, layoutFor(n));
    const refused = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', source.uri, '--layout', layout, '--output-dir', join(work, `json-${counter}`), '--json-format', 'json']);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('--json-format json is the format of Cosmos DB exports');

    await seedMongo(source.uri, n.copilot, 'reports', [...generateDocuments('reports', 4, { seed: 8, flavor: 'mongodb' })]);
    const dir = join(work, `env-${counter}`);
    const exp = await runCli(['export', '--source-type', 'mongodb', '--layout', layout, '--output-dir', dir, '--collections', 'reports'], { SRC_MONGO_URI: source.uri, DST_MONGO_URI: 'mongodb://127.0.0.1:9/' });
    expect(exp.code, exp.stderr).to.equal(0);
    const imp = await runCli(['import', '--dest-type', 'mongodb', '--layout', layout, '--export-dir', dir, '--json'], { DST_MONGO_URI: target.uri, SRC_MONGO_URI: 'mongodb://127.0.0.1:9/' });
    expect(imp.code, imp.stderr).to.equal(0);
    expect(await readMongo(target.uri, n.copilot, 'reports')).to.have.length(4);
  });
});
