// pulumi/throughput: a stack over MigrationThroughputWindow (src/pulumi/throughput.ts).
// `pulumi up` raises (opens the RU/s window), `pulumi destroy` restores. See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { MigrationThroughputWindow } from '../../src/pulumi/throughput.js';
import { aliasesToStackRoot } from '../shared.js';
import { throughputOptionsFromConfig } from './config.js';

const window = new MigrationThroughputWindow(
  'throughput',
  throughputOptionsFromConfig(new pulumi.Config('docferry-throughput'), new pulumi.Config('azure-native')),
  { transformations: [aliasesToStackRoot('throughput')] },
);

export const windows = window.summary;
