/**
 * The per-run Context: global options resolved once (architecture.md principle 9), the stdout
 * and stderr writers, and one RegistryClient per registry sharing the transports, the keychain,
 * the command-line bindings and the per-registry settings.
 * Commands receive it; nothing below reads process.env or process.argv.
 */
import type { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import type { Credential } from './auth/credential.js';
import { createKeychain, type Keychain } from './auth/keychain.js';
import { UsageError } from './errors.js';
import { HostGates } from './http/host-gate.js';
import { DEFAULT_RETRY_POLICY, Retrier } from './http/retry.js';
import {
  type ProxySettings,
  proxyFor,
  proxySettings,
  type Transport,
  type TransportOptions,
} from './http/transport-options.js';
import { registryEndpoint, registryListed, schemesToTry } from './ref/index.js';
import { RegistryClient } from './registry/client.js';
import {
  type BoundCredential,
  boundCredential,
  type RegistryBinding,
  RegistryBindings,
} from './settings/bindings.js';
import type { RegistrySettings } from './settings/registry-settings.js';
import { type StreamColors, streamColors } from './ui/color.js';
import { Output, Status } from './ui/output.js';
import { VERSION } from './util/version.js';

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** Aborted when the user interrupts ferry (SIGINT, SIGTERM): work stops and cleans up. */
  interrupt?: AbortSignal | undefined;
}

export interface GlobalOptions {
  debug: boolean;
  quiet: boolean;
  color: boolean | undefined;
  plainHttp: string[];
  insecure: string[];
  caFile?: string | undefined;
  /** --cert-dir: the certificate directory of the registry of the command (Context.scopeGlobals). */
  certDir?: string | undefined;
  username?: string | undefined;
  passwordStdin: boolean;
  /** The password for -u when it was asked on the terminal (login's prompt) instead of read from stdin. */
  password?: string | undefined;
  /** --retries: retries after the first attempt, for requests and whole blob transfers. */
  retries: number;
  /** --idle-timeout: no bytes either way for this long fails a request. */
  idleTimeoutSeconds: number;
}

/** The global options when no flag is given: one place for the defaults (architecture.md §9). */
export const DEFAULT_GLOBALS: Readonly<GlobalOptions> = {
  debug: false,
  quiet: false,
  color: undefined,
  plainHttp: [],
  insecure: [],
  passwordStdin: false,
  retries: 5,
  idleTimeoutSeconds: 120,
};

const LONG_WAIT_MS = 2000;

const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

export const USER_AGENT = `ferry/${VERSION} node/${process.versions.node}`;

/**
 * The registries a command line names, for a command that may talk to more than one (commands/
 * spec.ts CommandSpec.registries): one entry per location it names, undefined for a local file;
 * 'listed in a file' when the command reads them from a file (sync).
 */
export type RegistriesNamed = readonly (string | undefined)[] | 'listed in a file';

/** The flags that do say which registry they are for, offered when the global ones are refused (copy's). */
export interface PerRegistryFlags {
  credentials: string;
  certDir: string;
}

/** 'a', 'a and b', 'a, b and c'. */
const listed = (names: readonly string[]): string =>
  names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

export class Context {
  readonly out: Output;
  readonly status: Status;
  /** Colour for each stream, decided apart (ui/color.ts); `chalk` is stdout's. */
  readonly colors: StreamColors;
  readonly chalk: StreamColors['stdout'];
  readonly globals: GlobalOptions;
  private readonly io: Io;
  private readonly clients = new Map<string, RegistryClient>();
  /** undici (proxied requests) and node:http(s) (the rest), each loaded on first use. */
  private readonly transports = new Map<'undici' | 'node', Promise<Transport>>();
  private readonly proxy: ProxySettings | undefined;
  /** One retry policy for every registry, the transfer engine and the resumed downloads. */
  readonly retrier: Retrier;
  /** Per-host limits and cool-downs, shared by every request of the run (http/host-gate.ts). */
  readonly gates = new HostGates();
  private keychain: Keychain | undefined;
  /** Command-line settings per registry name (bind()). */
  private readonly bindings = new RegistryBindings();
  /** The global -u/--password-stdin are bound (or a command bound each side itself). */
  private globalsBound = false;
  private stdinRead: Promise<string> | undefined;
  private settingsLoad: Promise<RegistrySettings> | undefined;
  private loadedSettings: RegistrySettings | undefined;

