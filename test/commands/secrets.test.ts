// Secrets, end to end against the real registry (issue: "Authorization and tokens go only to the
// registry host; token realms with a scheme other than http(s) are refused; passwords, tokens and
// base64 credentials never appear in --debug output, error messages or exceptions; ferry never
// writes config.json unless a command is meant to").
//
// What the other files already prove is not repeated here: debug-redaction.test.ts checks the
// --debug trace of successful runs and a few failures by shape ("eyJ", "Basic …"); credentials.test.ts
// checks credential lookup. This file adds:
//   1. every failure path we can provoke on a real registry, run three ways (plain, --debug, and
//      in-process with the thrown error kept), checked against the exact secrets of the run —
//      passwords, identity tokens, every JWT the token server issued (caught on the wire) — in their
//      raw, base64 and URL-encoded forms, through the error's whole cause chain;
//   2. token realms on file:, ftp:, ws:, javascript:, data: and relative URLs, refused before any
//      request leaves;
//   3. who receives what: a recording forwarder (a real HTTP peer that passes every byte on to the
//      real registry or token server) in front of the registry and of a realm on another host;
//   4. config.json byte-identical, same inode, mtime and ctime, no new file, after every command.
//
// A leak this found, now mended: reference parse errors echoed a user:password@ prefix.
// Two cases pass `--retries`: a 503 is retried now, so the test bounds the retries to stay fast.
import assert from 'node:assert/strict';
import { chmod, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join, resolve } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { buildProgram } from '../../src/cli.js';
import { Context } from '../../src/context.js';
import { AuthError, FerryError } from '../../src/errors.js';
import { PROXIED_REGISTRY_NAME } from '../harness/ca.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { startTokenServer, type TokenServer } from '../harness/token-server.js';
import type { HarnessUser } from '../harness/users.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const REPO = 'sec/app';
const NO_HANG = { timeout: 60_000 };
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

// Distinctive secrets, with characters that base64 and URL encoding change (+ / = &), so that
// every encoded form is distinct from the raw one and cannot hide behind a common word.
const ALICE_PW = 'Al1ce+Pw/Sx=Q&7k';
const READER_PW = 'Rd2r+Pw/Ty=Z&4m';
const WRONG_PW = 'Wr0ng+Pw/Ux=M&2j';
const IDENTITY = 'idtok+Vz3/Qp=Lx8';
const WRONG_IDENTITY = 'idbad+Hq5/Rm=Tc1';
const HELPER_SECRET = 'Hlp3r+Sc/Wy=B&9n';
const PROXY_PW = 'Pr0xy+Pw/Kd=V&3s';

const USERS: HarnessUser[] = [
  { username: 'alice', password: ALICE_PW, actions: ['*'], identityToken: IDENTITY },
  { username: 'reader', password: READER_PW, actions: ['pull'] },
];

/** Raw and encoded forms of one secret: what a leak would look like in a header, URL, body or log. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams([['x', secret]]).toString().slice(2),
    b64(secret),
    b64url(secret),
  ];
}

/** user:password pairs as they travel in a Basic header or config.json `auth`. */
function pairForms(user: string, password: string): string[] {
  return [
    b64(`${user}:${password}`),
    b64url(`${user}:${password}`),
    encodeURIComponent(`${user}:${password}`),
  ];
}

const STATIC_SECRETS: Array<[string, string]> = [
  ...[ALICE_PW, READER_PW, WRONG_PW, IDENTITY, WRONG_IDENTITY, HELPER_SECRET, PROXY_PW].flatMap((s) =>
    forms(s).map((f): [string, string] => [s, f]),
  ),
  ...(
    [
      ['alice', ALICE_PW],
      ['reader', READER_PW],
      ['alice', WRONG_PW],
      ['alice', HELPER_SECRET],
    ] as const
  ).flatMap(([u, p]) => pairForms(u, p).map((f): [string, string] => [`${u}:${p}`, f])),
];

/** Every JWT seen on the wire (token responses) or minted for a test, plus its payload and signature. */
const TOKENS = new Set<string>();

function tokenForms(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const token of TOKENS) {
    out.push([`token ${token.slice(-12)}`, token]);
    const [, payload, signature] = token.split('.');
    if (payload) out.push([`token payload ${token.slice(-12)}`, payload]);
    if (signature) out.push([`token signature ${token.slice(-12)}`, signature]);
  }
  return out;
}

/** Fails naming the first password or identity token (and which form of it) found in `text`. */
function assertNoUserSecret(where: string, text: string): void {
  for (const [name, form] of STATIC_SECRETS) {
    assert.ok(!text.includes(form), `${where} contains ${name} (as ${JSON.stringify(form)})`);
  }
}

/** assertNoUserSecret, and no issued or minted token (whole, payload or signature), nothing JWT-shaped. */
function assertNoSecret(where: string, text: string): void {
  assertNoUserSecret(where, text);
  for (const [name, form] of tokenForms()) {
    assert.ok(!text.includes(form), `${where} contains ${name} (as ${JSON.stringify(form)})`);
  }
  assert.ok(!text.includes('eyJ'), `${where} contains something JWT-shaped ("eyJ…")`);
}

// ---------------------------------------------------------------------------------------------
// A recording forwarder: a real HTTP server that passes each request on to `target` (the real
// registry or token server) byte for byte, Host header included, and keeps what went both ways.

interface Exchange {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
  responseBody: Buffer;
}

interface Recorder {
  /** http://HOST:PORT */
  url: string;
  /** HOST:PORT */
  host: string;
  exchanges: Exchange[];
  /** Tokens found in this peer's JSON responses (token, access_token, refresh_token). */
  issued: Set<string>;
  /** Awaited before a request is passed on (once set, for every request until cleared). */
  beforeForward: ((exchange: Exchange) => Promise<void>) | undefined;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te'];

async function startRecorder(target: string, bindHost = '127.0.0.1'): Promise<Recorder> {
  const upstream = new URL(target);
  const recorder: Recorder = {
    url: '',
    host: '',
    exchanges: [],
    issued: new Set(),
    beforeForward: undefined,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const exchange: Exchange = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: { ...req.headers },
        body: Buffer.concat(chunks),
        status: 0,
        responseBody: Buffer.alloc(0),
      };
      recorder.exchanges.push(exchange);
      await recorder.beforeForward?.(exchange);
      const headers: OutgoingHttpHeaders = { ...req.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      if (exchange.body.length > 0 || req.headers['transfer-encoding'] !== undefined)
        headers['content-length'] = String(exchange.body.length);
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: exchange.method,
          path: exchange.path,
          headers,
          agent: false,
        },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            exchange.status = upRes.statusCode ?? 0;
            exchange.responseBody = Buffer.concat(body);
            if (/json/.test(String(upRes.headers['content-type']))) {
              try {
                const parsed = JSON.parse(exchange.responseBody.toString('utf8')) as Record<string, unknown>;
                for (const key of ['token', 'access_token', 'refresh_token']) {
                  const value = parsed[key];
                  if (typeof value === 'string' && value !== '') {
                    recorder.issued.add(value);
                    TOKENS.add(value);
                  }
                }
              } catch {
                // not a token answer
              }
            }
            const out: OutgoingHttpHeaders = { ...upRes.headers };
            for (const h of HOP_BY_HOP) delete out[h];
            if (exchange.method !== 'HEAD') out['content-length'] = String(exchange.responseBody.length);
            res.writeHead(exchange.status, out);
            res.end(exchange.responseBody);
          });
          upRes.on('error', () => res.destroy());
        },
      );
      up.on('error', () => {
        exchange.status = -1;
        res.destroy();
      });
      up.end(exchange.body);
    })().catch(() => res.destroy());
  });
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, bindHost, () => done());
  });
  server.unref();
  const { port } = server.address() as { port: number };
  recorder.host = `${bindHost}:${port}`;
  recorder.url = `http://${recorder.host}`;
  recorder.close = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  return recorder;
}

