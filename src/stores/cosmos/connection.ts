import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { CosmosClient, type CosmosClientOptions, type PluginConfig } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { AuthenticationError, DocferryError, UsageError } from '../../core/errors.js';
import { toolName, toolVersion } from '../../core/package-info.js';
import { redact, redactUri } from '../../core/secrets.js';
import { statusOf } from './status.js';

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

/** What a caller knows about the request that failed, for advice that fits it. */
export interface CosmosErrorContext {
  /** How the request was signed: an account key or an Entra ID token (--use-rbac). */
  auth?: 'key' | 'rbac';
  /** Whether the run reads (export, verify, migrate source) or writes (import, migrate target). */
  access?: 'read' | 'write';
}

const DATA_READER = { name: 'Cosmos DB Built-in Data Reader', id: '00000000-0000-0000-0000-000000000001' };
const DATA_CONTRIBUTOR = { name: 'Cosmos DB Built-in Data Contributor', id: '00000000-0000-0000-0000-000000000002' };

/** The service's own explanation, first line, without the ActivityId and SDK trailer. */
function serviceDetail(err: unknown): string {
  const body = (err as { body?: { message?: unknown } }).body;
  const raw = typeof body?.message === 'string' ? body.message : ((err as Error).message ?? '');
  return redact(raw.split(/\r?\n|ActivityId:/)[0]!.trim().slice(0, 300));
}

/** 401: the credential itself was not accepted (wrong or regenerated key, token for another tenant). */
function unauthorized(where: string, what: string, context: CosmosErrorContext, err: unknown): AuthenticationError {
  const keyAdvice = 'Check the account key (--cosmos-key or the key variable): it must be the primary or secondary key of this account, and not one regenerated since.';
  const tokenAdvice = 'The Entra ID token was not accepted: sign in to the tenant that holds the account (az login --tenant <tenant id>, or the service connection of the pipeline) and check the machine\'s clock.';
  const advice = context.auth === 'key' ? keyAdvice : context.auth === 'rbac' ? tokenAdvice : `${keyAdvice} With --use-rbac: ${tokenAdvice.charAt(0).toLowerCase()}${tokenAdvice.slice(1)}`;
  return new AuthenticationError(
    `Cosmos DB at ${where} refused the credentials while ${what} (HTTP 401 Unauthorized: the credential itself was not accepted). ${advice}`,
    { cause: err },
  );
}

/** 403: the credential was accepted but may not do this: no data-plane role, keys disabled, or the firewall. */
function forbidden(where: string, what: string, context: CosmosErrorContext, err: unknown): AuthenticationError {
  const substatus = (err as { substatus?: unknown }).substatus;
  const detail = serviceDetail(err);
  const status = `HTTP 403 Forbidden${typeof substatus === 'number' && substatus > 0 ? `, substatus ${substatus}` : ''}`;
  const head = `Cosmos DB at ${where} forbade the request while ${what} (${status}): the credential was accepted, but it is not allowed to do this.`;
  const role = context.access === 'read' ? DATA_READER : DATA_CONTRIBUTOR;
  const roleText =
    context.access === undefined
      ? `${DATA_CONTRIBUTOR.name} (role definition ${DATA_CONTRIBUTOR.id}) to import or migrate into the account, or ${DATA_READER.name} (${DATA_READER.id}) to only read from it`
      : `${role.name} (role definition ${role.id})`;
  const assign = (principal?: string) =>
    `az cosmosdb sql role assignment create --account-name <account> --resource-group <group> --scope / --principal-id ${principal ?? '<object id of the identity>'} --role-definition-id ${role.id}`;
  const azureRolesNote = 'Azure roles such as Owner, Contributor or DocumentDB Account Contributor do not grant access to data, and a new assignment can take a few minutes to apply.';

  if (substatus === 5301 || /RBAC permissions|does not have required RBAC/i.test(detail)) {
    const principal = /principal \[([^\]]+)\]/i.exec(detail)?.[1];
    const action = /action \[([^\]]+)\]/i.exec(detail)?.[1];
    return new AuthenticationError(
      `${head} The Entra ID identity${principal ? ` ${principal}` : ''} has no data-plane role on this account${action ? ` that allows ${action}` : ''}. ` +
        `Assign it ${roleText}, at the account scope: ${assign(principal)}. ${azureRolesNote} This is not a wrong key or token (that is HTTP 401).`,
      { cause: err },
    );
  }
  if (/local authorization is disabled|local auth/i.test(detail)) {
    return new AuthenticationError(
      `${head} The account has key authentication turned off (disableLocalAuth), so no account key works. ` +
        `Run with --use-rbac, as an identity that has ${roleText}: ${assign()}.`,
      { cause: err },
    );
  }
  if (/firewall|virtual network|private endpoint|originated from (client )?ip/i.test(detail)) {
    return new AuthenticationError(
      `${head} The account's network rules block this machine (the service said: ${detail.replace(/[.\s]*$/, '')}). ` +
        'Add its address to the account\'s firewall (Networking), or run from a network the account allows (its virtual network or private endpoint).',
      { cause: err },
    );
  }
  const advice =
    context.auth === 'key'
      ? 'With an account key this usually means the account\'s network rules (firewall, virtual network, private endpoint) block this machine, or the account does not accept keys (then run with --use-rbac).'
      : context.auth === 'rbac'
        ? `With --use-rbac this usually means the identity has no data-plane role: assign it ${roleText}, at the account scope: ${assign()}. ${azureRolesNote}`
        : `With --use-rbac, assign the identity ${roleText}, at the account scope: ${assign()}. With an account key, check the account's firewall and that it accepts keys.`;
  return new AuthenticationError(`${head}${detail ? ` The service said: ${detail.replace(/[.\s]*$/, '')}.` : ''} ${advice}`, { cause: err });
}

/** SDK errors as messages a person can act on; auth failures are never a stack trace. */
export function describeCosmosError(err: unknown, endpoint: string, what: string, context: CosmosErrorContext = {}): DocferryError {
  if (err instanceof DocferryError) return err;
  const code = statusOf(err);
  const where = redactUri(endpoint);
  const sdkMessage = ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 300);
  if (code === 401) return unauthorized(where, what, context, err);
  if (code === 403) return forbidden(where, what, context, err);
  if (code === 404) {
    return new DocferryError(
      `Cosmos DB at ${where} has no such database or container (HTTP 404) while ${what}. Check the database and container names in the layout (or --collections) and that the endpoint is the account that holds them.${sdkMessage ? ` The service said: ${sdkMessage}` : ''}`,
      1,
      { cause: err },
    );
  }
  const sys = (err as NodeJS.ErrnoException).code;
  if (typeof sys === 'string' && /^E[A-Z]+$/.test(sys)) {
    return new DocferryError(`Cannot reach Cosmos DB at ${where} while ${what}: ${sys}. Check the endpoint and the network.`, 1, { cause: err });
  }
  return new DocferryError(`Cosmos DB at ${where} failed while ${what}${code ? ` (HTTP ${code})` : ''}: ${sdkMessage}`, 1, { cause: err });
}