  constructor(io: Io, globals: GlobalOptions) {
    this.io = io;
    this.proxy = proxySettings(io.env);
    this.globals = globals;
    this.colors = streamColors(globals.color, io.env, io);
    this.chalk = this.colors.stdout;
    this.out = new Output(io.stdout);
    this.status = new Status(io.stderr, globals.quiet, this.colors.stderr);
    this.retrier = new Retrier({
      ...DEFAULT_RETRY_POLICY,
      retries: globals.retries,
      signal: io.interrupt,
      onWait: (wait) => {
        // Short backoffs pass quietly; a long wait (a Retry-After, a late backoff) is said, so a
        // pause does not look like a hang.
        if (wait.delayMs >= LONG_WAIT_MS || globals.debug) {
          this.status.info(
            `ferry: ${wait.what}: ${wait.reason}; retry ${wait.attempt} of ${wait.retries} in ${formatSeconds(wait.delayMs)}`,
          );
        }
      },
    });
    if (globals.passwordStdin && !globals.username)
      throw new UsageError('--password-stdin needs -u/--username');
    if (globals.username && !globals.passwordStdin && globals.password === undefined) {
      throw new UsageError('-u/--username needs --password-stdin', {
        hint: 'echo "$PASSWORD" | ferry -u USER --password-stdin …',
      });
    }
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  /** The raw streams, for commands that write bytes (pull to '-') or drive progress on stderr. */
  get stdout(): Io['stdout'] {
    return this.io.stdout;
  }

  get stderr(): Io['stderr'] {
    return this.io.stderr;
  }

  /**
   * Standard input, for a command that reads its data from `-` (blob put, manifest put). Refused
   * when --password-stdin reads it too: one stream cannot be both, and whichever came first would
   * take the other's bytes. A usage error before either is read.
   */
  stdinData(argument: string): Io['stdin'] {
    if (this.globals.passwordStdin) {
      throw new UsageError(`--password-stdin and ${argument} - cannot both read standard input`, {
        hint: `save the data to a file and name it as ${argument}, or log in first (ferry login) and drop -u/--password-stdin`,
      });
    }
    return this.io.stdin;
  }

  /** Aborted when the user interrupts ferry: long runs stop starting new work. */
  get interrupt(): AbortSignal | undefined {
    return this.io.interrupt;
  }

  /**
   * Flags, the settings file and certs.d put together (settings/), loaded on the first request:
   * a command that talks to no registry never reads the file.
   */
  private settings(): Promise<RegistrySettings> {
    this.settingsLoad ??= (async () => {
      const { RegistrySettings } = await import('./settings/registry-settings.js');
      const loaded = await RegistrySettings.load(this.io.env, {
        plainHttp: this.globals.plainHttp,
        insecure: this.globals.insecure,
        caFile: this.globals.caFile,
        certDirFor: (hostPort) => this.bindings.certDirFor(hostPort),
      });
      this.loadedSettings = loaded;
      return loaded;
    })();
    return this.settingsLoad;
  }

  /** The client for a registry (ferry's registry name, e.g. 'docker.io' or '127.0.0.1:5000'); one per run. */
  client(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (!client) {
      this.bindGlobals(registry);
      client = new RegistryClient({
        registry,
        endpoint: registryEndpoint(registry),
        schemes: async () => schemesToTry(registry, (await this.settings()).schemeOptions(registry)),
        transport: async (req) => (await this.transportFor(req.url)).send(req),
        stack: {
          userAgent: USER_AGENT,
          log: this.globals.debug ? (line) => this.status.debug(line) : undefined,
          gates: this.gates,
        },
        credential: () => this.credentialFor(registry),
        credentialHint: () => this.bindings.get(registry)?.hint ?? '-u USER --password-stdin',
        // Asked after the ping, so the settings are loaded by then.
        plainHttpAllowed: (hostPort) =>
          this.loadedSettings?.plainHttpAllowed(hostPort) ?? registryListed(hostPort, this.globals.plainHttp),
        retrier: this.retrier,
      });
      this.clients.set(registry, client);
    }
    return client;
  }

  /**
   * The transport for a request, loaded on first use: undici for whatever goes through a proxy
   * (never a loopback host), node:http(s) for everything else (http/transport-options.ts says why).
   */
  private transportFor(url: URL): Promise<Transport> {
    const kind = proxyFor(url, this.proxy) ? 'undici' : 'node';
    let transport = this.transports.get(kind);
    if (!transport) {
      transport = this.createTransport(kind);
      this.transports.set(kind, transport);
    }
    return transport;
  }

  private async createTransport(kind: 'undici' | 'node'): Promise<Transport> {
    const settings = await this.settings();
    const options: TransportOptions = {
      env: this.io.env,
      tlsFor: (hostPort) => settings.tlsFor(hostPort),
      idleTimeoutMs: this.globals.idleTimeoutSeconds * 1000,
      interrupt: this.io.interrupt,
    };
    if (kind === 'undici') {
      // undici parses HTTP with llhttp compiled to WebAssembly; V8 tiering it up to TurboFan in
      // the background costs ~30 MiB of RSS and a slower exit, for a parser that reads headers
      // only (bench/PROFILE.md). Set before undici loads, and only here: a V8 flag changed at run
      // time makes Node recompile its own built-ins instead of using their code cache, which a
      // light command would pay at start.
      setFlagsFromString('--liftoff-only');
      return (await import('./http/transport.js')).createTransport(options);
    }
    return (await import('./http/node-transport.js')).createNodeTransport(options);
  }

  /**
   * Binds command-line settings to one registry (settings/bindings.ts). A command talking to two
   * registries binds each side itself (commands/side-options.ts). The global -u/--password-stdin
   * and --cert-dir go to the registry scopeGlobals names for a command that may talk to several;
   * otherwise to the first registry the command asks a client for, the one registry of a
   * single-registry command.
   */
  bind(registry: string, binding: RegistryBinding): void {
    this.globalsBound = true;
    this.bindings.set(registry, binding);
  }

  /**
   * The global -u/--password-stdin and --cert-dir for a command that may talk to several
   * registries (CommandSpec.registries), checked before any request and before stdin is read.
   * They mean "the registry of this command": bound to the first registry the command opens, they
   * could go to one the user did not mean (`append alpine:3.20 reg.example.com/app:1 … -u me`
   * opens Docker Hub first, for the base). So they are bound to the one registry the command line
   * names, as copy binds them when both sides are on one registry, and refused when it names
   * several, or a file names them (sync), whatever the order the command opens them in.
   */
  scopeGlobals(named: () => RegistriesNamed, instead?: PerRegistryFlags): void {
    const { username, certDir } = this.globals;
    if (!username && !certDir) return;
    const registries = named();
    const names =
      registries === 'listed in a file' ? [] : [...new Set(registries.filter((r) => r !== undefined))];
    if (registries === 'listed in a file' || names.length > 1) {
      const why =
        registries === 'listed in a file'
          ? 'this command talks to the registries its file lists'
          : `this command talks to ${listed(names)}`;
      if (certDir) {
        throw new UsageError(`--cert-dir would not say which registry it is for: ${why}`, {
          hint:
            instead?.certDir ??
            "put each registry's certificates in its certs.d directory, or its client-cert in the settings file (docs/settings.md)",
        });
      }
      throw new UsageError(`-u/--password-stdin would not say which registry they are for: ${why}`, {
        hint:
          instead?.credentials ??
          'log in to each registry once (ferry login -u USER --password-stdin HOST), or give DOCKER_AUTH_CONFIG',
      });
    }
    const [registry] = names;
    if (registry !== undefined) this.bindGlobals(registry);
    // A command line naming no registry: nothing is bound, and no registry opened later takes them.
    this.globalsBound = true;
  }

  /** The global -u/--password-stdin and --cert-dir, for the registry of a single-registry command. */
  private bindGlobals(registry: string): void {
    if (this.globalsBound) return;
    this.globalsBound = true;
    const { username, password, certDir } = this.globals;
    if (!username && !certDir) return;
    const credential: BoundCredential | undefined = !username
      ? undefined
      : password !== undefined
        ? { kind: 'password', username, password, flag: '-u' }
        : { kind: 'stdin', username, flag: '-u/--password-stdin' };
    this.bindings.set(registry, {
      ...(credential ? { credential } : {}),
      ...(certDir ? { certDir: { dir: certDir, flag: '--cert-dir' } } : {}),
    });
  }

  private getKeychain(): Keychain {
    this.keychain ??= createKeychain({ env: this.io.env, warn: (message) => this.status.warn(message) });
    return this.keychain;
  }

  private async credentialFor(registry: string): Promise<Credential> {
    const bound = this.bindings.get(registry)?.credential;
    if (bound) {
      if (this.globals.debug) this.status.debug(`credentials for ${registry}: command line (${bound.flag})`);
      return boundCredential(bound, (flag) => this.stdinPassword(flag));
    }
    const keychain = this.getKeychain();
    if (this.globals.debug)
      this.status.debug(`credentials for ${registry}: ${await keychain.describeSource(registry)}`);
    return keychain.resolve(registry);
  }

  /** The password on stdin (one flag may read it): read once, one trailing newline dropped. */
  private stdinPassword(flag: string): Promise<string> {
    this.stdinRead ??= (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of this.io.stdin) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
    })();
    return this.stdinRead.then((password) => {
      if (password === '') throw new UsageError(`${flag.replace(/^-u\//, '')} read an empty password`);
      return password;
    });
  }

  async close(): Promise<void> {
    const transports = await Promise.all([...this.transports.values()].map((t) => t.catch(() => undefined)));
    await Promise.all(transports.map((t) => t?.close()));
  }
}