/** The Authorization header values a recorder saw since `from` (an index into exchanges). */
function authorizations(recorder: Recorder, from = 0): string[] {
  return recorder.exchanges
    .slice(from)
    .map((e) => e.headers.authorization)
    .filter((a): a is string => a !== undefined);
}

/** Everything a request carried: method, path, every header and the body, as one text. */
function requestText(e: Exchange): string {
  return `${e.method} ${e.path}\n${JSON.stringify(e.headers)}\n${e.body.toString('latin1')}`;
}

/**
 * A token-mode registry whose challenge names a realm on another host (127.0.0.2) served by a
 * recorder in front of the real token server, and a recorder in front of the registry itself
 * (`front.host` is what ferry is pointed at to see the registry's side).
 */
interface RecordedTokenRegistry {
  registry: Registry;
  tokenServer: TokenServer;
  realm: Recorder;
  front: Recorder;
  stop(): Promise<void>;
}

function tokenAuthConfig(tokenServer: TokenServer, realm: string): Record<string, unknown> {
  return {
    auth: {
      token: {
        realm,
        service: tokenServer.service,
        issuer: tokenServer.issuer,
        rootcertbundle: tokenServer.certFile,
      },
    },
  };
}

async function startRecordedTokenRegistry(anonymousActions: string[] = []): Promise<RecordedTokenRegistry> {
  const tokenServer = await startTokenServer({ users: USERS, anonymousActions });
  const realm = await startRecorder(tokenServer.url, '127.0.0.2');
  const registry = await startRegistry({
    auth: 'token',
    tokenServer,
    extraConfig: tokenAuthConfig(tokenServer, `${realm.url}/token`),
  });
  const front = await startRecorder(registry.url);
  return {
    registry,
    tokenServer,
    realm,
    front,
    stop: async () => {
      await Promise.all([front.close(), registry.stop()]);
      await Promise.all([realm.close(), tokenServer.close()]);
    },
  };
}

