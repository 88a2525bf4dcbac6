import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { CosmosClient, type CosmosClientOptions, type PluginConfig } from '@azure/cosmos';
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
  /** Per-request timeout (the SDK's connectionPolicy.requestTimeout); default the SDK's 60 s. */
  requestTimeoutMs?: number;
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

/**
 * The retry-after of the latest 429 a client received. The SDK's bulk call turns a throttled
 * request into a plain Error without its headers; this keeps the server's wait so it is honoured.
 */
export class ThrottleObserver {
  private at = Number.NEGATIVE_INFINITY;
  private retryAfterMs = 0;

  record(retryAfterMs: number): void {
    const now = Date.now();
    // Concurrent 429s: keep the longest wait asked for recently.
    this.retryAfterMs = now - this.at < 1000 ? Math.max(this.retryAfterMs, retryAfterMs) : retryAfterMs;
    this.at = now;
  }

  /** The wait the server asked for in a 429 within the last `withinMs`, if any. */
  recentRetryAfterMs(withinMs = 2000): number | undefined {
    return Date.now() - this.at <= withinMs ? this.retryAfterMs : undefined;
  }
}

function observing(observer: ThrottleObserver): PluginConfig {
  return {
    on: 'request',
    plugin: async (context, diagnosticNode, next) => {
      try {
        return await next(context);
      } catch (err) {
        if (statusOf(err) === 429) observer.record(Number((err as { retryAfterInMs?: number }).retryAfterInMs ?? 0) || 0);
        throw err;
      }
    },
  };
}

export function createCosmosClient(conn: CosmosConnection, observer?: ThrottleObserver): CosmosClient {
  if (!conn.key && !conn.credential) throw new UsageError('No Cosmos DB credential: pass --cosmos-key (or set the key variable) or --use-rbac.');
  const options: CosmosClientOptions = {
    endpoint: conn.endpoint,
    userAgentSuffix: `${toolName}/${toolVersion}`,
    connectionPolicy: {
      // A local emulator answers only on the address it was given; real accounts benefit from discovery.
      enableEndpointDiscovery: !isLoopback(conn.endpoint),
      retryOptions: { maxRetryAttemptCount: 9, fixedRetryIntervalInMilliseconds: 0, maxWaitTimeInSeconds: 30 },
      ...(conn.requestTimeoutMs !== undefined ? { requestTimeout: conn.requestTimeoutMs } : {}),
    },
  };
  if (conn.caCertificate) options.agent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, conn.caCertificate] });
  if (conn.key) options.key = conn.key;
  else options.aadCredentials = conn.credential!;
  // `plugins` is a documented-but-hidden client option (PluginConfig is exported, the field is not typed).
  if (observer) (options as CosmosClientOptions & { plugins?: PluginConfig[] }).plugins = [observing(observer)];
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
