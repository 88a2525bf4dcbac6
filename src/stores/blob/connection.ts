import { AnonymousCredential, ContainerClient, type ContainerClientOptions } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { DocferryError, UsageError, errorMessage } from '../../core/errors.js';
import { toolName, toolVersion } from '../../core/package-info.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, checkReachable, proxiedByEnvironment } from '../../core/reachable.js';
import { redact, redactUri, registerSecret } from '../../core/secrets.js';

/**
 * Where export archives live. Authentication, first match wins: a connection string (local
 * storage, Azurite), a SAS in the container URL, the given token credential, and otherwise
 * DefaultAzureCredential (what pulumi/archive provisions for: RBAC only, no shared keys).
 */
export interface ArchiveTarget {
  /** `https://<account>.blob.core.windows.net/<container>`; with a connection string the container name alone is enough. */
  containerUrl: string;
  credential?: TokenCredential;
  connectionString?: string;
  /** How long to try to reach the storage endpoint before the first request (default 30 s); a name that does not resolve fails at once. */
  connectTimeoutMs?: number;
}

export { DEFAULT_CONNECT_TIMEOUT_MS };

const BLOB_REACH_ADVICE =
  'Check the storage account name in --container-url (https://<account>.blob.core.windows.net/<container>) or the connection string, and that this machine can reach it (firewall, private endpoint DNS, proxy).';

export interface OpenContainer {
  client: ContainerClient;
  /** The container URL without any query (a SAS never reaches output). */
  display: string;
}

const PIPELINE_OPTIONS: ContainerClientOptions = {
  userAgentOptions: { userAgentPrefix: `${toolName}/${toolVersion}` },
  // One try per block may take long on a slow agent; a stuck connection must still end.
  retryOptions: { maxTries: 5, tryTimeoutInMs: 10 * 60_000 },
};

/** Every credential-bearing part of a connection string or SAS is a secret wherever it could be printed. */
export function registerArchiveSecrets(target: Pick<ArchiveTarget, 'containerUrl' | 'connectionString'>): void {
  if (target.connectionString) {
    registerSecret(target.connectionString);
    for (const part of target.connectionString.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (name === 'accountkey') registerSecret(value);
      if (name === 'sharedaccesssignature') registerSasSecrets(value);
    }
  }
  const q = target.containerUrl.indexOf('?');
  if (q >= 0) registerSasSecrets(target.containerUrl.slice(q + 1));
}

function registerSasSecrets(query: string): void {
  registerSecret(query);
  for (const [name, value] of new URLSearchParams(query)) {
    if (name.toLowerCase() === 'sig') {
      registerSecret(value);
      registerSecret(encodeURIComponent(value));
    }
  }
}

function hasSas(url: URL): boolean {
  return [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'sig');
}

function withoutQuery(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function parseContainerUrl(containerUrl: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(containerUrl)) return undefined;
  let url: URL;
  try {
    url = new URL(containerUrl);
  } catch {
    throw new UsageError(`--container-url "${redactUri(containerUrl)}" is not a URL; expected https://<account>.blob.core.windows.net/<container>.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--container-url "${redactUri(containerUrl)}" must be an https:// URL (http:// only for local storage such as Azurite).`);
  }
  if (url.pathname.replace(/\/+$/, '').split('/').filter(Boolean).length === 0) {
    throw new UsageError(`--container-url ${withoutQuery(containerUrl)} names no container; expected https://<account>.blob.core.windows.net/<container>.`);
  }
  return url;
}

function containerNameOf(url: URL): string {
  return url.pathname.replace(/\/+$/, '').split('/').filter(Boolean).pop()!;
}

async function defaultCredential(): Promise<TokenCredential> {
  // Loaded on use: a connection string or SAS needs none of @azure/identity.
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

export async function openContainer(target: ArchiveTarget): Promise<OpenContainer> {
  const opened = await openContainerClient(target);
  // Behind a proxy this machine may neither resolve nor reach the endpoint itself: the SDK's proxy does.
  if (!proxiedByEnvironment()) await checkReachable(opened.client.url, target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, { service: 'Blob Storage', advice: BLOB_REACH_ADVICE });
  return opened;
}

async function openContainerClient(target: ArchiveTarget): Promise<OpenContainer> {
  if (!target.containerUrl) throw new UsageError('No archive container: pass --container-url https://<account>.blob.core.windows.net/<container>.');
  registerArchiveSecrets(target);
  const url = parseContainerUrl(target.containerUrl);
  if (target.connectionString) {
    const name = url ? containerNameOf(url) : target.containerUrl;
    let client: ContainerClient;
    try {
      client = new ContainerClient(target.connectionString, name, PIPELINE_OPTIONS);
    } catch (err) {
      // The SDK's message may quote parts of the string: redacted, since the key was registered above.
      throw new UsageError(
        `The storage connection string cannot be used (${redact((err as Error).message)}): expected DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=..., a BlobEndpoint=...;SharedAccessSignature=... pair, or UseDevelopmentStorage=true.`,
      );
    }
    const display = withoutQuery(client.url);
    if (url && withoutQuery(url.href).toLowerCase() !== display.toLowerCase()) {
      throw new UsageError(`--container-url ${withoutQuery(url.href)} is not in the storage account of the connection string (${display}). Pass the container's own URL, or just its name.`);
    }
    return { client, display };
  }
  if (!url) {
    throw new UsageError(`--container-url "${target.containerUrl}" is not a URL. Pass https://<account>.blob.core.windows.net/<container>; a bare container name works only with --connection-string.`);
  }
  if (hasSas(url)) return { client: new ContainerClient(url.href, new AnonymousCredential(), PIPELINE_OPTIONS), display: withoutQuery(url.href) };
  const credential = target.credential ?? (await defaultCredential());
  return { client: new ContainerClient(url.href, credential, PIPELINE_OPTIONS), display: withoutQuery(url.href) };
}