/** A loopback port with nothing listening. */
async function deadPort(host = '127.0.0.1'): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((done) => server.listen(0, host, () => done()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Running ferry three ways.

/** The helper fixture on PATH, DOCKER_CONFIG=dir, plus extra variables. */
function envFor(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return baseEnv({ PATH: `${FIXTURES}:${process.env['PATH'] ?? ''}`, DOCKER_CONFIG: dir, ...extra });
}

async function configDir(config?: unknown): Promise<string> {
  const dir = await makeTempDir('sec-cfg');
  if (config !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * main() without its catch: the same program, Context and command, but the error the command
 * throws is returned instead of being formatted, so its whole object can be inspected.
 */
async function runCatching(
  argv: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string | undefined },
): Promise<{ error: unknown; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin =
    options.stdin === undefined ? new PassThrough().end() : Readable.from([Buffer.from(options.stdin)]);
  let invocation: Parameters<Parameters<typeof buildProgram>[1]>[0] | undefined;
  const program = buildProgram({ stdout, stderr }, (i) => {
    invocation = i;
  });
  await program.parseAsync([...argv], { from: 'user' });
  assert.ok(invocation, `no command ran for ${argv.join(' ')}`);
  let ctx: Context | undefined;
  let error: unknown;
  try {
    ctx = new Context({ stdout, stderr, stdin, env: options.env }, invocation.globals);
    await invocation.spec.run(ctx, invocation.args, invocation.options);
  } catch (err) {
    error = err;
  } finally {
    await ctx?.close();
  }
  return { error, stdout: stdout.text(), stderr: stderr.text() };
}

/** Every text an error (and each cause under it) can turn into: message, stack, JSON, inspect. */
function errorTexts(error: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['inspect(error, showHidden)', inspect(error, { showHidden: true, depth: 20, breakLength: Infinity })],
  ];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 20; depth++) {
    const where = depth === 0 ? 'error' : `cause #${depth}`;
    if (current instanceof Error) {
      out.push([`${where}.message`, current.message], [`${where}.stack`, current.stack ?? '']);
      out.push([`${where} as String`, String(current)]);
    } else {
      out.push([`${where} as String`, String(current)]);
    }
    out.push([`JSON.stringify(${where})`, JSON.stringify(current) ?? '']);
    const diagnostics = (current as { diagnostics?: unknown }).diagnostics;
    if (diagnostics !== undefined) out.push([`${where}.diagnostics`, JSON.stringify(diagnostics)]);
    const hint = (current as { hint?: unknown }).hint;
    if (hint !== undefined) out.push([`${where}.hint`, String(hint)]);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

interface Invocation {
  args: string[];
  env: NodeJS.ProcessEnv;
  stdin?: string;
}

interface FailureCase {
  name: string;
  /** A fresh invocation per run (some cases set up a one-shot failure first). */
  setup(): Promise<Invocation>;
  code: number;
  /** The one-line error must match (checked on the plain run). */
  message: RegExp;
  /** A warning line expected before the error (a failing credential helper, then anonymous). */
  warning?: RegExp;
  /** Called after each run, e.g. to stop a registry started by setup. */
  teardown?(): Promise<void>;
}

function assertFailed(r: FerryResult, c: FailureCase, debug: boolean): void {
  assert.equal(r.code, c.code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', 'nothing on stdout after a failure');
  if (debug) {
    assert.match(r.stderr, /^ferry: .+$/m);
    assert.match(r.stderr, /^\s+at /m, '--debug prints the stack');
  } else {
    let rest = r.stderr;
    if (c.warning) {
      const [warning = '', ...after] = r.stderr.split('\n');
      assert.match(warning, /^ferry: warning: /);
      assert.match(warning, c.warning);
      rest = after.join('\n');
    }
    assert.match(rest, /^ferry: [^\n]+\n$/, `one line, got ${JSON.stringify(rest)}`);
    assert.match(rest, c.message);
  }
  assertNoSecret('stdout', r.stdout);
  assertNoSecret('stderr', r.stderr);
}

// ---------------------------------------------------------------------------------------------

let basic: Registry;
let tok: RecordedTokenRegistry;
let image: ImageSummary;

before(async () => {
  [basic, tok, image] = await Promise.all([
    startRegistry({ auth: 'basic', users: USERS }),
    startRecordedTokenRegistry(),
    generateImage({ tag: 'v1', seed: 'secrets', layers: [300, 200] }),
  ]);
  await Promise.all([
    (async () => {
      await pushImage(basic, `${REPO}:v1`, image);
      await pushImage(basic, `${REPO}:v2`, image);
    })(),
    (async () => {
      await pushImage(tok.registry, `${REPO}:v1`, image);
      await pushImage(tok.registry, `${REPO}:v2`, image);
    })(),
  ]);
});

after(async () => {
  await Promise.all([basic?.stop(), tok?.stop()]);
});

// ---------------------------------------------------------------------------------------------

describe('1. no secret in error messages, --debug output or the thrown error', () => {
  const basicRepo = (): string => `${basic.host}/${REPO}`;
  const tokRepo = (): string => `${tok.registry.host}/${REPO}`;
  const stdinAs = async (user: string, password: string, args: string[]): Promise<Invocation> => ({
    args: ['-u', user, '--password-stdin', ...args],
    env: envFor(await configDir()),
    stdin: `${password}\n`,
  });
  const withConfig = async (config: unknown, args: string[], extra: NodeJS.ProcessEnv = {}) => ({
    args,
    env: envFor(await configDir(config), extra),
  });
  let down: Registry | undefined;

  const cases: FailureCase[] = [
    // basic (htpasswd) registry
    {
      name: 'basic: wrong password (-u/--password-stdin), ls',
      setup: () => stdinAs('alice', WRONG_PW, ['ls', basicRepo()]),
      code: 3,
      message: /rejected the credentials of user 'alice'/,
    },
    {
      name: 'basic: wrong password (config.json auth), manifest',
      setup: () =>
        withConfig({ auths: { [basic.host]: { auth: b64(`alice:${WRONG_PW}`) } } }, [
          'manifest',
          `${basicRepo()}:v1`,
        ]),
      code: 3,
      message: /rejected the credentials/,
    },
    {
      name: 'basic: wrong password (config.json username/password), digest (HEAD, no body)',
      setup: () =>
        withConfig({ auths: { [basic.host]: { username: 'alice', password: WRONG_PW } } }, [
          'digest',
          `${basicRepo()}:v1`,
        ]),
      code: 3,
      message: /HTTP 401/,
    },
    {
      name: 'basic: a 401 on a push (wrong password)',
      setup: () => stdinAs('alice', WRONG_PW, ['push', image.ref, `${basicRepo()}:pushed`]),
      code: 3,
      message: /rejected the credentials/,
    },
    {
      name: 'basic: wrong password from a credential helper, ls -l',
      setup: () =>
        withConfig({ credHelpers: { [basic.host]: 'ferrytest' } }, ['ls', '-l', basicRepo()], {
          FERRYTEST_USER: 'alice',
          FERRYTEST_SECRET: HELPER_SECRET,
        }),
      code: 3,
      message: /rejected the credentials of user 'alice'/,
    },
    {
      name: 'basic: a failing credential helper printing secrets on stdout and stderr',
      setup: () =>
        withConfig({ credHelpers: { [basic.host]: 'ferrytest' } }, ['ls', basicRepo()], {
          FERRYTEST_MODE: 'fail',
          FERRYTEST_STDOUT: `{"Username":"alice","Secret":"${HELPER_SECRET}"}`,
          FERRYTEST_STDERR: `{"password":"${HELPER_SECRET}","identitytoken":"${IDENTITY}"}`,
        }),
      code: 3,
      warning: /docker-credential-ferrytest get failed/,
      message: /authentication required/,
    },
    {
      name: 'basic: a credential helper answering broken JSON holding the secret',
      setup: () =>
        withConfig({ credsStore: 'ferrytest' }, ['catalog', basic.host], {
          FERRYTEST_MODE: 'badjson',
          FERRYTEST_SECRET: HELPER_SECRET,
        }),
      code: 3,
      warning: /invalid JSON/,
      message: /authentication required/,
    },
    {
      name: 'config.json that is not valid JSON, cut off inside a password',
      setup: async () => {
        const dir = await configDir();
        await writeFile(
          join(dir, 'config.json'),
          `{"auths":{"${basic.host}":{"username":"alice","password":"${ALICE_PW}`,
        );
        return { args: ['ls', basicRepo()], env: envFor(dir) };
      },
      code: 8,
      message: /is not valid JSON/,
    },
    {
      name: 'DOCKER_AUTH_CONFIG that is not valid JSON, around an identity token',
      setup: async () => ({
        args: ['ls', basicRepo()],
        env: envFor(await configDir(), {
          DOCKER_AUTH_CONFIG: `{"auths":{"${basic.host}":{"identitytoken":"${IDENTITY}"}},,}`,
        }),
      }),
      code: 8,
      message: /DOCKER_AUTH_CONFIG is not valid JSON/,
    },
    {
      name: 'config.json auth written as plain user:password instead of base64',
      setup: () =>
        withConfig({ auths: { [basic.host]: { auth: `alice:${ALICE_PW}` } } }, [
          'manifest',
          `${basicRepo()}:v1`,
        ]),
      code: 8,
      message: /auth is not valid base64/,
    },
    {
      name: 'config.json auth of ":password" (no username)',
      setup: () =>
        withConfig({ auths: { [basic.host]: { auth: b64(`:${ALICE_PW}`) } } }, ['ls', basicRepo()]),
      code: 8,
      message: /empty username/,
    },
    {
      name: 'an HTTPS proxy with credentials that cannot be reached',
      setup: async () => ({
        // Named by a non-loopback name, or the registry would be reached directly (no proxy for loopback).
        args: [
          ...['--retries', '0', '-u', 'alice', '--password-stdin'],
          ...['--plain-http', `${PROXIED_REGISTRY_NAME}:${basic.port}`],
          ...['ls', `${PROXIED_REGISTRY_NAME}:${basic.port}/${REPO}`],
        ],
        env: envFor(await configDir(), {
          HTTPS_PROXY: `http://proxyuser:${encodeURIComponent(PROXY_PW)}@127.0.0.1:${await deadPort()}/`,
          HTTP_PROXY: `http://proxyuser:${encodeURIComponent(PROXY_PW)}@127.0.0.1:${await deadPort()}/`,
        }),
        stdin: ALICE_PW,
      }),
      code: 4,
      message: /cannot connect to the proxy 127\.0\.0\.1:\d+: connection refused/,
    },
    // token registry (realm on 127.0.0.2, through the recorder that catches every issued JWT)
    {
      name: 'token: wrong password, ls',
      setup: () => stdinAs('alice', WRONG_PW, ['ls', tokRepo()]),
      code: 3,
      message: /authentication failed/,
    },
    {
      name: 'token: reader (pull only) pushes: insufficient_scope on the upload',
      setup: () => stdinAs('reader', READER_PW, ['push', image.ref, `${tokRepo()}:pushed`]),
      code: 3,
      message: /access denied for user 'reader'/,
    },
    {
      name: 'token: reader (pull only) deletes a tag',
      setup: () => stdinAs('reader', READER_PW, ['delete', `${tokRepo()}:v2`]),
      code: 3,
      message: /access denied for user 'reader'/,
    },
    {
      name: 'token: reader copies into a repository it may only pull',
      setup: async () => ({
        args: [
          'copy',
          '--src-creds',
          'reader',
          '--src-password-stdin',
          `${tokRepo()}:v1`,
          `${tokRepo()}-copy:v1`,
        ],
        env: envFor(await configDir()),
        stdin: `${READER_PW}\n`,
      }),
      code: 3,
      message: /access denied for user 'reader'/,
    },
    {
      // ferry retries a 503 (--retries); with one retry allowed, two failures are final.
      name: 'token: the token server answers 503 (retried, then given up)',
      setup: async () => {
        tok.tokenServer.failNext(2, 503);
        return stdinAs('alice', ALICE_PW, ['--retries', '1', 'manifest', `${tokRepo()}:v1`]);
      },
      code: 3,
      message: /token server answered HTTP 503/,
      teardown: async () => tok.tokenServer.reset(),
    },
    {
      name: 'token: the token server answers 403 to valid credentials',
      setup: async () => {
        tok.tokenServer.failNext(1, 403);
        return stdinAs('alice', ALICE_PW, ['ls', '-l', tokRepo()]);
      },
      code: 3,
      message: /authentication failed/,
      teardown: async () => tok.tokenServer.reset(),
    },
    {
      name: 'token: the token server is down (realm on a dead port)',
      setup: async () => {
        const reg = await startRegistry({
          auth: 'token',
          tokenServer: tok.tokenServer,
          extraConfig: tokenAuthConfig(
            tok.tokenServer,
            `http://127.0.0.2:${await deadPort('127.0.0.2')}/token`,
          ),
        });
        down = reg;
        return stdinAs('alice', ALICE_PW, ['--retries', '0', 'ls', `${reg.host}/${REPO}`]);
      },
      code: 4,
      message: /cannot connect to 127\.0\.0\.2:\d+: connection refused/,
      teardown: async () => {
        await down?.stop();
      },
    },
    {
      name: 'token: the token server refuses (401) an identity token',
      setup: () =>
        withConfig({ auths: { [tok.registry.host]: { identitytoken: WRONG_IDENTITY } } }, ['ls', tokRepo()]),
      code: 3,
      message: /authentication failed/,
    },
    {
      name: 'token: a helper identity token the token server refuses',
      setup: () =>
        withConfig({ credHelpers: { [tok.registry.host]: 'ferrytest' } }, ['exists', `${tokRepo()}:v1`], {
          FERRYTEST_MODE: 'token',
          FERRYTEST_SECRET: WRONG_IDENTITY,
        }),
      code: 3,
      message: /authentication failed/,
    },
    {
      name: 'token: an expired config.json registrytoken is rejected by the registry',
      setup: async () => {
        const expired = tok.tokenServer.mint({
          subject: 'alice',
          access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
          expiresIn: -600,
        });
        TOKENS.add(expired);
        return withConfig({ auths: { [tok.registry.host]: { registrytoken: expired } } }, [
          'manifest',
          `${tokRepo()}:v1`,
        ]);
      },
      code: 3,
      message: /rejected the credentials of the configured token/,
    },
    {
      name: 'token: a config.json registrytoken for another repository (access denied)',
      setup: async () => {
        const other = tok.tokenServer.mint({
          subject: 'alice',
          access: [{ type: 'repository', name: 'other/repo', actions: ['pull', 'push'] }],
        });
        TOKENS.add(other);
        return withConfig({ auths: { [tok.registry.host]: { registrytoken: other } } }, ['ls', tokRepo()]);
      },
      code: 3,
      message: /access denied for the configured token/,
    },
    {
      name: 'token: the registry goes down mid-way (after the token was issued)',
      setup: async () => {
        const reg = await startRegistry({
          auth: 'token',
          tokenServer: tok.tokenServer,
          extraConfig: tokenAuthConfig(tok.tokenServer, `${tok.realm.url}/token`),
        });
        down = reg;
        tok.realm.beforeForward = async () => {
          tok.realm.beforeForward = undefined;
          await reg.stop();
        };
        return stdinAs('alice', ALICE_PW, ['ls', '-l', `${reg.host}/${REPO}`]);
      },
      code: 4,
      message: /connection (refused|was reset)/,
      teardown: async () => {
        tok.realm.beforeForward = undefined;
        await down?.stop();
      },
    },
  ];

  for (const c of cases) {
    test(c.name, NO_HANG, async () => {
      const issuedBefore = tok.realm.issued.size;
      for (const debug of [false, true]) {
        const inv = await c.setup();
        try {
          const args = debug ? ['--debug', ...inv.args] : inv.args;
          // The recorder adds each token it relays to TOKENS before ferry receives it.
          const r = await ferry(
            args,
            inv.stdin === undefined ? { env: inv.env } : { env: inv.env, stdin: inv.stdin },
          );
          assertFailed(r, c, debug);
        } finally {
          await c.teardown?.();
        }
      }
      // In-process: the error object itself, with its whole cause chain.
      const inv = await c.setup();
      try {
        const caught = await runCatching(inv.args, { env: inv.env, stdin: inv.stdin });
        assert.ok(caught.error instanceof FerryError, `a FerryError, got ${inspect(caught.error)}`);
        assert.equal(caught.error.exitCode, c.code);
        assert.equal(caught.stdout, '');
        assertNoSecret('stderr (in-process)', caught.stderr);
        for (const [where, text] of errorTexts(caught.error)) assertNoSecret(where, text);
      } finally {
        await c.teardown?.();
      }
      if (c.name.startsWith('token: reader') || c.name.startsWith('token: the registry goes down')) {
        assert.ok(
          tok.realm.issued.size > issuedBefore,
          'the token server issued tokens that were checked for',
        );
      }
    });
  }

  test('a reference with user:password@ in it: the usage error does not echo the password', async () => {
    const env = envFor(await configDir());
    for (const args of [
      ['ls', `https://alice:${ALICE_PW}@${basic.host}/${REPO}`],
      ['manifest', `docker://alice:${ALICE_PW}@${basic.host}/${REPO}:v1`],
      ['manifest', `alice:${ALICE_PW}@${basic.host}/${REPO}:v1`],
      ['copy', `${basic.host}/${REPO}:v1`, `alice:${ALICE_PW}@${basic.host}/${REPO}:v9`],
    ]) {
      const r = await ferry(args, { env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^ferry: invalid (reference|repository)/);
      assertNoSecret(`ferry ${args[0]} stderr`, r.stderr);
    }
  });

  test('sanity: the recorder caught real JWTs, and they are what a leak check looks for', () => {
    assert.ok(tok.realm.issued.size >= 5, `tokens caught: ${tok.realm.issued.size}`);
    for (const token of tok.realm.issued) assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.throws(() => assertNoSecret('probe', `x ${[...tok.realm.issued][0]} y`), /contains token/);
    assert.throws(() => assertNoSecret('probe', encodeURIComponent(ALICE_PW)), /contains Al1ce/);
    assert.throws(
      () => assertNoSecret('probe', `Basic ${b64(`alice:${ALICE_PW}`)}`),
      /contains (alice:|Al1ce)/,
    );
    // The in-process check reaches a secret hidden deep in a cause chain.
    const deep = new FerryError('E_AUTH', 'outer', {
      cause: new Error('middle', { cause: Object.assign(new Error('inner'), { detail: IDENTITY }) }),
    });
    assert.throws(() => {
      for (const [where, text] of errorTexts(deep)) assertNoSecret(where, text);
    }, /contains idtok/);
  });
});

// ---------------------------------------------------------------------------------------------

/** A loopback TCP listener that counts connections: where a refused realm points. */
async function startTrap(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: TcpServer = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  server.unref();
  const { port } = server.address() as { port: number };
  return {
    port,
    connections: () => count,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('2. token realms with a scheme other than http(s) are refused, nothing is sent', () => {
  let trap: Awaited<ReturnType<typeof startTrap>>;
  const registries = new Map<string, Registry>();
  const realms = (): Array<{ realm: string; message: RegExp }> => [
    { realm: 'file:///etc/passwd', message: /refusing token realm with scheme 'file:'/ },
    { realm: `ftp://127.0.0.1:${trap.port}/token`, message: /refusing token realm with scheme 'ftp:'/ },
    { realm: `ws://127.0.0.1:${trap.port}/token`, message: /refusing token realm with scheme 'ws:'/ },
    { realm: 'javascript:alert(document.cookie)', message: /refusing token realm with scheme 'javascript:'/ },
    { realm: 'data:application/json,{"token":"x"}', message: /refusing token realm with scheme 'data:'/ },
    { realm: `//127.0.0.1:${trap.port}/token`, message: /invalid token realm/ },
    { realm: '/token', message: /invalid token realm/ },
  ];

  before(async () => {
    trap = await startTrap();
    await Promise.all(
      realms().map(async ({ realm }) => {
        registries.set(
          realm,
          await startRegistry({
            auth: 'token',
            tokenServer: tok.tokenServer,
            extraConfig: tokenAuthConfig(tok.tokenServer, realm),
          }),
        );
      }),
    );
  });
  after(async () => {
    await Promise.all([...registries.values()].map((r) => r.stop()));
    await trap?.close();
  });

  test('sanity: the registry really challenges with the configured realm', async () => {
    const realm = realms()[0]!.realm;
    const reg = registries.get(realm)!;
    const res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate')?.includes(`realm="${realm}"`), true);
  });

  test(
    'password, identity token and anonymous: exit 3, typed AuthError, no request to the realm',
    NO_HANG,
    async () => {
      for (const { realm, message } of realms()) {
        const reg = registries.get(realm)!;
        const repo = `${reg.host}/${REPO}`;
        const label = `realm ${realm}`;
        tok.tokenServer.reset();
        const realmBefore = tok.realm.exchanges.length;

        const password = await ferry(['-u', 'alice', '--password-stdin', 'ls', repo], {
          env: envFor(await configDir()),
          stdin: `${ALICE_PW}\n`,
        });
        assert.equal(password.code, 3, `${label}: ${password.stderr}`);
        assert.match(password.stderr, /^ferry: [^\n]+\n$/, label);
        assert.match(password.stderr, message, label);
        assertNoSecret(`${label} stderr`, password.stderr);

        const identityEnv = envFor(await configDir({ auths: { [reg.host]: { identitytoken: IDENTITY } } }));
        const identity = await ferry(['--debug', 'manifest', `${repo}:v1`], { env: identityEnv });
        assert.equal(identity.code, 3, `${label}: ${identity.stderr}`);
        assert.match(identity.stderr, message, label);
        assertNoSecret(`${label} --debug stderr`, identity.stderr);
        // The trace shows every request ferry sent: all of them to the registry, none to the realm.
        const sent = [...identity.stderr.matchAll(/^> (\S+) (\S+)/gm)].map((m) => m[2] ?? '');
        assert.ok(sent.length > 0, `${label}: the --debug trace lists requests`);
        for (const url of sent)
          assert.equal(new URL(url).host, reg.host, `${label}: a request went to ${url}`);
        assert.ok(!identity.stderr.includes('> POST'), `${label}: no token POST`);

        const anonymous = await ferry(['exists', `${repo}:v1`], { env: envFor(await configDir()) });
        assert.equal(anonymous.code, 3, `${label}: ${anonymous.stderr}`);
        assert.match(anonymous.stderr, message, label);

        const caught = await runCatching(['-u', 'alice', '--password-stdin', 'delete', `${repo}:v1`], {
          env: envFor(await configDir()),
          stdin: ALICE_PW,
        });
        assert.ok(caught.error instanceof AuthError, `${label}: ${inspect(caught.error)}`);
        assert.equal(caught.error.code, 'E_AUTH');
        assert.equal(caught.error.exitCode, 3);
        assert.match(caught.error.message, message);
        for (const [where, text] of errorTexts(caught.error)) assertNoSecret(`${label} ${where}`, text);

        assert.equal(tok.tokenServer.stats().requests, 0, `${label}: the real token server was not asked`);
        assert.equal(tok.realm.exchanges.length, realmBefore, `${label}: the recorded realm was not asked`);
      }
      assert.equal(trap.connections(), 0, 'nothing connected to the ftp:/ws: realm port');
    },
  );

  test(
    'sanity: the same setup with an http: realm on the trap port does connect to it',
    NO_HANG,
    async () => {
      const reg = await startRegistry({
        auth: 'token',
        tokenServer: tok.tokenServer,
        extraConfig: tokenAuthConfig(tok.tokenServer, `http://127.0.0.1:${trap.port}/token`),
      });
      try {
        const before = trap.connections();
        const r = await ferry(
          ['--retries', '0', '-u', 'alice', '--password-stdin', 'ls', `${reg.host}/${REPO}`],
          {
            env: envFor(await configDir()),
            stdin: ALICE_PW,
          },
        );
        assert.notEqual(r.code, 0);
        assert.ok(trap.connections() > before, 'the trap counts connections');
      } finally {
        await reg.stop();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe('3. Authorization and tokens go only where they belong', () => {
  let basicB: Registry;
  let bFront: Recorder;
  let tokB: RecordedTokenRegistry;

  before(async () => {
    [basicB, tokB] = await Promise.all([
      startRegistry({ auth: 'basic', users: USERS }),
      startRecordedTokenRegistry(['pull', 'push']),
    ]);
    bFront = await startRecorder(basicB.url);
    await pushImage(basicB, `${REPO}:v1`, image);
  });
  after(async () => {
    await bFront?.close();
    await Promise.all([basicB?.stop(), tokB?.stop()]);
  });

  const basicPair = `Basic ${b64(`alice:${ALICE_PW}`)}`;

  /** Every Authorization the registry side got is a Bearer token the given realm issued. */
  function assertOnlyBearerFrom(front: Recorder, from: number, realm: Recorder, label: string): number {
    const seen = authorizations(front, from);
    for (const value of seen) {
      const m = /^Bearer (\S+)$/.exec(value);
      assert.ok(
        m,
        `${label}: the registry got a non-Bearer Authorization ${JSON.stringify(value.slice(0, 12))}`,
      );
      assert.ok(realm.issued.has(m[1]!), `${label}: a Bearer token its realm did not issue`);
    }
    for (const e of front.exchanges.slice(from)) {
      assertNoUserSecret(`${label}: ${e.method} ${e.path}`, requestText(e));
      assert.ok(!e.path.startsWith('/token'), `${label}: a token request went to the registry`);
    }
    return seen.length;
  }

  test(
    'a realm on another host gets the Basic credentials; the registry only Bearer tokens',
    NO_HANG,
    async () => {
      const realmFrom = tok.realm.exchanges.length;
      const frontFrom = tok.front.exchanges.length;
      const repo = `${tok.front.host}/${REPO}`;
      const env = envFor(await configDir());
      for (const args of [
        ['ls', '-l', repo],
        ['catalog', tok.front.host],
        ['push', image.ref, `${tok.front.host}/sec/pushed:v1`],
        ['manifest', `${tok.front.host}/sec/pushed:v1`],
        ['delete', `${tok.front.host}/sec/pushed:v1`],
      ]) {
        const r = await ferry(['-u', 'alice', '--password-stdin', ...args], { env, stdin: ALICE_PW });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const realmSide = tok.realm.exchanges.slice(realmFrom);
      assert.ok(realmSide.length >= 5, `token requests: ${realmSide.length}`);
      for (const e of realmSide) {
        assert.match(e.path, /^\/token\?/);
        assert.equal(
          e.headers.authorization,
          basicPair,
          "each token request carries the user's Basic credentials",
        );
        assert.equal(e.status, 200);
      }
      const bearers = assertOnlyBearerFrom(tok.front, frontFrom, tok.realm, 'alice');
      assert.ok(bearers >= 10, `authorised registry requests: ${bearers}`);
      assert.ok(
        tok.front.exchanges.slice(frontFrom).some((e) => e.method === 'PATCH' || e.method === 'PUT'),
        'the push went through the recorder',
      );
    },
  );

  test(
    'an identity token goes only to the realm, in a POST form without Authorization',
    NO_HANG,
    async () => {
      const realmFrom = tok.realm.exchanges.length;
      const frontFrom = tok.front.exchanges.length;
      const env = envFor(await configDir({ auths: { [tok.front.host]: { identitytoken: IDENTITY } } }));
      for (const args of [
        ['ls', '-l', `${tok.front.host}/${REPO}`],
        ['copy', `${tok.front.host}/${REPO}:v1`, `${tok.front.host}/sec/idcopy:v1`],
      ]) {
        const r = await ferry(args, { env });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const realmSide = tok.realm.exchanges.slice(realmFrom);
      assert.ok(realmSide.length >= 2);
      for (const e of realmSide) {
        assert.equal(e.method, 'POST');
        assert.equal(e.headers.authorization, undefined);
        assert.deepEqual(new URLSearchParams(e.body.toString('utf8')).getAll('refresh_token'), [IDENTITY]);
      }
      assert.ok(assertOnlyBearerFrom(tok.front, frontFrom, tok.realm, 'identity token') >= 4);
    },
  );

  test('a config.json registrytoken goes to the registry as-is; the realm is not asked', async () => {
    const minted = tok.tokenServer.mint({
      subject: 'alice',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
    });
    TOKENS.add(minted);
    const realmFrom = tok.realm.exchanges.length;
    const frontFrom = tok.front.exchanges.length;
    const env = envFor(await configDir({ auths: { [tok.front.host]: { registrytoken: minted } } }));
    const r = await ferry(['manifest', `${tok.front.host}/${REPO}:v1`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tok.realm.exchanges.length, realmFrom);
    const seen = authorizations(tok.front, frontFrom);
    assert.ok(seen.length >= 1);
    for (const value of seen) assert.equal(value, `Bearer ${minted}`);
  });

  test('credentials for registry A only (auths, DOCKER_AUTH_CONFIG, helper): registry B gets no Authorization', async () => {
    const a = basic.host;
    const port = a.split(':')[1];
    const auths = {
      [a]: { auth: b64(`alice:${ALICE_PW}`) },
      [`http://${a}/v1/`]: { auth: b64(`alice:${ALICE_PW}`) },
      '127.0.0.1': { auth: b64(`alice:${ALICE_PW}`) },
      [`127.0.0.1:${port}0`]: { auth: b64(`alice:${ALICE_PW}`) },
    };
    const logFile = join(await makeTempDir('sec-helperlog'), 'helper.log');
    const envs = [
      envFor(await configDir({ auths })),
      envFor(await configDir(), { DOCKER_AUTH_CONFIG: JSON.stringify({ auths }) }),
      envFor(await configDir({ credHelpers: { [a]: 'ferrytest' } }), {
        FERRYTEST_USER: 'alice',
        FERRYTEST_SECRET: ALICE_PW,
        FERRYTEST_LOG: logFile,
      }),
    ];
    for (const env of envs) {
      // Sanity: the same config does authenticate to A.
      const ok = await ferry(['ls', `${a}/${REPO}`], { env });
      assert.equal(ok.code, 0, ok.stderr);
      const from = bFront.exchanges.length;
      const r = await ferry(['ls', `${bFront.host}/${REPO}`], { env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /authentication required \(HTTP 401\)/);
      assert.match(r.stderr, /log in/);
      assert.ok(bFront.exchanges.length > from, 'ferry did talk to B');
      assert.deepEqual(authorizations(bFront, from), [], 'no Authorization was sent to B');
      // A copy from A to B in one run: A's credentials stay with A.
      const copyFrom = bFront.exchanges.length;
      const copy = await ferry(['copy', `${a}/${REPO}:v1`, `${bFront.host}/${REPO}:copied`], { env });
      assert.equal(copy.code, 3, copy.stderr);
      assert.match(copy.stderr, new RegExp(`${bFront.host.replaceAll('.', '\\.')}.*authentication required`));
      assert.deepEqual(authorizations(bFront, copyFrom), []);
      for (const e of bFront.exchanges.slice(from))
        assertNoUserSecret(`B: ${e.method} ${e.path}`, requestText(e));
    }
    const helperCalls = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l !== '');
    assert.ok(helperCalls.length >= 1);
    for (const call of helperCalls) assert.equal(call, `get\t${a}`, 'the helper is only asked about A');
  });

  test(
    "a copy between two token registries: each registry sees only its own realm's tokens",
    NO_HANG,
    async () => {
      const aRealmFrom = tok.realm.exchanges.length;
      const aFrom = tok.front.exchanges.length;
      const bRealmFrom = tokB.realm.exchanges.length;
      const bFrom = tokB.front.exchanges.length;
      const env = envFor(
        await configDir({ auths: { [tok.front.host]: { auth: b64(`alice:${ALICE_PW}`) } } }),
      );
      const r = await ferry(['copy', `${tok.front.host}/${REPO}:v1`, `${tokB.front.host}/copied/app:v1`], {
        env,
      });
      assert.equal(r.code, 0, r.stderr);
      // A's realm: alice's Basic credentials; B's realm: nothing (anonymous push is allowed there).
      assert.ok(tok.realm.exchanges.length > aRealmFrom);
      for (const e of tok.realm.exchanges.slice(aRealmFrom)) assert.equal(e.headers.authorization, basicPair);
      assert.ok(tokB.realm.exchanges.length > bRealmFrom);
      for (const e of tokB.realm.exchanges.slice(bRealmFrom)) {
        assert.equal(e.headers.authorization, undefined, "B's realm got an Authorization header");
        assertNoUserSecret(`B realm ${e.path}`, requestText(e));
      }
      assert.ok(assertOnlyBearerFrom(tok.front, aFrom, tok.realm, 'A') >= 2);
      assert.ok(assertOnlyBearerFrom(tokB.front, bFrom, tokB.realm, 'B') >= 3);
      for (const value of authorizations(tokB.front, bFrom)) {
        assert.ok(!tok.realm.issued.has(value.slice('Bearer '.length)), "A's token was sent to B");
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------

/** A config.json as people have them: BOM, CRLF, tabs, odd spacing, fields ferry does not know. */
function oddConfig(auths: Record<string, unknown>, credHelpers: Record<string, string> = {}): string {
  const entries = Object.entries(auths).map(
    ([k, v]) => `\r\n   ${JSON.stringify(k)} :\t${JSON.stringify(v)}`,
  );
  const helpers = Object.entries({ 'helper.example.invalid': 'ferry-unused-helper', ...credHelpers })
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ');
  return (
    `\uFEFF{\r\n\t"auths" :{${entries.join(' ,')} ,\r\n` +
    `    "other.example.invalid:5000" : {"auth":"${b64('bob:Ot4er+Pw')}", "email":"bob@example.invalid"}\r\n\t},\r\n` +
    `  "credHelpers": { ${helpers} },\r\n` +
    `  "psFormat": "table {{.ID}}\\t{{.Image}}",\r\n` +
    `  "x-ferry-unknown" : { "nested": [1, 2.50, 1e3, true, null, "\\u00e9 \u2713"], "empty": {} },\r\n` +
    `  "HttpHeaders": {"X-Meta": "kept"},  "detachKeys": "ctrl-e,e"\r\n}   \n\n  `
  );
}

async function listRecursive(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const name = join(prefix, entry.name);
    out.push(entry.isDirectory() ? `${name}/` : name);
    if (entry.isDirectory()) out.push(...(await listRecursive(dir, name)));
  }
  return out.sort();
}

/** Every entry of `dir` with its bytes, inode, mode, size, mtime and ctime; the dir's own times. */
async function snapshot(dir: string): Promise<unknown> {
  const own = await stat(dir);
  const entries = await Promise.all(
    (await listRecursive(dir)).map(async (name) => {
      const s = await stat(join(dir, name));
      return {
        name,
        ino: s.ino,
        mode: s.mode,
        size: s.size,
        mtimeMs: s.mtimeMs,
        ctimeMs: s.ctimeMs,
        sha: s.isFile() ? (await readFile(join(dir, name))).toString('base64') : '',
      };
    }),
  );
  return { mtimeMs: own.mtimeMs, ctimeMs: own.ctimeMs, entries };
}

/** A DOCKER_CONFIG dir with `text` as config.json (mode 0600, mtime in 2001, so any write shows). */
async function oddConfigDir(text: string): Promise<string> {
  const dir = await makeTempDir('sec-keep');
  const file = join(dir, 'config.json');
  await writeFile(file, text);
  await chmod(file, 0o600);
  const past = new Date('2001-02-03T04:05:06Z');
  await utimes(file, past, past);
  await utimes(dir, past, past);
  return dir;
}

interface Run {
  args: string[];
  code: number;
  stdin?: string;
}

/** Runs each command and checks, after every one, that `dirs` are exactly as they were. */
async function assertUntouched(dirs: string[], env: NodeJS.ProcessEnv, runs: Run[]): Promise<void> {
  const before = await Promise.all(dirs.map((d) => snapshot(d)));
  for (const run of runs) {
    const r = await ferry(run.args, run.stdin === undefined ? { env } : { env, stdin: run.stdin });
    const label = `ferry ${run.args.join(' ')}`;
    assert.equal(r.code, run.code, `${label}: exit code (stderr: ${r.stderr})`);
    const now = await Promise.all(dirs.map((d) => snapshot(d)));
    assert.deepEqual(now, before, `${label} changed a config dir`);
  }
}

describe('4. ferry never writes config.json (nor anything else in the config dirs)', () => {
  const R = (): string => `${basic.host}/${REPO}`;

  test('sanity: rewriting config.json with the same bytes, or adding and removing a file, is caught', async () => {
    const dir = await oddConfigDir(oddConfig({}));
    const before = await snapshot(dir);
    const file = join(dir, 'config.json');
    await writeFile(file, await readFile(file));
    assert.notDeepEqual(await snapshot(dir), before);
    const other = await oddConfigDir(oddConfig({}));
    const otherBefore = await snapshot(other);
    await writeFile(join(other, 'config.json.tmp'), '');
    await rm(join(other, 'config.json.tmp'));
    assert.notDeepEqual(await snapshot(other), otherBefore);
  });

  test('valid basic credentials: every command, successful and failing', NO_HANG, async () => {
    const dir = await oddConfigDir(
      oddConfig({ [basic.host]: { auth: b64(`alice:${ALICE_PW}`), email: 'a@b.invalid' } }),
    );
    const out = await makeTempDir('sec-out');
    const dead = await deadPort();
    const wrong = { stdin: `${WRONG_PW}\n` };
    await assertUntouched([dir], envFor(dir), [
      { args: ['catalog', basic.host], code: 0 },
      { args: ['catalog', '--json', '--limit', '1', basic.host], code: 0 },
      { args: ['ls', R()], code: 0 },
      { args: ['ls', '-l', R()], code: 0 },
      { args: ['ls', '--json', R()], code: 0 },
      { args: ['manifest', `${R()}:v1`], code: 0 },
      { args: ['digest', `${R()}:v1`], code: 0 },
      { args: ['exists', `${R()}:v1`], code: 0 },
      { args: ['exists', `${R()}:nope`], code: 1 },
      { args: ['manifest', `${R()}:nope`], code: 1 },
      { args: ['pull', `${R()}:v1`, join(out, 'a.tar')], code: 0 },
      { args: ['pull', '--format', 'oci', `${R()}:v1`, join(out, 'b.tar')], code: 0 },
      { args: ['pull', '--format', 'oci-dir', `${R()}:v1`, join(out, 'c')], code: 0 },
      { args: ['push', join(out, 'a.tar'), `${R()}-keep:a`], code: 0 },
      { args: ['push', `oci:${join(out, 'c')}:v1`, `${R()}-keep:c`], code: 0 },
      { args: ['push', image.ref, `${R()}-keep:img`], code: 0 },
      { args: ['copy', `${R()}:v1`, `${R()}-keep:copied`], code: 0 },
      { args: ['copy', '-a', '-n', R(), `${R()}-keep`], code: 0 },
      { args: ['delete', '--dry-run', `${R()}-keep:a`], code: 0 },
      { args: ['delete', `${R()}-keep:a`], code: 0 },
      { args: ['--debug', 'ls', R()], code: 0 },
      // failing variants
      { args: ['delete', `${R()}-keep:a`], code: 1 },
      { args: ['-u', 'alice', '--password-stdin', 'ls', R()], code: 3, ...wrong },
      { args: ['-u', 'alice', '--password-stdin', 'push', image.ref, `${R()}-keep:x`], code: 3, ...wrong },
      { args: ['-u', 'alice', '--password-stdin', 'delete', `${R()}-keep:c`], code: 3, ...wrong },
      {
        args: ['copy', '--src-creds', 'alice', '--src-password-stdin', `${R()}:v1`, `${R()}-keep:y`],
        code: 3,
        ...wrong,
      },
      { args: ['ls', `127.0.0.1:${dead}/${REPO}`], code: 4 },
      { args: ['manifest', 'Not/Valid:ref'], code: 2 },
    ]);
  });

  test(
    'wrong credentials in config.json: every command fails with exit 3, nothing written',
    NO_HANG,
    async () => {
      const dir = await oddConfigDir(oddConfig({ [basic.host]: { auth: b64(`alice:${WRONG_PW}`) } }));
      const out = await makeTempDir('sec-out');
      await assertUntouched(
        [dir],
        envFor(dir),
        [
          ['catalog', basic.host],
          ['ls', R()],
          ['ls', '-l', R()],
          ['manifest', `${R()}:v1`],
          ['digest', `${R()}:v1`],
          ['exists', `${R()}:v1`],
          ['pull', `${R()}:v1`, join(out, 'a.tar')],
          ['push', image.ref, `${R()}-bad:v1`],
          ['copy', `${R()}:v1`, `${R()}-bad:v1`],
          ['delete', '--dry-run', `${R()}:v1`],
          ['delete', `${R()}:v1`],
        ].map((args) => ({ args, code: 3 })),
      );
    },
  );

  test(
    'credentials from a helper (credHelpers): only "get" is ever run, nothing written',
    NO_HANG,
    async () => {
      const dir = await oddConfigDir(oddConfig({ [basic.host]: {} }, { [basic.host]: 'ferrytest' }));
      const logFile = join(await makeTempDir('sec-helperlog'), 'helper.log');
      const ok = envFor(dir, { FERRYTEST_USER: 'alice', FERRYTEST_SECRET: ALICE_PW, FERRYTEST_LOG: logFile });
      await assertUntouched([dir], ok, [
        { args: ['ls', '-l', R()], code: 0 },
        { args: ['push', image.ref, `${R()}-helper:v1`], code: 0 },
        { args: ['copy', `${R()}-helper:v1`, `${R()}-helper:v2`], code: 0 },
        { args: ['delete', `${R()}-helper:v1`], code: 0 },
      ]);
      await assertUntouched([dir], envFor(dir, { FERRYTEST_MODE: 'fail', FERRYTEST_LOG: logFile }), [
        { args: ['ls', R()], code: 3 },
        { args: ['push', image.ref, `${R()}-helper:v3`], code: 3 },
      ]);
      const calls = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l !== '');
      assert.ok(calls.length >= 6, calls.join(' | '));
      for (const call of calls) assert.equal(call, `get\t${basic.host}`, 'never store, erase or list');
    },
  );

  test(
    'token registry, identity token and registrytoken in config.json: nothing written',
    NO_HANG,
    async () => {
      const host = tok.registry.host;
      const T = `${host}/${REPO}`;
      const out = await makeTempDir('sec-out');
      const dir = await oddConfigDir(
        oddConfig({ [host]: { auth: b64('alice:ignored-pw'), identitytoken: IDENTITY } }),
      );
      await assertUntouched([dir], envFor(dir), [
        { args: ['catalog', host], code: 0 },
        { args: ['ls', '-l', T], code: 0 },
        { args: ['digest', `${T}:v1`], code: 0 },
        { args: ['exists', `${T}:v1`], code: 0 },
        { args: ['pull', '--format', 'oci', `${T}:v1`, join(out, 'a.tar')], code: 0 },
        { args: ['push', join(out, 'a.tar'), `${T}-keep:a`], code: 0 },
        { args: ['copy', `${T}:v1`, `${T}-keep:b`], code: 0 },
        { args: ['delete', '--dry-run', `${T}-keep:a`], code: 0 },
        { args: ['delete', `${T}-keep:a`], code: 0 },
      ]);
      const expired = tok.tokenServer.mint({
        subject: 'alice',
        access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
        expiresIn: -600,
      });
      TOKENS.add(expired);
      const stale = await oddConfigDir(oddConfig({ [host]: { registrytoken: expired } }));
      const refused = await oddConfigDir(oddConfig({ [host]: { identitytoken: WRONG_IDENTITY } }));
      for (const d of [stale, refused]) {
        await assertUntouched([d], envFor(d), [
          { args: ['ls', T], code: 3 },
          { args: ['manifest', `${T}:v1`], code: 3 },
          { args: ['push', image.ref, `${T}-keep:z`], code: 3 },
        ]);
      }
    },
  );

  test(
    'empty DOCKER_CONFIG, HOME and XDG_RUNTIME_DIR: -u/--password-stdin creates no config',
    NO_HANG,
    async () => {
      const [dockerConfig, home, xdg, parent] = await Promise.all(
        ['sec-empty-dc', 'sec-empty-home', 'sec-empty-xdg', 'sec-empty-parent'].map((p) => makeTempDir(p)),
      );
      const past = new Date('2001-02-03T04:05:06Z');
      const dirs = [dockerConfig!, home!, xdg!, parent!];
      await Promise.all(dirs.map((d) => utimes(d, past, past)));
      const pw = { stdin: `${ALICE_PW}\n` };
      const login = ['-u', 'alice', '--password-stdin'];
      for (const env of [
        envFor(dockerConfig!, { HOME: home!, XDG_RUNTIME_DIR: xdg! }),
        // DOCKER_CONFIG naming a directory that does not exist: it must not be created.
        envFor(join(parent!, 'missing'), { HOME: home!, XDG_RUNTIME_DIR: xdg! }),
      ]) {
        await assertUntouched(dirs, env, [
          { args: [...login, 'ls', '-l', R()], code: 0, ...pw },
          { args: [...login, 'push', image.ref, `${R()}-empty:v1`], code: 0, ...pw },
          { args: [...login, 'delete', `${R()}-empty:v1`], code: 0, ...pw },
          { args: [...login, 'catalog', tok.registry.host], code: 0, ...pw },
          {
            args: [
              'copy',
              ...['--src-creds', 'alice', '--src-password-stdin', '--dest-creds', `alice:${ALICE_PW}`],
              `${tok.registry.host}/${REPO}:v1`,
              `${R()}-empty:v2`,
            ],
            code: 0,
            ...pw,
          },
          { args: [...login, 'ls', R()], code: 3, stdin: `${WRONG_PW}\n` },
          { args: ['ls', R()], code: 3 },
          { args: ['ls', `${tok.registry.host}/${REPO}`], code: 3 },
        ]);
      }
      for (const d of dirs) assert.deepEqual(await readdir(d), [], `${d} stays empty`);
    },
  );
});
