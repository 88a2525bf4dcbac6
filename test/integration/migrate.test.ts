import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Binary, Double, Int32, Long, ObjectId } from 'mongodb';
import { EJSON } from '../../src/core/bson.js';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import { toCosmosDocument } from '../../src/core/type-mapping.js';
import { COPILOT_COLLECTIONS, generateDocuments, type SyntheticCollection } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS: Record<SyntheticCollection, number> = { sources: 5, archives: 10, messages: 12, threads: 12, chunks: 15, summaries: 6, reports: 4, user_roles: 5 };
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);
const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;
const ALL: [keyof Names, SyntheticCollection][] = [...COPILOT_COLLECTIONS.map((c) => ['copilot', c] as [keyof Names, SyntheticCollection]), ['auth', 'user_roles']];

interface Names {
  copilot: string;
  auth: string;
}

let counter = 0;
let runs = 0;

function freshNames(suffix: string): Names {
  counter++;
  return { copilot: `copilot_g${counter}${suffix}`, auth: `auth_g${counter}${suffix}` };
}

async function writeLayout(dir: string, n: Names): Promise<string> {
  const pk = { paths: ['/id'], kind: 'Hash' as const };
  const layout: Layout = {
    databases: [
      { name: n.copilot, containers: COPILOT_COLLECTIONS.map((name) => ({ name, partitionKey: pk })) },
      { name: n.auth, containers: [{ name: 'user_roles', partitionKey: pk }] },
    ],
  };
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
  await withMongo(uri, (c) => c.db(db).collection<Doc>(coll).insertMany(docs));
}

async function readMongo(uri: string, db: string, coll: string): Promise<Doc[]> {
  return withMongo(uri, (c) => c.db(db).collection<Doc>(coll).find({}, { sort: { _id: 1 }, ...RAW }).toArray());
}

const canonical = (docs: Doc[]) => docs.map((d) => EJSON.stringify(d, { relaxed: false }));
/** BSON numbers back as JS numbers: how a MongoDB document compares with a Cosmos DB item. */
const asJson = (d: Doc) => EJSON.deserialize(EJSON.serialize(d), { relaxed: true }) as Doc;

function synthetic(collection: SyntheticCollection, flavor: 'cosmos' | 'mongodb', seed = 21): Doc[] {
  return [...generateDocuments(collection, COUNTS[collection], { seed, flavor })];
}

async function seedCosmosSynthetic(server: CosmosTestServer, n: Names): Promise<void> {
  for (const [db, c] of ALL) await seedCosmos(server, n[db], c, synthetic(c, 'cosmos'));
}

async function seedMongoSynthetic(uri: string, n: Names): Promise<void> {
  for (const [db, c] of ALL) await seedMongo(uri, n[db], c, synthetic(c, 'mongodb'));
}

function summaryOf(stdout: string): { operation: string; source: string; target: string; totals: Record<string, number>; rejectsDir?: string } {
  return JSON.parse(stdout);
}

