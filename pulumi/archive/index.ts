// pulumi/archive entry point: read stack config, build, export outputs. See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { buildArchive } from './archive.js';
import { archiveOptionsFromConfig } from './config.js';

const result = buildArchive(archiveOptionsFromConfig(new pulumi.Config('docferry-archive')));

export const accountName = result.outputs.accountName;
export const containerName = result.outputs.containerName;
export const containerUrl = result.outputs.containerUrl;
