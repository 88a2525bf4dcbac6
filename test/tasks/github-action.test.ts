import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Doc } from '../../src/core/documents.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { startAzureStandIn, startRecordingTlsProxy, type AzureStandIn, type RecordingProxy } from './support/azure-stand-ins.js';
import { readActionYml, runAction, type RunnerResult } from './support/runner.js';

const REQUEST_TOKEN = 'ghs_actions-id-token-request-token-0123456789';

describe('GitHub Action: the committed bundle run as a runner runs it', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let layoutFile: string;
  let exported: RunnerResult;
  const db = (name: string) => `${name}${source.suffix}`;
  const act = async (inputs: Record<string, string>, env: Record<string, string> = {}) => runAction({ inputs, workDir: await tempDir('docferry-runner-'), env });

  before(async () => {
    work = await tempDir();
    source = await startCosmosTestServer();
    target = await startCosmosTestServer();
    mongo = await startMongoTestServer();
    await seedCosmos(source, db('copilot'), 'threads', generateDocuments('threads', 15, { seed: 31 }));
    await seedCosmos(source, db('auth'), 'user_roles', generateDocuments('user_roles', 4, { seed: 31 }));
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exported = await act({ command: 'export', 'source-type': 'cosmos', 'cosmos-endpoint': source.endpoint, 'cosmos-key': source.key, 'layout-file': layoutFile, collections: 'threads,user_roles', 'output-dir': join(work, 'export') });
  });

  after(async () => {
    await source?.stop();
    await target?.stop();
    await mongo?.stop();
    await removeTempDirs();
  });

  it('declares runs.using node24 with the bundled CommonJS entry', () => {
    const action = readActionYml();
    expect(action.runs).to.deep.equal({ using: 'node24', main: 'dist/index.cjs' });
  });

  it('export: writes step outputs, a job summary table, and exits 0', async () => {
    expect(exported.code, exported.stdout + exported.stderr).to.equal(0);
    expect(exported.outputs).to.deep.include({ 'documents-read': '19', 'documents-written': '19', 'documents-skipped': '0', 'documents-rejected': '0', 'export-dir': join(work, 'export') });
    expect(exported.summary).to.include('| Collection | Read | Written | Skipped | Rejected | Time | Docs/s | Status |');
    expect(exported.summary).to.match(new RegExp(`\\| ${db('copilot')}\\.threads \\| 15 \\| 15 \\| 0 \\| 0 \\| \\d+\\.\\d s \\| \\d+ \\| ok \\|`));
    expect(JSON.parse(await readFile(join(work, 'export', 'manifest.json'), 'utf8')).status).to.equal('complete');
  });

  it('masks the key with ::add-mask:: before anything else and never prints it', () => {
    expect(exported.masks).to.include(source.key);
    const lines = exported.stdout.split('\n');
    expect(lines[lines.findIndex((l) => l.includes(source.key))]).to.equal(`::add-mask::${source.key}`);
    expect(lines.filter((l) => l.includes(source.key) && !l.startsWith('::add-mask::'))).to.deep.equal([]);
    expect(exported.summary).to.not.include(source.key);
  });

  it('import into MongoDB (FerretDB), then migrate MongoDB -> Cosmos DB with verify: every document arrives and compares equal', async () => {
    const imported = await act({ command: 'import', 'dest-type': 'mongodb', 'mongo-uri': mongo.uri, 'export-dir': join(work, 'export'), 'layout-file': layoutFile });
    expect(imported.code, imported.stdout).to.equal(0);
    expect(imported.outputs).to.include({ 'documents-written': '19', 'documents-rejected': '0' });
    const client = new MongoClient(mongo.uri);
    try {
      expect(await client.db(db('copilot')).collection<Doc>('threads').countDocuments()).to.equal(15);
    } finally {
      await client.close();
    }
    const migrated = await act({
      command: 'migrate', 'from-type': 'mongodb', 'from-mongo-uri': mongo.uri, 'to-type': 'cosmos', 'to-cosmos-endpoint': target.endpoint, 'to-cosmos-key': target.key,
      'layout-file': layoutFile, verify: 'true', 'report-file': join(work, 'migrate-verify.ndjson'), 'rejects-dir': join(work, 'migrate-rejects'),
    });
    expect(migrated.code, migrated.stdout).to.equal(0);
    expect(migrated.outputs).to.include({ 'documents-read': '19', 'documents-written': '19', 'report-file': join(work, 'migrate-verify.ndjson') });
    expect(migrated.summary).to.include('### Verification');
    expect(await readAllCosmos(target, db('copilot'), 'threads')).to.deep.equal(await readAllCosmos(source, db('copilot'), 'threads'));
  });

  it('verify: equal stores set verify-equal true; a changed document fails the step and is listed', async () => {
    const same = await act({ command: 'verify', 'left-type': 'dir', 'left-dir': join(work, 'export'), 'right-type': 'cosmos', 'right-cosmos-endpoint': source.endpoint, 'right-cosmos-key': source.key, 'layout-file': layoutFile, 'report-file': join(work, 'same.ndjson') });
    expect(same.code, same.stdout).to.equal(0);
    expect(same.outputs).to.include({ 'verify-equal': 'true', 'report-file': join(work, 'same.ndjson') });
    const client = cosmosClient(target);
    const [first] = await readAllCosmos(target, db('copilot'), 'threads');
    await client.database(db('copilot')).container('threads').items.upsert({ ...first, subject: 'changed after the migration' });
    client.dispose();
    const differ = await act({ command: 'verify', 'left-type': 'cosmos', 'left-cosmos-endpoint': source.endpoint, 'left-cosmos-key': source.key, 'right-type': 'cosmos', 'right-cosmos-endpoint': target.endpoint, 'right-cosmos-key': target.key, 'layout-file': layoutFile, collections: 'threads' });
    expect(differ.code).to.equal(1);
    expect(differ.outputs['verify-equal']).to.equal('false');
    expect(differ.errors).to.have.length(1);
    expect(differ.errors[0]).to.include('verification found differences').and.include(`${db('copilot')}.threads (0 missing, 0 extra, 1 differing)`);
    expect(differ.summary).to.include(`differing (1): \`${String(first!.id)}\``);
    // The verify's charts, in the job summary and as the report-markdown file a drill report joins.
    expect(differ.summary).to.match(/### Documents compared per second[\s\S]*```mermaid\nxychart-beta/);
    expect(await readFile(differ.outputs['report-markdown']!, 'utf8')).to.include('Documents compared per second');
  });

  it('fails on rejected documents beyond allowed-rejects, with the counts still in the outputs', async () => {
    const dir = join(work, 'bad-export');
    await mkdir(join(dir, db('auth')), { recursive: true });
    await writeFile(join(dir, db('auth'), 'user_roles.json'), '{"id":"ok-1","user_id":"github:1"}\n{"id":"bad/slash"}\n');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db('auth')]: ['user_roles'] }, document_counts: { [`${db('auth')}.user_roles`]: 2 } }));
    const r = await act({ command: 'import', 'dest-type': 'cosmos', 'cosmos-endpoint': target.endpoint, 'cosmos-key': target.key, 'export-dir': dir, 'layout-file': layoutFile });
    expect(r.code).to.equal(1);
    expect(r.outputs).to.include({ 'documents-written': '1', 'documents-rejected': '1' });
    expect(r.errors.at(-1)).to.include('1 document rejected').and.include('allowed-rejects is 0');
    const allowed = await act({ command: 'import', 'dest-type': 'cosmos', 'cosmos-endpoint': target.endpoint, 'cosmos-key': target.key, 'export-dir': dir, 'layout-file': layoutFile, 'allowed-rejects': '1', 'rejects-dir': join(work, 'rejects-allowed') });
    expect(allowed.code).to.equal(0);
    expect(allowed.warnings.at(-1)).to.include('within allowed-rejects (1)');
  });

  it('names the kebab-case input to fix', async () => {
    const r = await act({ command: 'export', 'source-type': 'cosmos', 'cosmos-endpoint': source.endpoint, 'layout-file': layoutFile });
    expect(r.code).to.equal(1);
    expect(r.errors[0]).to.include('"cosmos-key"').and.include('"client-id"');
    const bad = await act({ command: 'copy' });
    expect(bad.errors[0]).to.equal('Input "command" must be one of export, import, migrate, verify, archive-push, archive-pull, archive-list, throughput-raise, throughput-restore, not "copy".');
  });

  describe('Azure by OIDC federation', () => {
    let standIn: AzureStandIn;
    let tlsTarget: CosmosTestServer;
    let proxy: RecordingProxy;

    before(async () => {
      standIn = await startAzureStandIn({ jobAccessToken: REQUEST_TOKEN });
      tlsTarget = await startCosmosTestServer({ tls: true });
      await seedCosmos(tlsTarget, db('auth'), 'user_roles', generateDocuments('user_roles', 4, { seed: 31 }));
      proxy = await startRecordingTlsProxy(tlsTarget.endpoint, tlsTarget.ca!);
    });

    after(async () => {
      await proxy?.stop();
      await standIn?.stop();
      await tlsTarget?.stop();
    });

    it('exchanges the job\'s GitHub OIDC token (audience api://AzureADTokenExchange) and reads Cosmos DB with the access token', async () => {
      const r = await act(
        { command: 'export', 'source-type': 'cosmos', 'cosmos-endpoint': proxy.endpoint, 'use-rbac': 'true', 'client-id': 'c0ffee00-1111-2222-3333-444455556666', 'tenant-id': 'contoso.onmicrosoft.com', 'layout-file': layoutFile, collections: 'user_roles', 'output-dir': join(work, 'oidc-export') },
        { ACTIONS_ID_TOKEN_REQUEST_URL: standIn.githubIdTokenRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN, AZURE_AUTHORITY_HOST: `${standIn.url}/`, NODE_EXTRA_CA_CERTS: standIn.caFile },
      );
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.outputs).to.include({ 'documents-read': '4', 'documents-written': '4' });
      expect(standIn.githubIdTokenRequests.length).to.be.greaterThan(0);
      expect(standIn.githubIdTokenRequests.every((q) => q.audience === 'api://AzureADTokenExchange' && q.authorization === `Bearer ${REQUEST_TOKEN}`)).to.equal(true);
      const exchanged = standIn.tokenRequests.map((t) => t.form);
      expect(exchanged.length).to.be.greaterThan(0);
      for (const f of exchanged) {
        expect(f).to.include({ client_id: 'c0ffee00-1111-2222-3333-444455556666', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', grant_type: 'client_credentials' });
        expect(standIn.githubIdTokenRequests.map((q) => q.issued)).to.include(f.client_assertion);
      }
      const issued = new Set(standIn.tokenRequests.map((t) => t.issued));
      const auths = proxy.authorizations.filter(Boolean).map((a) => decodeURIComponent(a));
      expect(auths.length).to.be.greaterThan(0);
      expect(auths.every((a) => a.startsWith('type=aad&ver=1.0&sig=') && issued.has(a.slice('type=aad&ver=1.0&sig='.length)))).to.equal(true);
      // The GitHub OIDC token is masked by @actions/core as soon as it arrives.
      for (const q of standIn.githubIdTokenRequests) expect(r.masks).to.include(q.issued);
    });

    it('after azure/login (no client id): takes the token from the Azure CLI session', async () => {
      // A stand-in `az` on PATH, as azure/login leaves a logged-in CLI: prints what `az account get-access-token` prints.
      const bin = await tempDir('docferry-fake-az-');
      const calls = join(bin, 'calls.log');
      const token = 'cli.access-token-0123456789';
      await writeFile(
        join(bin, 'az'),
        `#!/bin/sh\necho "$@" >> '${calls}'\necho '{"accessToken": "${token}", "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": 4070908800, "subscription": "x", "tenant": "y", "tokenType": "Bearer"}'\n`,
        { mode: 0o755 },
      );
      const auth0 = proxy.authorizations.length;
      const r = await act(
        { command: 'export', 'source-type': 'cosmos', 'cosmos-endpoint': proxy.endpoint, 'use-rbac': 'true', 'layout-file': layoutFile, collections: 'user_roles', 'output-dir': join(work, 'cli-export') },
        { PATH: `${bin}:${process.env.PATH}`, NODE_EXTRA_CA_CERTS: standIn.caFile },
      );
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.outputs).to.include({ 'documents-written': '4' });
      expect(await readFile(calls, 'utf8')).to.include(`account get-access-token --output json --resource ${proxy.endpoint.replace(/\/$/, '')}`);
      const auths = proxy.authorizations.slice(auth0).filter(Boolean).map((a) => decodeURIComponent(a));
      expect(auths.length).to.be.greaterThan(0);
      expect(auths.every((a) => a === `type=aad&ver=1.0&sig=${token}`)).to.equal(true);
    });

    it('says what the job lacks when it cannot request an OIDC token', async () => {
      const r = await act({ command: 'export', 'source-type': 'cosmos', 'cosmos-endpoint': proxy.endpoint, 'use-rbac': 'true', 'client-id': 'c0ffee00-1111-2222-3333-444455556666', 'tenant-id': 'contoso.onmicrosoft.com', 'layout-file': layoutFile });
      expect(r.code).to.equal(1);
      expect(r.errors[0]).to.include('permissions: id-token: write');
    });
  });
});
