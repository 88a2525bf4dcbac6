import net, { type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { Int32, ObjectId } from 'mongodb';
import { BSON, EJSON } from '../../src/core/bson.js';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import { resolvePartitionKey, type CollectionScope } from '../../src/core/layout.js';
import { MongoSink } from '../../src/stores/mongo/sink.js';
import { MongoSource } from '../../src/stores/mongo/source.js';
import type { WriteMode } from '../../src/stores/types.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';

/**
 * A TCP proxy in front of a MongoDB server that understands just enough of the wire protocol
 * (message framing and the command name of OP_MSG) to drop the reply to a chosen command:
 * the server has done the work, the client sees a broken connection. That is the case where a
 * retry has to find out what was already written.
 */
interface WireProxy {
  uri: string;
  /** Commands seen, in order (`insert`, `update`, `find`, `getMore`, ...). */
  commands: string[];
  /** Replies dropped so far, by command. */
  dropped: Map<string, number>;
  setPolicy(policy: (command: string, seq: number) => 'pass' | 'drop-reply'): void;
  stop(): Promise<void>;
}

const OP_MSG = 2013;

function commandOf(message: Buffer): string | undefined {
  if (message.readInt32LE(12) !== OP_MSG || message[20] !== 0) return undefined;
  const size = message.readInt32LE(21);
  const body = BSON.deserialize(message.subarray(21, 21 + size));
  return Object.keys(body)[0];
}

/** Splits a byte stream into whole wire messages (each starts with its int32 length). */
function framer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

async function startWireProxy(upstreamUri: string): Promise<WireProxy> {
  const upstream = new URL(upstreamUri);
  let policy: (command: string, seq: number) => 'pass' | 'drop-reply' = () => 'pass';
  const commands: string[] = [];
  const dropped = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(server);
    const asked = new Map<number, { command: string; seq: number }>();
    const cut = () => {
      client.destroy();
      server.destroy();
    };
    client.on('data', framer((m) => {
      const command = commandOf(m);
      if (command) {
        commands.push(command);
        asked.set(m.readInt32LE(4), { command, seq: commands.filter((c) => c === command).length });
      }
      server.write(m);
    }));
    server.on('data', framer((m) => {
      const request = asked.get(m.readInt32LE(8));
      if (request && policy(request.command, request.seq) === 'drop-reply') {
        dropped.set(request.command, (dropped.get(request.command) ?? 0) + 1);
        cut();
        return;
      }
      client.write(m);
    }));
    client.on('error', cut).on('close', cut);
    server.on('error', cut).on('close', cut);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    commands,
    dropped,
    setPolicy: (p) => {
      policy = p;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function scope(database: string, collection: string): CollectionScope {
  return { database, collection, partitionKey: resolvePartitionKey({ paths: ['/id'] }) };
}

async function readAll(uri: string, db: string, coll: string): Promise<Doc[]> {
  const client = new MongoClient(uri);
  try {
    return await client.db(db).collection<Doc>(coll).find({}, { sort: { _id: 1 }, promoteValues: false, promoteLongs: false }).toArray();
  } finally {
    await client.close();
  }
}

async function insert(uri: string, db: string, coll: string, docs: Doc[]): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(db).collection<Doc>(coll).insertMany(docs);
  } finally {
    await client.close();
  }
}

/** Prepares and writes documents through the sink as the engine does, in one batch. */
async function writeThroughSink(uri: string, db: string, coll: string, docs: Doc[], mode: WriteMode) {
  const sink = new MongoSink(uri, { bsonInput: true });
  try {
    await sink.prepareAll([scope(db, coll)]);
    const target = await sink.open(scope(db, coll));
    const items = docs.map((d) => target.prepare(d));
    for (const item of items) expect(item).to.not.be.a('string');
    const results = await target.write(items as Exclude<(typeof items)[number], string>[], mode);
    return { results, stats: target.stats?.() };
  } finally {
    await sink.close();
  }
}

function tally(results: { status: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

describe('MongoDB store under connection faults (FerretDB behind a wire proxy)', function () {
  this.timeout(120_000);
  let server: MongoTestServer;
  let proxy: WireProxy;
  let db = 0;

  before(async function () {
    this.timeout(600_000);
    server = await startMongoTestServer();
  });
  beforeEach(async () => {
    db++;
    proxy = await startWireProxy(server.uri);
  });
  afterEach(async () => {
    await proxy.stop();
  });
  after(async () => {
    await server?.stop();
  });

  it('merge: inserts whose reply was lost are re-sent and counted as written, not as skipped duplicates', async () => {
    const name = `faults_${db}`;
    const docs: Doc[] = Array.from({ length: 20 }, (_, i) => ({ _id: `doc-${String(i).padStart(2, '0')}`, n: new Int32(i), body: 'x'.repeat(50) }));
    // One document was in the target before, with other content: merge must keep it and skip ours.
    await insert(server.uri, name, 'c', [{ _id: 'doc-07', n: new Int32(-1), body: 'theirs' }]);
    proxy.setPolicy((command, seq) => (command === 'insert' && seq === 1 ? 'drop-reply' : 'pass'));

    const { results, stats } = await writeThroughSink(proxy.uri, name, 'c', docs, 'merge');
    expect(proxy.dropped.get('insert')).to.equal(1);
    expect(proxy.commands.filter((c) => c === 'insert').length).to.be.at.least(2);
    expect(tally(results)).to.deep.equal({ written: 19, skipped: 1 });
    expect(results[7]).to.deep.equal({ status: 'skipped' });
    expect(stats?.requests).to.be.at.least(2);
    // The lost reply is a network error: its documents were sent again, counted under that kind.
    expect(stats?.retries?.network, JSON.stringify(stats?.retries)).to.be.at.least(1);

    const stored = await readAll(server.uri, name, 'c');
    expect(stored).to.have.length(20);
    expect(stored.find((d) => d._id === 'doc-07')!.body).to.equal('theirs');
  });

  it('merge: after a lost reply, documents already there and equal to ours count as written (the target holds exactly ours)', async () => {
    const name = `faults_${db}`;
    const existing: Doc[] = Array.from({ length: 5 }, (_, i) => ({ _id: `doc-${i}`, n: new Int32(i), body: 'same' }));
    await insert(server.uri, name, 'c', existing);
    // Identical documents already there: the first (lost) attempt could not have written them,
    // but the retry cannot tell them from ours. They are counted as written, because the target
    // holds exactly our document (documented in docs/type-mapping.md, "merge retries").
    const docs: Doc[] = [...existing.map((d) => ({ ...d })), { _id: 'doc-new', n: new Int32(9), body: 'new' }];
    proxy.setPolicy((command, seq) => (command === 'insert' && seq === 1 ? 'drop-reply' : 'pass'));
    const { results } = await writeThroughSink(proxy.uri, name, 'c', docs, 'merge');
    expect(tally(results)).to.deep.equal({ written: 6 });
    expect(await readAll(server.uri, name, 'c')).to.have.length(6);
  });

  it('upsert: lost replies to the insert and to the replace that follows are retried, every document written once', async () => {
    const name = `faults_${db}`;
    const docs: Doc[] = Array.from({ length: 15 }, (_, i) => ({ _id: new ObjectId(), n: new Int32(i) }));
    // The server inserts all, the reply is lost; the re-sent inserts meet their own duplicates and
    // turn into replaces, whose reply is lost once more.
    proxy.setPolicy((command, seq) => ((command === 'insert' || command === 'update') && seq === 1 ? 'drop-reply' : 'pass'));
    const { results } = await writeThroughSink(proxy.uri, name, 'c', docs, 'upsert');
    expect(proxy.dropped.get('insert')).to.equal(1);
    expect(proxy.dropped.get('update')).to.equal(1);
    expect(tally(results)).to.deep.equal({ written: 15 });
    const stored = await readAll(server.uri, name, 'c');
    const hex = (d: Doc) => (d._id as ObjectId).toHexString();
    expect(stored.map(hex)).to.deep.equal(docs.map(hex).sort());
  });

  it('a read whose cursor breaks resumes after the last _id: every document once, in order, across _id types', async () => {
    const name = `faults_${db}`;
    const docs: Doc[] = [
      ...Array.from({ length: 9 }, (_, i) => ({ _id: new Int32(i), kind: 'number' })),
      ...Array.from({ length: 9 }, (_, i) => ({ _id: `s${i}`, kind: 'string' })),
      ...Array.from({ length: 9 }, (_, i) => ({ _id: ObjectId.createFromHexString(`65a1b2c3d4e5f60718293a${(16 + i).toString(16)}`), kind: 'objectId' })),
      { _id: { compound: new Int32(1) }, kind: 'object' },
      { _id: true, kind: 'bool' },
      // (FerretDB's SQLite backend takes Date(0) for a duplicate of the number 0)
      { _id: new Date('2020-01-01T00:00:00Z'), kind: 'date' },
    ];
    await insert(server.uri, name, 'c', docs);
    const expected = (await readAll(server.uri, name, 'c')).map((d) => EJSON.stringify(d._id));
    expect(expected).to.have.length(30);

    // Break the 1st, 3rd and 5th getMore: resumes inside the numbers, the strings and the ObjectIds.
    proxy.setPolicy((command, seq) => (command === 'getMore' && seq % 2 === 1 && seq <= 5 ? 'drop-reply' : 'pass'));
    const source = new MongoSource(proxy.uri, { batchSize: 4 });
    const seen: string[] = [];
    try {
      for await (const item of source.read(scope(name, 'c'))) {
        expect(item.doc).to.not.equal(undefined);
        seen.push(EJSON.stringify(item.doc!._id));
      }
    } finally {
      await source.close();
    }
    expect(proxy.dropped.get('getMore')).to.equal(3);
    expect(seen).to.deep.equal(expected);
  });

  it('a filtered read whose cursor breaks resumes on the filter and after the last _id: every matching document once, no other', async () => {
    const name = `faults_filtered_${db}`;
    const docs: Doc[] = Array.from({ length: 30 }, (_, i) => ({ _id: new Int32(i), keep: i % 3 !== 0 }));
    await insert(server.uri, name, 'c', docs);
    proxy.setPolicy((command, seq) => (command === 'getMore' && seq % 2 === 1 && seq <= 5 ? 'drop-reply' : 'pass'));
    const before = proxy.dropped.get('getMore') ?? 0;
    const source = new MongoSource(proxy.uri, { batchSize: 4 });
    const seen: number[] = [];
    try {
      for await (const item of source.read({ ...scope(name, 'c'), filters: [{ query: '{"keep": true}', from: '--query' }] })) seen.push((item.doc!._id as Int32).valueOf());
    } finally {
      await source.close();
    }
    expect((proxy.dropped.get('getMore') ?? 0) - before, 'the cursor broke').to.be.greaterThan(0);
    expect(seen).to.deep.equal(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0));
  });

  it('a read that keeps failing stops with a clear error naming the collection and the last _id', async () => {
    const name = `faults_${db}`;
    await insert(server.uri, name, 'c', Array.from({ length: 10 }, (_, i) => ({ _id: `d${i}` })));
    // The first query answers; after that every reply is lost (the driver retries a find once itself).
    proxy.setPolicy((command, seq) => (command === 'getMore' || (command === 'find' && seq > 1) ? 'drop-reply' : 'pass'));
    const source = new MongoSource(proxy.uri, { batchSize: 3, maxResumes: 2 });
    let error: Error | undefined;
    let read = 0;
    try {
      for await (const item of source.read(scope(name, 'c'))) if (item.doc) read++;
    } catch (err) {
      error = err as Error;
    } finally {
      await source.close();
    }
    expect(error?.message).to.match(new RegExp(`^Cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:\\d+/\\?directConnection=true while reading ${name}\\.c after _id d\\d`));
    expect(error?.message).to.include('after _id d2');
    expect(read).to.equal(3);
  });
});
