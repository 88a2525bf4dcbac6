/**
 * ExportArchive (pulumi/archive is a stack over it): a storage account and a blob container for export archives, with safe
 * defaults: RBAC only (no shared keys, no public blobs), TLS 1.2, HTTPS only, soft delete and
 * versioning, and a lifecycle rule that deletes exports (they hold personal data) after N days.
 */
import * as pulumi from '@pulumi/pulumi';
import * as authorization from '@pulumi/azure-native/authorization/index.js';
import * as storage from '@pulumi/azure-native/storage/index.js';
import { UsageError } from '../core/errors.js';
import { azureRoleDefinitionId, principalIdList } from './principals.js';

/** Storage Blob Data Contributor: read, write and delete blobs (data plane). */
export const STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

export interface ArchiveOptions {
  /** May be another resource's output (e.g. a ResourceGroup's name). */
  resourceGroupName: pulumi.Input<string>;
  location?: string;
  /** Globally unique, 3-24 lower-case letters and digits; auto-named when absent. */
  accountName?: string;
  containerName?: string;
  /** Exports (and their old versions and snapshots) are deleted this many days after they were written. Default 30. */
  deleteAfterDays?: number;
  /** Days a deleted blob can be undeleted. Default 7. */
  blobSoftDeleteDays?: number;
  /** Days a deleted container can be undeleted. Default 7. */
  containerSoftDeleteDays?: number;
  /** Keep previous versions of overwritten blobs. Default true. */
  versioning?: boolean;
  /** Time-based retention on the container (WORM), in days; none by default. Created unlocked. */
  immutabilityDays?: number;
  skuName?: string;
  /** Default Enabled (pipeline agents usually reach storage over the internet; access is RBAC only). */
  publicNetworkAccess?: 'Enabled' | 'Disabled';
  /** Pipeline identities: Storage Blob Data Contributor on the container. */
  contributorPrincipalIds?: string[];
  principalType?: 'ServicePrincipal' | 'User' | 'Group';
  tags?: Record<string, string>;
}

export interface ResolvedArchiveOptions {
  containerName: string;
  deleteAfterDays: number;
  blobSoftDeleteDays: number;
  containerSoftDeleteDays: number;
  versioning: boolean;
  immutabilityDays?: number;
  skuName: string;
  publicNetworkAccess: 'Enabled' | 'Disabled';
  contributorPrincipalIds: string[];
  principalType: 'ServicePrincipal' | 'User' | 'Group';
}

