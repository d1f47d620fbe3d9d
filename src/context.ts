/**
 * The per-run Context: global options resolved once (architecture.md principle 9), the stdout
 * and stderr writers, and one RegistryClient per registry sharing one transport and keychain.
 * Commands receive it; nothing below reads process.env or process.argv.
 */
import type { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import type { Credential } from './auth/credential.js';
import { createKeychain, type Keychain } from './auth/keychain.js';
import { UsageError } from './errors.js';
import { DEFAULT_RETRY_POLICY, Retrier } from './http/retry.js';
import { proxySettings, type Transport, type TransportOptions } from './http/transport-options.js';
import { isInsecure, registryEndpoint, schemesToTry } from './ref/index.js';
import { RegistryClient } from './registry/client.js';
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

export class Context {
  readonly out: Output;
  readonly status: Status;
  /** Colour for each stream, decided apart (ui/color.ts); `chalk` is stdout's. */
  readonly colors: StreamColors;
  readonly chalk: StreamColors['stdout'];
  readonly globals: GlobalOptions;
  private readonly io: Io;
  private readonly clients = new Map<string, RegistryClient>();
  private transport: Promise<Transport> | undefined;
  /** The command moves blobs (copy, pull, push, blob): it gets undici's pooled transport. */
  private readonly bulk: boolean;
  /** One retry policy for every registry, the transfer engine and the resumed downloads. */
  readonly retrier: Retrier;
  private keychain: Keychain | undefined;
  private explicit: Promise<Credential | undefined> | undefined;

  constructor(io: Io, globals: GlobalOptions, options: { bulk?: boolean | undefined } = {}) {
    this.io = io;
    this.bulk = options.bulk === true;
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

  /** Standard input, for commands that read data from `-` (blob put, manifest put). */
  get stdin(): Io['stdin'] {
    return this.io.stdin;
  }

  /** --plain-http and --insecure, as ref/scheme.ts reads them. */
  private get schemeOptions(): { plainHttp: string[]; insecure: string[] } {
    return { plainHttp: this.globals.plainHttp, insecure: this.globals.insecure };
  }

  /** The client for a registry (ferry's registry name, e.g. 'docker.io' or '127.0.0.1:5000'); one per run. */
  client(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (!client) {
      client = new RegistryClient({
        registry,
        endpoint: registryEndpoint(registry),
        schemes: schemesToTry(registry, this.schemeOptions),
        transport: async (req) => (await this.transportFor()).send(req),
        stack: {
          userAgent: USER_AGENT,
          log: this.globals.debug ? (line) => this.status.debug(line) : undefined,
        },
        credential: () => this.credentialFor(registry),
        retrier: this.retrier,
      });
      this.clients.set(registry, client);
    }
    return client;
  }

  /**
   * The one transport of this run, loaded on the first request: undici for transfers and behind a
   * proxy, node:http(s) for everything else (http/transport-options.ts says why).
   */
  private transportFor(): Promise<Transport> {
    this.transport ??= (async () => {
      const options: TransportOptions = {
        env: this.io.env,
        caFile: this.globals.caFile,
        isInsecure: (hostPort) => isInsecure(hostPort, this.schemeOptions),
        idleTimeoutMs: this.globals.idleTimeoutSeconds * 1000,
        interrupt: this.io.interrupt,
      };
      if (this.bulk || proxySettings(this.io.env)) {
        // undici parses HTTP with llhttp compiled to WebAssembly; V8 tiering it up to TurboFan in
        // the background costs ~30 MiB of RSS and a slower exit, for a parser that reads headers
        // only (bench/PROFILE.md). Set before undici loads, and only here: a V8 flag changed at run
        // time makes Node recompile its own built-ins instead of using their code cache, which a
        // light command would pay at start.
        setFlagsFromString('--liftoff-only');
        return (await import('./http/transport.js')).createTransport(options);
      }
      return (await import('./http/node-transport.js')).createNodeTransport(options);
    })();
    return this.transport;
  }

  private getKeychain(): Keychain {
    this.keychain ??= createKeychain({ env: this.io.env });
    return this.keychain;
  }

  private async credentialFor(registry: string): Promise<Credential> {
    const explicit = await this.explicitCredential();
    const keychain = explicit ? createKeychain({ env: this.io.env, explicit }) : this.getKeychain();
    if (this.globals.debug)
      this.status.debug(`credentials for ${registry}: ${await keychain.describeSource(registry)}`);
    return keychain.resolve(registry);
  }

  /** -u USER with --password-stdin: the password is read once, trailing newline dropped. */
  private explicitCredential(): Promise<Credential | undefined> {
    this.explicit ??= (async () => {
      const username = this.globals.username;
      if (!username) return undefined;
      if (this.globals.password !== undefined)
        return { kind: 'basic', username, password: this.globals.password } as const;
      const chunks: Buffer[] = [];
      for await (const chunk of this.io.stdin) chunks.push(Buffer.from(chunk));
      const password = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (password === '') throw new UsageError('--password-stdin read an empty password');
      return { kind: 'basic', username, password } as const;
    })();
    return this.explicit;
  }

  async close(): Promise<void> {
    const transport = await this.transport?.catch(() => undefined);
    await transport?.close();
  }
}
