import { expect } from 'chai';
import { installMocks, MOCK_SUBSCRIPTION, ofType, recorded, resetRecorded, settled, valueOf, waitFor } from './support/mocks.js';

type ArchiveModule = typeof import('../../src/pulumi/archive.js');
type ConfigModule = typeof import('../../pulumi/archive/config.js');

const P1 = 'aaaaaaaa-1111-2222-3333-444444444444';
const P2 = 'bbbbbbbb-1111-2222-3333-444444444444';
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

describe('pulumi/archive', function () {
  this.timeout(60_000);
  let m: ArchiveModule;
  let cfgModule: ConfigModule;
  let UsageError: typeof import('../../src/core/errors.js').UsageError;

  before(async () => {
    await installMocks();
    m = await import('../../src/pulumi/archive.js');
    cfgModule = await import('../../pulumi/archive/config.js');
    ({ UsageError } = await import('../../src/core/errors.js'));
  });
  beforeEach(() => resetRecorded());

  async function build(opts: import('../../src/pulumi/archive.js').ExportArchiveArgs) {
    const r = new m.ExportArchive('archive', opts);
    await settled([r.account, r.blobService, r.container, r.lifecycle, ...(r.immutability ? [r.immutability] : []), ...r.roleAssignments]);
    return r;
  }

  describe('defaults', () => {
    it('storage account: RBAC only, no public blobs, TLS 1.2, HTTPS only', async () => {
      await build({ resourceGroupName: 'rg-archive', accountName: 'docferryexports', location: 'westeurope' });
      const accounts = ofType('azure-native:storage:StorageAccount');
      expect(accounts).to.have.length(1);
      const a = accounts[0]!.inputs;
      expect(a.resourceGroupName).to.equal('rg-archive');
      expect(a.accountName).to.equal('docferryexports');
      expect(a.location).to.equal('westeurope');
      expect(a.kind).to.equal('StorageV2');
      expect(a.sku).to.deep.equal({ name: 'Standard_LRS' });
      expect(a.allowBlobPublicAccess).to.equal(false);
      expect(a.allowSharedKeyAccess).to.equal(false);
      expect(a.defaultToOAuthAuthentication).to.equal(true);
      expect(a.minimumTlsVersion).to.equal('TLS1_2');
      expect(a.enableHttpsTrafficOnly).to.equal(true);
      expect(a.allowCrossTenantReplication).to.equal(false);
      expect(a.isLocalUserEnabled).to.equal(false);
      expect(a.isSftpEnabled).to.equal(false);
      expect(a.publicNetworkAccess).to.equal('Enabled');
    });

    it('blob service: blob and container soft delete for 7 days, versioning on', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'docferryexports' });
      const [svc] = ofType('azure-native:storage:BlobServiceProperties');
      expect(svc!.inputs.accountName).to.equal('docferryexports');
      expect(svc!.inputs.blobServicesName).to.equal('default');
      expect(svc!.inputs.deleteRetentionPolicy).to.deep.equal({ enabled: true, days: 7 });
      expect(svc!.inputs.containerDeleteRetentionPolicy).to.deep.equal({ enabled: true, days: 7 });
      expect(svc!.inputs.isVersioningEnabled).to.equal(true);
    });

    it('container: private, named exports; no immutability policy, no role assignments', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'docferryexports' });
      const [c] = ofType('azure-native:storage:BlobContainer');
      expect(c!.inputs).to.deep.include({ accountName: 'docferryexports', containerName: 'exports', publicAccess: 'None', resourceGroupName: 'rg' });
      expect(ofType('azure-native:storage:BlobContainerImmutabilityPolicy')).to.have.length(0);
      expect(ofType('azure-native:authorization:RoleAssignment')).to.have.length(0);
    });

    it('lifecycle: deletes exports, their versions and snapshots after 30 days', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'docferryexports' });
      const [p] = ofType('azure-native:storage:ManagementPolicy');
      expect(p!.inputs.managementPolicyName).to.equal('default');
      expect(p!.inputs.policy).to.deep.equal({
        rules: [
          {
            name: 'delete-exports',
            enabled: true,
            type: 'Lifecycle',
            definition: {
              filters: { blobTypes: ['blockBlob'], prefixMatch: ['exports/'] },
              actions: {
                baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } },
                snapshot: { delete: { daysAfterCreationGreaterThan: 30 } },
                version: { delete: { daysAfterCreationGreaterThan: 30 } },
              },
            },
          },
        ],
      });
    });

    it('outputs the account name, container name and container URL', async () => {
      const r = await build({ resourceGroupName: 'rg', accountName: 'docferryexports' });
      expect(await valueOf(r.accountName)).to.equal('docferryexports');
      expect(await valueOf(r.containerName)).to.equal('exports');
      expect(await valueOf(r.containerUrl)).to.equal('https://docferryexports.blob.core.windows.net/exports');
    });
  });

  describe('configured', () => {
    it('uses the configured retention days, container name and immutability policy', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'acct1', containerName: 'dr-drills', deleteAfterDays: 14, blobSoftDeleteDays: 3, containerSoftDeleteDays: 5, immutabilityDays: 10 });
      const p = ofType('azure-native:storage:ManagementPolicy')[0]!.inputs.policy;
      expect(p.rules[0].definition.filters.prefixMatch).to.deep.equal(['dr-drills/']);
      expect(p.rules[0].definition.actions.baseBlob.delete.daysAfterModificationGreaterThan).to.equal(14);
      const svc = ofType('azure-native:storage:BlobServiceProperties')[0]!.inputs;
      expect(svc.deleteRetentionPolicy.days).to.equal(3);
      expect(svc.containerDeleteRetentionPolicy.days).to.equal(5);
      const imm = ofType('azure-native:storage:BlobContainerImmutabilityPolicy');
      expect(imm).to.have.length(1);
      expect(imm[0]!.inputs).to.deep.include({ accountName: 'acct1', containerName: 'dr-drills', immutabilityPolicyName: 'default', immutabilityPeriodSinceCreationInDays: 10, allowProtectedAppendWrites: false });
    });

    it('without versioning, has no version rule', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'acct1', versioning: false });
      expect(ofType('azure-native:storage:BlobServiceProperties')[0]!.inputs.isVersioningEnabled).to.equal(false);
      expect(ofType('azure-native:storage:ManagementPolicy')[0]!.inputs.policy.rules[0].definition.actions.version).to.equal(undefined);
    });

    it('grants Storage Blob Data Contributor to each pipeline identity, scoped to the container', async () => {
      await build({ resourceGroupName: 'rg', accountName: 'acct1', contributorPrincipalIds: [P1, P2, P1] });
      const ras = ofType('azure-native:authorization:RoleAssignment');
      expect(ras.map((r) => r.inputs.principalId).sort()).to.deep.equal([P1, P2]);
      const containerId = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default/containers/exports`;
      for (const r of ras) {
        expect(r.inputs.roleDefinitionId).to.equal(`/subscriptions/${MOCK_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${BLOB_CONTRIBUTOR}`);
        expect(r.inputs.scope).to.equal(containerId);
        expect(r.inputs.principalType).to.equal('ServicePrincipal');
      }
    });

    it('refuses retention longer than the lifecycle deletion, bad names and bad principals, creating nothing', () => {
      expect(() => new m.ExportArchive('archive', { resourceGroupName: 'rg', deleteAfterDays: 7, immutabilityDays: 30 })).to.throw(UsageError, /immutabilityDays/);
      expect(() => new m.ExportArchive('archive', { resourceGroupName: 'rg', accountName: 'Has-Dashes' })).to.throw(UsageError, /storage account name/);
      expect(() => new m.ExportArchive('archive', { resourceGroupName: 'rg', containerName: 'x' })).to.throw(UsageError, /container name/);
      expect(() => new m.ExportArchive('archive', { resourceGroupName: 'rg', deleteAfterDays: 0 })).to.throw(UsageError, /deleteAfterDays/);
      expect(() => new m.ExportArchive('archive', { resourceGroupName: 'rg', contributorPrincipalIds: ['pipeline'] })).to.throw(UsageError, /principal/);
      expect(recorded.resources).to.have.length(0);
    });
  });

  describe('entry point (index.ts)', () => {
    it('reads docferry-archive:* config and builds the stack, exporting the outputs', async () => {
      const pulumi = await import('@pulumi/pulumi');
      pulumi.runtime.setAllConfig({
        'docferry-archive:resourceGroupName': 'rg-entry',
        'docferry-archive:accountName': 'entryexports',
        'docferry-archive:deleteAfterDays': '9',
        'docferry-archive:contributorPrincipalIds': JSON.stringify([P2]),
      });
      const index = await import('../../pulumi/archive/index.js');
      expect(await valueOf(index.containerUrl)).to.equal('https://entryexports.blob.core.windows.net/exports');
      expect(await valueOf(index.accountName)).to.equal('entryexports');
      await waitFor(() => ofType('azure-native:authorization:RoleAssignment').length > 0 && ofType('azure-native:storage:ManagementPolicy').length > 0);
      const policy = ofType('azure-native:storage:ManagementPolicy').find((p) => p.inputs.resourceGroupName === 'rg-entry');
      expect(policy!.inputs.policy.rules[0].definition.actions.baseBlob.delete.daysAfterModificationGreaterThan).to.equal(9);
      expect(ofType('azure-native:authorization:RoleAssignment').map((r) => r.inputs.principalId)).to.deep.equal([P2]);
    });
  });

  describe('stack config', () => {
    it('reads numbers, booleans and the principal list', () => {
      const values: Record<string, unknown> = { resourceGroupName: 'rg', deleteAfterDays: 14, versioning: false, contributorPrincipalIds: [P1], immutabilityDays: 7 };
      const o = cfgModule.archiveOptionsFromConfig({
        get: (k) => (values[k] === undefined ? undefined : String(values[k])),
        getBoolean: (k) => values[k] as boolean | undefined,
        getNumber: (k) => values[k] as number | undefined,
        getObject: <T>(k: string) => values[k] as T | undefined,
      });
      expect(o).to.deep.include({ resourceGroupName: 'rg', deleteAfterDays: 14, versioning: false, immutabilityDays: 7 });
      expect(o.contributorPrincipalIds).to.deep.equal([P1]);
      expect(o.containerName).to.equal(undefined);
    });
  });
});