async function rejectsOf(dir: string, db: string, coll: string): Promise<{ id?: string; reason: string }[]> {
  return (await readFile(join(await latestRunRejectsDir(dir), `${db}.${coll}.ndjson`), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('docferry migrate: database to database, all four directions', function () {
  this.timeout(180_000);
  let cosmosA: CosmosTestServer;
  let cosmosB: CosmosTestServer;
  let mongoX: MongoTestServer;
  let mongoY: MongoTestServer;
  let work: string;

  before(async function () {
    this.timeout(600_000);
    [cosmosA, cosmosB, mongoX, mongoY] = await Promise.all([startCosmosTestServer(), startCosmosTestServer(), startMongoTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-migrate-');
  });

  after(async () => {
    await Promise.all([cosmosA?.stop(), cosmosB?.stop(), mongoX?.stop(), mongoY?.stop()]);
    await removeTempDirs();
  });

  // Checkpoints go to the temporary directory, not the working directory the tests run in.
  const migrate = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['migrate', ...args, '--checkpoint', join(work, `checkpoint-${++runs}`)], env);
  const from = (s: CosmosTestServer) => ['--from-cosmos-endpoint', s.endpoint, '--from-cosmos-key', s.key];
  const to = (s: CosmosTestServer) => ['--to-cosmos-endpoint', s.endpoint, '--to-cosmos-key', s.key];

  it('cosmos -> cosmos copies every item unchanged', async () => {
    const n = freshNames(cosmosA.suffix);
    const layout = await writeLayout(work, n);
    await seedCosmosSynthetic(cosmosA, n);
    const r = await migrate(['--from', 'cosmos', '--to', 'cosmos', ...from(cosmosA), ...to(cosmosB), '--layout', layout, '--json', '--rejects-dir', join(work, 'r1')]);
    if (cosmosA.external) {
      // One real account for both sides: the same containers, which migrate refuses.
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('are the same Cosmos DB account');
      return;
    }
    expect(r.code, r.stderr).to.equal(0);
    const summary = summaryOf(r.stdout);
    expect(summary.operation).to.equal('migrate');
    expect(summary.totals).to.deep.equal({ read: TOTAL, written: TOTAL, skipped: 0, rejected: 0 });
    for (const [db, c] of ALL) expect(await readAllCosmos(cosmosB, n[db], c), c).to.deep.equal(await readAllCosmos(cosmosA, n[db], c));
    expect(existsSync(join(work, 'r1'))).to.equal(false);
  });

  it('cosmos -> mongodb (SRC_COSMOS_* and DST_MONGO_URI) maps ids and numbers, restores ObjectIds, rejects what the server refuses', async () => {
    const n = freshNames(cosmosA.suffix);
    const layout = await writeLayout(work, n);
    for (const c of COPILOT_COLLECTIONS) await seedCosmos(cosmosA, n.copilot, c, synthetic(c, 'cosmos'));
    // user_roles that once came from MongoDB: ObjectIds as 24-hex _id and id.
    const originalRoles = synthetic('user_roles', 'mongodb');
    await seedCosmos(cosmosA, n.auth, 'user_roles', originalRoles.map(toCosmosDocument));
    await seedCosmos(cosmosA, n.copilot, 'reports', [
      { id: 'dotted', 'a.b': 1 },
      { id: 'numbers', whole: 3, big: 2 ** 40, fraction: 0.25 },
    ]);
    const rejectsDir = join(work, 'r2');
    const r = await migrate(['--from', 'cosmos', '--to', 'mongodb', '--layout', layout, '--restore-objectids', '--rejects-dir', rejectsDir, '--json'], {
      SRC_COSMOS_ENDPOINT: cosmosA.endpoint,
      SRC_COSMOS_KEY: cosmosA.key,
      DST_MONGO_URI: mongoY.uri,
    });
    const summary = summaryOf(r.stdout);
    const rejected = mongoY.external ? 0 : 1;
    expect(r.code, r.stderr).to.equal(rejected ? 3 : 0);
    expect(summary.totals).to.deep.equal({ read: TOTAL + 2, written: TOTAL + 2 - rejected, skipped: 0, rejected });

    for (const c of COPILOT_COLLECTIONS) {
      const items = await readAllCosmos(cosmosA, n.copilot, c);
      const stored = new Map((await readMongo(mongoY.uri, n.copilot, c)).map((d) => [String(d._id), d]));
      for (const item of items) {
        if (item.id === 'dotted' && rejected) continue;
        const doc = stored.get(String(item._id ?? item.id));
        expect(doc, `${c} ${item.id}`).to.not.equal(undefined);
        expect(asJson(doc!)).to.deep.equal(item._id === undefined ? { _id: item.id, ...item } : item);
      }
    }
    const numbers = (await readMongo(mongoY.uri, n.copilot, 'reports')).find((d) => d._id === 'numbers')!;
    expect(numbers.whole).to.be.instanceOf(Int32);
    expect(numbers.big).to.be.instanceOf(Long);
    expect(numbers.fraction).to.be.instanceOf(Double);
    if (rejected) {
      const [entry] = await rejectsOf(rejectsDir, n.copilot, 'reports');
      expect(entry).to.include({ id: 'dotted' });
      expect(entry!.reason).to.include("key must not contain '.' sign");
    }

    const roles = await readMongo(mongoY.uri, n.auth, 'user_roles');
    expect(roles.map((d) => (d._id as ObjectId).toHexString()).sort()).to.deep.equal(originalRoles.map((d) => (d._id as ObjectId).toHexString()).sort());
    for (const role of roles) expect(role._id).to.be.instanceOf(ObjectId);
  });

  it('mongodb -> cosmos maps BSON types by the documented rules and rejects what Cosmos DB cannot hold, with its position', async () => {
    const n = freshNames(cosmosB.suffix);
    const layout = await writeLayout(work, n);
    await seedMongoSynthetic(mongoX.uri, n);
    await seedMongo(mongoX.uri, n.copilot, 'reports', [
      { _id: 'typed', at: new Date('2024-02-03T04:05:06.789Z'), big: Long.fromString('9223372036854775807'), bin: new Binary(Buffer.from('hi')), ratio: new Double(0.5) },
      // (FerretDB cannot store NaN, the other unmappable value: the unit tests cover its path)
      { _id: 'numeric-id-field', id: new Int32(42) },
      { _id: 'has/slash', ok: true },
      { _id: 'too-big', blob: 'x'.repeat(2 * 1024 * 1024) },
    ]);
    const rejectsDir = join(work, 'r3');
    const r = await migrate(['--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongoX.uri, ...to(cosmosB), '--layout', layout, '--rejects-dir', rejectsDir, '--json']);
    expect(r.code, r.stderr).to.equal(3);
    const summary = summaryOf(r.stdout);
    expect(summary.totals).to.deep.equal({ read: TOTAL + 4, written: TOTAL + 1, skipped: 0, rejected: 3 });
    expect(summary.rejectsDir).to.equal(await latestRunRejectsDir(rejectsDir));
    expect(summary.source).to.equal(mongoX.uri);

    for (const c of COPILOT_COLLECTIONS) {
      const expected = synthetic(c, 'mongodb').map((d) => ({ ...d, id: d._id })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const items = (await readAllCosmos(cosmosB, n.copilot, c)).filter((d) => d.id !== 'typed');
      expect(items, c).to.deep.equal(expected);
    }
    const roles = await readAllCosmos(cosmosB, n.auth, 'user_roles');
    expect(roles.map((d) => d.id).sort()).to.deep.equal(synthetic('user_roles', 'mongodb').map((d) => (d._id as ObjectId).toHexString()).sort());
    const typed = (await readAllCosmos(cosmosB, n.copilot, 'reports')).find((d) => d.id === 'typed');
    expect(typed).to.deep.equal({ _id: 'typed', at: '2024-02-03T04:05:06.789Z', big: '9223372036854775807', bin: 'aGk=', ratio: 0.5, id: 'typed' });

    const rejects = await rejectsOf(rejectsDir, n.copilot, 'reports');
    expect(rejects.map((e) => [e.id, e.reason])).to.deep.equal([
      ['has/slash', 'id contains "/", which Cosmos DB does not allow in ids (/ \\ ? #)'],
      // the id Cosmos DB would have stored; the whole document, _id included, is in the entry
      ['42', 'id must be a string, found number'],
      ['too-big', `document is ${2 * 1024 * 1024 + 42} bytes; Cosmos DB items are limited to 2 MB (2097152 bytes)`],
    ]);
  });

  it('mongodb -> mongodb keeps every BSON type; merge skips what is there, upsert overwrites it', async () => {
    const n = freshNames('');
    const layout = await writeLayout(work, n);
    await seedMongoSynthetic(mongoX.uri, n);
    await seedMongo(mongoX.uri, n.copilot, 'threads', [
      { _id: new ObjectId(), when: new Date(1_700_000_000_123), whole: new Double(7), count: new Int32(7), big: Long.fromString('9007199254740993'), raw: new Binary(Buffer.from([1, 2, 3]), 0x80) },
    ]);
    const args = ['--from', 'mongodb', '--to', 'mongodb', '--from-mongo-uri', mongoX.uri, '--to-mongo-uri', mongoY.uri, '--layout', layout, '--json', '--batch-size', '7', '--concurrency', '3'];
    const first = await migrate(args);
    if (mongoX.external) {
      expect(first.code).to.equal(2);
      expect(first.stderr).to.include('are the same MongoDB server');
      return;
    }
    expect(first.code, first.stderr).to.equal(0);
    expect(summaryOf(first.stdout).totals).to.deep.equal({ read: TOTAL + 1, written: TOTAL + 1, skipped: 0, rejected: 0 });
    for (const [db, c] of ALL) expect(canonical(await readMongo(mongoY.uri, n[db], c)), c).to.deep.equal(canonical(await readMongo(mongoX.uri, n[db], c)));

    await withMongo(mongoY.uri, (c) => c.db(n.copilot).collection<Doc>('sources').updateOne({ _id: 'ietf-tls' } as never, { $set: { status: 'edited-in-target' } }));
    const merge = await migrate([...args, '--mode', 'merge']);
    expect(merge.code, merge.stderr).to.equal(0);
    expect(summaryOf(merge.stdout).totals).to.deep.equal({ read: TOTAL + 1, written: 0, skipped: TOTAL + 1, rejected: 0 });
    const status = async () => (await readMongo(mongoY.uri, n.copilot, 'sources')).find((d) => d._id === 'ietf-tls')!.status;
    expect(await status()).to.equal('edited-in-target');

    const upsert = await migrate([...args, '--mode', 'upsert']);
    expect(summaryOf(upsert.stdout).totals).to.deep.equal({ read: TOTAL + 1, written: TOTAL + 1, skipped: 0, rejected: 0 });
    expect(await status()).to.not.equal('edited-in-target');
    expect(canonical(await readMongo(mongoY.uri, n.copilot, 'sources'))).to.deep.equal(canonical(await readMongo(mongoX.uri, n.copilot, 'sources')));
  });

  it('refuses a migrate onto the same database, and bad flags, before touching anything', async () => {
    const n = freshNames('');
    const layout = await writeLayout(work, n);
    const same = await migrate(['--from', 'mongodb', '--to', 'mongodb', '--layout', layout], { SRC_MONGO_URI: mongoX.uri, DST_MONGO_URI: mongoX.uri });
    expect(same.code).to.equal(2);
    expect(same.stderr).to.include('The source and the target are the same MongoDB server');
    const badType = await migrate(['--from', 'couch', '--to', 'mongodb', '--layout', layout]);
    expect(badType.code).to.equal(2);
    expect(badType.stderr).to.include('--from must be cosmos or mongodb, not "couch"');
    const restoreToCosmos = await migrate(['--from', 'mongodb', '--to', 'cosmos', '--restore-objectids', '--layout', layout]);
    expect(restoreToCosmos.code).to.equal(2);
    expect(restoreToCosmos.stderr).to.include('--restore-objectids applies to a MongoDB target');
    const noKey = await migrate(['--from', 'mongodb', '--to', 'cosmos', '--to-cosmos-endpoint', 'https://example.documents.azure.com:443/', '--layout', layout], { SRC_MONGO_URI: mongoX.uri });
    expect(noKey.code).to.equal(2);
    expect(noKey.stderr).to.include('--to-cosmos-key');
    expect(await withMongo(mongoX.uri, async (c) => (await c.db(n.copilot).listCollections().toArray()).length)).to.equal(0);
  });
});
