/**
 * Every secret the process has seen (keys, passwords, tokens) is registered here once, and every
 * line of output goes through `redact` before it leaves: logs, errors, manifests, task output.
 */
const secrets = new Set<string>();

export const REDACTED = '<redacted>';

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // The same secret may be printed percent-encoded (inside a URI) or escaped inside JSON.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
  const json = JSON.stringify(value).slice(1, -1);
  if (json !== value) secrets.add(json);
}

/** For tests: forget what earlier tests registered. */
export function clearSecrets(): void {
  secrets.clear();
}

/**
 * `scheme://`, also with one or three slashes (a typo must not turn a URI into plain text).
 * Two letters at least, so a Windows drive (`C:/`) is not taken for a scheme.
 */
const SCHEME = /[a-z][a-z0-9+.-]+:\/+/i;

interface UriParts {
  /** Everything before the userinfo: text before the URI, and the scheme. */
  head: string;
  userInfo: string | undefined;
  /** The host part and everything after it. */
  rest: string;
}

/**
 * The userinfo runs to the LAST `@` of the URI: a password may hold `@ : / ? #` unencoded, and
 * a cut at the first of them would leave the rest of the password in clear. Without a scheme,
 * everything before the last `@` is taken for userinfo (`bob:secret@host`).
 */
function splitUri(uri: string): UriParts {
  const scheme = SCHEME.exec(uri);
  const start = scheme ? scheme.index + scheme[0].length : 0;
  const at = uri.lastIndexOf('@');
  if (at < start) return { head: uri.slice(0, start), userInfo: undefined, rest: uri.slice(start) };
  return { head: uri.slice(0, start), userInfo: uri.slice(start, at), rest: uri.slice(at + 1) };
}

/** Query parameters that carry a secret: MongoDB's password=/pwd=/tlsCertificateKeyFilePassword=, SAS sig=, keys, tokens. */
const SECRET_PARAMS = '[a-z]*password|pwd|sig|accountkey|sharedaccesssignature|[a-z_]*token|key|secret';
const SECRET_PARAM_VALUE = new RegExp(`((?:^|[?&;])(?:${SECRET_PARAMS})=)([^&;#]*)`, 'gi');
/** MONGODB-AWS: `authMechanismProperties=AWS_SESSION_TOKEN:...`. */
const AWS_SESSION_TOKEN = /(AWS_SESSION_TOKEN(?::|%3A))([^,&#]*)/gi;

/** Credentials inside one URI (the whole userinfo) and key-like query or connection-string parts. */
export function redactUri(uri: string): string {
  const parts = splitUri(uri);
  const out = parts.userInfo === undefined || parts.userInfo === REDACTED ? uri : `${parts.head}${REDACTED}@${parts.rest}`;
  return out.replace(SECRET_PARAM_VALUE, `$1${REDACTED}`).replace(AWS_SESSION_TOKEN, `$1${REDACTED}`);
}

/**
 * A URI inside free text runs from its scheme to the next blank or quote. Within it, the userinfo
 * runs to its last `@`; several URIs in one message are each redacted.
 */
const URI_IN_TEXT = /\b[a-z][a-z0-9+.-]+:\/+[^\s"'`]*/gi;

/**
 * The pieces of a URI to register as secrets: the password as the user gave it (whole, from the
 * first `:` of the userinfo to the last `@`), its decoded form, and secret query parameters.
 *
 * Where the MongoDB driver would read a raw `@` in the password as the end of the userinfo and
 * still accept the URI (`u:Pa@ss/Leak@host`: host "ss", database "Leak@host"), it may print those
 * pieces on their own (a host it cannot resolve, a database name it refuses), so each piece is
 * registered too. A URI the driver refuses outright is never printed by it, and only the whole
 * password is registered, so a short prefix ("Pa") does not mask every other "Pa" of the log.
 */
export function uriSecrets(uri: string): string[] {
  const found = new Set<string>();
  const add = (s: string | undefined) => {
    if (!s) return;
    found.add(s);
    try {
      found.add(decodeURIComponent(s));
    } catch {
      // not valid percent-encoding: the driver refuses it; the value as given is the secret
    }
  };
  const { userInfo } = splitUri(uri.trim());
  const colon = userInfo?.indexOf(':') ?? -1;
  const password = colon >= 0 ? userInfo!.slice(colon + 1) : undefined;
  add(password);
  if (password?.includes('@')) {
    // The driver's own split (mongodb-connection-string-url): user [^:@]*, password [^@]*, hosts [^/?@]*.
    const driver = /^[^/]+:\/\/(?:[^:@]*(?::[^@]*)?@)?(?:(?!:)[^/?@]*)(.*)$/s.exec(uri.trim());
    const accepted = driver !== null && !/^[^/?]*@/.test(driver[1]!);
    if (accepted) for (const piece of password.split(/[@/?#&=,:;]/)) add(piece);
  }
  for (const m of uri.matchAll(/[?&](?:[a-z]*password|pwd)=([^&#]*)/gi)) add(m[1]);
  for (const m of uri.matchAll(/AWS_SESSION_TOKEN(?::|%3A)([^,&#]*)/gi)) add(m[1]);
  return [...found];
}

/**
 * The one registration of a URI's secrets (CLI flags, task inputs, the stores). `mask` also hands
 * each one to a platform's log masker (##vso[task.setsecret], ::add-mask::).
 */
export function registerUriSecrets(uri: string, mask?: (secret: string) => void): void {
  for (const s of uriSecrets(uri)) {
    registerSecret(s);
    mask?.(s);
  }
}

export function redact(text: string): string {
  let out = text;
  // Longest first so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  // URIs we were never told about (a password typed into an env var the CLI did not read).
  out = out.replace(URI_IN_TEXT, (uri) => redactUri(uri));
  out = out.replace(/(AccountKey=)([^;"'\s]+)/gi, `$1${REDACTED}`);
  return out;
}
