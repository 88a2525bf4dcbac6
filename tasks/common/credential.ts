import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { AuthenticationError, errorMessage } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';

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
