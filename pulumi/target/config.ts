/** Stack config of pulumi/target (namespace docferry-target) turned into TargetOptions. Pure: tests call it with a fake reader. */
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { defaultLayoutPath, loadLayout } from '../../src/core/layout.js';
import { listFromConfig } from '../shared.js';
import type { ConsistencyLevel, PublicNetworkAccess, TargetOptions } from '../../src/pulumi/target.js';

/** What index.ts reads from `new pulumi.Config('docferry-target')`. */
export interface ConfigReader {
  get(key: string): string | undefined;
  getBoolean(key: string): boolean | undefined;
  getObject<T>(key: string): T | undefined;
}

const ACCESS: PublicNetworkAccess[] = ['Enabled', 'Disabled', 'SecuredByPerimeter'];
const CONSISTENCY: ConsistencyLevel[] = ['Eventual', 'Session', 'BoundedStaleness', 'Strong', 'ConsistentPrefix'];

function list(cfg: ConfigReader, key: string): string[] {
  const obj = (() => {
    try {
      return cfg.getObject<unknown>(key);
    } catch {
      return undefined;
    }
  })();
  return listFromConfig(obj ?? cfg.get(key));
}

/** `baseDir` is where relative paths (layoutFile) are resolved: the program folder, where `pulumi up` runs. */
export function targetOptionsFromConfig(cfg: ConfigReader, baseDir: string = process.cwd()): TargetOptions {
  const resourceGroupName = cfg.get('resourceGroupName');
  if (!resourceGroupName) throw new UsageError('docferry-target:resourceGroupName is required.');
  const layoutFile = cfg.get('layoutFile');
  const layout = loadLayout(layoutFile ? (isAbsolute(layoutFile) ? layoutFile : resolve(baseDir, layoutFile)) : defaultLayoutPath);
  const createAccount = cfg.getBoolean('createAccount') ?? false;
  const accountName = cfg.get('accountName');
  const access = cfg.get('publicNetworkAccess');
  if (access !== undefined && !ACCESS.includes(access as PublicNetworkAccess)) throw new UsageError(`docferry-target:publicNetworkAccess must be one of ${ACCESS.join(', ')} (got ${access}).`);
  const consistency = cfg.get('consistencyLevel');
  if (consistency !== undefined && !CONSISTENCY.includes(consistency as ConsistencyLevel)) throw new UsageError(`docferry-target:consistencyLevel must be one of ${CONSISTENCY.join(', ')} (got ${consistency}).`);
  let account: TargetOptions['account'];
  if (createAccount) {
    const location = cfg.get('location');
    if (!location) throw new UsageError('docferry-target:location is required with createAccount true.');
    const ipRules = list(cfg, 'ipRules');
    const disableLocalAuth = cfg.getBoolean('disableLocalAuth');
    const disableMeta = cfg.getBoolean('disableKeyBasedMetadataWriteAccess');
    const zoneRedundant = cfg.getBoolean('zoneRedundant');
    account = {
      create: true,
      location,
      ...(accountName ? { name: accountName } : {}),
      ...(access ? { publicNetworkAccess: access as PublicNetworkAccess } : {}),
      ...(disableLocalAuth !== undefined ? { disableLocalAuth } : {}),
      ...(disableMeta !== undefined ? { disableKeyBasedMetadataWriteAccess: disableMeta } : {}),
      ...(ipRules.length > 0 ? { ipRules } : {}),
      ...(consistency ? { consistencyLevel: consistency as ConsistencyLevel } : {}),
      ...(zoneRedundant !== undefined ? { zoneRedundant } : {}),
    };
  } else {
    if (!accountName) throw new UsageError('docferry-target:accountName is required (the existing account), or set docferry-target:createAccount true.');
    account = { create: false, name: accountName };
  }
  const protect = cfg.getBoolean('protect');
  return {
    layout,
    resourceGroupName,
    account,
    readerPrincipalIds: list(cfg, 'readerPrincipalIds'),
    contributorPrincipalIds: list(cfg, 'contributorPrincipalIds'),
    ...(protect !== undefined ? { protect } : {}),
  };
}