function days(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be a whole number of days from ${min} to ${max} (got ${value}).`);
  return value;
}

/** Defaults and checks, before any resource exists. */
export function resolveArchiveOptions(o: ArchiveOptions): ResolvedArchiveOptions {
  if (!o.resourceGroupName) throw new UsageError('resourceGroupName is required (docferry-archive:resourceGroupName).');
  if (o.accountName !== undefined && !/^[a-z0-9]{3,24}$/.test(o.accountName)) throw new UsageError(`accountName "${o.accountName}" is not a valid storage account name (3-24 lower-case letters and digits).`);
  const containerName = o.containerName ?? 'exports';
  if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(containerName)) throw new UsageError(`containerName "${containerName}" is not a valid blob container name (3-63 lower-case letters, digits and single hyphens).`);
  const deleteAfterDays = days('deleteAfterDays', o.deleteAfterDays ?? 30, 1, 36500);
  const blobSoftDeleteDays = days('blobSoftDeleteDays', o.blobSoftDeleteDays ?? 7, 1, 365);
  const containerSoftDeleteDays = days('containerSoftDeleteDays', o.containerSoftDeleteDays ?? 7, 1, 365);
  let immutabilityDays: number | undefined;
  if (o.immutabilityDays !== undefined) {
    immutabilityDays = days('immutabilityDays', o.immutabilityDays, 1, 146000);
    if (immutabilityDays > deleteAfterDays) {
      throw new UsageError(`immutabilityDays (${immutabilityDays}) is longer than deleteAfterDays (${deleteAfterDays}): the lifecycle rule could not delete the exports it must delete. Make the retention at most ${deleteAfterDays} days.`);
    }
  }
  return {
    containerName,
    deleteAfterDays,
    blobSoftDeleteDays,
    containerSoftDeleteDays,
    versioning: o.versioning ?? true,
    ...(immutabilityDays !== undefined ? { immutabilityDays } : {}),
    skuName: o.skuName ?? 'Standard_LRS',
    publicNetworkAccess: o.publicNetworkAccess ?? 'Enabled',
    contributorPrincipalIds: principalIdList(o.contributorPrincipalIds, 'contributorPrincipalIds'),
    principalType: o.principalType ?? 'ServicePrincipal',
  };
}

export function storageAccountArgs(o: ArchiveOptions, r: ResolvedArchiveOptions): storage.StorageAccountArgs {
  return {
    resourceGroupName: o.resourceGroupName,
    ...(o.accountName !== undefined ? { accountName: o.accountName } : {}),
    ...(o.location !== undefined ? { location: o.location } : {}),
    kind: 'StorageV2',
    sku: { name: r.skuName },
    accessTier: 'Hot',
    allowBlobPublicAccess: false,
    allowSharedKeyAccess: false,
    defaultToOAuthAuthentication: true,
    minimumTlsVersion: 'TLS1_2',
    enableHttpsTrafficOnly: true,
    allowCrossTenantReplication: false,
    isLocalUserEnabled: false,
    isSftpEnabled: false,
    publicNetworkAccess: r.publicNetworkAccess,
    ...(o.tags ? { tags: o.tags } : {}),
  };
}

/** The lifecycle rule: exports, their previous versions and snapshots go after `deleteAfterDays`. */
export function lifecyclePolicy(r: ResolvedArchiveOptions): storage.ManagementPolicyArgs['policy'] {
  return {
    rules: [
      {
        name: 'delete-exports',
        enabled: true,
        type: 'Lifecycle',
        definition: {
          filters: { blobTypes: ['blockBlob'], prefixMatch: [`${r.containerName}/`] },
          actions: {
            baseBlob: { delete: { daysAfterModificationGreaterThan: r.deleteAfterDays } },
            snapshot: { delete: { daysAfterCreationGreaterThan: r.deleteAfterDays } },
            ...(r.versioning ? { version: { delete: { daysAfterCreationGreaterThan: r.deleteAfterDays } } } : {}),
          },
        },
      },
    ],
  };
}

export const EXPORT_ARCHIVE_TYPE = 'docferry:index:ExportArchive';

/** What an ExportArchive takes. */
export type ExportArchiveArgs = ArchiveOptions;

/**
 * A storage account and a blob container for export archives, with safe defaults: RBAC only
 * (no shared keys, no public blobs), TLS 1.2, HTTPS only, soft delete and versioning, and a
 * lifecycle rule that deletes exports (they hold personal data) after N days.
 */
export class ExportArchive extends pulumi.ComponentResource {
  readonly account: storage.StorageAccount;
  readonly blobService: storage.BlobServiceProperties;
  readonly container: storage.BlobContainer;
  readonly lifecycle: storage.ManagementPolicy;
  /** Only with immutabilityDays. */
  readonly immutability?: storage.BlobContainerImmutabilityPolicy;
  readonly roleAssignments: authorization.RoleAssignment[];
  readonly accountName: pulumi.Output<string>;
  readonly containerName: pulumi.Output<string>;
  /** What `docferry archive push --container-url` takes. */
  readonly containerUrl: pulumi.Output<string>;
  readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: ExportArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is registered: a bad name or retention registers nothing.
    const r = resolveArchiveOptions(args);
    super(EXPORT_ARCHIVE_TYPE, name, {}, opts);
    const child = { parent: this };
    const rg = args.resourceGroupName;
    this.account = new storage.StorageAccount(name, storageAccountArgs(args, r), child);
    this.blobService = new storage.BlobServiceProperties(
      `${name}-blob-service`,
      {
        resourceGroupName: rg,
        accountName: this.account.name,
        blobServicesName: 'default',
        deleteRetentionPolicy: { enabled: true, days: r.blobSoftDeleteDays },
        containerDeleteRetentionPolicy: { enabled: true, days: r.containerSoftDeleteDays },
        isVersioningEnabled: r.versioning,
      },
      child,
    );
    this.container = new storage.BlobContainer(
      `${name}-container`,
      { resourceGroupName: rg, accountName: this.account.name, containerName: r.containerName, publicAccess: 'None' },
      { ...child, dependsOn: [this.blobService] },
    );
    this.lifecycle = new storage.ManagementPolicy(
      `${name}-lifecycle`,
      { resourceGroupName: rg, accountName: this.account.name, managementPolicyName: 'default', policy: lifecyclePolicy(r) },
      child,
    );
    if (r.immutabilityDays !== undefined) {
      this.immutability = new storage.BlobContainerImmutabilityPolicy(
        `${name}-retention`,
        {
          resourceGroupName: rg,
          accountName: this.account.name,
          containerName: this.container.name,
          immutabilityPolicyName: 'default',
          immutabilityPeriodSinceCreationInDays: r.immutabilityDays,
          allowProtectedAppendWrites: false,
        },
        child,
      );
    }
    const containerId = this.container.id;
    this.roleAssignments = r.contributorPrincipalIds.map(
      (principalId) =>
        new authorization.RoleAssignment(
          `${name}-blob-contributor-${principalId}`,
          {
            principalId,
            principalType: r.principalType,
            roleDefinitionId: containerId.apply((id) => azureRoleDefinitionId(id, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE)),
            scope: containerId,
          },
          child,
        ),
    );
    const blobEndpoint = pulumi
      .all([this.account.name, this.account.primaryEndpoints])
      .apply(([accountName, endpoints]) => (endpoints?.blob ?? `https://${accountName}.blob.core.windows.net/`).replace(/\/?$/, '/'));
    this.accountName = this.account.name;
    this.containerName = this.container.name;
    this.containerUrl = pulumi.interpolate`${blobEndpoint}${this.container.name}`;
    this.containerId = containerId;
    this.registerOutputs({ accountName: this.accountName, containerName: this.containerName, containerUrl: this.containerUrl, containerId: this.containerId });
  }
}
