/**
 * RegistryClient: everything ferry says to one registry goes through one of these. It owns the
 * composed HTTP stack with this registry's auth state, finds out once per run which scheme the
 * registry speaks (ping), and turns relative API paths into URLs.
 */
import { parseWwwAuthenticate } from '../auth/challenge.js';
import type { Credential } from '../auth/credential.js';
import { FerryError, NetworkError, NotFoundError, TlsError } from '../errors.js';
import { RegistryAuth } from '../http/auth.js';
import { readBody } from '../http/body.js';
import { buildStack, type StackOptions } from '../http/compose.js';
import { PlainHttpServerError, RegistryError, registryErrorFrom } from '../http/errors.js';
import { DEFAULT_RETRY_POLICY, Retrier } from '../http/retry.js';
import type { HttpRequest, HttpResponse, Method, Send } from '../http/types.js';
import type { Scheme } from '../ref/index.js';
import { pingVerdict } from './ping.js';

/**
 * A failure that says the server speaks the other scheme: a TLS handshake answered in plain HTTP,
 * a plain-HTTP request answered as by a TLS server (Go's 400, registry/ping.ts), or no answer
 * (some servers reset a request in the wrong scheme).
 */
function isWrongScheme(err: unknown): boolean {
  return (
    err instanceof PlainHttpServerError ||
    (err instanceof TlsError && /speaks HTTPS/.test(err.message)) ||
    (err instanceof NetworkError && err.transient)
  );
}

export interface RegistryClientOptions {
  /** ferry's name for the registry ('docker.io', '127.0.0.1:5000'), used in messages and for credentials. */
  registry: string;
  /** Where to connect ('registry-1.docker.io' for Docker Hub). */
  endpoint: string;
  /**
   * Schemes to try in order (ref/scheme.ts): https, and http only where the user or loopback
   * allows. A function when they depend on settings read on first use.
   */
  schemes: readonly Scheme[] | (() => Promise<readonly Scheme[]>);
  /** The shared transport (http/transport.ts). */
  transport: Send;
  stack: Omit<StackOptions, 'auth' | 'retrier'>;
  credential: () => Promise<Credential>;
  /** The command-line flags that give this registry credentials, for hints; '-u USER --password-stdin' when absent. */
  credentialHint?: (() => string) | undefined;
  /** Hosts the user allowed plain HTTP for: a token realm there may be sent credentials (auth/realm-trust.ts). */
  plainHttpAllowed?: ((hostPort: string) => boolean) | undefined;
  /** Retry policy (--retries); the defaults when absent. */
  retrier?: Retrier | undefined;
}

export interface ApiRequest {
  method: Method;
  /** An API path ('/v2/…') or an absolute URL on this registry (a Link or Location header). */
  path: string | URL;
  headers?: Record<string, string>;
  body?: HttpRequest['body'];
  scopes: readonly string[];
  signal?: AbortSignal | undefined;
  /** false inside an operation that retries as a whole (http/retry.ts). */
  retry?: boolean | undefined;
  /** A clean-up request that still goes out after an interrupt (http/types.ts). */
  detached?: boolean | undefined;
}

