// pulumi/archive: a stack over ExportArchive (src/pulumi/archive.ts). It reads the stack config
// and exports the component's outputs. See docs/infrastructure.md.
import * as pulumi from '@pulumi/pulumi';
import { ExportArchive } from '../../src/pulumi/archive.js';
import { aliasesToStackRoot } from '../shared.js';
import { archiveOptionsFromConfig } from './config.js';

const archive = new ExportArchive('archive', archiveOptionsFromConfig(new pulumi.Config('docferry-archive')), { transformations: [aliasesToStackRoot('archive')] });

export const accountName = archive.accountName;
export const containerName = archive.containerName;
export const containerUrl = archive.containerUrl;
