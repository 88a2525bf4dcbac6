import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { AuthenticationError, errorMessage } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';

/** Entra ID hosts of the public and sovereign clouds: MSAL knows them, so instance discovery works. */
const KNOWN_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.microsoftonline.de',
]);

/**
 * Credential options for an authority host. A private cloud (Azure Stack, a stamp MSAL does not
 * list) cannot be discovered through login.microsoftonline.com; its authority is taken as given.
 */
export function authorityOptions(authorityHost: string | undefined): { authorityHost?: string; disableInstanceDiscovery?: boolean } {
  if (!authorityHost) return {};
  const host = new URL(authorityHost).hostname.toLowerCase();
  return { authorityHost, ...(KNOWN_AUTHORITY_HOSTS.has(host) ? {} : { disableInstanceDiscovery: true }) };
}

/**
 * A credential whose failures say where the identity came from. Without this, a store reports
 * the token failure as its own 401 ("check the account key"), which sends the author the wrong way.
 */
export function describedCredential(inner: TokenCredential, description: string): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      try {
        return await inner.getToken(scopes, options);
      } catch (err) {
        const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
        throw new AuthenticationError(redact(`Could not get an Entra ID token for ${scope} with ${description}: ${errorMessage(err)}`), { cause: err });
      }
    },
  };
}
