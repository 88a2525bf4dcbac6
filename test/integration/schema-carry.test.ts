import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

describe('The schema travels with the data: MongoDB indexes exported and rebuilt (FerretDB)', function () {
  this.timeout(180_000);
  let source: MongoTestServer;
  let target: MongoTestServer;
  let work: string;
  let exportDir: string;
  const db = `carry${process.pid}`;
  const pk = { paths: ['/id'], kind: 'Hash' as const };
  let layoutFile: string;

  before(async function () {
    this.timeout(600_000);
    [source, target] = await Promise.all([startMongoTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-carry-');
    const client = new MongoClient(source.uri);
    try {
      const users = client.db(db).collection('users');
      await users.insertMany([{ _id: 'u1' as never, email: 'a@example.org', tenant: 't1', date: 1 }, { _id: 'u2' as never, email: 'b@example.org', tenant: 't1', date: 2 }]);
      await users.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await users.createIndex({ tenant: 1, date: -1 }, { name: 'tenant_date' });
    } finally {
      await client.close();
    }
    layoutFile = join(work, 'layout.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(layoutFile, JSON.stringify({ name: 'carry', databases: [{ name: db, containers: [{ name: 'users', partitionKey: pk }] }] })));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', source.uri, '--layout', layoutFile, '--output-dir', exportDir]);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  const targetIndexes = async (database = db) => {
    const client = new MongoClient(target.uri);
    try {
      return (await client.db(database).collection('users').listIndexes().toArray()).map((i) => ({ name: i.name, key: i.key, ...(i.unique ? { unique: true } : {}) }));
    } finally {
      await client.close();
    }
  };
  const dropTarget = async () => {
    const client = new MongoClient(target.uri);
    try {
      await client.db(db).dropDatabase();
    } finally {
      await client.close();
    }
  };

  it('records every index but _id in the manifest (format_version stays 1)', async () => {
    const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.format_version).to.equal(1);
    const indexes = manifest.schemas![`${db}.users`]!.mongo!.indexes;
    expect(indexes.find((i) => i.name === 'email_1')).to.deep.equal({ name: 'email_1', key: { email: 1 }, unique: true });
    expect(indexes.find((i) => i.name === 'tenant_date')).to.deep.equal({ name: 'tenant_date', key: { tenant: 1, date: -1 } });
    expect(manifest.schemas![`${db}.users`]!.mongo!.indexes).to.have.length(2);
  });

  it('import rebuilds the indexes on the target by default', async () => {
    await dropTarget();
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--export-dir', exportDir, '--layout', layoutFile]);
    expect(r.code, r.stderr).to.equal(0);
    const indexes = await targetIndexes();
    expect(indexes.find((i) => i.name === 'email_1')).to.deep.equal({ name: 'email_1', key: { email: 1 }, unique: true });
    expect(indexes.find((i) => i.name === 'tenant_date')).to.deep.equal({ name: 'tenant_date', key: { tenant: 1, date: -1 } });
  });

  it('--no-indexes leaves them out, as mongorestore --noIndexRestore does', async () => {
    await dropTarget();
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--export-dir', exportDir, '--layout', layoutFile, '--no-indexes']);
    expect(r.code, r.stderr).to.equal(0);
    expect((await targetIndexes()).map((i) => i.name)).to.deep.equal(['_id_']);
  });

  it('a unique index the data violates is named with the duplicate key, exit 5, and nothing is dropped', async () => {
    await dropTarget();
    const client = new MongoClient(target.uri);
    try {
      // A document already in the target with the same email under another _id.
      await client.db(db).collection('users').insertOne({ _id: 'old' as never, email: 'a@example.org' });
    } finally {
      await client.close();
    }
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', target.uri, '--export-dir', exportDir, '--layout', layoutFile, '--json']);
    expect(r.code, r.stderr).to.equal(5);
    const summary = JSON.parse(r.stdout) as RunSummary;
    const warning = summary.warnings.find((w) => /unique index email_1/.test(w));
    expect(warning, summary.warnings.join('\n')).to.match(new RegExp(`${db}\\.users: unique index email_1 cannot be built`)).and.to.include('"a@example.org"');
    expect(summary.totals.written).to.equal(2);
    const client2 = new MongoClient(target.uri);
    try {
      expect(await client2.db(db).collection('users').countDocuments()).to.equal(3);
    } finally {
      await client2.close();
    }
    expect((await targetIndexes()).map((i) => i.name)).to.include('tenant_date').and.not.to.include('email_1');
  });

  it('migrate carries the indexes too', async () => {
    await dropTarget();
    const r = await runCli(['migrate', '--from', 'mongodb', '--from-mongo-uri', source.uri, '--to', 'mongodb', '--to-mongo-uri', target.uri, '--layout', layoutFile]);
    expect(r.code, r.stderr).to.equal(0);
    expect((await targetIndexes()).map((i) => i.name).sort()).to.deep.equal(['_id_', 'email_1', 'tenant_date']);
  });
});
