import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Manifest } from '../../src/core/manifest.js';
import { RunCheckpoint, endpointIdentity } from '../../src/engine/checkpoint.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * A failed export can be restarted (issue 14, item 7): after an export failed on a wrong
 * password, `--resume` with the corrected URI said the checkpoint "belongs to a different
 * export", because the credentials were part of its identity. And `--overwrite` starts over on
 * purpose, in a directory that holds a docferry export and nothing else.
 */
describe('an export that failed can be resumed with other credentials, or started over with --overwrite', function () {
  this.timeout(180_000);
  let server: MongoTestServer;
  let work: string;
  let wrongUri: string;
  const db = `restart${process.pid}`;

  const exportArgs = (uri: string, dir: string, extra: string[] = []) => ['export', '--source-type', 'mongodb', '--mongo-uri', uri, '--output-dir', dir, '--collections', 'sources', ...extra];

  async function layout(): Promise<string> {
    const path = join(work, 'layout.json');
    await writeFile(path, JSON.stringify({ databases: [{ name: db, containers: [{ name: 'sources', partitionKey: { paths: ['/id'] } }] }] }));
    return path;
  }

  async function failedExport(name: string, layoutFile: string): Promise<string> {
    const dir = join(work, name);
    const r = await runCli([...exportArgs(wrongUri, dir), '--layout', layoutFile]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include('refused the credentials');
    return dir;
  }

  before(async () => {
    server = await startMongoTestServer();
    work = await tempDir();
    const client = new MongoClient(server.uri);
    try {
      await client.db(db).collection<{ _id: string; n: number }>('sources').insertMany(Array.from({ length: 7 }, (_, n) => ({ _id: `s${n}`, n })));
    } finally {
      await client.close();
    }
    // FerretDB refuses any credentials: a wrong password, as far as the export can tell.
    wrongUri = server.uri.replace('mongodb://', 'mongodb://bob:Wr0ngPassw0rd@');
  });

  after(async () => {
    await server.stop();
    await removeTempDirs();
  });

  it('resumes with the corrected URI, and the checkpoint never held the user or the password', async () => {
    const layoutFile = await layout();
    const dir = await failedExport('resumed', layoutFile);
    const header = await readFile(join(dir, '_checkpoint', 'checkpoint.json'), 'utf8');
    expect(header).to.not.include('Wr0ngPassw0rd');
    expect(header).to.not.include('bob');

    const again = await runCli([...exportArgs(server.uri, dir), '--layout', layoutFile]);
    expect(again.code).to.equal(2);
    expect(again.stderr).to.include('re-run the same command with --resume');
    expect(again.stderr).to.include('--overwrite');

    const r = await runCli([...exportArgs(server.uri, dir), '--layout', layoutFile, '--resume']);
    expect(r.code, r.stderr).to.equal(0);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.status).to.equal('complete');
    expect(manifest.document_counts[`${db}.sources`]).to.equal(7);
  });

  it('still accepts a checkpoint an earlier version wrote with <redacted>@ in its fingerprint', async () => {
    const dir = join(work, 'old-checkpoint');
    const old = await RunCheckpoint.open({ dir, operation: 'export', fingerprint: { source: 'mongodb://<redacted>@127.0.0.1:27017/', json_format: 'canonical', gzip: false }, resume: false, sourceKind: 'mongodb' });
    await old.release();
    const resumed = await RunCheckpoint.open({ dir, operation: 'export', fingerprint: { source: endpointIdentity('mongodb://127.0.0.1:27017/'), json_format: 'canonical', gzip: false }, resume: true, sourceKind: 'mongodb' });
    expect(resumed.resumed).to.equal(true);
    await resumed.remove();
    for (const [a, b] of [
      ['mongodb://bob:pa%2Fss@Host1:27017,host2/admin?authSource=admin&replicaSet=rs', 'mongodb://host1:27017,host2/?replicaSet=rs'],
      ['https://acct.documents.azure.com:443/', 'https://ACCT.documents.azure.com/'],
    ] as const) {
      expect(endpointIdentity(a), a).to.equal(endpointIdentity(b));
    }
    expect(endpointIdentity('mongodb://bob:pa/ss@Leak@host:1/')).to.equal('mongodb://host:1');
  });

  it('--overwrite removes the earlier partial export and its checkpoint, then exports afresh', async () => {
    const layoutFile = await layout();
    const dir = await failedExport('overwritten', layoutFile);
    expect(await readdir(dir)).to.include.members(['_checkpoint', 'manifest.json']);
    const r = await runCli([...exportArgs(server.uri, dir), '--layout', layoutFile, '--overwrite']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`--overwrite: removed the earlier export in ${dir}`);
    expect(r.stderr).to.not.include('resuming');
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.status).to.equal('complete');
    expect(existsSync(join(dir, '_checkpoint'))).to.equal(false);

    const both = await runCli([...exportArgs(server.uri, dir), '--layout', layoutFile, '--overwrite', '--resume']);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('pass one of them');
  });

  it('--overwrite refuses a directory that is not a docferry export, and removes nothing', async () => {
    const layoutFile = await layout();
    const notes = join(work, 'not-an-export');
    await mkdir(join(notes, 'photos'), { recursive: true });
    await writeFile(join(notes, 'photos', 'cat.jpg'), 'meow');
    await writeFile(join(notes, 'thesis.docx'), 'years of work');
    const r = await runCli([...exportArgs(server.uri, notes), '--layout', layoutFile, '--overwrite']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include(`not removing anything in ${notes}: it does not look like a docferry export`);
    expect((await readdir(notes)).sort()).to.deep.equal(['photos', 'thesis.docx']);

    const mixed = await failedExport('mixed', layoutFile);
    await writeFile(join(mixed, 'keep-me.txt'), 'mine');
    const m = await runCli([...exportArgs(server.uri, mixed), '--layout', layoutFile, '--overwrite']);
    expect(m.code).to.equal(2);
    expect(m.stderr).to.include('keep-me.txt, which no export writes');
    expect(await readdir(mixed)).to.include.members(['keep-me.txt', 'manifest.json', '_checkpoint']);
  });
});
