/**
 * Entra ID on a GitHub runner: OIDC federation when a client and tenant id are given (the job
 * needs `permissions: id-token: write`; a fresh GitHub token is requested for every exchange),
 * otherwise the Azure CLI session an earlier azure/login step left.
 */
import * as core from '@actions/core';
import { AzureCliCredential, ClientAssertionCredential } from '@azure/identity';
import { UsageError } from '../../../src/core/errors.js';
import type { AzureAuth } from '../../common/context.js';
import { authorityOptions, describedCredential } from '../../common/credential.js';
import type { Inputs } from '../../common/inputs.js';

export const AZURE_AUDIENCE = 'api://AzureADTokenExchange';

export function githubAzure(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): AzureAuth {
  const clientId = inputs.getInput('clientId') ?? env.AZURE_CLIENT_ID;
  const tenantId = inputs.getInput('tenantId') ?? env.AZURE_TENANT_ID;
  const subscriptionId = env.AZURE_SUBSCRIPTION_ID;
  if (clientId && tenantId) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new UsageError(
        `"${inputs.label('clientId')}" and "${inputs.label('tenantId')}" ask for OIDC federation, but this job cannot request an OIDC token: add \`permissions: id-token: write\` to the job (and contents: read).`,
      );
    }
    const description = `OIDC federation as ${clientId} (tenant ${tenantId})`;
    return {
      credential: describedCredential(new ClientAssertionCredential(tenantId, clientId, () => core.getIDToken(AZURE_AUDIENCE), authorityOptions(env.AZURE_AUTHORITY_HOST)), description),
      description,
      ...(subscriptionId ? { subscriptionId } : {}),
    };
  }
  if (clientId || tenantId) {
    throw new UsageError(`OIDC federation needs both "${inputs.label('clientId')}" and "${inputs.label('tenantId')}" (or AZURE_CLIENT_ID and AZURE_TENANT_ID).`);
  }
  const description = 'the Azure CLI login of an earlier azure/login step';
  return {
    credential: describedCredential(new AzureCliCredential(), description),
    description,
    ambient: true,
    ...(subscriptionId ? { subscriptionId } : {}),
  };
}
