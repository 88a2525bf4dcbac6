import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { sidesOf } from '../../src/options/catalogue.js';
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
    const spec = cosmosSpec({ cosmosEndpoint: 'https://a.documents.azure.com:443/', cosmosKey: 'some-key', useRbac: true }, sidesOf('import')[0]!, {});
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

  it('tells a 403 (allowed in, not allowed to do this) apart from a 401 (wrong key), says what to do, and shows no secret', async () => {
    const secretKey = Buffer.from(`docferry-403-canary-${Date.now()}`).toString('base64');
    const principal = '5c3f9a2e-8d41-4b7a-9e0f-1a2b3c4d5e6f';
    const proxy = await startFaultProxy(server.endpoint);
    try {
      const dir = join(work, 'forbidden-export');
      const exp = await spawnCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', secretKey, '--layout', layoutFile, '--collections', 'sources', '--output-dir', dir]);
      expect(exp.code, exp.stderr).to.equal(0);
      const importArgs = ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', secretKey, '--layout', layoutFile, '--export-dir', dir];
      const forbidden = (message: string, substatus?: number) => () => ({
        type: 'respond' as const,
        status: 403,
        ...(substatus ? { headers: { 'x-ms-substatus': String(substatus) } } : {}),
        body: JSON.stringify({ code: 'Forbidden', message }),
      });

      // What Cosmos DB answers an Entra ID principal that has no data-plane role assignment.
      proxy.setPolicy(forbidden(
        `Request blocked by Auth docferry-test : Request is blocked because principal [${principal}] does not have required RBAC permissions to perform action ` +
          '[Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/]. Learn more: https://aka.ms/cosmos-native-rbac.\r\nActivityId: 3f1c2d4e-0000-0000-0000-000000000000, Microsoft.Azure.Documents.Common/2.14.0',
        5301,
      ));
      const noRole = await spawnCli(importArgs);
      expect(noRole.code).to.equal(1);
      expect(noRole.stderr).to.include('HTTP 403 Forbidden, substatus 5301');
      expect(noRole.stderr).to.include(`The Entra ID identity ${principal} has no data-plane role on this account that allows Microsoft.DocumentDB/databaseAccounts/readMetadata`);
      expect(noRole.stderr).to.include('Assign it Cosmos DB Built-in Data Contributor (role definition 00000000-0000-0000-0000-000000000002)');
      expect(noRole.stderr).to.include(`az cosmosdb sql role assignment create --account-name <account> --resource-group <group> --scope / --principal-id ${principal} --role-definition-id 00000000-0000-0000-0000-000000000002`);
      expect(noRole.stderr).to.include('This is not a wrong key or token (that is HTTP 401)');
      expect(noRole.stderr).to.not.include('refused the credentials');
      expect(noRole.stderr).to.not.include('ActivityId');
      // Reading needs only the reader role.
      const noReadRole = await spawnCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', secretKey, '--layout', layoutFile, '--collections', 'sources', '--output-dir', join(work, 'forbidden-export-2')]);
      expect(noReadRole.code).to.equal(1);
      expect(noReadRole.stderr).to.include('Assign it Cosmos DB Built-in Data Reader (role definition 00000000-0000-0000-0000-000000000001)');
      expect(noReadRole.stderr).to.include(`--principal-id ${principal} --role-definition-id 00000000-0000-0000-0000-000000000001`);

      // An account with key authentication turned off answers every key-signed request with 403.
      proxy.setPolicy(forbidden(`Local Authorization is disabled. Use an AAD token to authorize all requests. key=${secretKey}`));
      const keysOff = await spawnCli(importArgs);
      expect(keysOff.code).to.equal(1);
      expect(keysOff.stderr).to.include('HTTP 403 Forbidden)');
      expect(keysOff.stderr).to.include('key authentication turned off (disableLocalAuth), so no account key works. Run with --use-rbac');

      // Any other 403: the service's reason, and the causes that fit a key.
      proxy.setPolicy(forbidden(`Request is forbidden for some reason of the service's. key=${secretKey}`));
      const other = await spawnCli(importArgs);
      expect(other.code).to.equal(1);
      expect(other.stderr).to.include('The service said: Request is forbidden for some reason of the service\'s. key=<redacted>.');
      expect(other.stderr).to.include('firewall');

      // A 401 reads differently: the credential itself is wrong.
      proxy.setPolicy(() => ({ type: 'respond', status: 401, body: JSON.stringify({ code: 'Unauthorized', message: 'The input authorization token can\'t serve the request.' }) }));
      const badKey = await spawnCli(importArgs);
      expect(badKey.code).to.equal(1);
      expect(badKey.stderr).to.include('refused the credentials');
      expect(badKey.stderr).to.include('HTTP 401 Unauthorized');
      expect(badKey.stderr).to.include('Check the account key');
      expect(badKey.stderr).to.not.include('role assignment');

      for (const r of [exp, noRole, noReadRole, keysOff, other, badKey]) {
        expect(r.stdout + r.stderr).to.not.include(secretKey);
        expect(r.stderr).to.not.include('    at ');
      }
      expect(proxy.injected.get(403)).to.be.greaterThan(2);
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
