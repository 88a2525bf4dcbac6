import { AuthenticationError, DocferryError } from '../../core/errors.js';

/** The storage service's error code (x-ms-error-code), e.g. `ContainerNotFound`. */
export function blobErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; details?: { errorCode?: unknown } };
  if (typeof e.details?.errorCode === 'string') return e.details.errorCode;
  return typeof e.code === 'string' ? e.code : undefined;
}

export function blobStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

const IDENTITY_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

const ENTRA_ADVICE =
  'With Entra ID the identity needs the data-plane role Storage Blob Data Contributor on the container ' +
  '(pulumi/archive assigns it to docferry-archive:contributorPrincipalIds; Storage Blob Data Reader is enough for pull and list; ' +
  'a new role assignment can take a few minutes to apply).';
const SAS_ADVICE = 'With a SAS, check it has not expired and grants read and list (push also: create, write, delete).';
const KEY_ADVICE =
  'The account key of the connection string was refused: check that AccountKey= in --connection-string (or AZURE_STORAGE_CONNECTION_STRING) ' +
  'is a current key of the storage account named by AccountName= (a rotated key stops working; az storage account keys list shows the current ones).';

type BlobAuth = 'key' | 'sas' | 'entra' | undefined;

/** How the refused request was signed, read from the request the SDK keeps on its error (never printed). */
function authOf(err: unknown): BlobAuth {
  const request = (err as { request?: { url?: string; headers?: { get(name: string): string | undefined } } }).request;
  const authorization = request?.headers?.get('authorization') ?? '';
  if (/^SharedKey(Lite)? /i.test(authorization)) return 'key';
  if (/^Bearer /i.test(authorization)) return 'entra';
  if (request?.url && /[?&]sig=/i.test(request.url)) return 'sas';
  return undefined;
}

/**
 * Advice about the credential that was used, not about every kind of credential. A key that
 * fails to authenticate (AuthenticationFailed: the signature does not match) is a wrong or
 * rotated key; a permission answer to a key-signed request keeps the general advice.
 */
function authAdvice(err: unknown, code: string | undefined): string {
  const auth = authOf(err);
  if (auth === 'key' && (code === undefined || code === 'AuthenticationFailed')) return KEY_ADVICE;
  // Azurite answers a wrong key with AuthorizationFailure, which Azure Storage also gives when its firewall refuses the caller.
  if (auth === 'key' && code === 'AuthorizationFailure') return `${KEY_ADVICE} Or the account's network rules do not admit this machine (Networking: firewall and virtual networks).`;
  if (auth === 'sas') return SAS_ADVICE;
  if (auth === 'entra') return ENTRA_ADVICE;
  return `${ENTRA_ADVICE} ${SAS_ADVICE}`;
}

/** SDK and identity errors as messages a person can act on; the container URL is shown without its query. */
export function describeBlobError(err: unknown, display: string, what: string): DocferryError {
  if (err instanceof DocferryError) return err;
  const name = (err as Error)?.name;
  const first = String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
  if (name && IDENTITY_ERRORS.has(name)) {
    return new AuthenticationError(
      `No Entra ID token for Blob Storage while ${what} (${name}: ${first}). Sign in (az login), run in a pipeline step with an Azure service connection ` +
        'or managed identity, or for local storage pass --connection-string (or set AZURE_STORAGE_CONNECTION_STRING).',
      { cause: err },
    );
  }
  const status = blobStatus(err);
  const code = blobErrorCode(err);
  const tag = `HTTP ${status ?? '?'}${code ? ` ${code}` : ''}`;
  if (code === 'KeyBasedAuthenticationNotPermitted') {
    return new AuthenticationError(
      `The storage account behind ${display} does not accept account keys (${tag}); pulumi/archive provisions it that way. ` +
        'Drop --connection-string / AZURE_STORAGE_CONNECTION_STRING and authenticate with Entra ID (DefaultAzureCredential).',
      { cause: err },
    );
  }
  if (status === 401 || status === 403) {
    return new AuthenticationError(`Blob Storage refused the request while ${what} at ${display} (${tag}). ${authAdvice(err, code)}`, { cause: err });
  }
  if (code === 'ContainerNotFound') {
    return new DocferryError(
      `The container ${display} does not exist (${tag}). Provision it with the pulumi/archive program (or, for local storage, pass --create-container to push).`,
      1,
      { cause: err },
    );
  }
  if (code && /immutab|WORM|legalhold/i.test(code)) {
    return new DocferryError(
      `${display}: the container's retention policy forbids this while ${what} (${tag}): archived exports cannot be overwritten or deleted until their retention ends. Push to a new --prefix instead.`,
      1,
      { cause: err },
    );
  }
  const sys = (err as NodeJS.ErrnoException)?.code;
  if (status === undefined && typeof sys === 'string' && /^E[A-Z]+$/.test(sys)) {
    return new DocferryError(`Cannot reach Blob Storage at ${display} while ${what}: ${sys}. Check --container-url and the network.`, 1, { cause: err });
  }
  return new DocferryError(`Blob Storage at ${display} failed while ${what} (${tag}): ${first}`, 1, { cause: err });
}
