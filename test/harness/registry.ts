// Starts the REAL Distribution registry (Debian's `docker-registry` 2.8.2) on 127.0.0.1 with an
// ephemeral port, a generated config and temp storage, in one of its auth modes:
//
//   startRegistry()                                   anonymous, plain HTTP
//   startRegistry('basic')                            htpasswd (bcrypt) users, plain HTTP
//   startRegistry('token')                            bearer tokens from an in-process token server
//   startRegistry('tls')                              anonymous over HTTPS (CA from ca.ts)
//   startRegistry({ tls: true, auth: 'basic' })       any combination, plus deleteEnabled, users, ...
//
// Start-up takes ~10–30 ms (plus the one-off PKI, ~0.4 s, for tls/token). Start one per test file
// (or describe block); several can run at once. stop() kills the process and removes its temp
// dirs; any registry still running when the test process exits is killed then.
//
// Log (log.level info by default, text format; see registry-log.ts): readLog() returns what the
// registry printed so far, requests() parses the access-log line each request produces.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getPki } from './ca.js';
import { writeHtpasswd } from './htpasswd.js';
import { parseListenPort } from './ports.js';
import { spawnTracked, stopProcess } from './proc.js';
import { parseAccessLog, type RegistryRequest } from './registry-log.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { startTokenServer, type TokenServer } from './token-server.js';
import { copyUsers, DEFAULT_USERS, type HarnessUser } from './users.js';
import { waitFor, waitForHttp } from './wait.js';

export type RegistryAuth = 'none' | 'basic' | 'token';
/** Shorthands: 'anonymous' = {}, 'basic' = {auth:'basic'}, 'token' = {auth:'token'}, 'tls' = {tls:true}. */
export type RegistryMode = 'anonymous' | 'basic' | 'token' | 'tls';

export interface RegistryOptions {
  /** Default 'none'. */
  auth?: RegistryAuth;
  /** Serve HTTPS with the server certificate from ca.ts. Default false. */
  tls?: boolean;
  /**
   * TLS: require a client certificate signed by ca.ts's CA (http.tls.clientcas; Go then uses
   * RequireAndVerifyClientCert). The PKI's clientCert/clientKey pass. Default false.
   */
  clientCa?: boolean;
  /** storage.delete.enabled. Default true (false → DELETE answers 405 UNSUPPORTED). */
  deleteEnabled?: boolean;
  /** Users for basic and token modes. Default DEFAULT_USERS (alice:s3cret all, reader:r3ad pull). */
  users?: readonly HarnessUser[];
  /** Token mode: actions granted without credentials (e.g. ['pull']). Default none. */
  anonymousActions?: string[];
  /** Token mode: token lifetime in seconds. Default 300. The registry allows 60 s of leeway. */
  tokenTtlSeconds?: number;
  /** Token mode: use this token server (not closed by stop(); its users win) instead of starting one. */
  tokenServer?: TokenServer;
  /** Basic mode: the realm in `WWW-Authenticate: Basic realm="..."`. Default 'ferry-basic'. */
  basicRealm?: string;
  /** Use this storage directory (kept by stop()) instead of a fresh temp one. */
  storageDir?: string;
  /** log.level. Default 'info' (needed for requests()). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra top-level config sections merged over the generated ones (shallow, per section). */
  extraConfig?: Record<string, unknown>;
  /** Start-up timeout. Default 10 s. */
  startTimeoutMs?: number;
}

export interface Registry {
  /** '127.0.0.1:PORT' (what image references and docker config `auths` keys use). */
  host: string;
  port: number;
  /** 'http://127.0.0.1:PORT' or 'https://127.0.0.1:PORT'. */
  url: string;
  auth: RegistryAuth;
  tls: boolean;
  deleteEnabled: boolean;
  /** TLS: the CA certificate file, its PEM text, and a containers-style cert dir (`ca.crt`) for skopeo. */
  caFile?: string;
  caPem?: string;
  certDir?: string;
  /** clientCa: the client certificate and key (PEM text) the registry accepts, for probes. */
  clientTls?: { cert: string; key: string };
  /** Users accepted in basic/token modes (also listed, unused, in anonymous mode). */
  users: HarnessUser[];
  /** Token mode: the token server the registry trusts. */
  tokenServer?: TokenServer;
  /** Basic mode: the htpasswd file. */
  htpasswdFile?: string;
  /** This instance's temp dir (config, log, default storage). */
  dir: string;
  configFile: string;
  logFile: string;
  storageDir: string;
  pid: number;
  /** A user by name; without a name the first user with '*' actions (alice by default). Throws if none. */
  user(name?: string): HarnessUser;
  /** 'user:password' for skopeo --creds and similar. */
  creds(name?: string): string;
  /** Everything the registry logged so far (stdout and stderr, interleaved as received). */
  readLog(): string;
  /** The requests the registry logged so far (access-log lines), oldest first. */
  requests(): RegistryRequest[];
  /**
   * Waits until the log matches `pattern` (the registry logs a request just after answering it).
   * Resolves with the matching text.
   */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Waits until at least `count` requests have been logged since start; resolves with all of them. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RegistryRequest[]>;
  /** Stops the registry (TERM, then KILL after 2 s), closes an owned token server, removes temp dirs. */
  stop(): Promise<void>;
}

