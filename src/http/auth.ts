/**
 * Attaches credentials to a registry's requests and answers its challenges.
 *
 * Once /v2/ (ping.ts) or a 401 has told us the scheme, Bearer tokens are fetched up front for the
 * scopes a request declares, so a read costs one round trip, not two. A 401 with a Bearer
 * challenge merges the challenge's scope (e.g. `insufficient_scope` on a push) into the request's
 * and replays once. Tokens are cached per realm+service+scopes until they expire, and concurrent
 * requests share one in-flight exchange, so `ls -l` over fifty tags asks for one token.
 *
 * Authorization is only ever attached to the registry's own origin: a 401 from another origin
 * (a redirect target) is returned untouched. A password or refresh token goes to the token
 * realm only when auth/realm-trust.ts allows it (no plain HTTP off the machine unless asked for).
 */
import { type Challenge, parseWwwAuthenticate, pickChallenge } from '../auth/challenge.js';
import type { Credential } from '../auth/credential.js';
import { realmRefusal } from '../auth/realm-trust.js';
import { mergeScopes } from '../auth/scope.js';
import { basicAuthorization, fetchToken, realmUrl, type Token, type TokenSend } from '../auth/token.js';
import { AuthError } from '../errors.js';
import { type HttpRequest, type HttpResponse, isReplayable, type Middleware } from './types.js';

export class RegistryAuth {
  /** The challenge learnt from /v2/ or a 401; undefined until then, or when /v2/ needs no auth. */
  challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<Token>>();
  private credentialPromise: Promise<Credential> | undefined;

  constructor(
    readonly host: string,
    private readonly resolveCredential: () => Promise<Credential>,
    private readonly tokenSend: TokenSend,
    private readonly options: {
      /** Command-line flags that give credentials, for the hint of a refused anonymous token. */
      credentialHint?: (() => string) | undefined;
      /** Hosts the user allowed plain HTTP for (--plain-http): a realm there may get credentials. */
      plainHttpAllowed?: ((hostPort: string) => boolean) | undefined;
      now?: (() => number) | undefined;
    } = {},
  ) {}

  /** The origin that sent the challenge (the registry's, scheme included): realm-trust.ts needs it. */
  private origin: URL | undefined;

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  credential(): Promise<Credential> {
    this.credentialPromise ??= this.resolveCredential();
    return this.credentialPromise;
  }

  /** Learns the auth scheme from a 401's WWW-Authenticate headers; returns the challenge picked. */
  learn(res: HttpResponse): Challenge | undefined {
    const picked = pickChallenge(parseWwwAuthenticate(res.headers['www-authenticate']));
    if (picked) {
      this.challenge = picked;
      this.origin = new URL(res.url.origin);
    }
    return picked;
  }

  /** The Authorization value for a request needing `scopes`, or undefined to go anonymous. */
  async authorization(scopes: readonly string[], refresh = false): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const credential = await this.credential();
    if (challenge.scheme === 'basic') {
      return credential.kind === 'basic'
        ? basicAuthorization(credential.username, credential.password)
        : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    if (credential.kind === 'registryToken') return `Bearer ${credential.token}`;
    const token = await this.token(challenge, credential, scopes, refresh);
    return `Bearer ${token.value}`;
  }

  private async token(
    challenge: Challenge,
    credential: Credential,
    scopes: readonly string[],
    refresh: boolean,
  ): Promise<Token> {
    const key = [challenge.params['realm'], challenge.params['service'] ?? '', ...[...scopes].sort()].join(
      '\n',
    );
    const cached = this.tokens.get(key);
    if (cached && !refresh) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt > this.now()) return token;
    }
    if ((credential.kind === 'basic' || credential.kind === 'identityToken') && this.origin) {
      const realm = realmUrl(challenge, this.host);
      const refusal = realmRefusal(this.origin, realm, this.options.plainHttpAllowed);
      if (refusal) {
        throw new AuthError(`not sending the credentials for ${this.host} in the clear: ${refusal}`, {
          hint: `if that network is trusted, allow plain HTTP to it with --plain-http ${realm.host}`,
        });
      }
    }
    const fresh = fetchToken(this.tokenSend, challenge, credential, scopes, this.host, this.now(), {
      credentialHint: this.options.credentialHint?.(),
    });
    this.tokens.set(key, fresh);
    fresh.catch(() => this.tokens.delete(key));
    return fresh;
  }
}

function withAuthorization(req: HttpRequest, authorization: string | undefined): HttpRequest {
  if (!authorization) return req;
  return { ...req, headers: { ...req.headers, authorization } };
}

export function authMiddleware(auth: RegistryAuth): Middleware {
  return (next) => async (req) => {
    let scopes = req.scopes ?? [];
    let sent = await auth.authorization(scopes);
    const res = await next(withAuthorization(req, sent));
    if (res.status !== 401 || res.url.origin !== req.url.origin) return res;

    const challenge = auth.learn(res);
    if (!challenge || !isReplayable(req.body)) return res;
    const wanted = challenge.params['scope'];
    const merged = challenge.scheme === 'bearer' && wanted ? mergeScopes(scopes, wanted.split(' ')) : scopes;
    const scopesGrew = merged.join(' ') !== mergeScopes(scopes, []).join(' ');
    // The token was fine but does not grant enough: asking again for the same scopes cannot help.
    if (sent !== undefined && !scopesGrew && challenge.params['error'] === 'insufficient_scope') return res;
    scopes = merged;
    // Replay only when something changed: a new scheme, more scope, or a token the registry now
    // rejects (expired or revoked: ask for a fresh one).
    let authorization: string | undefined;
    try {
      authorization = await auth.authorization(scopes, sent !== undefined && !scopesGrew);
    } catch (err) {
      await res.body.dump();
      throw err;
    }
    if (authorization === undefined || authorization === sent) return res;
    sent = authorization;
    await res.body.dump();
    return next(withAuthorization(req, sent));
  };
}
