import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { CosmosClient, type CosmosClientOptions, type PluginConfig } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { AuthenticationError, DocferryError, UsageError, causeText, errorMessage } from '../../core/errors.js';
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
  /**
   * How long the client keeps trying to reach the account before its first answer (connection
   * refused, reset, DNS not answering); default DEFAULT_CONNECT_TIMEOUT_MS. A name that does not
   * resolve fails at once.
   */
  connectTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

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

/** The account could not be reached before its first answer: why, for describeCosmosError's message. */
export class CosmosUnreachableError extends DocferryError {
  constructor(
    readonly reason: string,
    readonly advice: string,
    options?: { cause?: unknown },
  ) {
    super(`${reason} ${advice}`, 1, options);
  }
}

function systemCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^(E[A-Z_]+|REQUEST_SEND_ERROR)$/.test(code)) return code;
  const causeCode = ((err as { cause?: { code?: unknown } })?.cause)?.code;
  return typeof causeCode === 'string' && /^E[A-Z_]+$/.test(causeCode) ? causeCode : undefined;
}

const REACH_ADVICE =
  'Check the endpoint (https://<account>.documents.azure.com:443/, or the emulator\'s address and port), that the account or emulator is running, and that no firewall or proxy stops this machine from reaching it.';

/**
 * Until the account first answers, a request that cannot connect is bounded by the connect
 * timeout. The SDK retries a name that does not resolve for two minutes per request (its endpoint
 * discovery policy: 120 tries a second apart, not configurable), although ENOTFOUND means the name
 * is wrong, so that fails at once. Once any answer came, the SDK's own retries take over again.
 */
function firstContact(endpoint: string, connectTimeoutMs: number): PluginConfig {
  const host = new URL(endpoint).host;
  let reached = false;
  let firstAttemptAt: number | undefined;
  return {
    on: 'request',
    plugin: async (context, diagnosticNode, next) => {
      if (reached) return next(context);
      firstAttemptAt ??= Date.now();
      const left = Math.max(1, connectTimeoutMs - (Date.now() - firstAttemptAt));
      // The SDK reads the caller's abort signal from the request's options; a copy keeps theirs intact.
      const original = context.options;
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), left);
      context.options = { ...original, abortSignal: original?.abortSignal ? AbortSignal.any([original.abortSignal, deadline.signal]) : deadline.signal };
      try {
        const response = await next(context);
        reached = true;
        return response;
      } catch (err) {
        if (statusOf(err) !== undefined) reached = true;
        if (reached) throw err;
        const tried = `${host}`;
        if (deadline.signal.aborted && !original?.abortSignal?.aborted) {
          throw new CosmosUnreachableError(`no answer from ${tried} within ${formatDuration(connectTimeoutMs)} (--connect-timeout).`, REACH_ADVICE, { cause: err });
        }
        const sys = systemCodeOf(err);
        if (sys === 'ENOTFOUND') {
          throw new CosmosUnreachableError(
            `the host name ${new URL(endpoint).hostname} does not resolve (ENOTFOUND).`,
            'Check the account name in the endpoint (https://<account>.documents.azure.com:443/) and this machine\'s DNS (a private endpoint needs its privatelink.documents.azure.com zone).',
            { cause: err },
          );
        }
        if (sys === 'ECONNREFUSED') {
          throw new CosmosUnreachableError(`${tried} refused the connection (ECONNREFUSED).`, REACH_ADVICE, { cause: err });
        }
        if (Date.now() - firstAttemptAt >= connectTimeoutMs) {
          throw new CosmosUnreachableError(`could not connect to ${tried} within ${formatDuration(connectTimeoutMs)} (--connect-timeout; last error: ${sys ?? redact(errorMessage(err))}).`, REACH_ADVICE, { cause: err });
        }
        throw err;
      } finally {
        clearTimeout(timer);
        context.options = original;
      }
    },
  };
}

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
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
  const plugins = [firstContact(conn.endpoint, conn.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS), ...(observer ? [observing(observer)] : [])];
  (options as CosmosClientOptions & { plugins?: PluginConfig[] }).plugins = plugins;
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
  return redact(causeText(raw.split(/\r?\n|ActivityId:/)[0]!));
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
/**
 * The SDK parses every error answer as Cosmos DB's JSON; an empty body (a web server's 404 at a
 * wrong host or path) becomes a TypeError, an HTML page a SyntaxError. Its diagnostics keep the status.
 */
function notCosmosAnswer(err: unknown): string | undefined {
  if (!(err instanceof TypeError || err instanceof SyntaxError)) return undefined;
  const diagnostics = (err as { diagnostics?: { clientSideRequestStatistics?: { gatewayStatistics?: { statusCode?: number }[] } } }).diagnostics;
  if (!diagnostics) return undefined;
  const status = diagnostics.clientSideRequestStatistics?.gatewayStatistics?.at(-1)?.statusCode;
  const body = err instanceof TypeError ? 'an empty body' : 'a body that is not JSON';
  return status !== undefined ? `HTTP ${status} with ${body}` : `an answer with ${body}`;
}

export function describeCosmosError(err: unknown, endpoint: string, what: string, context: CosmosErrorContext = {}): DocferryError {
  const where = redactUri(endpoint);
  if (err instanceof CosmosUnreachableError) {
    return new DocferryError(`Cannot reach Cosmos DB at ${where} while ${what}: ${err.reason} ${err.advice}`, 1, { cause: err.cause });
  }
  if (err instanceof DocferryError) return err;
  const foreign = notCosmosAnswer(err);
  if (foreign) {
    return new DocferryError(
      `The server at ${where} is not a Cosmos DB account endpoint: it answered ${foreign} while ${what}. ` +
        'Check the endpoint: it is the account\'s URI with no path, https://<account>.documents.azure.com:443/ (Keys or Overview page of the account), or the emulator\'s https://localhost:8081/.',
      1,
      { cause: err },
    );
  }
  const code = statusOf(err);
  const sdkMessage = redact(causeText((err as Error).message ?? String(err)));
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
