// pulumi/target: a stack over CosmosTargetFromLayout (src/pulumi/target.ts). It reads the stack
// config and exports the component's outputs. See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { CosmosTargetFromLayout } from '../../src/pulumi/target.js';
import { aliasesToStackRoot } from '../shared.js';
import { targetOptionsFromConfig } from './config.js';

const target = new CosmosTargetFromLayout('target', targetOptionsFromConfig(new pulumi.Config('docferry-target')), { transformations: [aliasesToStackRoot('target')] });

export const accountName = target.accountName;
export const endpoint = target.endpoint;
export const databaseNames = target.databaseNames;
export const containerNames = target.containerNames;
