// pulumi/throughput entry point: `pulumi up` raises (opens the RU/s window), `pulumi destroy` restores.
// See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { throughputOptionsFromConfig } from './config.js';
import { buildThroughputWindows } from './throughput.js';

const result = buildThroughputWindows(throughputOptionsFromConfig(new pulumi.Config('docferry-throughput'), new pulumi.Config('azure-native')));

for (const w of result.windows) {
  w.warnings.apply((ws) => ws?.forEach((msg) => pulumi.log.warn(msg, w)));
}

export const windows = result.summary;
