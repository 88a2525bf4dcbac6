import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { clearSecrets } from '../../src/core/secrets.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli, spawnCli, type CliResult } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { filesUnder, fuzzPasswords, fuzzUris, leakedPieces, type FuzzUri } from '../support/uri-fuzz.js';

/**
 * Issue 14, item 1: a MongoDB password never shows, however malformed the URI it sits in.
 * Every command that takes a MongoDB URI is run with many broken or unreachable ones; nothing
 * it prints or writes (output, manifest, checkpoint, rejects) holds the password or a piece of it.
 */
describe('MongoDB passwords in malformed URIs never leak from the CLI', function () {
  this.timeout(300_000);
  let mongo: MongoTestServer;
  let work: string;
  let exportDir: string;
  const cases = fuzzUris(fuzzPasswords(40));

  before(async () => {
    mongo = await startMongoTestServer();
    work = await tempDir('docferry-fuzz-');
    const client = new MongoClient(mongo.uri);
    await client.db('copilot').collection('sources').insertMany([...generateDocuments('sources', 3, { seed: 14, flavor: 'mongodb' })] as never[]);
    await client.close();
    exportDir = join(work, 'good-export');
    const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--collections', 'sources', '--output-dir', exportDir, '--quiet']);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await mongo?.stop();
    await removeTempDirs();
    clearSecrets();
  });

  type Run = (c: FuzzUri, dir: string) => string[];
  const commands: Record<string, Run> = {
    export: (c, dir) => ['export', '--source-type', 'mongodb', '--mongo-uri', c.uri, '--collections', 'sources', '--output-dir', join(dir, 'out')],
    import: (c) => ['import', '--dest-type', 'mongodb', '--mongo-uri', c.uri, '--export-dir', exportDir, '--collections', 'sources'],
    'migrate (source)': (c, dir) => ['migrate', '--from', 'mongodb', '--from-mongo-uri', c.uri, '--to', 'mongodb', '--to-mongo-uri', mongo.uri, '--collections', 'sources', '--rejects-dir', join(dir, 'rejects'), '--checkpoint', join(dir, 'ckpt')],
    'migrate (target)': (c, dir) => ['migrate', '--from', 'mongodb', '--from-mongo-uri', mongo.uri, '--to', 'mongodb', '--to-mongo-uri', c.uri, '--collections', 'sources', '--rejects-dir', join(dir, 'rejects'), '--checkpoint', join(dir, 'ckpt')],
    verify: (c, dir) => ['verify', '--left-type', 'mongodb', '--left-mongo-uri', c.uri, '--right-type', 'dir', '--right-dir', exportDir, '--collections', 'sources', '--report', join(dir, 'report.ndjson')],
  };

  async function expectNoLeak(c: FuzzUri, r: CliResult, dir: string, what: string): Promise<void> {
    expect(r.code, `${what} ${c.uri} should fail:\n${r.stderr}`).to.not.equal(0);
    const texts = [{ path: 'stdout', text: r.stdout }, { path: 'stderr', text: r.stderr }, ...(await filesUnder(dir))];
    for (const t of texts) expect(leakedPieces(c.password, t.text), `${what} ${c.uri}: ${t.path} holds\n${t.text}`).to.deep.equal([]);
  }

  for (const [name, args] of Object.entries(commands)) {
    it(`${name}: ${cases.length} broken or unreachable URIs, in process`, async () => {
      for (const [i, c] of cases.entries()) {
        const dir = await tempDir(`docferry-fuzz-${i}-`);
        const r = await runCli([...args(c, dir), '--quiet']);
        await expectNoLeak(c, r, dir, name);
      }
    });
  }

  it('as a child process too, with the URI from a flag or from the environment: stderr, stdout and files stay clean', async () => {
    const picked = cases.filter((_, i) => i % 4 === 0).slice(0, 6);
    for (const [i, c] of picked.entries()) {
      const dir = await tempDir(`docferry-fuzz-child-${i}-`);
      const [name, args] = Object.entries(commands)[i % Object.keys(commands).length]!;
      await expectNoLeak(c, await spawnCli(args(c, dir)), dir, `${name} (child)`);
    }
    const c = cases[1]!;
    const dir = await tempDir('docferry-fuzz-env-');
    const fromEnv = await spawnCli(['export', '--source-type', 'mongodb', '--collections', 'sources', '--output-dir', join(dir, 'out')], { SRC_MONGO_URI: c.uri });
    await expectNoLeak(c, fromEnv, dir, 'export (SRC_MONGO_URI)');
  });

  it('the two URIs of the issue: the whole userinfo is redacted, the host stays', async () => {
    const dir = await tempDir('docferry-fuzz-issue-');
    const slash = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', 'mongodb://bob:pa/ssLeak9@127.0.0.1:43963/', '--output-dir', join(dir, 'a')]);
    expect(slash.stderr).to.not.include('ssLeak9').and.to.not.include('pa/ss');
    expect(slash.stderr).to.include('mongodb://<redacted>@127.0.0.1:43963/');
    const at = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', 'mongodb://bob:Pa@ss!Leak1@host/', '--output-dir', join(dir, 'b')]);
    expect(at.stderr).to.not.include('Leak1');
    expect(at.stderr).to.include('mongodb://<redacted>@host/');
  });
});
