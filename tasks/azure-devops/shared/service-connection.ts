/**
 * An Azure Resource Manager service connection -> a TokenCredential, by the connection's scheme:
 * workload identity federation (the connection's OIDC token, fetched fresh for every exchange),
 * service principal with a secret or a certificate, or the agent's managed identity.
 */
import {
  AzurePipelinesCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { UsageError } from '../../../src/core/errors.js';
import type { AzureAuth } from '../../common/context.js';
import { authorityOptions, describedCredential } from '../../common/credential.js';
import type { Inputs } from '../../common/inputs.js';
import { snapshotEndpointAuthParameter, snapshotEndpointAuthScheme } from './env-snapshot.js';
import { tl } from './tl.js';

export function serviceConnectionAuth(endpointId: string, inputs: Inputs): AzureAuth {
  const where = `service connection ${endpointId} (input "${inputs.label('azureSubscription')}")`;
  const scheme = snapshotEndpointAuthScheme(endpointId);
  if (!scheme) {
    throw new UsageError(`${where} is not available to this job: check that it exists, is an Azure Resource Manager connection and is authorized for this pipeline.`);
  }
  const param = (key: string) => snapshotEndpointAuthParameter(endpointId, key)?.trim() || undefined;
  const tenantId = param('tenantid');
  const clientId = param('serviceprincipalid');
  const authorityHost = tl.getEndpointDataParameter(endpointId, 'environmentAuthorityUrl', true) || tl.getEndpointDataParameter(endpointId, 'activeDirectoryAuthority', true);
  const subscriptionId = tl.getEndpointDataParameter(endpointId, 'subscriptionId', true);
  const resourceManagerUrl = tl.getEndpointUrl(endpointId, true);
  const options = authorityOptions(authorityHost);
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new UsageError(`${where} has no ${what}; edit the service connection or pick another one.`);
    return value;
  };
  let credential: TokenCredential;
  let kind: string;
  switch (scheme.toLowerCase()) {
    case 'workloadidentityfederation': {
      kind = 'workload identity federation';
      if (!process.env.SYSTEM_OIDCREQUESTURI) {
        throw new UsageError(`${where} uses workload identity federation, but System.OidcRequestUri is not set: this agent is too old (it needs 3.227 or later) or the task is not running in a pipeline job.`);
      }
      // System.AccessToken if the author mapped it, else the job's own connection token (always given to tasks).
      const accessToken = process.env.SYSTEM_ACCESSTOKEN || snapshotEndpointAuthParameter('SYSTEMVSSCONNECTION', 'AccessToken');
      inputs.mask(accessToken);
      if (!accessToken) {
        throw new UsageError(`${where} uses workload identity federation, which needs the job's access token: add \`env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }\` to the step.`);
      }
      credential = new AzurePipelinesCredential(need(tenantId, 'tenant id'), need(clientId, 'service principal (client) id'), endpointId, accessToken, options);
      break;
    }
    case 'serviceprincipal': {
      const authType = (param('authenticationType') ?? 'spnKey').toLowerCase();
      if (authType === 'spncertificate') {
        kind = 'service principal with certificate';
        const pem = param('servicePrincipalCertificate');
        inputs.mask(pem);
        credential = new ClientCertificateCredential(need(tenantId, 'tenant id'), need(clientId, 'service principal (client) id'), { certificate: need(pem, 'certificate') }, options);
      } else {
        kind = 'service principal with secret';
        const secret = param('serviceprincipalkey');
        inputs.mask(secret);
        credential = new ClientSecretCredential(need(tenantId, 'tenant id'), need(clientId, 'service principal (client) id'), need(secret, 'service principal key'), options);
      }
      break;
    }
    case 'managedserviceidentity':
      kind = 'managed identity of the agent';
      credential = new ManagedIdentityCredential();
      break;
    default:
      throw new UsageError(`${where} uses the authentication scheme "${scheme}", which docferry does not support; use workload identity federation, a service principal or a managed identity.`);
  }
  const description = `${where}, ${kind}`;
  return {
    credential: describedCredential(credential, description),
    description,
    ...(subscriptionId ? { subscriptionId } : {}),
    ...(resourceManagerUrl ? { resourceManagerUrl } : {}),
  };
}
