import { expect } from 'chai';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMocks, MOCK_SUBSCRIPTION, ofType, recorded, resetRecorded, settled, valueOf, waitFor } from './support/mocks.js';

type TargetModule = typeof import('../../src/pulumi/target.js');
type ConfigModule = typeof import('../../pulumi/target/config.js');

const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = (name: string) => resolve(here, 'fixtures', name);
const READER = '00000000-0000-0000-0000-000000000001';
const CONTRIB = '00000000-0000-0000-0000-000000000002';
const P1 = 'aaaaaaaa-1111-2222-3333-444444444444';
const P2 = 'bbbbbbbb-1111-2222-3333-444444444444';
const ACCOUNT_ID = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-prod`;

describe('pulumi/target', function () {
  this.timeout(60_000);
  let m: TargetModule;
  let cfgModule: ConfigModule;
  // Loaded like the program modules (dynamic import), so the classes are the same instances the programs throw.
  let UsageError: typeof import('../../src/core/errors.js').UsageError;
  let loadLayout: typeof import('../../src/core/layout.js').loadLayout;

  before(async () => {
    await installMocks();
    m = await import('../../src/pulumi/target.js');
    cfgModule = await import('../../pulumi/target/config.js');
    ({ UsageError } = await import('../../src/core/errors.js'));
    ({ loadLayout } = await import('../../src/core/layout.js'));
  });
  beforeEach(() => resetRecorded());

  async function build(opts: import('../../src/pulumi/target.js').CosmosTargetFromLayoutArgs) {
    const result = new m.CosmosTargetFromLayout('target', opts);
    await settled([...(result.account ? [result.account] : []), ...result.databases, ...result.containers, ...result.roleAssignments]);
    return result;
  }

  describe('with the default layout and an existing account', () => {
    it('creates every database and container with its Hash partition key, no throughput, no account', async () => {
      const result = await build({ layout: loadLayout(), resourceGroupName: 'rg-data', account: { create: false, name: 'cosmos-prod' } });
      expect(ofType('azure-native:cosmosdb:DatabaseAccount')).to.have.length(0);
      const getAccount = recorded.calls.filter((c) => c.token === 'azure-native:cosmosdb:getDatabaseAccount');
      expect(getAccount).to.have.length(1);
      expect(getAccount[0]!.inputs).to.deep.equal({ accountName: 'cosmos-prod', resourceGroupName: 'rg-data' });

      const dbs = ofType('azure-native:cosmosdb:SqlResourceSqlDatabase');
      expect(dbs.map((d) => d.inputs.databaseName).sort()).to.deep.equal(['auth', 'copilot']);
      for (const d of dbs) {
        expect(d.inputs.accountName).to.equal('cosmos-prod');
        expect(d.inputs.resourceGroupName).to.equal('rg-data');
        expect(d.inputs.resource).to.deep.equal({ id: d.inputs.databaseName });
        expect(d.inputs.options).to.equal(undefined);
      }
      const containers = ofType('azure-native:cosmosdb:SqlResourceSqlContainer');
      expect(containers).to.have.length(10);
      const byName = new Map(containers.map((c) => [`${c.inputs.databaseName}/${c.inputs.containerName}`, c.inputs]));
      for (const name of ['sources', 'archives', 'messages', 'threads', 'chunks', 'summaries', 'reports']) {
        const c = byName.get(`copilot/${name}`)!;
        expect(c, name).to.exist;
        expect(c.resource.id).to.equal(name);
        expect(c.resource.partitionKey).to.deep.equal({ paths: ['/id'], kind: 'Hash', version: 2 });
        expect(c.options).to.equal(undefined);
        expect(c.resource.defaultTtl).to.equal(undefined);
      }
      expect(byName.get('auth/user_roles')!.resource.partitionKey).to.deep.equal({ paths: ['/id'], kind: 'Hash', version: 2 });
      // documents (migrate: false) is still provisioned, keyed by /collection, in both databases.
      expect(byName.get('copilot/documents')!.resource.partitionKey.paths).to.deep.equal(['/collection']);
      expect(byName.get('auth/documents')!.resource.partitionKey.paths).to.deep.equal(['/collection']);

      expect(await valueOf(result.endpoint)).to.equal('https://cosmos-prod.documents.azure.com:443/');
      expect(await valueOf(result.accountName)).to.equal('cosmos-prod');
      expect(await valueOf(result.databaseNames)).to.deep.equal(['copilot', 'auth']);
      const containerNames = await valueOf(result.containerNames);
      expect(containerNames).to.include.members(['copilot/messages', 'auth/user_roles', 'auth/documents']);
      expect(containerNames).to.have.length(10);
    });

    it('creates no role assignments when no principals are configured', async () => {
      await build({ layout: loadLayout(), resourceGroupName: 'rg-data', account: { create: false, name: 'cosmos-prod' }, readerPrincipalIds: [], contributorPrincipalIds: [] });
      expect(ofType('azure-native:cosmosdb:SqlResourceSqlRoleAssignment')).to.have.length(0);
    });

    it('assigns Data Reader to exporting and Data Contributor to importing principals, at account scope', async () => {
      await build({
        layout: loadLayout(),
        resourceGroupName: 'rg-data',
        account: { create: false, name: 'cosmos-prod' },
        readerPrincipalIds: [P1, P1.toUpperCase()],
        contributorPrincipalIds: [P2],
      });
      const ras = ofType('azure-native:cosmosdb:SqlResourceSqlRoleAssignment');
      expect(ras).to.have.length(2); // the duplicate reader (other case) is one principal
      const reader = ras.find((r) => r.inputs.principalId === P1)!;
      const contrib = ras.find((r) => r.inputs.principalId === P2)!;
      expect(reader.inputs.roleDefinitionId).to.equal(`${ACCOUNT_ID}/sqlRoleDefinitions/${READER}`);
      expect(reader.inputs.scope).to.equal(ACCOUNT_ID);
      expect(reader.inputs.accountName).to.equal('cosmos-prod');
      expect(reader.inputs.resourceGroupName).to.equal('rg-data');
      expect(contrib.inputs.roleDefinitionId).to.equal(`${ACCOUNT_ID}/sqlRoleDefinitions/${CONTRIB}`);
      expect(contrib.inputs.scope).to.equal(ACCOUNT_ID);
    });

    it('refuses a principal id that is not a GUID, before creating anything', () => {
      expect(() => new m.CosmosTargetFromLayout('target', { layout: loadLayout(), resourceGroupName: 'rg', account: { create: false, name: 'a' }, readerPrincipalIds: ['my-pipeline'] })).to.throw(UsageError, /not a principal/);
      expect(recorded.resources).to.have.length(0);
    });
  });

  describe('with MultiHash keys', () => {
    it('passes two- and three-level keys as MultiHash version 2, next to a Hash key with dedicated throughput', async () => {
      await build({ layout: loadLayout(fixture('multihash.json')), resourceGroupName: 'rg', account: { create: false, name: 'acct' } });
      const containers = new Map(ofType('azure-native:cosmosdb:SqlResourceSqlContainer').map((c) => [c.inputs.containerName, c.inputs]));
      expect(containers.get('messages')!.resource.partitionKey).to.deep.equal({ paths: ['/tenantId', '/threadId'], kind: 'MultiHash', version: 2 });
      expect(containers.get('chunks')!.resource.partitionKey).to.deep.equal({ paths: ['/tenantId', '/archiveId', '/messageId'], kind: 'MultiHash', version: 2 });
      expect(containers.get('sources')!.resource.partitionKey).to.deep.equal({ paths: ['/id'], kind: 'Hash', version: 2 });
      expect(containers.get('sources')!.options).to.deep.equal({ throughput: 400 });
      expect(containers.get('messages')!.options).to.equal(undefined);
    });

    it('partitionKeyArgs refuses a MultiHash key with more than three paths or version 1', () => {
      expect(() => m.partitionKeyArgs({ paths: ['/a', '/b', '/c', '/d'], kind: 'MultiHash' })).to.throw(UsageError);
      expect(() => m.partitionKeyArgs({ paths: ['/a', '/b'], kind: 'MultiHash', version: 1 })).to.throw(UsageError);
      expect(() => m.partitionKeyArgs({ paths: ['/a', '/b'], kind: 'Hash' })).to.throw(UsageError);
    });
  });

  describe('with shared autoscale throughput, TTL, unique keys and an indexing policy', () => {
    it('puts autoscale on the database and dedicated throughput only on the containers that ask for it', async () => {
      await build({ layout: loadLayout(fixture('shared-autoscale.json')), resourceGroupName: 'rg', account: { create: false, name: 'acct' } });
      const [db] = ofType('azure-native:cosmosdb:SqlResourceSqlDatabase');
      expect(db!.inputs.options).to.deep.equal({ autoscaleSettings: { maxThroughput: 4000 } });
      const c = new Map(ofType('azure-native:cosmosdb:SqlResourceSqlContainer').map((r) => [r.inputs.containerName, r.inputs]));
      expect(c.get('user_roles')!.options).to.equal(undefined);
      expect(c.get('sessions')!.options).to.equal(undefined);
      expect(c.get('chunks')!.options).to.deep.equal({ autoscaleSettings: { maxThroughput: 10000 } });
      expect(c.get('reports')!.options).to.deep.equal({ throughput: 600 });
    });

    it('sets default TTL, unique keys and the indexing policy as the layout says', async () => {
      await build({ layout: loadLayout(fixture('shared-autoscale.json')), resourceGroupName: 'rg', account: { create: false, name: 'acct' } });
      const c = new Map(ofType('azure-native:cosmosdb:SqlResourceSqlContainer').map((r) => [r.inputs.containerName, r.inputs]));
      expect(c.get('sessions')!.resource.defaultTtl).to.equal(86400);
      expect(c.get('events')!.resource.defaultTtl).to.equal(-1);
      expect(c.get('user_roles')!.resource.defaultTtl).to.equal(undefined);
      expect(c.get('user_roles')!.resource.uniqueKeyPolicy).to.deep.equal({ uniqueKeys: [{ paths: ['/user_id'] }, { paths: ['/provider', '/email'] }] });
      expect(c.get('sessions')!.resource.uniqueKeyPolicy).to.equal(undefined);
      expect(c.get('user_roles')!.resource.indexingPolicy).to.deep.equal({
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/user_id/?' }, { path: '/email/?' }],
        excludedPaths: [{ path: '/*' }],
      });
      expect(c.get('sessions')!.resource.indexingPolicy).to.equal(undefined);
    });

    it('throughputOptions refuses values the service would refuse', () => {
      expect(() => m.throughputOptions({ manual: 450 }, 'x')).to.throw(UsageError, /multiple of 100/);
      expect(() => m.throughputOptions({ autoscaleMax: 1500 }, 'x')).to.throw(UsageError, /multiple of 1000/);
      expect(m.throughputOptions({ manual: 400 }, 'x')).to.deep.equal({ throughput: 400 });
      expect(m.throughputOptions(undefined, 'x')).to.equal(undefined);
    });
  });

  describe('creating the account', () => {
    it('uses secure defaults: no public network access, local auth off, TLS 1.2, Session', async () => {
      const result = await build({ layout: loadLayout(), resourceGroupName: 'rg-data', account: { create: true, name: 'cosmos-new', location: 'westeurope' } });
      const [acct] = ofType('azure-native:cosmosdb:DatabaseAccount');
      expect(acct).to.exist;
      const a = acct!.inputs;
      expect(a.accountName).to.equal('cosmos-new');
      expect(a.resourceGroupName).to.equal('rg-data');
      expect(a.location).to.equal('westeurope');
      expect(a.kind).to.equal('GlobalDocumentDB');
      expect(a.databaseAccountOfferType).to.equal('Standard');
      expect(a.publicNetworkAccess).to.equal('Disabled');
      expect(a.disableLocalAuth).to.equal(true);
      expect(a.disableKeyBasedMetadataWriteAccess).to.equal(true);
      expect(a.minimalTlsVersion).to.equal('Tls12');
      expect(a.consistencyPolicy).to.deep.equal({ defaultConsistencyLevel: 'Session' });
      expect(a.locations).to.deep.equal([{ locationName: 'westeurope', failoverPriority: 0, isZoneRedundant: false }]);
      expect(a.ipRules).to.equal(undefined);
      expect(recorded.calls.filter((c) => c.token === 'azure-native:cosmosdb:getDatabaseAccount')).to.have.length(0);
      // Databases hang off the created account.
      for (const d of ofType('azure-native:cosmosdb:SqlResourceSqlDatabase')) expect(d.inputs.accountName).to.equal('cosmos-new');
      expect(await valueOf(result.endpoint)).to.equal('https://cosmos-new.documents.azure.com:443/');
    });

    it('takes configured public access, IP rules and local auth', async () => {
      await build({
        layout: loadLayout(),
        resourceGroupName: 'rg',
        account: { create: true, location: 'northeurope', publicNetworkAccess: 'Enabled', ipRules: ['203.0.113.0/24'], disableLocalAuth: false },
        contributorPrincipalIds: [P2],
      });
      const a = ofType('azure-native:cosmosdb:DatabaseAccount')[0]!.inputs;
      expect(a.publicNetworkAccess).to.equal('Enabled');
      expect(a.ipRules).to.deep.equal([{ ipAddressOrRange: '203.0.113.0/24' }]);
      expect(a.disableLocalAuth).to.equal(false);
      const [ra] = ofType('azure-native:cosmosdb:SqlResourceSqlRoleAssignment');
      expect(ra!.inputs.roleDefinitionId).to.match(/\/databaseAccounts\/[^/]+\/sqlRoleDefinitions\/00000000-0000-0000-0000-000000000002$/);
    });

    it('refuses IP rules without public access, and a missing location', () => {
      expect(() => m.accountArgsFromOptions({ create: true, location: 'westeurope', ipRules: ['1.2.3.4'] })).to.throw(UsageError, /ipRules/);
      expect(() => m.accountArgsFromOptions({ create: true, location: '' })).to.throw(UsageError, /location/);
      expect(() => m.accountArgsFromOptions({ create: true, location: 'x', name: 'Bad_Name' })).to.throw(UsageError, /account name/);
    });
  });

  describe('entry point (index.ts)', () => {
    it('reads docferry-target:* config and builds the stack, exporting the outputs', async () => {
      const pulumi = await import('@pulumi/pulumi');
      pulumi.runtime.setAllConfig({
        'docferry-target:resourceGroupName': 'rg-entry',
        'docferry-target:accountName': 'cosmos-entry',
        'docferry-target:layoutFile': fixture('multihash.json'),
        'docferry-target:readerPrincipalIds': JSON.stringify([P1]),
      });
      const index = await import('../../pulumi/target/index.js');
      expect(await valueOf(index.endpoint)).to.equal('https://cosmos-entry.documents.azure.com:443/');
      expect(await valueOf(index.containerNames)).to.deep.equal(['tenants/messages', 'tenants/chunks', 'tenants/sources']);
      await waitFor(() => ofType('azure-native:cosmosdb:SqlResourceSqlRoleAssignment').length > 0 && ofType('azure-native:cosmosdb:SqlResourceSqlContainer').length === 3);
      const containers = ofType('azure-native:cosmosdb:SqlResourceSqlContainer').filter((c) => c.inputs.resourceGroupName === 'rg-entry');
      expect(containers.map((c) => c.inputs.containerName)).to.deep.equal(['messages', 'chunks', 'sources']);
      const ras = ofType('azure-native:cosmosdb:SqlResourceSqlRoleAssignment').filter((r) => r.inputs.resourceGroupName === 'rg-entry');
      expect(ras.map((r) => r.inputs.principalId)).to.deep.equal([P1]);
    });
  });

  describe('stack config', () => {
    function reader(values: Record<string, unknown>) {
      return {
        get: (k: string) => (values[k] === undefined ? undefined : String(values[k])),
        getBoolean: (k: string) => (values[k] === undefined ? undefined : values[k] === true || values[k] === 'true'),
        getObject: <T>(k: string) => values[k] as T | undefined,
      };
    }

    it('reads an existing account, a relative layout file and principal lists', () => {
      const o = cfgModule.targetOptionsFromConfig(
        reader({ resourceGroupName: 'rg', accountName: 'acct', layoutFile: 'fixtures/multihash.json', readerPrincipalIds: [P1], contributorPrincipalIds: `${P2}` }),
        here,
      );
      expect(o.account).to.deep.equal({ create: false, name: 'acct' });
      expect(o.layout.name).to.equal('multihash');
      expect(o.readerPrincipalIds).to.deep.equal([P1]);
      expect(o.contributorPrincipalIds).to.deep.equal([P2]);
    });

    it('reads a new account with its settings, and refuses what is missing', () => {
      const o = cfgModule.targetOptionsFromConfig(reader({ resourceGroupName: 'rg', createAccount: true, location: 'westeurope', publicNetworkAccess: 'Enabled', disableLocalAuth: false }), here);
      expect(o.account).to.deep.include({ create: true, location: 'westeurope', publicNetworkAccess: 'Enabled', disableLocalAuth: false });
      expect(o.layout.name).to.equal('copilot-default');
      expect(() => cfgModule.targetOptionsFromConfig(reader({ resourceGroupName: 'rg' }), here)).to.throw(UsageError, /accountName/);
      expect(() => cfgModule.targetOptionsFromConfig(reader({ accountName: 'a' }), here)).to.throw(UsageError, /resourceGroupName/);
      expect(() => cfgModule.targetOptionsFromConfig(reader({ resourceGroupName: 'rg', createAccount: true }), here)).to.throw(UsageError, /location/);
      expect(() => cfgModule.targetOptionsFromConfig(reader({ resourceGroupName: 'rg', accountName: 'a', publicNetworkAccess: 'Open' }), here)).to.throw(UsageError, /publicNetworkAccess/);
    });
  });
});
