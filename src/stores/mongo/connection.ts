import { BSONError } from '../../core/bson.js';
import { MongoBulkWriteError, MongoClient, MongoError, MongoInvalidArgumentError, MongoNetworkError, MongoServerSelectionError, type WriteError } from 'mongodb';
import { AuthenticationError, DocferryError, UsageError, causeText, errorMessage } from '../../core/errors.js';
import { checkMongoUri } from './uri.js';
import { toolName, toolVersion } from '../../core/package-info.js';
import { redact, redactUri, registerUriSecrets } from '../../core/secrets.js';

/**
 * Read options that keep every BSON type as it is stored. By default the driver turns Int32,
 * Double and Int64 into JS numbers, after which a Double 5.0 would be written back as Int32 5.
 */
export const RAW_BSON_READ = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** The URI as it may be printed and stored: no user, password, key password or token. */
export function describeMongoUri(uri: string): string {
  registerUriSecrets(uri);
  return redact(redactUri(uri));
}

/** How long the driver looks for a server it can use (serverSelectionTimeoutMS) and waits for a TCP/TLS connection (connectTimeoutMS). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface MongoClientSettings {
  /** Default DEFAULT_CONNECT_TIMEOUT_MS; the URI's own serverSelectionTimeoutMS / connectTimeoutMS win. */
  connectTimeoutMs?: number;
}

function uriSets(uri: string, option: string): boolean {
  return new RegExp(`[?&]${option}=`, 'i').test(uri);
}

export function createMongoClient(uri: string, settings: MongoClientSettings = {}): MongoClient {
  registerUriSecrets(uri);
  checkMongoUri(uri);
  const timeout = settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  try {
    return new MongoClient(uri, {
      appName: `${toolName}/${toolVersion}`,
      ...(uriSets(uri, 'serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: timeout }),
      ...(uriSets(uri, 'connectTimeoutMS') ? {} : { connectTimeoutMS: timeout }),
    });
  } catch (err) {
    throw new UsageError(`The MongoDB URI "${describeMongoUri(uri)}" is not valid: ${redact(errorMessage(err))}`);
  }
}

export function writeErrorsOf(err: MongoBulkWriteError): WriteError[] {
  return [err.writeErrors ?? []].flat();
}

/** A driver error the bulk API wrapped (network and other non-write errors); otherwise the error itself. */
export function unwrapMongoError(err: unknown): unknown {
  if (err instanceof MongoBulkWriteError && writeErrorsOf(err).length === 0) {
    const inner = (err as { errorResponse?: unknown }).errorResponse;
    if (inner instanceof Error) return inner;
  }
  return err;
}

/**
 * Codes worth another try: the retryable-writes set of the MongoDB specifications, plus
 * CursorNotFound (a read resumes from the last _id) and 16500, the throttling answer of Azure
 * Cosmos DB for MongoDB ("Request rate is large").
 */
const RETRYABLE_CODES = new Set([6, 7, 43, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 16500]);
export const THROTTLED_CODE = 16500;

export function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isRetryableCode(code: number | undefined): boolean {
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export function isRetryableMongoError(err: unknown): boolean {
  const e = unwrapMongoError(err);
  if (e instanceof MongoNetworkError) return true;
  if (e instanceof MongoError && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('ResetPool') || e.hasErrorLabel('PoolRequestedRetry'))) return true;
  return isRetryableCode(codeOf(e));
}

/**
 * The driver did not send the request: the connection pool was being cleared after another
 * request's network error or "shutting down" answer. Says nothing about this request's documents.
 */
export function isPoolClearedError(err: unknown): boolean {
  const e = unwrapMongoError(err);
  return e instanceof MongoError && e.hasErrorLabel('PoolRequestedRetry');
}

/** Errors about one document (too large, not serialisable), raised by the driver before anything is sent. */
export function isDocumentLevelError(err: unknown): boolean {
  return err instanceof BSONError || err instanceof MongoInvalidArgumentError;
}

/** Cosmos DB for MongoDB says how long to wait in the message: "RetryAfterMs=123". */
export function serverAskedMs(message: string | undefined): number {
  const m = /RetryAfterMs=(\d+)/i.exec(message ?? '');
  return m ? Number(m[1]) : 0;
}

/** The servers the driver tried, from its topology description, else from the URI; host names are not secrets. */
function serversTried(err: MongoServerSelectionError | MongoNetworkError, uri: string): string[] {
  const servers = (err as { reason?: { servers?: Map<string, unknown> } }).reason?.servers;
  if (servers instanceof Map && servers.size > 0) return [...servers.keys()];
  try {
    return checkMongoUri(uri).hosts;
  } catch {
    return [];
  }
}

function timeoutOf(uri: string, option: string, fallback: number | undefined): number | undefined {
  const m = new RegExp(`[?&]${option}=(\\d+)`, 'i').exec(uri);
  return m ? Number(m[1]) : fallback;
}

/** Driver errors as messages a person can act on; never the URI's credentials. */
export function describeMongoError(err: unknown, uri: string, what: string, settings: MongoClientSettings = {}): DocferryError {
  if (err instanceof DocferryError) return err;
  const e = unwrapMongoError(err);
  const where = describeMongoUri(uri);
  const message = redact(causeText(errorMessage(e)));
  const code = codeOf(e);
  const codeName = (e as { codeName?: unknown }).codeName;
  // FerretDB passes PostgreSQL's own refusal through: SQLSTATE 28000 (no such role) and 28P01 (wrong password).
  if (code === 18 || /authentication failed|unsupported authentication mechanism|SQLSTATE 28(?:000|P01)/i.test(message)) {
    return new AuthenticationError(
      `MongoDB at ${where} refused the credentials while ${what}: ${message}. Check the user and password in the URI and where the user is defined (usually ?authSource=admin).`,
      { cause: err },
    );
  }
  if (code === 13) {
    return new AuthenticationError(
      `MongoDB at ${where} did not allow ${what}: ${message}. The user needs the read role on the source databases (export) or readWrite on the target databases (import, migrate).`,
      { cause: err },
    );
  }
  if (e instanceof MongoServerSelectionError || e instanceof MongoNetworkError) {
    const tried = serversTried(e, uri);
    const ms = e instanceof MongoServerSelectionError ? timeoutOf(uri, 'serverSelectionTimeoutMS', settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) : undefined;
    const triedText = tried.length > 0 ? `tried ${redact(tried.join(', '))}${ms !== undefined ? ` for ${ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`} (--connect-timeout)` : ''}` : 'tried the URI\'s hosts';
    const srv = /^mongodb\+srv:/i.test(uri) ? ' For mongodb+srv://, also that the DNS SRV record of the host name exists.' : '';
    return new DocferryError(
      `Cannot reach MongoDB at ${where} while ${what}: ${triedText}; the driver said: ${message.replace(/[.\s]*$/, '')}. ` +
        'Check that the server is running and listens on that host and port, that no firewall blocks this machine, ' +
        'the replica set name (?replicaSet= must match the set\'s name, or leave it out; ?directConnection=true for one member), and the TLS options (?tls=true when the server requires TLS, a CA it trusts with ?tlsCAFile=).' +
        srv,
      1,
      { cause: err },
    );
  }
  const label = code !== undefined ? ` (code ${code}${typeof codeName === 'string' ? ` ${codeName}` : ''})` : '';
  return new DocferryError(`MongoDB at ${where} failed while ${what}${label}: ${message}`, 1, { cause: err });
}