export class RegistryClient {
  readonly registry: string;
  readonly auth: RegistryAuth;
  /** Shared by the transport-level middleware and the operations that retry as a whole. */
  readonly retrier: Retrier;
  private readonly options: RegistryClientOptions;
  /** Without auth: for the ping and for token requests. */
  private readonly plainSend: Send;
  private readonly send: Send;
  private base: Promise<URL> | undefined;

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.registry = options.registry;
    this.retrier = options.retrier ?? new Retrier(DEFAULT_RETRY_POLICY);
    this.plainSend = buildStack(options.transport, { ...options.stack, retrier: this.retrier });
    this.auth = new RegistryAuth(options.registry, options.credential, this.plainSend, {
      credentialHint: () => this.credentialHint(),
      plainHttpAllowed: options.plainHttpAllowed,
    });
    this.send = buildStack(options.transport, {
      ...options.stack,
      auth: this.auth,
      retrier: this.retrier,
    });
  }
  private credentialHint(): string {
    return this.options.credentialHint?.() ?? '-u USER --password-stdin';
  }

  /** The registry's base URL ('https://host:port'), found by GET /v2/ on each allowed scheme in turn. */
  baseUrl(): Promise<URL> {
    this.base ??= this.ping();
    return this.base;
  }

  private async ping(): Promise<URL> {
    const { endpoint, registry } = this.options;
    const schemes =
      typeof this.options.schemes === 'function' ? await this.options.schemes() : this.options.schemes;
    // A loopback registry is asked in plain HTTP first, then HTTPS (ref/scheme.ts); the first
    // answer that is a registry's wins.
    let firstError: unknown;
    for (const [i, scheme] of schemes.entries()) {
      const base = new URL(`${scheme}://${endpoint}`);
      const fallback = i < schemes.length - 1;
      // A failed HTTPS ping with plain HTTP left is not retried: the next scheme is the retry. A
      // plain-HTTP one is (a loopback registry's first try is its likely scheme): a TLS server
      // answers it at once (Go's 400), and a 503 of the right server deserves its retries.
      const req: HttpRequest = {
        method: 'GET',
        url: new URL('/v2/', base),
        retry: !fallback || scheme === 'http',
      };
      try {
        const res = await this.plainSend(req);
        // Anything but a registry's answer throws here: a 404 from a web server must not make a
        // later 404 read as "not found" (registry/ping.ts). Go's TLS servers answer a plain-HTTP
        // request with a 400 saying so (a TlsError there), and other TLS servers with a reset.
        if ((await pingVerdict(registry, req, res)) === 'challenge') this.auth.learn(res);
        await res.body.dump();
        return base;
      } catch (err) {
        firstError ??= err;
        if (!fallback) {
          // The other scheme met a server that does not speak it: what the first one heard is
          // the better report (a web server's 404 says more than its refusal of a TLS handshake).
          throw isWrongScheme(err) ? firstError : err;
        }
        // Worth another scheme: the server seems to speak it, or is no registry in this one. Not
        // a closed port or an unknown name, a certificate problem (a real TLS server), nor a
        // registry that failed (5xx, 429: the right server, after its retries).
        const notARegistry = err instanceof RegistryError && err.status < 500 && err.status !== 429;
        if (!isWrongScheme(err) && !notARegistry) throw err;
      }
    }
    throw firstError instanceof FerryError
      ? firstError
      : new FerryError('E_NETWORK', `cannot reach ${registry}`);
  }

  /**
   * The error for a failed answer. 401/403 are explained with what ferry knows of the
   * credentials: none sent (log in), rejected, or not enough access for this request.
   */
  async error(method: Method, res: HttpResponse, what: string): Promise<RegistryError> {
    const err = await registryErrorFrom({ method, url: res.url }, res, what);
    if (res.status !== 401 && res.status !== 403) return err;
    const credential = await this.auth.credential();
    const init = { status: res.status, method, url: res.url, diagnostics: [...err.diagnostics] };
    if (credential.kind === 'anonymous') {
      const anonymous = new RegistryError(
        'E_AUTH',
        `${what}: authentication required (HTTP ${res.status})`,
        init,
        {
          hint: `log in (ferry login ${this.registry}), or pass ${this.credentialHint()}`,
          cause: err,
        },
      );
      anonymous.authProblem = 'anonymous';
      return anonymous;
    }
    const who = credential.kind === 'basic' ? `user '${credential.username}'` : 'the configured token';
    const challenge = parseWwwAuthenticate(res.headers['www-authenticate']).find((c) => c.params['error']);
    const denied = res.status === 403 || challenge?.params['error'] === 'insufficient_scope';
    const message = denied
      ? `${what}: access denied for ${who} (HTTP ${res.status}${challenge ? ` ${challenge.params['error']}` : ''})`
      : `${what}: ${this.registry} rejected the credentials of ${who} (HTTP ${res.status}): wrong username or password?`;
    const failure = new RegistryError('E_AUTH', message, init, { cause: err });
    failure.authProblem = denied ? 'denied' : 'rejected';
    return failure;
  }

  /**
   * Sends a request that must answer 200. Any other answer becomes the error for `what`; a 404
   * reads "`what` not found" (exit 1), with the registry's own words kept as the cause.
   */
  async fetchOk(api: ApiRequest, what: string): Promise<HttpResponse> {
    const res = await this.request(api);
    if (res.status === 200) return res;
    const err = await this.error(api.method, res, what);
    throw res.status === 404 ? new NotFoundError(`${what} not found`, { cause: err }) : err;
  }

  /**
   * GETs a small body whole (at most `limit` bytes), answering 200. The request and the body
   * read are retried together, as one operation: a connection lost mid-body is retried like
   * one lost before the headers.
   */
  async fetchBytes(
    api: ApiRequest,
    what: string,
    limit: number,
  ): Promise<{ res: HttpResponse; bytes: Buffer }> {
    return this.retrier.run(what, async () => {
      const res = await this.fetchOk({ ...api, retry: false }, what);
      return { res, bytes: await readBody(res, limit, what) };
    });
  }

  async request(api: ApiRequest): Promise<HttpResponse> {
    const base = await this.baseUrl();
    const url = typeof api.path === 'string' ? new URL(api.path, base) : api.path;
    if (url.origin !== base.origin) {
      throw new RegistryError(
        'E_REGISTRY',
        `${this.registry} pointed ferry at another origin (${url.origin})`,
        {
          status: 0,
          method: api.method,
          url,
          diagnostics: [],
        },
      );
    }
    return this.send({
      method: api.method,
      url,
      headers: api.headers ?? {},
      body: api.body,
      scopes: api.scopes,
      signal: api.signal,
      retry: api.retry,
      detached: api.detached,
    });
  }
}
