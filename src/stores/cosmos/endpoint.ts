import { UsageError } from '../../core/errors.js';
import { redactUri } from '../../core/secrets.js';

// Apart from the SDK: the CLI checks its flags before it knows whether Cosmos DB is involved.
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
