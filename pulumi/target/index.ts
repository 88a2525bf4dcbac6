// pulumi/target entry point: read stack config, build, export outputs. See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { targetOptionsFromConfig } from './config.js';
import { buildTarget } from './target.js';

const result = buildTarget(targetOptionsFromConfig(new pulumi.Config('docferry-target')));

export const accountName = result.outputs.accountName;
export const endpoint = result.outputs.endpoint;
export const databaseNames = result.outputs.databaseNames;
export const containerNames = result.outputs.containerNames;
