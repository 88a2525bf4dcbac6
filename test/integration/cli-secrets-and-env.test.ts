import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { cosmosSpec } from '../../src/cli/options.js';
import { clearSecrets } from '../../src/core/secrets.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli, spawnCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('CLI credentials: environment fallbacks, and keys never shown', function () {
  this.timeout(120_000);
  let server: CosmosTestServer;
  let work: string;
  let layoutFile: string;

  before(async () => {
    server = await startCosmosTestServer();
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(server)));
    await seedCosmos(server, `copilot${server.suffix}`, 'sources', generateDocuments('sources', 5));
  });
  after(async () => {
    await server.stop();
    await removeTempDirs();
    clearSecrets();
  });

  it('prefers SRC_COSMOS_* over COSMOS_* for export, as the original scripts did', async () => {
    const r = await runCli(['export', '--source-type', 'cosmos', '--layout', layoutFile, '--collections', 'sources', '--output-dir', join(work, 'env-export')], {
      SRC_COSMOS_ENDPOINT: server.endpoint,
      SRC_COSMOS_KEY: server.key,
      COSMOS_ENDPOINT: 'http://127.0.0.1:9/',
      COSMOS_KEY: 'bm90LXRoZS1rZXk=',
    });
    expect(r.code, r.stderr).to.equal(0);
  });

  it('falls back to COSMOS_ENDPOINT / COSMOS_KEY for import when no DST_* is set', async () => {
    const r = await runCli(['import', '--dest-type', 'cosmos', '--layout', layoutFile, '--export-dir', join(work, 'env-export'), '--json'], {
      COSMOS_ENDPOINT: server.endpoint,
      COSMOS_KEY: server.key,
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).totals.written).to.equal(5);
  });

  it('says which flag or variable is missing', async () => {
    const noEndpoint = await runCli(['export', '--source-type', 'cosmos', '--output-dir', join(work, 'x1')], {});
    expect(noEndpoint.code).to.equal(2);
    expect(noEndpoint.stderr).to.include('pass --cosmos-endpoint (or SRC_COSMOS_ENDPOINT / COSMOS_ENDPOINT)');
    const noKey = await runCli(['import', '--dest-type', 'cosmos', '--export-dir', work], { DST_COSMOS_ENDPOINT: server.endpoint });
    expect(noKey.code).to.equal(2);
    expect(noKey.stderr).to.include('set DST_COSMOS_KEY or COSMOS_KEY, or use --use-rbac');
    const notUrl = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', 'myaccount.documents.azure.com', '--cosmos-key', 'k', '--output-dir', join(work, 'x2')], {});
    expect(notUrl.code).to.equal(2);
    expect(notUrl.stderr).to.include('"myaccount.documents.azure.com" is not a URL');
  });

  it('lets --use-rbac win over a key: the key is not used at all', () => {
    const spec = cosmosSpec({ cosmosEndpoint: 'https://a.documents.azure.com:443/', cosmosKey: 'some-key', useRbac: true }, 'target', {});
    expect(spec.type).to.equal('cosmos');
    if (spec.type !== 'cosmos') return;
    expect(spec.connection.key).to.equal(undefined);
    expect(spec.connection.credential).to.not.equal(undefined);
  });

  it('never prints or stores the key: not in output, manifest, rejects, nor in an authentication error', async () => {
    // A key unlike any other string in the output, so a leak cannot hide.
    const secretKey = Buffer.from(`docferry-leak-canary-${Date.now()}`).toString('base64');
    const proxy = await startFaultProxy(server.endpoint);
    try {
      const dir = join(work, 'secret-export');
      // The local server accepts any key; the proxy forwards the canary-signed requests unchanged.
      const exp = await spawnCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', secretKey, '--layout', layoutFile, '--collections', 'sources', '--output-dir', dir]);
      expect(exp.code, exp.stderr).to.equal(0);
      const imp = await spawnCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--layout', layoutFile, '--export-dir', dir, '--mode', 'merge', '--json'], { DST_COSMOS_KEY: secretKey });
      expect(imp.code, imp.stderr).to.equal(0);
      proxy.setPolicy(() => ({ type: 'respond', status: 401, body: JSON.stringify({ code: 'Unauthorized', message: `The input authorization token can't serve the request. key=${secretKey}` }) }));
      const denied = await spawnCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', secretKey, '--layout', layoutFile, '--export-dir', dir]);
      expect(denied.code).to.equal(1);
      expect(denied.stderr).to.include('refused the credentials');
      expect(denied.stderr).to.not.include('    at ');
      const written = await Promise.all((await allFiles(dir)).map((f) => readFile(f, 'utf8')));
      for (const text of [exp.stdout, exp.stderr, imp.stdout, imp.stderr, denied.stdout, denied.stderr, ...written]) {
        expect(text).to.not.include(secretKey);
      }
      // The requests really carried that key's signature: the leak check looked at real traffic.
      expect(proxy.requests.length).to.be.greaterThan(3);
    } finally {
      await proxy.stop();
    }
  });

  it('prints the documented exit codes for usage errors', async () => {
    expect((await runCli(['export'], {})).code).to.equal(2);
    expect((await runCli(['import', '--dest-type', 'cosmos', '--export-dir', work, '--mode', 'replace'], {})).code).to.equal(2);
    expect((await runCli(['--version'], {})).code).to.equal(0);
  });
});
