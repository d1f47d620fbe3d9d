/**
 * Bearer token exchange (distribution docs/spec/auth/token.md and oauth.md).
 *
 * - Username and password: GET realm?service=…&scope=… with Basic credentials (what Docker Hub
 *   and Distribution's token servers expect).
 * - Identity token (config.json `identitytoken`, or a helper's "<token>" user): POST an OAuth2
 *   form with grant_type=refresh_token — the flow ACR's and others' refresh tokens need.
 * - Anonymous: GET without credentials.
 *
 * This module declares the small `send` shape it needs and is handed http's Send, so auth/ never
 * imports http/ (architecture.md, layering rule).
 */
import { AuthError, InvalidContentError } from '../errors.js';
import { readBounded } from '../util/bounded-read.js';
import type { Challenge } from './challenge.js';
import type { Credential } from './credential.js';

export interface TokenHttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface TokenHttpResponse {
  status: number;
  body: AsyncIterable<Uint8Array> & { destroy(): void };
}

/**
 * A token answer is a small JSON object (a JWT or an opaque string and a few fields). The realm
 * is named by the registry's challenge and may be any https server, so its body is read bounded:
 * one that streams without end must not fill memory.
 */
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

export type TokenSend = (request: TokenHttpRequest) => Promise<TokenHttpResponse>;

export interface Token {
  value: string;
  /** Epoch milliseconds after which ferry asks for a new one. */
  expiresAt: number;
}

/** Tokens without `expires_in` live 60 s (token.md, "Token Response Fields"). */
const DEFAULT_TTL_S = 60;
/** Ask again a little before expiry so a token does not die in flight. */
const EXPIRY_MARGIN_MS = 10_000;
const CLIENT_ID = 'ferry';

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function realmUrl(challenge: Challenge, host: string): URL {
  const realm = challenge.params['realm'];
  if (!realm) throw new AuthError(`${host}: Bearer challenge without a realm`);
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthError(`${host}: invalid token realm '${realm.slice(0, 100)}'`);
  }
  // A realm on another scheme (file:, data:, …) would make ferry send credentials where no token server is.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthError(`${host}: refusing token realm with scheme '${url.protocol}'`);
  }
  return url;
}

export async function fetchToken(
  send: TokenSend,
  challenge: Challenge,
  credential: Credential,
  scopes: readonly string[],
  host: string,
  now: number = Date.now(),
  options: { credentialHint?: string | undefined } = {},
): Promise<Token> {
  const url = realmUrl(challenge, host);
  const service = challenge.params['service'];
  let request: TokenHttpRequest;
  if (credential.kind === 'identityToken') {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credential.token,
      client_id: CLIENT_ID,
    });
    if (service) form.set('service', service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    request = {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    };
  } else {
    const get = new URL(url);
    if (service) get.searchParams.set('service', service);
    for (const scope of scopes) get.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (credential.kind === 'basic')
      headers['authorization'] = basicAuthorization(credential.username, credential.password);
    request = { method: 'GET', url: get, headers };
  }

  const res = await send(request);
  const text = (await readBounded(res.body, TOKEN_RESPONSE_LIMIT, `${host}: token server response`)).toString(
    'utf8',
  );
  if (res.status === 401 || res.status === 403) {
    throw new AuthError(
      credential.kind === 'anonymous'
        ? `${host}: the token server refused anonymous access`
        : `${host}: authentication failed: incorrect username or password`,
      {
        hint:
          credential.kind === 'anonymous'
            ? `log in first (ferry login ${host}), or pass ${options.credentialHint ?? '-u USER --password-stdin'}`
            : undefined,
      },
    );
  }
  if (res.status !== 200) {
    throw new AuthError(`${host}: token server answered HTTP ${res.status}`);
  }
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidContentError(`${host}: token server sent a response that is not JSON`);
  }
  const value = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidContentError(`${host}: token server response has no token`);
  }
  const ttl =
    typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TTL_S;
  return { value, expiresAt: now + Math.max(ttl * 1000 - EXPIRY_MARGIN_MS, ttl * 500) };
}
