import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import type { Layout, PartitionKeySpec } from '../../src/core/layout.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** Messages keyed by /id at the source; m3 has no thread_id, m4 no archive_id. */
function messages(): Doc[] {
  return Array.from({ length: 6 }, (_, i) => ({
    id: `m${i}`,
    ...(i === 3 ? {} : { thread_id: `t${i % 2}` }),
    ...(i === 4 ? {} : { archive_id: `a${i % 3}` }),
    body: `message ${i}`,
  }));
}

describe('changing the partition key: into a container keyed otherwise than the source', function () {
  this.timeout(180_000);
  let cosmosA: CosmosTestServer;
  let cosmosB: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let n = 0;

  before(async function () {
    this.timeout(600_000);
    [cosmosA, cosmosB, mongo] = await Promise.all([startCosmosTestServer(), startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-pk-');
  });

  after(async () => {
    await Promise.all([cosmosA?.stop(), cosmosB?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const cosmos = (s: CosmosTestServer, prefix = '') => [`--${prefix}cosmos-endpoint`, s.endpoint, `--${prefix}cosmos-key`, s.key];

  async function layoutFile(db: string, partitionKey: PartitionKeySpec): Promise<string> {
    const layout: Layout = { databases: [{ name: db, containers: [{ name: 'messages', partitionKey }] }] };
    const path = join(work, `layout-${++n}.json`);
    await writeFile(path, JSON.stringify(layout));
    return path;
  }

  async function rejects(dir: string, db: string): Promise<{ id?: string; reason: string }[]> {
    return (await readFile(join(await latestRunRejectsDir(dir), `${db}.messages.ndjson`), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id?: string; reason: string });
  }

  async function livePartitionKey(server: CosmosTestServer, db: string): Promise<unknown> {
    const client = cosmosClient(server);
    try {
      const { resource } = await client.database(db).container('messages').read();
      return { paths: resource?.partitionKey?.paths, kind: resource?.partitionKey?.kind };
    } finally {
      client.dispose();
    }
  }

  it('Cosmos DB -> Cosmos DB migrate, /id -> /thread_id: the target is created with the new key, a document without thread_id is rejected naming its id and the path', async () => {
    const db = 'pk_cc';
    await seedCosmos(cosmosA, db, 'messages', messages());
    const layout = await layoutFile(db, { paths: ['/thread_id'] });
    const rejectsDir = join(work, 'r-cc');
    const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--rejects-dir', rejectsDir, '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(r.code, r.stderr).to.equal(3);
    expect(JSON.parse(r.stdout).totals).to.deep.equal({ read: 6, written: 5, skipped: 0, rejected: 1 });
    expect(await livePartitionKey(cosmosB, db)).to.deep.equal({ paths: ['/thread_id'], kind: 'Hash' });
    const stored = await readAllCosmos(cosmosB, db, 'messages');
    expect(stored.map((d) => d.id)).to.deep.equal(['m0', 'm1', 'm2', 'm4', 'm5']);
    // Readable by its new key: the items were written under their thread_id.
    const client = cosmosClient(cosmosB);
    try {
      const { resource } = await client.database(db).container('messages').item('m1', 't1').read<Doc>();
      expect(resource?.body).to.equal('message 1');
    } finally {
      client.dispose();
    }
    const [entry, ...more] = await rejects(rejectsDir, db);
    expect(more).to.deep.equal([]);
    expect(entry).to.include({ id: 'm3' });
    expect(entry!.reason).to.include('missing partition-key value at /thread_id');
    expect(r.stderr, 'no partition-key difference is reported against the source container').to.not.include('partition key is');
  });

  it('MongoDB -> Cosmos DB migrate into a MultiHash key /archive_id,/id: a document without archive_id is rejected with the reason', async () => {
    const db = 'pk_mc';
    const client = new MongoClient(mongo.uri);
    try {
      await client.db(db).collection<Doc>('messages').insertMany(messages().map(({ id, ...rest }) => ({ _id: id, ...rest }) as Doc));
    } finally {
      await client.close();
    }
    const layout = await layoutFile(db, { paths: ['/archive_id', '/id'], kind: 'MultiHash', version: 2 });
    const rejectsDir = join(work, 'r-mc');
    const r = await runCli(['migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, ...cosmos(cosmosA, 'to-'), '--layout', layout, '--rejects-dir', rejectsDir, '--checkpoint', join(work, `cp-${++n}`), '--json']);
    expect(r.code, r.stderr).to.equal(3);
    expect(JSON.parse(r.stdout).totals).to.deep.equal({ read: 6, written: 5, skipped: 0, rejected: 1 });
    expect(await livePartitionKey(cosmosA, db)).to.deep.equal({ paths: ['/archive_id', '/id'], kind: 'MultiHash' });
    expect((await readAllCosmos(cosmosA, db, 'messages')).map((d) => d.id)).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm5']);
    const [entry] = await rejects(rejectsDir, db);
    expect(entry).to.include({ id: 'm4' });
    expect(entry!.reason).to.include('missing partition-key value at /archive_id');
  });

  it('export with the source layout, import with a layout that changes the key (/id -> /thread_id), then verify: equal but for the rejected document', async () => {
    const db = 'pk_ei';
    await seedCosmos(cosmosA, db, 'messages', messages());
    const sourceLayout = await layoutFile(db, { paths: ['/id'] });
    const targetLayout = await layoutFile(db, { paths: ['/thread_id'] });
    const dir = join(work, 'pk-export');
    expect((await runCli(['export', '--source-type', 'cosmos', ...cosmos(cosmosA), '--layout', sourceLayout, '--output-dir', dir])).code).to.equal(0);
    const imp = await runCli(['import', '--dest-type', 'cosmos', ...cosmos(cosmosB), '--layout', targetLayout, '--export-dir', dir, '--json']);
    expect(imp.code, imp.stderr).to.equal(3);
    expect(JSON.parse(imp.stdout).totals).to.deep.equal({ read: 6, written: 5, skipped: 0, rejected: 1 });
    expect(imp.stderr, 'the carried /id key is not held against the layout that changes it').to.not.include('partition key is');
    expect(await livePartitionKey(cosmosB, db)).to.deep.equal({ paths: ['/thread_id'], kind: 'Hash' });
    const [entry] = await rejects(join(dir, '_rejects'), db);
    expect(entry).to.include({ id: 'm3' });
    expect(entry!.reason).to.include('missing partition-key value at /thread_id');
    const v = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'cosmos', ...cosmos(cosmosB, 'right-'), '--layout', targetLayout, '--json']);
    const summary = JSON.parse(v.stdout);
    expect(summary.collections[0].missing).to.deep.equal(['m3']);
    expect(summary.collections[0].differingTotal).to.equal(0);
  });

  it('an existing target container with another key than the layout says is refused before anything is written', async () => {
    const db = 'pk_mismatch';
    await seedCosmos(cosmosA, db, 'messages', messages());
    await seedCosmos(cosmosB, db, 'messages', [], '/archive_id');
    const layout = await layoutFile(db, { paths: ['/thread_id'] });
    const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--checkpoint', join(work, `cp-${++n}`)]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('partitioned by /archive_id, the layout says /thread_id');
    expect(await readAllCosmos(cosmosB, db, 'messages')).to.deep.equal([]);
  });
});
