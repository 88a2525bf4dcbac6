import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { ContainerSASPermissions } from '@azure/storage-blob';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import { loadLayout } from '../../src/core/layout.js';
import { runExport } from '../../src/engine/export.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { DEV_ACCOUNT_KEY, startBlobTestServer, type BlobTestServer } from '../support/azurite.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type AgentResult, type AzureRmEndpoint, type TaskJson } from './support/agent.js';
import { startAzureStandIn, type AzureStandIn } from './support/azure-stand-ins.js';

const ENDPOINT_ID = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';
const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
const JOB_TOKEN = 'job-token-for-the-stages-test-0123456789';

describe('Azure DevOps tasks: migrate, verify, archive and throughput stages, bundled, run as the agent runs them', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  const bundles: Record<string, { dir: string; task: TaskJson }> = {};
  const db = (name: string) => `${name}${source.suffix}`;

  async function run(name: string, inputs: Record<string, string>, extra: { endpoints?: AzureRmEndpoint[]; env?: Record<string, string>; oidcRequestUri?: string } = {}): Promise<AgentResult> {
    const b = bundles[name]!;
    return runAgentTask({ bundleDir: b.dir, task: b.task, inputs, workDir: await tempDir('docferry-agent-'), accessToken: JOB_TOKEN, ...extra });
  }

  before(async () => {
    work = await tempDir();
    await Promise.all(
      ['DocferryMigrate', 'DocferryVerify', 'DocferryArchive', 'DocferryThroughput', 'DocferryImport'].map(async (name) => {
        const dir = join(work, 'bundles', name);
        await buildAzureDevOpsTask(name, dir);
        bundles[name] = { dir, task: readTaskJson(name) };
      }),
    );
    source = await startCosmosTestServer();
    target = await startCosmosTestServer();
    await seedCosmos(source, db('copilot'), 'summaries', generateDocuments('summaries', 12, { seed: 51 }));
    await seedCosmos(source, db('auth'), 'user_roles', generateDocuments('user_roles', 4, { seed: 51 }));
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'data-export-20260212T170000');
    await runExport({ source: { type: 'cosmos', connection: { endpoint: source.endpoint, key: source.key } }, layout: { layout: loadLayout(layoutFile), source: layoutFile }, outputDir: exportDir, collections: ['summaries', 'user_roles'] });
  });

  after(async () => {
    await source?.stop();
    await target?.stop();
    await removeTempDirs();
  });

  describe('DocferryMigrate and DocferryVerify', () => {
    let migrated: AgentResult;

    before(async () => {
      migrated = await run('DocferryMigrate', {
        fromType: 'cosmos', fromCosmosEndpoint: source.endpoint, fromCosmosKey: source.key,
        toType: 'cosmos', toCosmosEndpoint: target.endpoint, toCosmosKey: target.key,
        layoutFile, collections: 'summaries,user_roles', verify: 'true',
      });
    });

    it('migrates straight from account to account, verifies, and reports counts and the report file', async () => {
      expect(migrated.result, migrated.stdout).to.equal('Succeeded');
      expect(migrated.outputs).to.include({ documentsRead: '16', documentsWritten: '16', documentsRejected: '0' });
      // Issue 14, item 2: the default report is in the agent temp directory, not the staging directory (a/) publish steps upload.
      expect(migrated.outputs.reportFile).to.match(/[\\/]_temp[\\/]docferry-verify-\d{8}T\d{6}\.ndjson$/);
      expect(existsSync(migrated.outputs.reportFile!)).to.equal(true);
      expect(await readAllCosmos(target, db('copilot'), 'summaries')).to.deep.equal(await readAllCosmos(source, db('copilot'), 'summaries'));
      expect(migrated.summaries[0]).to.include('### Verification').and.include(`| ${db('copilot')}.summaries | 12 | 12 | 0 | 0 | 0 | yes |`);
      expect(migrated.secrets).to.include.members([source.key, target.key]);
    });

    it('DocferryVerify fails the step on a difference, sets verifyEqual false, and lists the document', async () => {
      const client = cosmosClient(target);
      await client.database(db('auth')).container('user_roles').items.create({ id: 'only-in-target', user_id: 'github:999' });
      client.dispose();
      const reportFile = join(work, 'verify-report.ndjson');
      const r = await run('DocferryVerify', {
        leftType: 'dir', leftDir: exportDir,
        rightType: 'cosmos', rightCosmosEndpoint: target.endpoint, rightCosmosKey: target.key,
        layoutFile, reportFile,
      });
      expect(r.result).to.equal('Failed');
      const { reportMarkdown, ...outputs } = r.outputs;
      expect(outputs).to.deep.equal({ reportFile, verifyEqual: 'false' });
      // The verify's report, as a transfer's: the charts on the summary page and as a file, the HTML attached.
      expect(await readFile(reportMarkdown!, 'utf8')).to.match(/### Documents compared per second[\s\S]*```mermaid\nxychart-beta/);
      expect(r.summaries[0]).to.include('Documents compared per second');
      const attachments = r.commands.filter((c) => c.command === 'task.addattachment');
      expect(attachments.map((c) => c.properties.type)).to.deep.equal(['docferry.report']);
      const html = await readFile(attachments[0]!.message, 'utf8');
      expect(html).to.include('<h2>Verify: DIFFERENCES</h2>');
      expect(html).to.match(/<svg class="chart"/);
      expect(r.errors).to.have.length(1);
      expect(r.errors[0]).to.include(`${db('auth')}.user_roles (0 missing, 1 extra, 0 differing)`);
      expect(r.summaries[0]).to.include('extra on the right (1): `only-in-target`');
      const report = (await readFile(reportFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(report.some((e) => JSON.stringify(e).includes('only-in-target'))).to.equal(true);
      const same = await run('DocferryVerify', { leftType: 'dir', leftDir: exportDir, rightType: 'cosmos', rightCosmosEndpoint: source.endpoint, rightCosmosKey: source.key, layoutFile });
      expect(same.result).to.equal('Succeeded');
      expect(same.outputs.verifyEqual).to.equal('true');
    });
  });

  describe('DocferryArchive with a storage connection string (Azurite)', () => {
    let blob: BlobTestServer;
    let containerUrl: string;
    before(async () => {
      blob = await startBlobTestServer({ local: true });
      containerUrl = (await blob.createContainer()).url;
    });
    after(async () => blob?.stop());

    it('push, list, pull: the pulled export imports, and the account key is masked', async () => {
      const pushed = await run('DocferryArchive', { command: 'push', containerUrl, storageConnectionString: blob.connectionString, exportDir });
      expect(pushed.result, pushed.stdout).to.equal('Succeeded');
      expect(pushed.outputs).to.deep.equal({ archivePrefix: 'data-export-20260212T170000/', exportDir });
      expect(pushed.secrets).to.include.members([blob.connectionString, DEV_ACCOUNT_KEY]);
      expect(pushed.stdout.split('\n').filter((l) => l.includes(DEV_ACCOUNT_KEY) && !l.startsWith('##vso[task.setsecret]'))).to.deep.equal([]);

      const listed = await run('DocferryArchive', { command: 'list', containerUrl, storageConnectionString: blob.connectionString });
      expect(listed.result).to.equal('Succeeded');
      expect(listed.outputs).to.deep.equal({ archivePrefix: 'data-export-20260212T170000/' });
      expect(listed.summaries[0]).to.include('| `data-export-20260212T170000/` |').and.include('| complete | 16 |');

      const destDir = join(work, 'pulled');
      const pulled = await run('DocferryArchive', { command: 'pull', containerUrl, storageConnectionString: blob.connectionString, destDir });
      expect(pulled.result, pulled.stdout).to.equal('Succeeded');
      expect(pulled.outputs).to.deep.equal({ archivePrefix: 'data-export-20260212T170000/', exportDir: destDir });
      expect((await readdir(destDir)).sort()).to.include('manifest.json');

      const fresh = await startCosmosTestServer();
      try {
        const imported = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: fresh.endpoint, cosmosKey: fresh.key, layoutFile, exportDir: pulled.outputs.exportDir! });
        expect(imported.result, imported.stdout).to.equal('Succeeded');
        expect(imported.outputs.documentsWritten).to.equal('16');
        expect(await readAllCosmos(fresh, db('copilot'), 'summaries')).to.deep.equal(await readAllCosmos(source, db('copilot'), 'summaries'));
      } finally {
        await fresh.stop();
      }
    });

    it('with a SAS in the container URL (System.Debug on): the signature is masked and never printed', async () => {
      const sasUrl = await (await blob.createContainer()).client.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) });
      const sig = new URL(sasUrl).searchParams.get('sig')!;
      const r = await runAgentTask({ bundleDir: bundles.DocferryArchive!.dir, task: bundles.DocferryArchive!.task, inputs: { command: 'list', containerUrl: sasUrl }, workDir: await tempDir('docferry-agent-'), systemDebug: true });
      expect(r.result, r.stdout).to.equal('Succeeded');
      expect(r.secrets).to.include(sig);
      expect(r.stdout.split('\n').filter((l) => (l.includes(sig) || l.includes(encodeURIComponent(sig))) && !l.startsWith('##vso[task.setsecret]'))).to.deep.equal([]);
      expect(r.summaries[0]).to.include('The container holds no archived exports.');
    });

    it('names the missing input for the command', async () => {
      const r = await run('DocferryArchive', { command: 'pull', containerUrl, storageConnectionString: blob.connectionString });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.equal('Input "destDir" is required to pull into (a new or empty directory).');
    });
  });

  describe('DocferryThroughput through the service connection\'s Resource Manager endpoint', () => {
    let standIn: AzureStandIn;
    const armPath = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-prod/sqlDatabases/copilot/containers/messages/throughputSettings/default`;
    const endpoint = (): AzureRmEndpoint => ({
      id: ENDPOINT_ID,
      scheme: 'WorkloadIdentityFederation',
      parameters: { tenantid: 'contoso.onmicrosoft.com', serviceprincipalid: '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a' },
      url: `${standIn.url}/`,
      data: { environmentAuthorityUrl: `${standIn.url}/`, subscriptionId: SUBSCRIPTION },
    });

    before(async () => {
      standIn = await startAzureStandIn({ jobAccessToken: JOB_TOKEN });
      standIn.offers.set(armPath.toLowerCase(), { throughput: 400, minimumThroughput: 400 });
    });
    after(async () => standIn?.stop());

    it('raise records the current RU/s and raises; restore puts it back and removes the state file', async () => {
      const stateFile = join(work, 'throughput-state.json');
      const common = { azureSubscription: ENDPOINT_ID, resourceGroup: 'rg-data', accountName: 'cosmos-prod', database: 'copilot', container: 'messages', stateFile };
      const env = { NODE_EXTRA_CA_CERTS: standIn.caFile };
      const raised = await run('DocferryThroughput', { ...common, command: 'raise', targetThroughput: '4000' }, { endpoints: [endpoint()], env, oidcRequestUri: standIn.oidcRequestUri });
      expect(raised.result, raised.stdout + raised.stderr).to.equal('Succeeded');
      expect(raised.outputs).to.deep.equal({ stateFile });
      expect(standIn.offers.get(armPath.toLowerCase())!.throughput).to.equal(4000);
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as { before: { mode: string; value: number } };
      expect(state.before).to.deep.equal({ mode: 'manual', value: 400 });
      // Every management call carried the federated identity's token, for the connection's ARM audience.
      const tokens = new Set(standIn.tokenRequests.map((t) => t.issued));
      expect(standIn.armRequests.length).to.be.greaterThan(1);
      expect(standIn.armRequests.every((a) => tokens.has(String(a.authorization).replace(/^Bearer /, '')))).to.equal(true);
      expect(standIn.tokenRequests.every((t) => t.form.scope?.includes(`${standIn.url}/.default`))).to.equal(true);
      expect(standIn.armRequests.find((a) => a.method === 'PUT')!.body).to.deep.equal({ properties: { resource: { throughput: 4000 } } });

      const restored = await run('DocferryThroughput', { azureSubscription: ENDPOINT_ID, command: 'restore', stateFile }, { endpoints: [endpoint()], env, oidcRequestUri: standIn.oidcRequestUri });
      expect(restored.result, restored.stdout + restored.stderr).to.equal('Succeeded');
      expect(standIn.offers.get(armPath.toLowerCase())!.throughput).to.equal(400);
      expect(existsSync(stateFile)).to.equal(false);
      expect(restored.summaries[0]).to.include('restored, 400 RU/s (manual) (found 4000 RU/s (manual))');
    });

    it('raise with waitForScaleUp logs a line per read while the scale-up is pending (offerReplacePending), then that it is applied', async () => {
      const pendingPath = armPath.replace('/containers/messages/', '/containers/chunks/');
      standIn.offers.set(pendingPath.toLowerCase(), { throughput: 400, minimumThroughput: 400, pendingAfterPut: 3 });
      const stateFile = join(work, 'throughput-pending-state.json');
      const r = await run(
        'DocferryThroughput',
        { azureSubscription: ENDPOINT_ID, command: 'raise', resourceGroup: 'rg-data', accountName: 'cosmos-prod', database: 'copilot', container: 'chunks', targetThroughput: '8000', stateFile, waitForScaleUp: '1m', progressInterval: '100ms' },
        { endpoints: [endpoint()], env: { NODE_EXTRA_CA_CERTS: standIn.caFile }, oidcRequestUri: standIn.oidcRequestUri },
      );
      expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
      const waiting = r.stdout.split('\n').filter((l) => l.includes('cosmos-prod/copilot/chunks: the scale-up to 8000 RU/s (manual) is still being applied'));
      // The PUT's answer, then each of the three pending reads (the fourth read finds it applied).
      expect(waiting.length).to.be.within(3, 4);
      expect(r.stdout).to.match(/cosmos-prod\/copilot\/chunks: the scale-up to 8000 RU\/s \(manual\) is applied \(after/);
      expect(standIn.offers.get(pendingPath.toLowerCase())!.throughput).to.equal(8000);
      const gets = standIn.armRequests.filter((a) => a.method === 'GET' && a.path.toLowerCase() === pendingPath.toLowerCase());
      expect(gets.length, 'the plan\'s read, then the reads of the wait').to.be.at.least(4);
    });

    it('fails in seconds, naming the management endpoint, when the service connection\'s Resource Manager URL cannot be reached (connectTimeout)', async () => {
      const closed = { ...endpoint(), url: 'https://127.0.0.1:1/' };
      const started = Date.now();
      const r = await run(
        'DocferryThroughput',
        { azureSubscription: ENDPOINT_ID, command: 'raise', resourceGroup: 'rg-data', accountName: 'cosmos-prod', database: 'copilot', container: 'messages', targetThroughput: '4000', stateFile: join(work, 'unreached-state.json'), connectTimeout: '2s' },
        { endpoints: [closed], env: { NODE_EXTRA_CA_CERTS: standIn.caFile }, oidcRequestUri: standIn.oidcRequestUri },
      );
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.include('Cannot reach the Azure management API at https://127.0.0.1:1');
      expect(Date.now() - started).to.be.lessThan(30_000);
      expect(existsSync(join(work, 'unreached-state.json'))).to.equal(false);
    });

    it('refuses a raise without a target, naming both inputs', async () => {
      const r = await run('DocferryThroughput', { azureSubscription: ENDPOINT_ID, command: 'raise', resourceGroup: 'rg-data', accountName: 'cosmos-prod', database: 'copilot' }, { endpoints: [endpoint()], env: { NODE_EXTRA_CA_CERTS: standIn.caFile }, oidcRequestUri: standIn.oidcRequestUri });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.include('exactly one of');
    });
  });
});
