// An in-process Docker-style token server (node:http on 127.0.0.1:0) that the real registry
// trusts (auth.token). It issues RS256 JWTs (see jwt.ts) and counts what it did, so tests can
// assert how many tokens a client fetched and for which scopes.
//
//   GET  /token?service=S&scope=repository:NAME:pull,push&scope=...   [Authorization: Basic]
//        [&offline_token=true → also a refresh_token]
//   POST /token   (application/x-www-form-urlencoded, OAuth2 as containerd does)
//        grant_type=password&username=U&password=P&scope=A%20B&service=S[&access_type=offline]
//        grant_type=refresh_token&refresh_token=R&scope=...&service=S
//   GET  /stats → stats() as JSON;  GET /healthz → 200
//
// Granted access = requested actions ∩ the user's actions ('*' grants all, including
// registry:catalog:*; other users get nothing on non-repository scopes). Scopes with nothing
// granted are dropped silently (like Docker Hub); the registry then answers insufficient_scope.
// No credentials → the anonymous actions (default none). Bad credentials → 401 JSON.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPki } from './ca.js';
import { type AccessEntry, libtrustKeyId, type MintOptions, mintToken } from './jwt.js';
import { copyUsers, DEFAULT_USERS, type HarnessUser } from './users.js';

/** byUser key for tokens issued without credentials. */
export const ANONYMOUS = '(anonymous)';

export interface TokenServerOptions {
  /** Default: DEFAULT_USERS (alice:s3cret all actions, reader:r3ad pull). */
  users?: readonly HarnessUser[];
  /** Actions granted on repository scopes to requests without credentials. Default []. */
  anonymousActions?: string[];
  /** Token lifetime (expires_in, exp). Default 300. */
  ttlSeconds?: number;
  /** JWT `iss`; must equal the registry's auth.token.issuer. Default 'ferry-issuer'. */
  issuer?: string;
  /** JWT `aud`; must equal the registry's auth.token.service. Default 'ferry-registry'. */
  service?: string;
  /** Signing key (PEM) and the certificate file to give the registry as rootcertbundle. Default: getPki()'s. */
  signingKey?: { keyPem: string; certFile: string };
}

export interface TokenStats {
  /** Requests to /token (GET and POST, including denied and failed ones). */
  requests: number;
  /** Tokens issued. */
  issued: number;
  /** Requests answered 401 (bad credentials, unknown refresh token). */
  denied: number;
  /** Tokens issued per subject; anonymous ones under ANONYMOUS. */
  byUser: Record<string, number>;
  /** Requested scope strings (as sent) per /token request, counted whether granted or not. */
  byScope: Record<string, number>;
  /** Tokens issued per grant: 'basic' (GET with Basic), 'anonymous', 'password', 'refresh_token'. */
  byGrant: Record<string, number>;
}

export interface TokenRequestRecord {
  method: string;
  path: string;
  /** The raw query string, without '?'. */
  query: string;
  /** Query parameters (GET) or form fields (POST), each with all its values. */
  params: Record<string, string[]>;
  /** Requested scopes, split on spaces and in order. */
  scopes: string[];
  service: string | undefined;
  /** Whether an Authorization header was sent, and its scheme ('Basic', 'Bearer', ...). */
  hasAuthorization: boolean;
  authScheme: string | undefined;
  /** The authenticated user, ANONYMOUS, or undefined when denied. */
  user: string | undefined;
  grantType: string | undefined;
  status: number;
  granted: AccessEntry[];
}

export interface TokenServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The token endpoint (the registry's auth.token.realm): `${url}/token`. */
  realm: string;
  port: number;
  issuer: string;
  service: string;
  /** The libtrust key ID in every token's `kid`. */
  keyId: string;
  /** Certificate file for the registry's auth.token.rootcertbundle. */
  certFile: string;
  /** The users it accepts (mutating an entry's password/actions takes effect at once). */
  users: HarnessUser[];
  readonly ttlSeconds: number;
  setTtl(seconds: number): void;
  setAnonymousActions(actions: string[]): void;
  stats(): TokenStats;
  /** The requests received since start or the last reset(), oldest first. */
  requests(): TokenRequestRecord[];
  /** Zeroes the stats and clears the request log. */
  reset(): void;
  /** The next `count` /token requests are answered with `status` (default 503) and no token. */
  failNext(count: number, status?: number): void;
  /** A token signed with this server's key, issuer and service (override anything, e.g. expiresIn: -120). */
  mint(options?: Partial<MintOptions>): string;
  close(): Promise<void>;
}

