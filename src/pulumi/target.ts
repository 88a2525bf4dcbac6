/**
 * CosmosTargetFromLayout: the Cosmos DB (NoSQL) databases and containers a layout file describes,
 * optionally the account itself (secure defaults), and data-plane role assignments. The
 * decisions are plain functions over the layout (tests call them directly); the component only
 * registers what they decided. pulumi/target is a stack over it.
 */
import * as pulumi from '@pulumi/pulumi';
import * as cosmosdb from '@pulumi/azure-native/cosmosdb/index.js';
import { UsageError } from '../core/errors.js';
import {
  resolvePartitionKey,
  type ContainerLayout,
  type DatabaseLayout,
  type Layout,
  type PartitionKeySpec,
  type ThroughputSpec,
} from '../core/layout.js';
import { principalIdList } from './principals.js';

/** Cosmos DB Built-in Data Reader: read items and metadata (exporting identities). */
export const DATA_READER_ROLE = '00000000-0000-0000-0000-000000000001';
/** Cosmos DB Built-in Data Contributor: read and write items (importing identities). */
export const DATA_CONTRIBUTOR_ROLE = '00000000-0000-0000-0000-000000000002';

export type PublicNetworkAccess = 'Enabled' | 'Disabled' | 'SecuredByPerimeter';
export type ConsistencyLevel = 'Eventual' | 'Session' | 'BoundedStaleness' | 'Strong' | 'ConsistentPrefix';

export interface NewAccountOptions {
  create: true;
  /** Globally unique, 3-44 lower-case letters, digits and hyphens; auto-named when absent. */
  name?: string;
  location: string;
  /** Default Disabled: reach it through a private endpoint, or set Enabled (with ipRules). */
  publicNetworkAccess?: PublicNetworkAccess;
  /** Default true: keys are off, Entra ID (RBAC) only. */
  disableLocalAuth?: boolean;
  /** Default true: key-authenticated clients cannot create or change databases and containers. */
  disableKeyBasedMetadataWriteAccess?: boolean;
  /** IPv4 addresses or CIDR ranges allowed when public network access is Enabled. */
  ipRules?: string[];
  consistencyLevel?: ConsistencyLevel;
  zoneRedundant?: boolean;
  tags?: Record<string, string>;
}

export interface ExistingAccountOptions {
  create: false;
  name: string;
}

export interface TargetOptions {
  layout: Layout;
  /** May be another resource's output (e.g. a ResourceGroup's name). */
  resourceGroupName: pulumi.Input<string>;
  account: NewAccountOptions | ExistingAccountOptions;
  /** Exporting identities: Built-in Data Reader on the account. */
  readerPrincipalIds?: string[];
  /** Importing identities: Built-in Data Contributor on the account. */
  contributorPrincipalIds?: string[];
  /** Protect databases, containers and a created account from `pulumi destroy` (default true: they hold the data). */
  protect?: boolean;
}

export interface PartitionKeyArgs {
  paths: string[];
  kind: 'Hash' | 'MultiHash';
  version: 1 | 2;
}

export function partitionKeyArgs(spec: PartitionKeySpec): PartitionKeyArgs {
  const pk = resolvePartitionKey(spec);
  if (pk.kind === 'MultiHash' && (pk.paths.length < 2 || pk.paths.length > 3)) throw new UsageError(`A MultiHash partition key takes two or three paths, got ${pk.paths.length}.`);
  if (pk.kind === 'MultiHash' && pk.version !== 2) throw new UsageError('A MultiHash partition key needs version 2.');
  if (pk.kind === 'Hash' && pk.paths.length !== 1) throw new UsageError(`A Hash partition key takes one path, got ${pk.paths.length}.`);
  return { paths: pk.paths, kind: pk.kind, version: pk.version };
}

export type ThroughputOptionsArgs = { throughput: number } | { autoscaleSettings: { maxThroughput: number } };

/** Provisioned throughput as ARM create options; undefined = none (shared database throughput, or serverless). */
export function throughputOptions(spec: ThroughputSpec | undefined, where: string): ThroughputOptionsArgs | undefined {
  if (!spec) return undefined;
  if (spec.manual !== undefined) {
    if (spec.manual < 400 || spec.manual % 100 !== 0) throw new UsageError(`${where}: manual throughput must be at least 400 and a multiple of 100 (got ${spec.manual}).`);
    return { throughput: spec.manual };
  }
  if (spec.autoscaleMax < 1000 || spec.autoscaleMax % 1000 !== 0) throw new UsageError(`${where}: autoscaleMax must be at least 1000 and a multiple of 1000 (got ${spec.autoscaleMax}).`);
  return { autoscaleSettings: { maxThroughput: spec.autoscaleMax } };
}

