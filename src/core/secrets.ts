/**
 * Every secret the process has seen (keys, passwords, tokens) is registered here once, and every
 * line of output goes through `redact` before it leaves: logs, errors, manifests, task output.
 */
const secrets = new Set<string>();

export const REDACTED = '<redacted>';

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // The same secret may be printed percent-encoded (inside a URI) or base64 url-safe.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

/** For tests: forget what earlier tests registered. */
export function clearSecrets(): void {
  secrets.clear();
}

/** Credentials inside a URI (`scheme://user:pass@host`) and key-like query or connection-string parts. */
export function redactUri(uri: string): string {
  let out = uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  out = out.replace(/([?&;](?:password|pwd|sig|accountkey|sharedaccesssignature|token|key|secret)=)([^&;]*)/gi, `$1${REDACTED}`);
  out = out.replace(/^((?:password|pwd|sig|accountkey|sharedaccesssignature|token|key|secret)=)([^&;]*)/i, `$1${REDACTED}`);
  return out;
}

export function redact(text: string): string {
  let out = text;
  // Longest first so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  // URIs we were never told about (a password typed into an env var the CLI did not read).
  out = out.replace(/\b(mongodb(?:\+srv)?:\/\/)([^@/\s"']+)@/gi, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  out = out.replace(/(AccountKey=)([^;"'\s]+)/gi, `$1${REDACTED}`);
  return out;
}
