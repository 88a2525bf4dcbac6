import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

describe('MongoDB export of a collection that does not exist (FerretDB)', function () {
  this.timeout(120_000);
  let mongo: MongoTestServer;
  let work: string;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    mongo = await startMongoTestServer();
    work = await tempDir('docferry-missing-');
  });

  after(async () => {
    await mongo?.stop();
    await removeTempDirs();
  });

  it('warns, naming db.collection, on stderr, in the --json summary and in the manifest; an empty collection exports silently; exit 0', async () => {
    const db = `copilot_missing${process.pid}`;
    const noDb = `auth_missing${process.pid}`;
    const client = new MongoClient(mongo.uri);
    try {
      await client.db(db).collection('sources').insertMany([{ _id: 'a' as never }, { _id: 'b' as never }]);
      await client.db(db).createCollection('archives');
    } finally {
      await client.close();
    }
    const pk = { paths: ['/id'], kind: 'Hash' as const };
    const layout: Layout = {
      name: 'missing-test',
      databases: [
        { name: db, containers: ['sources', 'archives', 'mesages'].map((name) => ({ name, partitionKey: pk })) },
        { name: noDb, containers: [{ name: 'user_roles', partitionKey: pk }] },
      ],
    };
    const layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
    const dir = join(work, 'export');

    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--output-dir', dir, '--json']);
    expect(r.code, r.stderr).to.equal(0);

    const typo = `${db}.mesages does not exist on the server`;
    const wrongDb = `${noDb}.user_roles does not exist on the server`;
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings, r.stderr).to.have.length(2);
    expect(warnings.find((w) => w.includes(typo)), r.stderr).to.include('its export file is empty').and.not.include('no database');
    expect(warnings.find((w) => w.includes(wrongDb)), r.stderr).to.include(`there is no database ${noDb} there at all`);
    expect(r.stderr, 'an existing, empty collection is not warned about').not.to.match(/archives[^\n]*does not exist/);

    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.exitCode).to.equal(0);
    expect(summary.warnings).to.have.length(2);
    expect(summary.warnings.some((w) => w.includes(typo))).to.equal(true);
    expect(summary.warnings.some((w) => w.includes(wrongDb))).to.equal(true);

    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.status).to.equal('complete');
    expect(manifest.format_version).to.equal(1);
    expect(manifest.warnings).to.deep.equal(summary.warnings);
    expect(manifest.document_counts).to.deep.equal({ [`${db}.sources`]: 2, [`${db}.archives`]: 0, [`${db}.mesages`]: 0, [`${noDb}.user_roles`]: 0 });

    // The export stays importable, and a resumed run of the finished export still says so.
    const again = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--output-dir', dir, '--resume', '--json']);
    expect(again.code, again.stderr).to.equal(0);
    expect((JSON.parse(again.stdout) as RunSummary).warnings).to.deep.equal(summary.warnings);
  });
});