function normalize(options: RegistryMode | RegistryOptions): RegistryOptions {
  switch (options) {
    case 'anonymous':
      return {};
    case 'basic':
      return { auth: 'basic' };
    case 'token':
      return { auth: 'token' };
    case 'tls':
      return { tls: true };
    default:
      return options;
  }
}

/** The registry binary: $FERRY_REGISTRY_BIN or docker-registry on PATH. */
export function registryBinary(): string {
  return process.env['FERRY_REGISTRY_BIN'] || 'docker-registry';
}

/** The child's environment: ours minus REGISTRY_* (which would override the generated config). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('REGISTRY_')) env[key] = value;
  }
  return env;
}

export async function startRegistry(modeOrOptions: RegistryMode | RegistryOptions = {}): Promise<Registry> {
  const options = normalize(modeOrOptions);
  const auth = options.auth ?? 'none';
  const tls = options.tls ?? false;
  const deleteEnabled = options.deleteEnabled ?? true;
  const users = options.tokenServer?.users ?? copyUsers(options.users ?? DEFAULT_USERS);
  const dir = await makeTempDir('registry');
  const storageDir = options.storageDir ?? join(dir, 'storage');
  const configFile = join(dir, 'config.yml');
  const logFile = join(dir, 'registry.log');
  await mkdir(storageDir, { recursive: true });

  const pki = tls || (auth === 'token' && !options.tokenServer) ? await getPki() : undefined;
  let tokenServer: TokenServer | undefined;
  let ownsTokenServer = false;
  let child: ChildProcess | undefined;
  let logStream: WriteStream | undefined;

  const cleanup = async (): Promise<void> => {
    if (child) await stopProcess(child);
    if (ownsTokenServer) await tokenServer?.close();
    if (logStream) await new Promise<void>((resolve) => logStream?.end(() => resolve()));
    await removeTempDir(dir);
  };

  try {
    const config: Record<string, unknown> = {
      version: '0.1',
      log: { level: options.logLevel ?? 'info', formatter: 'text', accesslog: { disabled: false } },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: deleteEnabled },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: '127.0.0.1:0',
        secret: `ferry-${Math.random().toString(36).slice(2)}`,
        headers: { 'X-Content-Type-Options': ['nosniff'] },
        ...(tls && pki
          ? {
              tls: {
                certificate: pki.serverCert,
                key: pki.serverKey,
                ...(options.clientCa ? { clientcas: [pki.caCert] } : {}),
              },
            }
          : {}),
      },
    };

    let htpasswdFile: string | undefined;
    if (auth === 'basic') {
      htpasswdFile = join(dir, 'htpasswd');
      await writeHtpasswd(htpasswdFile, users);
      config['auth'] = { htpasswd: { realm: options.basicRealm ?? 'ferry-basic', path: htpasswdFile } };
    } else if (auth === 'token') {
      if (options.tokenServer) {
        tokenServer = options.tokenServer;
      } else {
        tokenServer = await startTokenServer({
          users,
          ...(options.anonymousActions ? { anonymousActions: options.anonymousActions } : {}),
          ...(options.tokenTtlSeconds === undefined ? {} : { ttlSeconds: options.tokenTtlSeconds }),
        });
        ownsTokenServer = true;
      }
      config['auth'] = {
        token: {
          realm: tokenServer.realm,
          service: tokenServer.service,
          issuer: tokenServer.issuer,
          rootcertbundle: tokenServer.certFile,
        },
      };
    }
    for (const [section, value] of Object.entries(options.extraConfig ?? {})) {
      const base = config[section];
      config[section] =
        base && typeof base === 'object' && value && typeof value === 'object'
          ? { ...base, ...value }
          : value;
    }
    // JSON is valid YAML, and it spares us quoting rules.
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);

    let log = '';
    logStream = createWriteStream(logFile, { flags: 'a' });
    const proc = spawnTracked(registryBinary(), ['serve', configFile], {
      cwd: dir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const onData = (text: string): void => {
      log += text;
      logStream?.write(text);
    };
    // setEncoding: multi-byte characters (the log has "µs") may straddle chunks.
    proc.stdout?.setEncoding('utf8').on('data', onData);
    proc.stderr?.setEncoding('utf8').on('data', onData);
    // A registry someone forgot to stop must not keep the test process alive: unref the child
    // and its pipes; proc.ts kills it when the process exits.
    proc.unref();
    (proc.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    let spawnError: Error | undefined;
    proc.once('error', (error) => {
      spawnError = error;
    });

    const timeoutMs = options.startTimeoutMs ?? 10_000;
    const port = await waitFor(
      'the registry to log "listening on"',
      () => {
        if (spawnError)
          throw Object.assign(new Error(`cannot run ${registryBinary()}: ${spawnError.message}`), {
            fatal: true,
          });
        const found = parseListenPort(log);
        if (found !== undefined) return found;
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw Object.assign(new Error(`registry exited (${proc.exitCode ?? proc.signalCode}):\n${log}`), {
            fatal: true,
          });
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 5, stopOn: (error) => (error as { fatal?: boolean }).fatal === true },
    );

    const host = `127.0.0.1:${port}`;
    const url = `${tls ? 'https' : 'http'}://${host}`;
    const clientTls =
      pki && tls && options.clientCa
        ? { cert: await readFile(pki.clientCert, 'utf8'), key: await readFile(pki.clientKey, 'utf8') }
        : undefined;
    await waitForHttp(`${url}/v2/`, [auth === 'none' ? 200 : 401], {
      timeoutMs,
      ...(pki && tls ? { ca: pki.caPem } : {}),
      ...clientTls,
    });

    const findUser = (name?: string): HarnessUser => {
      const found =
        name === undefined
          ? users.find((u) => u.actions.includes('*'))
          : users.find((u) => u.username === name);
      if (!found) throw new Error(`no test user ${name ?? 'with * actions'}`);
      return found;
    };
    const waitForLog = (pattern: RegExp | string, ms = 5000): Promise<string> =>
      waitFor(
        `registry log to match ${String(pattern)}`,
        () => {
          if (typeof pattern === 'string') return log.includes(pattern) ? pattern : undefined;
          return pattern.exec(log)?.[0];
        },
        { timeoutMs: ms },
      );

    let stopped: Promise<void> | undefined;
    const registry: Registry = {
      host,
      port,
      url,
      auth,
      tls,
      deleteEnabled,
      users,
      dir,
      configFile,
      logFile,
      storageDir,
      pid: proc.pid ?? -1,
      user: findUser,
      creds: (name) => {
        const u = findUser(name);
        return `${u.username}:${u.password}`;
      },
      readLog: () => log,
      requests: () => parseAccessLog(log),
      waitForLog,
      waitForRequests: (count, ms = 5000) =>
        waitFor(
          `${count} requests in the registry log`,
          () => {
            const requests = parseAccessLog(log);
            return requests.length >= count ? requests : undefined;
          },
          { timeoutMs: ms },
        ),
      stop: () => {
        stopped ??= cleanup();
        return stopped;
      },
    };
    if (clientTls) registry.clientTls = clientTls;
    if (tls && pki) {
      registry.caFile = pki.caCert;
      registry.caPem = pki.caPem;
      registry.certDir = pki.certDir;
    }
    if (tokenServer) registry.tokenServer = tokenServer;
    if (htpasswdFile) registry.htpasswdFile = htpasswdFile;
    return registry;
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
}

/**
 * Upload sessions of `repository` that still hold data: Distribution keeps the bytes a session
 * received in `_uploads/<uuid>/data` (filesystem storage) and removes that file when the session
 * is cancelled or its commit fails (a `hashstates/` folder stays behind either way).
 */
export async function uploadsHoldingData(registry: Registry, repository: string): Promise<string[]> {
  const dir = join(registry.storageDir, 'docker/registry/v2/repositories', repository, '_uploads');
  const sessions = await readdir(dir).catch(() => [] as string[]);
  const holding = await Promise.all(
    sessions.map(async (id) => ((await readdir(join(dir, id))).includes('data') ? [id] : [])),
  );
  return holding.flat();
}

/**
 * Every user name a registry's log shows it authenticated, or refused: Basic and token alike.
 * What a credential test reads to prove a password went to one registry and not another.
 */
export function usersInLog(registry: Registry): string[] {
  const names = new Set<string>();
  for (const m of registry
    .readLog()
    .matchAll(/auth\.user\.name="?([^"\s]+)"?|error authenticating user \\"([^"\\]+)\\"/g)) {
    names.add(m[1] ?? m[2] ?? '');
  }
  return [...names].sort();
}
