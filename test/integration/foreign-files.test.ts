import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Long, MongoClient, ObjectId } from 'mongodb';
import { EJSON } from '../../src/core/bson.js';
import { encodeDocument } from '../../src/core/codec.js';
import type { Doc } from '../../src/core/documents.js';
import { detectJsonFormat } from '../../src/core/json-format-detect.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** Documents as a MongoDB collection holds them: ObjectId ids, dates, a long. */
function sourceDocs(n: number): Doc[] {
  return Array.from({ length: n }, (_, i) => ({
    _id: new ObjectId(),
    name: `user ${i}`,
    age: 20 + i,
    joined: new Date(Date.UTC(2024, 0, 1 + i)),
    big: Long.fromString('9007199254740993'),
  }));
}

/** mongoexport 100.x: one document a line, relaxed Extended JSON by default, canonical with --jsonFormat=canonical. */
const mongoexportLines = (docs: Doc[], relaxed: boolean) => docs.map((d) => EJSON.stringify(d, { relaxed })).join('\n') + '\n';

async function withMongo<T>(uri: string, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

describe('import --files: mongoexport and other tools\' files without a docferry manifest', function () {
  this.timeout(180_000);
  let cosmos: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let n = 0;

  before(async function () {
    this.timeout(600_000);
    [cosmos, mongo] = await Promise.all([startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-foreign-');
  });
  after(async () => {
    await Promise.all([cosmos?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const mongoImport = (dir: string, ...args: string[]) => runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', dir, '--checkpoint', join(work, `cp-${++n}`), ...args]);

  it('detects canonical and relaxed Extended JSON from the first lines, and refuses to guess for a file without wrappers', () => {
    const docs = sourceDocs(3);
    expect(detectJsonFormat(mongoexportLines(docs, false).split('\n')).format).to.equal('canonical');
    expect(detectJsonFormat(mongoexportLines(docs, true).split('\n')).format).to.equal('relaxed');
    const plain = detectJsonFormat(['{"id":"a","n":1}', '{"id":"b","n":2}']);
    expect(plain.format).to.equal(undefined);
    expect(plain.why).to.match(/no Extended JSON wrapper/);
  });

  it('imports a canonical and a relaxed mongoexport file into FerretDB with every BSON type kept, and says nothing was checked against a manifest', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const canonical = sourceDocs(5);
    const relaxed = sourceDocs(4);
    await writeFile(join(dir, 'users.json'), mongoexportLines(canonical, false));
    await writeFile(join(dir, 'orders.json'), mongoexportLines(relaxed, true));
    const db = `foreign_m${n}`;
    const r = await mongoImport(dir, '--files', 'users.json', '--to', `${db}.users`, '--files', 'order?.json', '--to', `${db}.orders`, '--json');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/without a docferry manifest: nothing could be checked against one/);
    const summary = JSON.parse(r.stdout) as { warnings?: string[]; collections: { collection: string; documents?: number; written?: number }[] };
    expect(summary.warnings?.some((w) => /no sha256, no document counts/.test(w))).to.equal(true);
    await withMongo(mongo.uri, async (c) => {
      const users = await c.db(db).collection<Doc>('users').find({}, { sort: { _id: 1 } }).toArray();
      expect(EJSON.stringify(users, { relaxed: false })).to.equal(EJSON.stringify([...canonical].sort((a, b) => String(a._id).localeCompare(String(b._id))), { relaxed: false }));
      const orders = await c.db(db).collection<Doc>('orders').find({}).toArray();
      expect(orders).to.have.length(4);
      expect(orders[0]!._id).to.be.instanceOf(ObjectId);
      expect(orders[0]!.joined).to.be.instanceOf(Date);
    });
  });

  it('imports a relaxed mongoexport file into Cosmos DB (cosmosdb-server) under the default partition key', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const docs = sourceDocs(6);
    await writeFile(join(dir, 'users.json'), mongoexportLines(docs, true));
    const db = `foreign_c${n}${cosmos.suffix}`;
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', cosmos.endpoint, '--cosmos-key', cosmos.key, '--export-dir', dir, '--checkpoint', join(work, `cp-${++n}`), '--files', 'users.json', '--to', `${db}.users`]);
    expect(r.code, r.stderr).to.equal(0);
    const stored = await readAllCosmos(cosmos, db, 'users');
    expect(stored.map((d) => d.name).sort()).to.deep.equal(docs.map((d) => d.name).sort());
  });

  it('a file without Extended JSON wrappers needs --json-format; with it, plain JSON imports', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    await writeFile(join(dir, 'items.ndjson'), '{"_id":"a","n":1}\n{"_id":"b","n":2}\n');
    const db = `foreign_p${n}`;
    const refused = await mongoImport(dir, '--files', 'items.ndjson', '--to', `${db}.items`);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/Cannot tell the JSON format of items\.ndjson.*--json-format/s);
    const ok = await mongoImport(dir, '--files', 'items.ndjson', '--to', `${db}.items`, '--json-format', 'plain');
    expect(ok.code, ok.stderr).to.equal(0);
    expect(await withMongo(mongo.uri, (c) => c.db(db).collection('items').countDocuments())).to.equal(2);
  });

  it('rejects a bad line with its file and line number, and imports the rest', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const docs = sourceDocs(3);
    const lines = mongoexportLines(docs, true).split('\n');
    lines.splice(1, 0, '{"_id": {"$oid": "broken');
    await writeFile(join(dir, 'users.json'), lines.join('\n'));
    const db = `foreign_b${n}`;
    const rejects = join(work, `rejects-${n}`);
    const r = await mongoImport(dir, '--files', 'users.json', '--to', `${db}.users`, '--rejects-dir', rejects);
    expect(r.code, r.stderr).to.not.equal(0);
    const run = await latestRunRejectsDir(rejects);
    const text = (await Promise.all((await readdir(run)).map((f) => readFile(join(run, f), 'utf8')))).join('\n');
    expect(text).to.contain('users.json');
    expect(text).to.match(/"line":\s*2/);
    expect(await withMongo(mongo.uri, (c) => c.db(db).collection('users').countDocuments())).to.equal(3);
  });

  it('imports mongoexport --jsonArray files (a pretty canonical one, a one-line relaxed one) into FerretDB, element by element, every type kept', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const canonical = sourceDocs(5);
    const relaxed = sourceDocs(4);
    // mongoexport --jsonArray --pretty --jsonFormat=canonical: elements over several lines.
    await writeFile(join(dir, 'users.json'), EJSON.stringify(canonical, undefined, 2, { relaxed: false }));
    // mongoexport --jsonArray (relaxed, one line): a Long past 2^53 is a bare integer, exact only if its text is parsed as written.
    await writeFile(join(dir, 'orders.json'), `[${relaxed.map((d) => encodeDocument(d, 'relaxed')).join(',')}]`);
    const db = `foreign_arr${n}`;
    const r = await mongoImport(dir, '--files', 'users.json', '--to', `${db}.users`, '--files', 'orders.json', '--to', `${db}.orders`, '--json');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/users\.json \(5 elements\), orders\.json \(4 elements\) are JSON arrays: read element by element/);
    const summary = JSON.parse(r.stdout) as { collections: { collection: string; written?: number }[] };
    expect(summary.collections.map((c) => [c.collection, c.written]).sort()).to.deep.equal([
      ['orders', 4],
      ['users', 5],
    ]);
    await withMongo(mongo.uri, async (c) => {
      const users = await c.db(db).collection<Doc>('users').find({}, { sort: { _id: 1 } }).toArray();
      expect(EJSON.stringify(users, { relaxed: false })).to.equal(EJSON.stringify([...canonical].sort((a, b) => String(a._id).localeCompare(String(b._id))), { relaxed: false }));
      const orders = await c.db(db).collection<Doc>('orders').find({}, { sort: { _id: 1 } }).toArray();
      expect(EJSON.stringify(orders, { relaxed: false })).to.equal(EJSON.stringify([...relaxed].sort((a, b) => String(a._id).localeCompare(String(b._id))), { relaxed: false }));
      expect(String(orders[0]!.big)).to.equal('9007199254740993');
    });
  });

  it('a JSON array with --json-format given; an empty array imports nothing; bad elements are rejected naming the element and its line', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    await writeFile(join(dir, 'items.json'), '[\n  {"_id": "a", "n": 1, "s": "a ], [ \\" b"},\n  {"_id": "b", "n": [2, {"x": []}]}\n]\n');
    await writeFile(join(dir, 'none.json'), '[ ]\n');
    await writeFile(join(dir, 'bad.json'), '[{"_id": "a"},\n {"_id": {"$oid": "not-an-oid"}}, 5,\n {"_id": "c"}]');
    const db = `foreign_arrp${n}`;
    const ok = await mongoImport(dir, '--files', 'items.json', '--to', `${db}.items`, '--files', 'none.json', '--to', `${db}.none`, '--json-format', 'plain');
    expect(ok.code, ok.stderr).to.equal(0);
    await withMongo(mongo.uri, async (c) => {
      const items = await c.db(db).collection('items').find({}, { sort: { _id: 1 } }).toArray();
      expect(items).to.deep.equal([
        { _id: 'a', n: 1, s: 'a ], [ " b' },
        { _id: 'b', n: [2, { x: [] }] },
      ]);
    });
    const rejects = join(work, `rejects-${n}`);
    const bad = await mongoImport(dir, '--files', 'bad.json', '--to', `${db}.bad`, '--json-format', 'relaxed', '--rejects-dir', rejects);
    expect(bad.code, bad.stderr).to.equal(3);
    const run = await latestRunRejectsDir(rejects);
    const lines = (await Promise.all((await readdir(run)).map((f) => readFile(join(run, f), 'utf8'))))
      .join('\n')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { source_file: string; element: number; line: number; reason: string });
    expect(lines.map((l) => [l.source_file, l.element, l.line])).to.deep.equal([
      ['bad.json', 2, 2],
      ['bad.json', 3, 2],
    ]);
    expect(lines[1]!.reason).to.equal('element 3 of the array is number, not a JSON object (one document per element)');
    expect(await withMongo(mongo.uri, (c) => c.db(db).collection('bad').countDocuments())).to.equal(2);
  });

  it('a truncated JSON array is refused before anything is written, naming the file, the byte and the line', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const cut = `[${sourceDocs(3).map((d) => EJSON.stringify(d, { relaxed: false })).join(',\n')}`.slice(0, -20);
    await writeFile(join(dir, 'users.json'), cut);
    const db = `foreign_arrt${n}`;
    const r = await mongoImport(dir, '--files', 'users.json', '--to', `${db}.users`);
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.include(`users.json is not a whole JSON array: the file ends inside element 3`);
    expect(r.stderr).to.include(`(at byte ${Buffer.byteLength(cut)}, line 3)`);
    expect(await withMongo(mongo.uri, async (c) => (await c.db(db).listCollections().toArray()).length)).to.equal(0);
  });

  it('--verify reads the files back (lines and a JSON array) and compares them with the target: identical, then an extra document is a difference', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    await writeFile(join(dir, 'users.json'), mongoexportLines(sourceDocs(3), true));
    await writeFile(join(dir, 'orders.json'), EJSON.stringify(sourceDocs(4), undefined, 2, { relaxed: false }));
    const db = `foreign_v${n}`;
    const args = ['--files', 'users.json', '--to', `${db}.users`, '--files', 'orders.json', '--to', `${db}.orders`, '--verify', '--json'];
    const r = await mongoImport(dir, ...args);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as { verify: { equal: boolean; mode: string; collections: { collection: string; leftCount: number; matchedTotal: number }[] } };
    expect(summary.verify.equal).to.equal(true);
    expect(summary.verify.mode).to.equal('bson');
    expect(summary.verify.collections.map((c) => [c.collection, c.leftCount, c.matchedTotal]).sort()).to.deep.equal([
      ['orders', 4, 4],
      ['users', 3, 3],
    ]);
    await withMongo(mongo.uri, (c) => c.db(db).collection('orders').insertOne({ _id: 'stray' as never }));
    const again = await mongoImport(dir, ...args);
    expect(again.code, again.stderr).to.equal(5);
    const orders = (JSON.parse(again.stdout) as { verify: { collections: { collection: string; extra: string[] }[] } }).verify.collections.find((c) => c.collection === 'orders');
    expect(orders?.extra).to.deep.equal(['stray']);
  });

  it('--resume of a one-line JSON array continues after the confirmed elements (the journal names elements: they all share line 1)', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    const id = (i: number) => `o-${String(i).padStart(2, '0')}`;
    // 40 elements on one line; element 25 is no document, so --max-errors 0 stops the first run there.
    await writeFile(join(dir, 'orders.json'), `[${Array.from({ length: 40 }, (_, k) => (k + 1 === 25 ? '7' : JSON.stringify({ _id: id(k + 1), n: k + 1 }))).join(',')}]`);
    const db = `foreign_res${n}`;
    const args = ['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', dir, '--checkpoint', join(work, `cp-res-${n}`), '--files', 'orders.json', '--to', `${db}.orders`, '--json-format', 'relaxed', '--batch-size', '5', '--concurrency', '1'];
    const stopped = await runCli([...args, '--max-errors', '0']);
    expect(stopped.code, stopped.stderr).to.equal(3);
    expect(stopped.stderr).to.include('Stopped: more than 0 documents were rejected');
    const orders = () => withMongo(mongo.uri, async (c) => (await c.db(db).collection<{ _id: string }>('orders').find({}, { sort: { _id: 1 } }).toArray()).map((d) => d._id));
    const first = await orders();
    expect(first, 'the first batch was confirmed before the stop').to.include(id(1));
    expect(first.length).to.be.below(39);
    // Taken away behind the journal's back: a resume that skips what was confirmed does not write it again.
    await withMongo(mongo.uri, (c) => c.db(db).collection<{ _id: string }>('orders').deleteOne({ _id: id(1) }));
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).to.equal(3);
    const all = Array.from({ length: 40 }, (_, k) => id(k + 1)).filter((x) => x !== id(1) && x !== id(25));
    expect(await orders()).to.deep.equal(all);
  });

  it('a directory without a manifest points at --files', async () => {
    const dir = join(work, `dump-${++n}`);
    await tempDirAt(dir);
    await writeFile(join(dir, 'users.json'), mongoexportLines(sourceDocs(2), true));
    const bare = await mongoImport(dir);
    expect(bare.code).to.not.equal(0);
    expect(bare.stderr).to.match(/manifest\.json is missing.*--files PATTERN --to db\.coll/s);
  });
});

async function tempDirAt(dir: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
}
