import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { AuthenticationError, DocferryError, UsageError } from '../../core/errors.js';
import { toolName, toolVersion } from '../../core/package-info.js';
import { redactUri } from '../../core/secrets.js';

export interface CosmosConnection {
  endpoint: string;
  /** Account key. When absent, `credential` (Entra ID / RBAC) is used. */
  key?: string;
  credential?: TokenCredential;
  /** An extra CA to trust (PEM), e.g. the Cosmos DB emulator's self-signed certificate. */
  caCertificate?: string;
}

export function validateEndpoint(endpoint: string | undefined, flag: string): string {
  if (!endpoint) throw new UsageError(`No Cosmos DB endpoint: pass ${flag} (for example https://<account>.documents.azure.com:443/) or set the environment variable.`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`${flag} "${redactUri(endpoint)}" is not a URL; expected something like https://<account>.documents.azure.com:443/.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${flag} "${redactUri(endpoint)}" must be an https:// URL (http:// only for a local emulator).`);
  }
  return endpoint;
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

export function createCosmosClient(conn: CosmosConnection): CosmosClient {
  if (!conn.key && !conn.credential) throw new UsageError('No Cosmos DB credential: pass --cosmos-key (or set the key variable) or --use-rbac.');
  const options: CosmosClientOptions = {
    endpoint: conn.endpoint,
    userAgentSuffix: `${toolName}/${toolVersion}`,
    connectionPolicy: {
      // A local emulator answers only on the address it was given; real accounts benefit from discovery.
      enableEndpointDiscovery: !isLoopback(conn.endpoint),
      retryOptions: { maxRetryAttemptCount: 9, fixedRetryIntervalInMilliseconds: 0, maxWaitTimeInSeconds: 30 },
    },
  };
  if (conn.caCertificate) options.agent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, conn.caCertificate] });
  if (conn.key) options.key = conn.key;
  else options.aadCredentials = conn.credential!;
  return new CosmosClient(options);
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Status codes worth another try: throttled, timed out, partition moving, unavailable, gone. */
export function isRetryableStatus(code: number | undefined): boolean {
  return code === undefined || code === 408 || code === 410 || code === 429 || code === 449 || code === 500 || code === 503;
}

/** SDK errors as messages a person can act on; auth failures are never a stack trace. */
export function describeCosmosError(err: unknown, endpoint: string, what: string): DocferryError {
  if (err instanceof DocferryError) return err;
  const code = statusOf(err);
  const where = redactUri(endpoint);
  const sdkMessage = ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 300);
  if (code === 401 || code === 403) {
    return new AuthenticationError(
      `Cosmos DB at ${where} refused the credentials while ${what} (HTTP ${code}). ` +
        'Check the account key (--cosmos-key or the key variable), or with --use-rbac that the identity has the data-plane role ' +
        '(export: Cosmos DB Built-in Data Reader; import: Built-in Data Contributor).',
      { cause: err },
    );
  }
  const sys = (err as NodeJS.ErrnoException).code;
  if (typeof sys === 'string' && /^E[A-Z]+$/.test(sys)) {
    return new DocferryError(`Cannot reach Cosmos DB at ${where} while ${what}: ${sys}. Check the endpoint and the network.`, 1, { cause: err });
  }
  return new DocferryError(`Cosmos DB at ${where} failed while ${what}${code ? ` (HTTP ${code})` : ''}: ${sdkMessage}`, 1, { cause: err });
}