export interface DatabaseArgsFromLayout {
  databaseName: string;
  resource: { id: string };
  options?: ThroughputOptionsArgs;
}

export function databaseArgsFromLayout(db: DatabaseLayout): DatabaseArgsFromLayout {
  const options = throughputOptions(db.throughput, `database "${db.name}"`);
  return { databaseName: db.name, resource: { id: db.name }, ...(options ? { options } : {}) };
}

export interface ContainerResourceArgs {
  id: string;
  partitionKey: PartitionKeyArgs;
  indexingPolicy?: Record<string, unknown>;
  uniqueKeyPolicy?: { uniqueKeys: { paths: string[] }[] };
  defaultTtl?: number;
}

export interface ContainerArgsFromLayout {
  databaseName: string;
  containerName: string;
  resource: ContainerResourceArgs;
  options?: ThroughputOptionsArgs;
}

/**
 * One container's ARM arguments. A container without its own throughput in a database with
 * shared throughput shares it (no options); with its own throughput it gets dedicated RU/s.
 */
export function containerArgsFromLayout(db: DatabaseLayout, c: ContainerLayout): ContainerArgsFromLayout {
  const resource: ContainerResourceArgs = { id: c.name, partitionKey: partitionKeyArgs(c.partitionKey) };
  if (c.indexingPolicy !== undefined) resource.indexingPolicy = structuredClone(c.indexingPolicy);
  if (c.uniqueKeys !== undefined && c.uniqueKeys.length > 0) resource.uniqueKeyPolicy = { uniqueKeys: c.uniqueKeys.map((paths) => ({ paths: [...paths] })) };
  if (c.defaultTtl !== undefined) {
    if (!Number.isInteger(c.defaultTtl) || c.defaultTtl === 0 || c.defaultTtl < -1) throw new UsageError(`container "${db.name}.${c.name}": defaultTtl must be -1 (on, no default expiry) or a positive number of seconds (got ${c.defaultTtl}).`);
    resource.defaultTtl = c.defaultTtl;
  }
  const options = throughputOptions(c.throughput, `container "${db.name}.${c.name}"`);
  return { databaseName: db.name, containerName: c.name, resource, ...(options ? { options } : {}) };
}

/** The account's arguments with secure defaults (everything but the resource group). */
export function accountArgsFromOptions(o: NewAccountOptions): Omit<cosmosdb.DatabaseAccountArgs, 'resourceGroupName'> {
  if (!o.location) throw new UsageError('location is required to create the account (docferry-target:location).');
  if (o.name !== undefined && !/^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/.test(o.name)) {
    throw new UsageError(`accountName "${o.name}" is not a valid Cosmos DB account name (3-44 lower-case letters, digits and hyphens).`);
  }
  const publicNetworkAccess = o.publicNetworkAccess ?? 'Disabled';
  const ipRules = o.ipRules ?? [];
  if (ipRules.length > 0 && publicNetworkAccess !== 'Enabled') {
    throw new UsageError('ipRules only apply with publicNetworkAccess Enabled; set both, or remove ipRules.');
  }
  return {
    ...(o.name !== undefined ? { accountName: o.name } : {}),
    location: o.location,
    kind: 'GlobalDocumentDB',
    databaseAccountOfferType: 'Standard',
    locations: [{ locationName: o.location, failoverPriority: 0, isZoneRedundant: o.zoneRedundant ?? false }],
    consistencyPolicy: { defaultConsistencyLevel: o.consistencyLevel ?? 'Session' },
    minimalTlsVersion: 'Tls12',
    publicNetworkAccess,
    ...(ipRules.length > 0 ? { ipRules: ipRules.map((ip) => ({ ipAddressOrRange: ip })) } : {}),
    disableLocalAuth: o.disableLocalAuth ?? true,
    disableKeyBasedMetadataWriteAccess: o.disableKeyBasedMetadataWriteAccess ?? true,
    ...(o.tags ? { tags: o.tags } : {}),
  };
}

export interface DataRoleAssignmentPlan {
  /** Pulumi resource name. */
  name: string;
  principalId: string;
  role: 'reader' | 'contributor';
  roleGuid: string;
}

export function dataRoleAssignments(readers: string[] | undefined, contributors: string[] | undefined): DataRoleAssignmentPlan[] {
  return [
    ...principalIdList(readers, 'readerPrincipalIds').map((p) => ({ name: `data-reader-${p}`, principalId: p, role: 'reader' as const, roleGuid: DATA_READER_ROLE })),
    ...principalIdList(contributors, 'contributorPrincipalIds').map((p) => ({ name: `data-contributor-${p}`, principalId: p, role: 'contributor' as const, roleGuid: DATA_CONTRIBUTOR_ROLE })),
  ];
}

