import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Long, MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { goRelaxedExtJson } from '../support/extjson-ref.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { latestRunRejectsDir } from '../support/rejects.js';

const RAW = { promoteValues: false, promoteLongs: false } as const;

/**
 * Issue 14, items 4 and 4b: a number with no exact form in the target is rejected with its line,
 * field path and reason (never stored wrapped, rounded, as the epoch or as null), verify compares
 * what the file says with what the store holds, and a relaxed export keeps every Int64 exact.
 */
describe('numbers land exactly or are rejected, and verify compares the file with the store', function () {
  this.timeout(180_000);
  let mongo: MongoTestServer;
  let cosmos: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let db: string;
  let n = 0;

  before(async function () {
    this.timeout(600_000);
    [mongo, cosmos] = await Promise.all([startMongoTestServer(), startCosmosTestServer()]);
    work = await tempDir('docferry-numbers-');
    db = `copilot${cosmos.suffix}`;
    const layout: Layout = { name: 'numbers', databases: [{ name: db, containers: ['reports', 'relaxed'].map((name) => ({ name, partitionKey: { paths: ['/id'], kind: 'Hash' as const } })) }] };
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
  });

  after(async () => {
    await Promise.all([mongo?.stop(), cosmos?.stop()]);
    await removeTempDirs();
  });

  const cosmosArgs = () => ['--cosmos-endpoint', cosmos.endpoint, '--cosmos-key', cosmos.key];
  const withMongo = async <T>(work: (c: MongoClient) => Promise<T>): Promise<T> => {
    const client = new MongoClient(mongo.uri);
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  };

  /** An export directory as docferry writes it (a current manifest with checksums) holding exactly these lines. */
  async function exportOf(format: 'canonical' | 'relaxed' | 'json', lines: string[]): Promise<string> {
    const dir = join(work, `export-${++n}`);
    const file = `${db}/reports.json`;
    const body = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    await mkdir(join(dir, db), { recursive: true });
    await writeFile(join(dir, file), body);
    const layout = JSON.parse(await readFile(layoutFile, 'utf8')) as Layout;
    const manifest: Manifest = {
      format_version: 1,
      tool: { name: 'docferry', version: 'test' },
      status: 'complete',
      exported_at: '2026-12-01T00:00:00Z',
      finished_at: '2026-12-01T00:00:01Z',
      source_type: format === 'json' ? 'cosmos' : 'mongodb',
      source_endpoint: 'test',
      json_format: format,
      layout: { source: 'test', sha256: '0'.repeat(64), document: layout },
      databases: { [db]: ['reports'] },
      document_counts: { [`${db}.reports`]: lines.length },
      files: [{ path: file, database: db, collection: 'reports', documents: lines.length, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }],
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  async function rejectsOf(dir: string): Promise<{ line?: number; reason: string }[]> {
    // Each run writes its rejects under <rejects-dir>/<run id>/.
    const text = await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.reports.ndjson`), 'utf8');
    return text.trim().split('\n').map((l) => JSON.parse(l) as { line?: number; reason: string });
  }

  const importInto = (target: 'mongodb' | 'cosmos', dir: string) =>
    runCli([
      'import', '--dest-type', target, ...(target === 'mongodb' ? ['--mongo-uri', mongo.uri] : cosmosArgs()),
      '--layout', layoutFile, '--export-dir', dir, '--rejects-dir', join(dir, '_rejects'), '--json',
    ]);

  // The values, each on its own line after one good document.
  const extendedJsonLines = [
    '{"_id":"ok","n":{"$numberLong":"9007199254740993"},"when":{"$date":{"$numberLong":"1714979289123"}}}',
    '{"_id":"long","n":{"$numberLong":"99999999999999999999"}}',
    '{"_id":"int","nested":{"list":[1,{"n":{"$numberInt":"99999999999"}}]}}',
    '{"_id":"date","when":{"$date":"garbage"}}',
    '{"_id":"double","x":{"$numberDouble":"1e400"}}',
  ];

  function expectExtendedJsonRejects(entries: { line?: number; reason: string }[]): void {
    expect(entries.map((e) => e.line)).to.deep.equal([2, 3, 4, 5]);
    expect(entries[0]!.reason).to.equal('no exact value at n: {"$numberLong": "99999999999999999999"} is beyond the range of an Int64 (±9223372036854775807)');
    expect(entries[1]!.reason).to.equal('no exact value at nested.list[1].n: {"$numberInt": "99999999999"} is beyond the range of an Int32 (-2147483648 to 2147483647)');
    expect(entries[2]!.reason).to.match(/^no exact value at when: \{"\$date": "garbage"\} is not an ISO-8601 date/);
    expect(entries[3]!.reason).to.equal('no exact value at x: {"$numberDouble": "1e400"} is beyond the range of a double (about ±1.8e308)');
  }

  it('canonical into MongoDB: out-of-range $numberLong/$numberInt/$numberDouble and a garbage $date are rejected, not wrapped or made the epoch', async () => {
    const dir = await exportOf('canonical', extendedJsonLines);
    const r = await importInto('mongodb', dir);
    expect(r.code, r.stderr).to.equal(3);
    expect(JSON.parse(r.stdout).totals).to.include({ read: 5, written: 1, rejected: 4 });
    expectExtendedJsonRejects(await rejectsOf(dir));
    const stored = await withMongo((c) => c.db(db).collection<Doc>('reports').find({}, RAW).toArray());
    expect(stored.map((d) => d._id)).to.deep.equal(['ok']);
    expect(stored[0]!.n).to.be.instanceOf(Long);
    expect(String(stored[0]!.n)).to.equal('9007199254740993');

    // verify reads the file exactly: the refused lines make it unequal instead of digesting a wrapped value.
    const v = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layoutFile, '--json']);
    expect(v.code, v.stderr).to.equal(5);
    const problems = (JSON.parse(v.stdout) as { collections: { problems: string[] }[] }).collections[0]!.problems;
    expect(problems).to.have.length(4);
    expect(problems[0]).to.include('line 2').and.include('n: {"$numberLong": "99999999999999999999"}');
  });

  it('canonical into Cosmos DB: the same lines are rejected the same way', async () => {
    const dir = await exportOf('canonical', extendedJsonLines);
    const r = await importInto('cosmos', dir);
    expect(r.code, r.stderr).to.equal(3);
    expectExtendedJsonRejects(await rejectsOf(dir));
    const items = await readAllCosmos(cosmos, db, 'reports');
    expect(items.map((d) => [d.id, d.n])).to.deep.equal([['ok', '9007199254740993']]);
  });

  it('json into Cosmos DB: 1e400, an integer beyond 2^53 and -0 are rejected (not null, rounded or 0); exact doubles land', async () => {
    const dir = await exportOf('json', ['{"id":"inf","n":1e400}', '{"id":"big","n":9007199254740993}', '{"id":"negzero","n":-0}', '{"id":"ok","n":100000000000000000000,"m":9007199254740992}']);
    const r = await importInto('cosmos', dir);
    expect(r.code, r.stderr).to.equal(3);
    const entries = await rejectsOf(dir);
    expect(entries.map((e) => e.line)).to.deep.equal([1, 2, 3]);
    expect(entries[0]!.reason).to.equal('no exact value at n: the number 1e400 is beyond the range of a double (about ±1.8e308); no store can hold it');
    expect(entries[1]!.reason).to.match(/^cannot convert for Cosmos DB at n: the integer 9007199254740993 has no exact form in Cosmos DB/);
    expect(entries[2]!.reason).to.match(/^cannot convert for Cosmos DB at n: negative zero/);
    const items = (await readAllCosmos(cosmos, db, 'reports')).filter((d) => d.id !== 'ok' || d.m !== undefined);
    expect(items.find((d) => d.id === 'ok')).to.include({ n: 1e20, m: 9007199254740992 });
    expect(items.map((d) => d.id)).to.not.include.members(['inf', 'big', 'negzero']);
  });

  it('json into MongoDB: an integer beyond 2^53 is stored as that exact Int64; 1e400 is rejected', async () => {
    await withMongo((c) => c.db(db).collection('reports').deleteMany({}));
    const dir = await exportOf('json', ['{"id":"inf","n":1e400}', '{"id":"big","n":9007199254740993,"list":[-9223372036854775808]}']);
    const r = await importInto('mongodb', dir);
    expect(r.code, r.stderr).to.equal(3);
    expect((await rejectsOf(dir)).map((e) => e.line)).to.deep.equal([1]);
    const stored = await withMongo((c) => c.db(db).collection<Doc>('reports').find({}, RAW).toArray());
    expect(stored.map((d) => [d._id, String(d.n), String((d.list as unknown[])[0])])).to.deep.equal([['big', '9007199254740993', '-9223372036854775808']]);
    const v = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layoutFile, '--json']);
    expect(v.code, v.stdout).to.equal(5); // line 1 cannot be read exactly: reported, not digested as Infinity
    const c0 = (JSON.parse(v.stdout) as { collections: { differingTotal: number; problems: string[] }[] }).collections[0]!;
    expect(c0.differingTotal).to.equal(0);
    expect(c0.problems).to.have.length(1);
  });

  it('a relaxed export writes Long _ids 9007199254740993 and 9007199254740992 as two exact lines, byte for byte what the Go driver writes, and imports back as two documents', async () => {
    const docs: Doc[] = [
      { _id: Long.fromString('9007199254740993'), n: Long.fromString('9223372036854775800'), d: 5.5, at: new Date('2024-05-06T07:08:09.500Z') },
      { _id: Long.fromString('9007199254740992'), n: Long.fromString('-9223372036854775808') },
    ];
    await withMongo((c) => c.db(db).collection<Doc>('relaxed').insertMany(docs));
    const relaxedDir = join(work, 'relaxed-export');
    const canonicalDir = join(work, 'canonical-export');
    const base = ['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--collections', 'relaxed'];
    const r1 = await runCli([...base, '--output-dir', relaxedDir, '--json-format', 'relaxed']);
    expect(r1.code, r1.stderr).to.equal(0);
    const r2 = await runCli([...base, '--output-dir', canonicalDir, '--json-format', 'canonical']);
    expect(r2.code, r2.stderr).to.equal(0);
    const relaxed = (await readFile(join(relaxedDir, db, 'relaxed.json'), 'utf8')).trim().split('\n');
    const canonical = (await readFile(join(canonicalDir, db, 'relaxed.json'), 'utf8')).trim().split('\n');
    expect(relaxed).to.deep.equal(goRelaxedExtJson(canonical));
    expect(relaxed[0]).to.equal('{"_id":9007199254740992,"n":-9223372036854775808}');
    expect(relaxed[1]).to.equal('{"_id":9007199254740993,"n":9223372036854775800,"d":5.5,"at":{"$date":"2024-05-06T07:08:09.5Z"}}');

    await withMongo((c) => c.db(db).collection('relaxed').drop());
    const back = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--export-dir', relaxedDir, '--json']);
    expect(back.code, back.stderr).to.equal(0);
    const stored = await withMongo((c) => c.db(db).collection<Doc>('relaxed').find({}, { ...RAW, sort: { _id: 1 } }).toArray());
    expect(stored.map((d) => `${String(d._id)} ${String(d.n)}`)).to.deep.equal(['9007199254740992 -9223372036854775808', '9007199254740993 9223372036854775800']);
  });
});
