import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/**
 * DefaultAzureCredential, loaded when the first token is asked for: @azure/identity (with MSAL)
 * is a large part of the CLI's memory, and a MongoDB-only run never needs it.
 */
export function defaultAzureCredential(): TokenCredential {
  let inner: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      inner ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential());
      return (await inner).getToken(scopes, options);
    },
  };
}
