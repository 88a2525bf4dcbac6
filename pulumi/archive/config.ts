/** Stack config of pulumi/archive (namespace docferry-archive) turned into ArchiveOptions. */
import { UsageError } from '../../src/core/errors.js';
import { listFromConfig } from '../shared.js';
import type { ArchiveOptions } from '../../src/pulumi/archive.js';

export interface ConfigReader {
  get(key: string): string | undefined;
  getBoolean(key: string): boolean | undefined;
  getNumber(key: string): number | undefined;
  getObject<T>(key: string): T | undefined;
}

export function archiveOptionsFromConfig(cfg: ConfigReader): ArchiveOptions {
  const resourceGroupName = cfg.get('resourceGroupName');
  if (!resourceGroupName) throw new UsageError('docferry-archive:resourceGroupName is required.');
  const access = cfg.get('publicNetworkAccess');
  if (access !== undefined && access !== 'Enabled' && access !== 'Disabled') throw new UsageError(`docferry-archive:publicNetworkAccess must be Enabled or Disabled (got ${access}).`);
  const principalType = cfg.get('principalType');
  if (principalType !== undefined && !['ServicePrincipal', 'User', 'Group'].includes(principalType)) throw new UsageError(`docferry-archive:principalType must be ServicePrincipal, User or Group (got ${principalType}).`);
  let principals: unknown;
  try {
    principals = cfg.getObject<unknown>('contributorPrincipalIds');
  } catch {
    principals = cfg.get('contributorPrincipalIds');
  }
  const opt = <K extends keyof ArchiveOptions>(key: K, value: ArchiveOptions[K] | undefined) => (value !== undefined ? { [key]: value } : {});
  return {
    resourceGroupName,
    ...opt('location', cfg.get('location')),
    ...opt('accountName', cfg.get('accountName')),
    ...opt('containerName', cfg.get('containerName')),
    ...opt('deleteAfterDays', cfg.getNumber('deleteAfterDays')),
    ...opt('blobSoftDeleteDays', cfg.getNumber('blobSoftDeleteDays')),
    ...opt('containerSoftDeleteDays', cfg.getNumber('containerSoftDeleteDays')),
    ...opt('versioning', cfg.getBoolean('versioning')),
    ...opt('immutabilityDays', cfg.getNumber('immutabilityDays')),
    ...opt('skuName', cfg.get('skuName')),
    ...opt('publicNetworkAccess', access as ArchiveOptions['publicNetworkAccess']),
    ...opt('principalType', principalType as ArchiveOptions['principalType']),
    contributorPrincipalIds: listFromConfig(principals ?? cfg.get('contributorPrincipalIds')),
  };
}