interface ParsedScope {
  raw: string;
  type: string;
  name: string;
  actions: string[];
}

/** "type:name:actions" — the name may itself contain ':' (e.g. a host:port prefix). */
function parseScope(raw: string): ParsedScope | undefined {
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    raw,
    type: raw.slice(0, first),
    name: raw.slice(first + 1, last),
    actions: raw
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}

/** Requested ∩ allowed, merged per resource; resources with nothing granted are dropped. */
function grant(scopes: readonly string[], allowed: readonly string[]): AccessEntry[] {
  const all = allowed.includes('*');
  const out: AccessEntry[] = [];
  for (const raw of scopes) {
    const scope = parseScope(raw);
    if (!scope) continue;
    if (!all && scope.type !== 'repository') continue;
    const actions = all ? scope.actions : scope.actions.filter((a) => allowed.includes(a));
    if (actions.length === 0) continue;
    const existing = out.find((e) => e.type === scope.type && e.name === scope.name);
    if (existing) {
      for (const a of actions) if (!existing.actions.includes(a)) existing.actions.push(a);
    } else {
      out.push({ type: scope.type, name: scope.name, actions: [...new Set(actions)] });
    }
  }
  return out;
}

function emptyStats(): TokenStats {
  return { requests: 0, issued: 0, denied: 0, byUser: {}, byScope: {}, byGrant: {} };
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function paramsOf(search: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of search) out[key] = [...(out[key] ?? []), value];
  return out;
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function unauthorized(res: ServerResponse, message: string): void {
  sendJson(
    res,
    401,
    { errors: [{ code: 'UNAUTHORIZED', message, detail: null }] },
    { 'WWW-Authenticate': 'Basic realm="ferry-token"' },
  );
}

async function defaultSigningKey(): Promise<{ keyPem: string; certFile: string }> {
  const pki = await getPki();
  return { keyPem: pki.tokenKeyPem, certFile: pki.tokenCert };
}

/** Starts a token server on 127.0.0.1 with an ephemeral port. */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const signing: { keyPem: string; certFile: string } = options.signingKey ?? (await defaultSigningKey());
  const issuer = options.issuer ?? 'ferry-issuer';
  const service = options.service ?? 'ferry-registry';
  const users = copyUsers(options.users ?? DEFAULT_USERS);
  let anonymousActions = [...(options.anonymousActions ?? [])];
  let ttl = options.ttlSeconds ?? 300;
  let stats = emptyStats();
  let log: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>(); // refresh token → username
  let failures: number[] = [];

  const issue = (subject: string, scopes: string[], allowed: string[], grantName: string) => {
    const access = grant(scopes, allowed);
    const now = Math.floor(Date.now() / 1000);
    const token = mintToken({
      privateKey: signing.keyPem,
      issuer,
      audience: service,
      subject: subject === ANONYMOUS ? '' : subject,
      access,
      expiresIn: ttl,
      now,
    });
    stats.issued++;
    bump(stats.byUser, subject);
    bump(stats.byGrant, grantName);
    return { token, access, expiresIn: ttl, issuedAt: new Date(now * 1000).toISOString() };
  };

  const newRefreshToken = (username: string): string => {
    const value = randomBytes(24).toString('base64url');
    refreshTokens.set(value, username);
    return value;
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const authorization = req.headers.authorization;
    const record: TokenRequestRecord = {
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      params: {},
      scopes: [],
      service: undefined,
      hasAuthorization: authorization !== undefined,
      authScheme: authorization?.split(' ')[0],
      user: undefined,
      grantType: undefined,
      status: 0,
      granted: [],
    };
    stats.requests++;
    log.push(record);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      sendJson(res, status, body, headers);
    };

    let params: URLSearchParams;
    if (method === 'POST') params = new URLSearchParams(await readBody(req));
    else if (method === 'GET') params = url.searchParams;
    else return reply(405, { errors: [{ code: 'UNSUPPORTED', message: 'method not allowed' }] });
    record.params = paramsOf(params);
    record.scopes = params.getAll('scope').flatMap((s) => s.split(' ').filter((x) => x !== ''));
    record.service = params.get('service') ?? undefined;
    for (const scope of record.scopes) bump(stats.byScope, scope);

    const failure = failures.shift();
    if (failure !== undefined) {
      return reply(failure, { errors: [{ code: 'UNAVAILABLE', message: 'injected failure', detail: null }] });
    }

    if (method === 'GET') {
      let subject = ANONYMOUS;
      let allowed = anonymousActions;
      if (authorization !== undefined) {
        const match = /^Basic\s+(\S+)$/i.exec(authorization);
        const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = colon < 0 ? undefined : users.find((u) => u.username === decoded.slice(0, colon));
        if (!user || user.password !== decoded.slice(colon + 1)) {
          stats.denied++;
          record.status = 401;
          return unauthorized(res, 'incorrect username or password');
        }
        subject = user.username;
        allowed = user.actions;
      }
      record.user = subject;
      record.grantType = subject === ANONYMOUS ? 'anonymous' : 'basic';
      const t = issue(subject, record.scopes, allowed, record.grantType);
      record.granted = t.access;
      const body: Record<string, unknown> = {
        token: t.token,
        access_token: t.token,
        expires_in: t.expiresIn,
        issued_at: t.issuedAt,
      };
      if (subject !== ANONYMOUS && params.get('offline_token') === 'true') {
        body['refresh_token'] = newRefreshToken(subject);
      }
      return reply(200, body);
    }

    // POST: OAuth2 form.
    const grantType = params.get('grant_type') ?? undefined;
    record.grantType = grantType;
    let user: HarnessUser | undefined;
    if (grantType === 'password') {
      const username = params.get('username') ?? '';
      user = users.find((u) => u.username === username && u.password === params.get('password'));
      if (!user) {
        stats.denied++;
        record.status = 401;
        return unauthorized(res, 'incorrect username or password');
      }
    } else if (grantType === 'refresh_token') {
      const refresh = params.get('refresh_token') ?? '';
      const owner = refreshTokens.get(refresh);
      user = users.find((u) =>
        owner === undefined
          ? u.identityToken !== undefined && u.identityToken === refresh
          : u.username === owner,
      );
      if (!user || refresh === '') {
        stats.denied++;
        record.status = 401;
        return unauthorized(res, 'invalid refresh token');
      }
    } else {
      return reply(400, { error: grantType ? 'unsupported_grant_type' : 'invalid_request' });
    }
    record.user = user.username;
    const t = issue(user.username, record.scopes, user.actions, grantType);
    record.granted = t.access;
    const body: Record<string, unknown> = {
      access_token: t.token,
      token_type: 'Bearer',
      expires_in: t.expiresIn,
      issued_at: t.issuedAt,
      scope: record.scopes.join(' '),
    };
    if (grantType === 'password' && params.get('access_type') === 'offline') {
      body['refresh_token'] = newRefreshToken(user.username);
    }
    return reply(200, body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    } else if (url.pathname === '/stats') {
      sendJson(res, 200, stats);
    } else if (url.pathname === '/token') {
      handleToken(req, res, url).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: String(error) }] });
        else res.destroy();
      });
    } else {
      sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
    }
  });
  // A server someone forgot to close must not keep the test process alive.
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    realm: `${url}/token`,
    port,
    issuer,
    service,
    keyId: libtrustKeyId(signing.keyPem),
    certFile: signing.certFile,
    users,
    get ttlSeconds() {
      return ttl;
    },
    setTtl(seconds) {
      ttl = seconds;
    },
    setAnonymousActions(actions) {
      anonymousActions = [...actions];
    },
    stats: () => structuredClone(stats),
    requests: () => structuredClone(log),
    reset() {
      stats = emptyStats();
      log = [];
      failures = [];
    },
    failNext(count, status = 503) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    mint: (overrides = {}) =>
      mintToken({ privateKey: signing.keyPem, issuer, audience: service, expiresIn: ttl, ...overrides }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
