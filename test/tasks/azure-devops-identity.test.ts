import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import { loadLayout } from '../../src/core/layout.js';
import { runExport } from '../../src/engine/export.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type AgentResult, type AzureRmEndpoint, type TaskJson } from './support/agent.js';
import { servicePrincipalPem, startAzureStandIn, startRecordingTlsProxy, type AzureStandIn, type RecordingProxy } from './support/azure-stand-ins.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = 'b4b5a2c1-0f5e-4a43-9d11-6f2b3a7c8d90';
const ENDPOINT_ID = '5d2f1a3b-6c7d-4e8f-9a0b-1c2d3e4f5a6b';
const JOB_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.job-access-token.signature';

/** Cosmos DB's data-plane header for an Entra ID token (sent URL-encoded). */
function aadSignature(authorization: string): string | undefined {
  const m = /^type=aad&ver=1\.0&sig=(.+)$/.exec(decodeURIComponent(authorization));
  return m?.[1];
}

describe('Azure DevOps tasks: Azure credentials from an AzureRM service connection, end to end', function () {
  this.timeout(120_000);
  let standIn: AzureStandIn;
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let proxy: RecordingProxy;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  const bundles: Record<string, { dir: string; task: TaskJson }> = {};
  const db = (name: string) => `${name}${source.suffix}`;

  function endpoint(scheme: AzureRmEndpoint['scheme'], parameters: Record<string, string>): AzureRmEndpoint {
    return { id: ENDPOINT_ID, scheme, parameters: { tenantid: TENANT, serviceprincipalid: CLIENT, ...parameters }, data: { environmentAuthorityUrl: `${standIn.url}/` } };
  }

  async function run(name: string, inputs: Record<string, string>, ep: AzureRmEndpoint, extra: { accessToken?: string } = {}): Promise<AgentResult> {
    const b = bundles[name]!;
    return runAgentTask({
      bundleDir: b.dir,
      task: b.task,
      inputs: { azureSubscription: ENDPOINT_ID, ...inputs },
      endpoints: [ep],
      workDir: await tempDir('docferry-agent-'),
      oidcRequestUri: standIn.oidcRequestUri,
      accessToken: extra.accessToken ?? JOB_TOKEN,
      env: { NODE_EXTRA_CA_CERTS: standIn.caFile },
    });
  }

  before(async () => {
    work = await tempDir();
    for (const name of ['DocferryExport', 'DocferryImport']) {
      const dir = join(work, 'bundles', name);
      await buildAzureDevOpsTask(name, dir);
      bundles[name] = { dir, task: readTaskJson(name) };
    }
    standIn = await startAzureStandIn({ jobAccessToken: JOB_TOKEN });
    source = await startCosmosTestServer();
    await seedCosmos(source, db('copilot'), 'messages', generateDocuments('messages', 25, { seed: 21 }));
    await seedCosmos(source, db('auth'), 'user_roles', generateDocuments('user_roles', 3, { seed: 21 }));
    const layout = testLayout(source);
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
    exportDir = join(work, 'export');
    const summary = await runExport({ source: { type: 'cosmos', connection: { endpoint: source.endpoint, key: source.key } }, layout: { layout: loadLayout(layoutFile), source: layoutFile }, outputDir: exportDir, collections: ['messages', 'user_roles'] });
    expect(summary.exitCode).to.equal(0);
    // The target over TLS; with Entra ID the import cannot create containers (control plane), so they exist.
    target = await startCosmosTestServer({ tls: true });
    const client = cosmosClient(target);
    for (const [database, container] of [[db('copilot'), 'messages'], [db('auth'), 'user_roles']] as const) {
      const { database: d } = await client.databases.createIfNotExists({ id: database });
      await d.containers.createIfNotExists({ id: container, partitionKey: { paths: ['/id'] } });
    }
    client.dispose();
    proxy = await startRecordingTlsProxy(target.endpoint, target.ca!);
  });

  after(async () => {
    await proxy?.stop();
    await standIn?.stop();
    await source?.stop();
    await target?.stop();
    await removeTempDirs();
  });

  describe('workload identity federation', () => {
    let imported: AgentResult;
    let oidcBefore: number;
    let tokensBefore: number;
    let cosmosBefore: number;

    before(async () => {
      oidcBefore = standIn.oidcRequests.length;
      tokensBefore = standIn.tokenRequests.length;
      cosmosBefore = proxy.authorizations.length;
      imported = await run(
        'DocferryImport',
        { destType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, exportDir, collections: 'messages,user_roles' },
        endpoint('WorkloadIdentityFederation', { workloadIdentityFederationIssuer: 'https://vstoken.dev.azure.com/contoso', workloadIdentityFederationSubject: 'sc://contoso/data/prod' }),
      );
    });

    it('imports every document into Cosmos DB with the federated identity', async () => {
      expect(imported.result, imported.stdout + imported.stderr).to.equal('Succeeded');
      expect(imported.outputs).to.include({ documentsWritten: '28', documentsRejected: '0' });
      expect(await readAllCosmos(target, db('copilot'), 'messages')).to.deep.equal(await readAllCosmos(source, db('copilot'), 'messages'));
      expect(await readAllCosmos(target, db('auth'), 'user_roles')).to.deep.equal(await readAllCosmos(source, db('auth'), 'user_roles'));
    });

    it('fetched the OIDC token from System.OidcRequestUri with the job token, for this service connection', () => {
      const oidc = standIn.oidcRequests.slice(oidcBefore);
      expect(oidc.length).to.be.greaterThan(0);
      for (const r of oidc) {
        expect(r.authorization).to.equal(`Bearer ${JOB_TOKEN}`);
        expect(r.serviceConnectionId).to.equal(ENDPOINT_ID);
        expect(r.url.startsWith(standIn.oidcRequestUri)).to.equal(true);
      }
    });

    it('exchanged each freshly fetched OIDC token as a federated client assertion at the tenant\'s token endpoint', () => {
      const oidc = standIn.oidcRequests.slice(oidcBefore).map((r) => r.issued);
      const tokens = standIn.tokenRequests.slice(tokensBefore);
      expect(tokens.length).to.be.greaterThan(0);
      for (const t of tokens) {
        expect(t.tenant).to.equal(TENANT);
        expect(t.form).to.include({ client_id: CLIENT, grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
        expect(oidc).to.include(t.form.client_assertion);
        expect(t.form.scope).to.include(`${proxy.endpoint.replace(/\/$/, '')}/.default`);
      }
      // One OIDC token per exchange, never reused.
      expect(new Set(tokens.map((t) => t.form.client_assertion)).size).to.equal(tokens.length);
    });

    it('sent Cosmos DB the access token as type=aad authorization, never a key signature', () => {
      const issued = new Set(standIn.tokenRequests.slice(tokensBefore).map((t) => t.issued));
      const auths = proxy.authorizations.slice(cosmosBefore).filter(Boolean);
      expect(auths.length).to.be.greaterThan(0);
      for (const a of auths) {
        const sig = aadSignature(a);
        expect(sig, decodeURIComponent(a).slice(0, 30)).to.not.equal(undefined);
        expect(issued.has(sig!)).to.equal(true);
      }
    });

    it('masks the job token and never prints it', () => {
      expect(imported.secrets).to.include(JOB_TOKEN);
      const leaks = imported.stdout.split('\n').filter((l) => l.includes(JOB_TOKEN) && !l.startsWith('##vso[task.setsecret]'));
      expect(leaks).to.deep.equal([]);
      expect(imported.stderr).to.not.include(JOB_TOKEN);
    });

    it('requests a new OIDC token for every exchange when access tokens expire during the run', async () => {
      const oidc0 = standIn.oidcRequests.length;
      const tok0 = standIn.tokenRequests.length;
      const ep = endpoint('WorkloadIdentityFederation', {});
      // Tokens valid for 60 s are refreshed on every request (MSAL renews within 5 minutes of expiry).
      standIn.setLifetime(60);
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, exportDir, collections: 'user_roles', mode: 'merge' }, ep);
      standIn.setLifetime(3599);
      expect(r.result, r.stdout).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsSkipped: '3' });
      const tokens = standIn.tokenRequests.slice(tok0);
      const oidc = standIn.oidcRequests.slice(oidc0);
      expect(tokens.length).to.be.greaterThan(1);
      // Every exchange carried an OIDC token fetched for it (the credential asks for one on every token request).
      const issued = oidc.map((o) => o.issued);
      for (const t of tokens) expect(issued).to.include(t.form.client_assertion);
      expect(new Set(tokens.map((t) => t.form.client_assertion)).size).to.equal(tokens.length);
    });

    it('fails with the credential\'s message when the OIDC endpoint refuses the job token', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, exportDir, collections: 'user_roles' }, endpoint('WorkloadIdentityFederation', {}), { accessToken: 'stale-token-0123456789' });
      expect(r.result).to.equal('Failed');
      expect(r.errors).to.have.length(1);
      expect(r.errors[0], r.errors[0]).to.include('AzurePipelinesCredential');
      expect(r.stdout.split('\n').filter((l) => l.includes('stale-token-0123456789') && !l.startsWith('##vso[task.setsecret]'))).to.deep.equal([]);
    });
  });

  describe('managed identity', () => {
    it('uses the agent\'s managed identity (here the App Service form of the endpoint) and sends Cosmos DB its token', async () => {
      const auth0 = proxy.authorizations.length;
      const b = bundles.DocferryExport!;
      const r = await runAgentTask({
        bundleDir: b.dir,
        task: b.task,
        inputs: { azureSubscription: ENDPOINT_ID, sourceType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, collections: 'user_roles', outputDir: join(work, 'msi-export') },
        endpoints: [{ id: ENDPOINT_ID, scheme: 'ManagedServiceIdentity', parameters: { tenantid: TENANT } }],
        workDir: await tempDir('docferry-agent-'),
        env: { NODE_EXTRA_CA_CERTS: standIn.caFile, IDENTITY_ENDPOINT: standIn.managedIdentityEndpoint, IDENTITY_HEADER: 'identity-header-value-0123' },
      });
      expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsWritten: '3' });
      const msi = standIn.managedIdentityRequests;
      expect(msi.length).to.be.greaterThan(0);
      expect(msi[0]!.identityHeader).to.equal('identity-header-value-0123');
      expect(msi[0]!.resource).to.equal(proxy.endpoint.replace(/\/$/, ''));
      const issued = new Set(msi.map((m) => m.issued));
      const auths = proxy.authorizations.slice(auth0).filter(Boolean);
      expect(auths.length).to.be.greaterThan(0);
      expect(auths.every((a) => issued.has(aadSignature(a) ?? ''))).to.equal(true);
    });
  });

  describe('service principal', () => {
    it('with a secret (spnKey): the secret goes to the token endpoint, masked, and Cosmos DB gets the token', async () => {
      const secret = 'Q~spn.secret-value_0123456789abcdef';
      const tok0 = standIn.tokenRequests.length;
      const auth0 = proxy.authorizations.length;
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, collections: 'user_roles', outputDir: join(work, 'spn-export') }, endpoint('ServicePrincipal', { authenticationType: 'spnKey', serviceprincipalkey: secret }));
      expect(r.result, r.stdout).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsRead: '3', documentsWritten: '3' });
      const tokens = standIn.tokenRequests.slice(tok0);
      expect(tokens.length).to.be.greaterThan(0);
      expect(tokens[0]!.form).to.include({ client_id: CLIENT, client_secret: secret, grant_type: 'client_credentials' });
      expect(proxy.authorizations.slice(auth0).filter(Boolean).every((a) => aadSignature(a) === tokens[0]!.issued)).to.equal(true);
      expect(r.secrets).to.include(secret);
      expect(r.stdout.split('\n').filter((l) => l.includes(secret) && !l.startsWith('##vso[task.setsecret]'))).to.deep.equal([]);
    });

    it('with a certificate (spnCertificate): a client assertion signed by the certificate, every PEM line masked', async () => {
      const { pem, thumbprint } = servicePrincipalPem();
      const tok0 = standIn.tokenRequests.length;
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: proxy.endpoint, layoutFile, collections: 'user_roles', outputDir: join(work, 'cert-export') }, endpoint('ServicePrincipal', { authenticationType: 'spnCertificate', servicePrincipalCertificate: pem }));
      expect(r.result, r.stdout).to.equal('Succeeded');
      const t = standIn.tokenRequests.slice(tok0)[0]!;
      expect(t.form).to.include({ client_id: CLIENT, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
      const header = JSON.parse(Buffer.from(t.form.client_assertion!.split('.')[0]!, 'base64url').toString('utf8')) as { x5t?: string; 'x5t#S256'?: string };
      const sha1 = Buffer.from(thumbprint, 'hex').toString('base64url');
      expect([header.x5t, header['x5t#S256']].filter(Boolean).length).to.be.greaterThan(0);
      if (header.x5t) expect(header.x5t).to.equal(sha1);
      const keyLines = pem.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'));
      for (const line of keyLines) expect(r.secrets).to.include(line);
      expect(r.stdout.split('\n').filter((l) => keyLines.some((k) => l.includes(k)) && !l.startsWith('##vso[task.setsecret]'))).to.deep.equal([]);
    });
  });
});
