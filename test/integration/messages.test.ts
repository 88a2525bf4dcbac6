import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { DEV_ACCOUNT, startBlobTestServer, type BlobTestServer } from '../support/azurite.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/** Issue 14, item 12: messages in the words of what the user did, with advice that is true. */
describe('messages say what happened and what to do', function () {
  this.timeout(120_000);
  let mongo: MongoTestServer;
  let blob: BlobTestServer;
  let work: string;
  let exportDir: string;

  before(async () => {
    [mongo, blob] = await Promise.all([startMongoTestServer(), startBlobTestServer({ local: true })]);
    work = await tempDir('docferry-messages-');
    const client = new MongoClient(mongo.uri);
    await client.db('copilot').collection('sources').insertMany([...generateDocuments('sources', 4, { seed: 12, flavor: 'mongodb' })] as never[]);
    await client.close();
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--collections', 'sources', '--output-dir', exportDir, '--quiet']);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await mongo?.stop();
    await blob?.stop();
    await removeTempDirs();
  });

  it('verify on a damaged export: "Refusing to compare", and with --allow-partial "comparing despite", never "importing"', async () => {
    const damaged = join(work, 'damaged');
    await mkdir(join(damaged, 'copilot'), { recursive: true });
    await writeFile(join(damaged, 'manifest.json'), await readFile(join(exportDir, 'manifest.json')));
    const lines = (await readFile(join(exportDir, 'copilot', 'sources.json'), 'utf8')).split('\n');
    await writeFile(join(damaged, 'copilot', 'sources.json'), lines.slice(1).join('\n'));
    const verifyArgs = ['verify', '--left-type', 'mongodb', '--left-mongo-uri', mongo.uri, '--right-type', 'dir', '--right-dir', damaged, '--collections', 'sources'];
    const refused = await runCli(verifyArgs);
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.include(`Refusing to compare ${damaged}`).and.to.include('Pass --allow-partial to compare anyway');
    expect(refused.stderr).to.not.match(/import/i);
    const partial = await runCli([...verifyArgs, '--allow-partial']);
    expect(partial.stderr).to.include('--allow-partial: comparing despite:');
    expect(partial.stderr).to.not.include('importing');
  });

  it('a directory without a manifest: the advice is one that works, not --allow-partial', async () => {
    const bare = join(work, 'bare');
    await mkdir(join(bare, 'copilot'), { recursive: true });
    await writeFile(join(bare, 'copilot', 'sources.json'), '{"_id":"a"}\n');
    const importArgs = ['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--export-dir', bare, '--collections', 'sources'];
    for (const args of [importArgs, [...importArgs, '--allow-partial']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).to.equal(4);
      expect(r.stderr).to.include('manifest.json is missing').and.to.include('Export again into a new directory');
      expect(r.stderr).to.not.include('--allow-partial');
    }
    // An interrupted export left its checkpoint: finishing it is the way.
    await mkdir(join(bare, '_checkpoint'));
    const interrupted = await runCli(importArgs);
    expect(interrupted.stderr).to.include('re-running the same export command with --resume');
  });

  it('a layout with an unknown partition-key kind lists the allowed kinds', async () => {
    const layout = join(work, 'bad-layout.json');
    await writeFile(layout, JSON.stringify({ name: 'x', databases: [{ name: 'copilot', containers: [{ name: 'sources', partitionKey: { paths: ['/id'], kind: 'Range' } }] }] }));
    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', join(work, 'never')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('/databases/0/containers/0/partitionKey/kind must be one of Hash, MultiHash, not "Range"');
  });

  it('a wrong storage account key gets advice about the account key, not about Entra ID or SAS', async () => {
    const box = await blob.createContainer();
    const wrongKey = Buffer.from('not-the-account-key-of-devstoreaccount1-at-all').toString('base64');
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${wrongKey};BlobEndpoint=${blob.blobEndpoint};`;
    const r = await runCli(['archive', 'list', '--container-url', box.name], { AZURE_STORAGE_CONNECTION_STRING: connectionString });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('The account key of the connection string was refused');
    expect(r.stderr).to.not.include('Entra ID').and.to.not.include('SAS');
    expect(r.stderr).to.not.include(wrongKey);
  });

  it('the export summary names no write mode', async () => {
    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--collections', 'sources', '--output-dir', join(work, 'json-export'), '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.not.have.property('mode');
  });
});
