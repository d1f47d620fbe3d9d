/**
 * What ferry knows about how to authenticate to one registry, before any HTTP happens. The token
 * exchange (auth/token.ts) and the http/auth.ts middleware turn one of these into a header.
 */
export type Credential =
  | { kind: 'anonymous' }
  | { kind: 'basic'; username: string; password: string }
  /**
   * An OAuth2 refresh token: config.json `identitytoken`, or a helper answering Username "<token>".
   * Exchanged at the token endpoint with grant_type=refresh_token.
   */
  | { kind: 'identityToken'; token: string; username?: string }
  /** config.json `registrytoken`: sent as `Authorization: Bearer` as-is, no exchange. */
  | { kind: 'registryToken'; token: string };

export const ANONYMOUS: Credential = Object.freeze({ kind: 'anonymous' });