/** Data-plane role definitions live under the account: `${accountId}/sqlRoleDefinitions/<guid>`. */
export function sqlRoleDefinitionId(accountId: string, roleGuid: string): string {
  return `${accountId}/sqlRoleDefinitions/${roleGuid}`;
}

export const COSMOS_TARGET_TYPE = 'docferry:index:CosmosTargetFromLayout';

/** What a CosmosTargetFromLayout takes: the layout decides the databases and containers. */
export type CosmosTargetFromLayoutArgs = TargetOptions;

/**
 * The Cosmos DB (NoSQL) databases and containers of a layout, optionally the account (secure
 * defaults), and data-plane role assignments. Every decision is made before the first child is
 * registered, so a bad layout or principal id registers nothing.
 */
export class CosmosTargetFromLayout extends pulumi.ComponentResource {
  /** The created account; absent for an existing one. */
  readonly account?: cosmosdb.DatabaseAccount;
  readonly databases: cosmosdb.SqlResourceSqlDatabase[];
  readonly containers: cosmosdb.SqlResourceSqlContainer[];
  readonly roleAssignments: cosmosdb.SqlResourceSqlRoleAssignment[];
  readonly accountName: pulumi.Output<string>;
  readonly accountId: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly databaseNames: pulumi.Output<string[]>;
  /** `db/container` for every container. */
  readonly containerNames: pulumi.Output<string[]>;

  constructor(name: string, args: CosmosTargetFromLayoutArgs, opts?: pulumi.ComponentResourceOptions) {
    const protect = args.protect ?? true;
    const rg = args.resourceGroupName;
    if (!rg) throw new UsageError('resourceGroupName is required (docferry-target:resourceGroupName).');
    if (!args.account.create && !args.account.name) throw new UsageError('accountName is required when createAccount is false (an existing account).');
    // Decide everything before creating anything: a bad layout or principal id creates nothing.
    const dbPlans = args.layout.databases.map((db) => ({ db, args: databaseArgsFromLayout(db), containers: db.containers.map((c) => containerArgsFromLayout(db, c)) }));
    const rolePlans = dataRoleAssignments(args.readerPrincipalIds, args.contributorPrincipalIds);
    const accountArgs = args.account.create ? accountArgsFromOptions(args.account) : undefined;
    super(COSMOS_TARGET_TYPE, name, {}, opts);

    const child = { parent: this };
    if (accountArgs) {
      this.account = new cosmosdb.DatabaseAccount(`${name}-account`, { resourceGroupName: rg, ...accountArgs }, { ...child, protect });
      this.accountName = this.account.name;
      this.accountId = this.account.id;
      this.endpoint = this.account.documentEndpoint;
    } else {
      const accountName = (args.account as ExistingAccountOptions).name;
      const existing = cosmosdb.getDatabaseAccountOutput({ accountName, resourceGroupName: rg }, child);
      this.accountName = pulumi.output(accountName);
      this.accountId = existing.id;
      this.endpoint = existing.documentEndpoint;
    }
    const dependsOn = this.account ? [this.account] : [];
    const accountName = this.accountName;

    this.databases = [];
    this.containers = [];
    for (const plan of dbPlans) {
      const database = new cosmosdb.SqlResourceSqlDatabase(`${name}-db-${plan.db.name}`, { accountName, resourceGroupName: rg, ...plan.args }, { ...child, protect, dependsOn });
      this.databases.push(database);
      for (const c of plan.containers) {
        this.containers.push(
          new cosmosdb.SqlResourceSqlContainer(`${name}-container-${plan.db.name}-${c.containerName}`, { accountName, resourceGroupName: rg, ...c }, { ...child, protect, dependsOn: [database] }),
        );
      }
    }
    const accountId = this.accountId;
    this.roleAssignments = rolePlans.map(
      (r) =>
        new cosmosdb.SqlResourceSqlRoleAssignment(
          `${name}-${r.name}`,
          {
            accountName,
            resourceGroupName: rg,
            principalId: r.principalId,
            roleDefinitionId: accountId.apply((id) => sqlRoleDefinitionId(id, r.roleGuid)),
            scope: accountId,
          },
          { ...child, dependsOn },
        ),
    );
    this.databaseNames = pulumi.output(dbPlans.map((p) => p.db.name));
    this.containerNames = pulumi.output(dbPlans.flatMap((p) => p.containers.map((c) => `${p.db.name}/${c.containerName}`)));
    this.registerOutputs({
      accountName: this.accountName,
      accountId: this.accountId,
      endpoint: this.endpoint,
      databaseNames: this.databaseNames,
      containerNames: this.containerNames,
    });
  }
}
