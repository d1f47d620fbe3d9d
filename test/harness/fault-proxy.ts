// A real HTTP reverse proxy (node:http on 127.0.0.1, ephemeral port) in front of a harness registry
// that breaks chosen exchanges on purpose, so ferry's retry, resume and verification paths are
// tested against real sockets rather than mocks:
//
//   const proxy = await startFaultProxy({ upstream: reg.url, seed: 7 });
//   after(() => proxy.close());
//   proxy.addRule({ path: /\/blobs\/sha256:/, method: 'GET', times: 2, action: { kind: 'status', status: 503, retryAfter: 1 } });
//   proxy.addRule({ path: /\/blobs\/sha256:/, oncePerPath: true, action: { kind: 'reset-response', at: 'random' } });
//   // ... run ferry against `${proxy.host}/lab/img:v1` ...
//   await proxy.idle();
//   proxy.log;                   // every exchange: method, path, headers, status, fault { rule, kind, at }, bytes
//   proxy.redirectTarget.log;    // what the 127.0.0.2 "storage backend" received (redirect action)
//
// Rules are checked in order for each request; the first that matches and still has budget applies
// (a rule whose budget says no — skip, times, oncePerPath, probability — lets later rules try). The
// decision is made when the request's headers arrive, so it follows arrival order. Everything else
// is forwarded verbatim and streamed both ways without buffering (256 MiB blobs keep memory flat);
// absolute `Location` headers pointing at the upstream are rewritten to the proxy so clients keep
// talking to it. Randomness (probability, 'random' offsets) comes from one PRNG per rule, seeded
// from the proxy's seed and the rule itself (its name, or else its kind, methods and path), so a
// rule draws the same numbers whatever ran before it — a test re-run alone reproduces — and
// unrelated requests interleaving differently do not disturb it. Two unnamed rules that look the
// same share a sequence; name them to tell them apart.
//
// Offsets ('at') count body bytes from the start of the body this exchange carries (for a 206 that
// is the start of the slice). A fault always takes effect: an explicit offset past the end is
// clamped (logged as applied), and when the length is unknown (chunked) the proxy holds back the
// newest chunk so that, if the body ends before the chosen offset, it can still act before the
// final bytes. The log records the offset actually used.
import { randomBytes } from 'node:crypto';
import {
  Agent,
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { waitFor } from './wait.js';

/** A body offset, or 'random' (drawn from the rule's seeded PRNG; ranges per action below). */
export type Offset = number | 'random';

/**
 * How a reset ends the client connection. 'close' (default): flush the bytes already written, then
 * close the socket (FIN) — the client sees exactly `at` bytes, then a premature end it reports as
 * an error (the Content-Length promised more). 'rst': an immediate TCP RST (socket.resetAndDestroy);
 * more realistic, but bytes still in the kernel's send queue may be dropped, so the client can see
 * fewer than `at` bytes.
 */
export type ResetStyle = 'close' | 'rst';

/** Answer without contacting upstream (500/502/503/429...). */
export interface StatusFault {
  kind: 'status';
  status: number;
  /** Retry-After: a number is seconds, a Date an HTTP-date, a string is sent as is. */
  retryAfter?: number | Date | string;
  /** Default for status >= 400: a distribution-style `{"errors":[{code,message,detail}]}`; else empty. */
  body?: string;
  /** Extra response headers (override the defaults). */
  headers?: Record<string, string>;
}

/**
 * Forward upstream's status and headers (with its Content-Length), pass `at` body bytes, then kill
 * the client connection. 'random' (default) = uniform in [1, length-1]. HEAD and empty bodies are
 * reset before the headers (at = 0).
 */
export interface ResetResponseFault {
  kind: 'reset-response';
  at?: Offset;
  /** Unknown length (chunked): 'random' is uniform in [1, maxOffset]. Default 8 MiB. */
  maxOffset?: number;
  socket?: ResetStyle;
}

/**
 * For uploads: forward `at` request-body bytes upstream, then destroy the upstream request (the
 * registry sees an aborted upload) and the client connection (the client sees a reset). Upstream's
 * answer, if it comes first, is dropped. 'random' (default) = uniform in [1, length-1] with a
 * Content-Length, else uniform in [1, maxOffset] — and if a chunked body ends sooner, the reset
 * happens before its final chunk is forwarded.
 */
export interface ResetRequestFault {
  kind: 'reset-request';
  at?: Offset;
  /** Default 8 MiB. */
  maxOffset?: number;
  socket?: ResetStyle;
}

/**
 * Forward status and headers WITHOUT Content-Length (so the response is chunked), pass `at` bytes,
 * then end the response cleanly: the client sees a normal end and a short body. 'random' (default)
 * as for reset-response.
 */
export interface TruncateFault {
  kind: 'truncate';
  at?: Offset;
  /** Default 8 MiB. */
  maxOffset?: number;
}

/** Hold the response headers for `ms` (after upstream answered), or pause once mid-body. */
export interface DelayFault {
  kind: 'delay';
  ms: number;
  /** Default 'headers'. */
  phase?: 'headers' | 'body';
  /**
   * phase 'body': pause once this many body bytes have been passed (past the end: before the end).
   * Default: after the first chunk.
   */
  at?: number;
}

/**
 * XOR one byte with 0xff at `at` of the response body (or of the request body going upstream);
 * everything else is forwarded verbatim, lengths unchanged. 'random' (default) = uniform in
 * [0, length-1]; unknown length: uniform in [0, maxOffset-1], the last byte if the body is shorter.
 * An empty body is left alone (logged without `at`).
 */
export interface FlipFault {
  kind: 'flip';
  /** Default 'response'. */
  direction?: 'response' | 'request';
  at?: Offset;
  /** Default 8 MiB. */
  maxOffset?: number;
}

/**
 * GET/HEAD only (other methods do not match the rule): answer 307 with
 * `Location: <redirectTarget.url>/signed/<id>?sig=<sig>`. The redirect target serves the blob by
 * fetching the original path from upstream with the original Authorization, like a storage backend
 * with its own access; the client needs no credentials there.
 */
export interface RedirectFault {
  kind: 'redirect';
}

/**
 * Forward the exchange verbatim, but answer with these response headers added to upstream's
 * (replacing any of the same name; a value '' removes the header). For what a real registry never
 * sends, e.g. Docker Hub's `RateLimit-*` headers on a real manifest answer. Body and status are
 * upstream's.
 */
export interface HeadersFault {
  kind: 'headers';
  headers: Record<string, string>;
}

/**
 * Hold the request at the proxy for `ms` before forwarding it: upstream has not seen it (not even
 * its headers) while it is held, so the registry's state is what the earlier requests left.
 */
export interface HoldFault {
  kind: 'hold';
  ms: number;
}

export type FaultAction =
  | HoldFault
  | StatusFault
  | HeadersFault
  | ResetResponseFault
  | ResetRequestFault
  | TruncateFault
  | DelayFault
  | FlipFault
  | RedirectFault;
export type FaultKind = FaultAction['kind'];

/** What the rule sees of a request (for `when`). */
export interface RequestInfo {
  method: string;
  /** pathname + search, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FaultRule {
  /** For the log, and it seeds the rule's PRNG. Default '<kind>#<ordinal>' (not used for the seed). */
  name?: string;
  /** Method(s) to match, case-insensitive. Default any. */
  method?: string | string[];
  /** Tested against pathname + search, e.g. /\/blobs\/sha256:/. Default any. */
  path?: RegExp;
  /** Any other condition (headers, ...). */
  when?: (request: RequestInfo) => boolean;
  /** Apply at most this many times. Default unlimited. */
  times?: number;
  /** Let the first N matching requests through (to later rules, then upstream). Default 0. */
  skip?: number;
  /** Apply with this probability (0..1) from the rule's seeded PRNG. Default 1. */
  probability?: number;
  /** Apply at most once per distinct pathname (the query is ignored), so a retry of it passes. */
  oncePerPath?: boolean;
  action: FaultAction;
}

export interface RuleHandle {
  readonly name: string;
  /** Times the rule was applied. */
  readonly hits: number;
  /** Requests that matched method/path/when (applied or not). */
  readonly matched: number;
  /** Stops the rule from applying to later requests (exchanges in flight are unaffected). */
  remove(): void;
}

/** The fault applied to one exchange, as the log records it. */
export interface AppliedFault {
  rule: string;
  kind: FaultKind;
  /** The offset actually used (reset/truncate: bytes passed; flip: the byte flipped; delay body: pause point). */
  at?: number;
  /** status: the injected status; delay: the delay. */
  status?: number;
  ms?: number;
  /** redirect: the Location sent. */
  location?: string;
}

export interface ProxyLogEntry {
  /** 1, 2, ... in arrival order. */
  seq: number;
  /** Date.now() when the request headers arrived. */
  time: number;
  method: string;
  /** pathname + search, as the client sent it. */
  path: string;
  /** The client's request headers (node's lower-cased form). */
  headers: IncomingHttpHeaders;
  range: string | undefined;
  /** Upstream's status, or the injected one (status/redirect); undefined if none arrived. */
  status: number | undefined;
  fault: AppliedFault | undefined;
  /** Request-body bytes forwarded upstream. */
  requestBytes: number;
  /** Response-body bytes written to the client. */
  responseBytes: number;
  /** Why the exchange ended abnormally other than by its fault (client went away, upstream error). */
  error: string | undefined;
  /** The exchange is over (see FaultProxy.idle()). */
  done: boolean;
}

export interface RedirectLogEntry {
  seq: number;
  time: number;
  method: string;
  /** pathname + search on the redirect target. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The status the target answered (its upstream's, or 403/404/405 for a bad signed URL). */
  status: number | undefined;
  /** Body bytes sent to the client. */
  bytes: number;
  error: string | undefined;
  done: boolean;
}

export interface FaultProxyOptions {
  /** The registry's URL, e.g. registry.url (plain HTTP only). */
  upstream: string;
  /** Seeds every rule's PRNG. Default 1 (runs are reproducible unless you choose otherwise). */
  seed?: number;
  /** Upstream keep-alive sockets. Default 32. */
  maxSockets?: number;
}

export interface FaultProxy {
  /** '127.0.0.1:PORT' — what image references use (ferry treats loopback as plain-HTTP-ok). */
  host: string;
  port: number;
  /** 'http://127.0.0.1:PORT'. */
  url: string;
  upstream: string;
  /** Appends a rule (see the file header for how rules are chosen). */
  addRule(rule: FaultRule): RuleHandle;
  clearRules(): void;
  /** Every request the proxy saw, in arrival order; entries are updated until `done`. */
  log: ProxyLogEntry[];
  /** Client connections accepted so far (keep-alive reuse shows as far fewer than requests). */
  readonly connections: number;
  clearLog(): void;
  /** Resolves once every logged exchange (both servers) is done. */
  idle(timeoutMs?: number): Promise<void>;
  /** The redirect target on 127.0.0.2 and every request it received. */
  redirectTarget: { url: string; host: string; log: RedirectLogEntry[] };
  /** Closes both servers, destroys open sockets, aborts exchanges in flight. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const DEFAULT_MAX_OFFSET = 8 * MIB;
const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };

// RFC 9110 hop-by-hop headers, plus `host` (node sets the upstream's) and `expect` (node's server
// has already answered 100-continue to the client).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** mulberry32: tiny, fast, good enough to pick offsets; the same seed gives the same sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the text, mixed with the seed: a 32-bit PRNG seed per rule. */
function ruleSeed(seed: number, key: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Uniform integer in [lo, hi] (hi < lo → lo). */
function uniform(random: () => number, lo: number, hi: number): number {
  return hi <= lo ? lo : lo + Math.floor(random() * (hi - lo + 1));
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const noop = (): void => {};

/** Distribution's error codes for the statuses tests inject. */
function errorCode(status: number): [code: string, text: string] {
  switch (status) {
    case 401:
      return ['UNAUTHORIZED', 'authentication required'];
    case 403:
      return ['DENIED', 'requested access to the resource is denied'];
    case 404:
      return ['NOT_FOUND', 'not found'];
    case 429:
      return ['TOOMANYREQUESTS', 'too many requests'];
    case 502:
    case 503:
    case 504:
      return ['UNAVAILABLE', 'service unavailable'];
    default:
      return ['UNKNOWN', 'unknown error'];
  }
}

function retryAfterValue(value: number | Date | string): string {
  if (value instanceof Date) return value.toUTCString();
  return String(value);
}

/** The names a Connection header lists are hop-by-hop too. */
function hopByHop(connection: string | string[] | undefined): Set<string> {
  const extra = (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return extra.length ? new Set([...HOP_BY_HOP, ...extra]) : HOP_BY_HOP;
}

/** rawHeaders → node's header object (lower-case names; repeated names become arrays). */
function copyHeaders(
  raw: readonly string[],
  skip: ReadonlySet<string>,
  map: (name: string, value: string) => string = (_name, value) => value,
): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  // rawHeaders is [name, value, name, value, ...]; the loop is bounded by its length.
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (skip.has(name)) continue;
    const value = map(name, raw[i + 1]!);
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** Request body length: Content-Length, undefined for chunked, 0 when there is no body. */
function requestLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length);
  return req.headers['transfer-encoding'] === undefined ? 0 : undefined;
}

/** Response body length as the client will get it: 0 for HEAD/1xx/204/304, undefined if chunked. */
function responseLength(method: string, res: IncomingMessage): number | undefined {
  const status = res.statusCode ?? 0;
  if (method === 'HEAD' || status === 204 || status === 304 || status < 200) return 0;
  const length = res.headers['content-length'];
  return length === undefined ? undefined : Number(length);
}

/**
 * Writes one chunk and resolves once it is handed to the socket (the write callback), which is
 * what makes "pass exactly N bytes, then reset" exact, and gives backpressure for free. Rejects if
 * the destination closes first or `signal` aborts.
 */
function send(dst: Writable, chunk: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error('exchange aborted'));
      return;
    }
    let settled = false;
    const finish = (error?: Error | null): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      dst.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => finish(new Error('exchange aborted'));
    const onClose = (): void => finish(new Error('connection closed while writing'));
    signal.addEventListener('abort', onAbort, { once: true });
    dst.once('close', onClose);
    dst.write(chunk, (error) => finish(error));
  });
}

interface PumpPlan {
  /** Stop once this many bytes have passed (the caller then resets, truncates, ...). */
  stopAt?: number;
  /** XOR 0xff the byte at this offset (the last byte if the body is shorter and holdBack is on). */
  flipAt?: number;
  /** Pause `pauseMs` once, after this many bytes (undefined: after the first chunk). */
  pauseMs?: number;
  pauseAt?: number;
  /** Length unknown: keep the newest chunk back so we can still act before the final bytes. */
  holdBack?: boolean;
  /** Called when stopAt is reached, after the bytes before it are flushed and before `src` is destroyed. */
  onStop?: () => void;
}

interface PumpResult {
  passed: number;
  flipped: number | undefined;
  paused: number | undefined;
}

/**
 * Copies `src` to `dst` chunk by chunk (for await: backpressure both ways, memory flat), applying
 * the plan. Returning early (stopAt) leaves the for-await loop, which destroys `src`. Does not end
 * `dst`. `onBytes` sees every byte count passed, for the log.
 */
async function pump(
  src: Readable,
  dst: Writable,
  plan: PumpPlan,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<PumpResult> {
  let passed = 0;
  let flipped: number | undefined;
  let paused: number | undefined;
  let pausePending = plan.pauseMs !== undefined;
  const write = async (part: Buffer): Promise<void> => {
    if (part.length === 0) return;
    await send(dst, part, signal);
    passed += part.length;
    onBytes(part.length);
  };
  const emit = async (input: Buffer, flipAt = plan.flipAt): Promise<void> => {
    let chunk = input;
    if (flipAt !== undefined && flipped === undefined && flipAt >= passed && flipAt < passed + chunk.length) {
      chunk = Buffer.from(chunk); // a copy: the source may still own the buffer
      chunk[flipAt - passed]! ^= 0xff;
      flipped = flipAt;
    }
    if (pausePending) {
      const at = plan.pauseAt ?? passed + chunk.length;
      if (at <= passed + chunk.length) {
        const split = Math.max(0, at - passed);
        await write(chunk.subarray(0, split));
        pausePending = false;
        paused = passed;
        await sleepFor(plan.pauseMs, undefined, { signal });
        chunk = chunk.subarray(split);
      }
    }
    await write(chunk);
  };
  const stop = (): PumpResult => {
    plan.onStop?.();
    return { passed, flipped, paused };
  };
  // An exchange that is over (client gone, proxy closing) must not leave us waiting for a chunk.
  const onAbort = (): void => {
    src.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let held: Buffer | undefined;
    for await (const data of src) {
      let chunk = data as Buffer;
      if (plan.holdBack) {
        const previous = held;
        held = chunk;
        if (!previous) continue;
        chunk = previous;
      }
      if (plan.stopAt !== undefined && passed + chunk.length >= plan.stopAt) {
        await emit(chunk.subarray(0, Math.max(0, plan.stopAt - passed)));
        return stop();
      }
      await emit(chunk);
    }
    if (signal.aborted) throw new Error('exchange aborted');
    if (held) {
      // The body ended before the plan's offset: stop before the final bytes, or flip the last byte.
      if (plan.stopAt !== undefined) return stop();
      await emit(
        held,
        plan.flipAt === undefined ? undefined : Math.min(plan.flipAt, passed + held.length - 1),
      );
    } else if (plan.stopAt !== undefined) {
      return stop(); // an empty body: act right away
    }
    if (pausePending) {
      // The pause point lies past the end: pause before the end instead.
      paused = passed;
      await sleepFor(plan.pauseMs, undefined, { signal });
    }
    return { passed, flipped, paused };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

interface RuleState {
  rule: FaultRule;
  name: string;
  methods: Set<string> | undefined;
  random: () => number;
  matched: number;
  hits: number;
  paths: Set<string>;
  removed: boolean;
}

interface SignedRequest {
  sig: string;
  path: string;
  authorization: string | undefined;
}

/** Per-exchange plumbing: an AbortSignal that fires when the client goes away, the exchange ends or close() runs. */
interface Exchange {
  controller: AbortController;
  /** We destroyed the client connection on purpose (not an error to log). */
  killed: boolean;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:') {
    throw new Error(`fault proxy: upstream must be plain http (got ${options.upstream})`);
  }
  const seed = options.seed ?? 1;
  // One keep-alive agent: upstream connections are reused like a real client's would be; sockets
  // a fault destroys simply leave the pool.
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32, maxFreeSockets: 16 });
  const rules: RuleState[] = [];
  let ordinal = 0;
  const log: ProxyLogEntry[] = [];
  const redirectLog: RedirectLogEntry[] = [];
  let seq = 0;
  let redirectSeq = 0;
  const signed = new Map<string, SignedRequest>();
  const exchanges = new Set<Exchange>();
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closing: Promise<void> | undefined;

  const server = createServer();
  const redirectServer = createServer();
  for (const s of [server, redirectServer]) {
    // Uploads of 256 MiB through a slow client must not hit node's default 5-minute request timeout.
    s.requestTimeout = 0;
    s.on('connection', (socket: Socket) => {
      if (s === server) accepted++;
      sockets.add(socket);
      socket.on('error', noop);
      socket.once('close', () => sockets.delete(socket));
    });
    s.on('clientError', (_error, socket) => socket.destroy());
    // A proxy someone forgot to close must not keep the test process alive.
    s.unref();
  }

  let port: number;
  let redirectPort: number;
  try {
    port = await listen(server, '127.0.0.1');
  } catch (error) {
    agent.destroy();
    throw error;
  }
  try {
    redirectPort = await listen(redirectServer, '127.0.0.2');
  } catch (error) {
    await closeServer(server);
    agent.destroy();
    throw new Error(
      `fault proxy: cannot bind the redirect target to 127.0.0.2 (${message(error)}); ` +
        'the redirect action needs a second loopback address (all of 127/8 is loopback on Linux)',
      { cause: error },
    );
  }
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const redirectHost = `127.0.0.2:${redirectPort}`;
  const redirectUrl = `http://${redirectHost}`;

  const rewriteLocation = (name: string, value: string): string => {
    if (name !== 'location') return value;
    try {
      const target = new URL(value);
      if (target.origin !== upstream.origin) return value;
      return `${url}${target.pathname}${target.search}${target.hash}`;
    } catch {
      return value; // relative: already points at whoever the client asked
    }
  };

  const begin = (res: ServerResponse, onClientGone: () => void): Exchange => {
    const exchange: Exchange = { controller: new AbortController(), killed: false };
    exchanges.add(exchange);
    res.on('error', noop);
    res.once('close', () => {
      if (!res.writableFinished && !exchange.killed) onClientGone();
      exchange.controller.abort();
    });
    return exchange;
  };

  /** Kills the client connection on purpose: FIN after the flushed bytes, or an RST. */
  const killClient = (exchange: Exchange, req: IncomingMessage, style: ResetStyle = 'close'): void => {
    exchange.killed = true;
    const socket = req.socket;
    if (style === 'rst' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };

  const upstreamRequest = (
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    signal: AbortSignal,
  ): ClientRequest => {
    const upReq = httpRequest({
      protocol: 'http:',
      hostname: upstream.hostname,
      port: upstream.port,
      method,
      path,
      headers,
      agent,
      signal,
    });
    upReq.on('error', noop); // failures surface through responseOf / send
    return upReq;
  };

  const responseOf = (upReq: ClientRequest): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      upReq.once('response', (upRes: IncomingMessage) => {
        upRes.on('error', noop);
        resolve(upRes);
      });
      upReq.once('error', reject);
      upReq.once('close', () => reject(new Error('upstream request closed without a response')));
    });

  const pickRule = (info: RequestInfo): RuleState | undefined => {
    const pathname = info.path.split('?')[0] ?? info.path;
    for (const state of rules) {
      const { rule } = state;
      if (state.removed) continue;
      if (state.methods && !state.methods.has(info.method)) continue;
      if (rule.action.kind === 'redirect' && info.method !== 'GET' && info.method !== 'HEAD') continue;
      if (rule.path) {
        rule.path.lastIndex = 0; // a /g regex would otherwise remember where it stopped
        if (!rule.path.test(info.path)) continue;
      }
      if (rule.when && !rule.when(info)) continue;
      state.matched++;
      if (state.matched <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && state.hits >= rule.times) continue;
      if (rule.oncePerPath && state.paths.has(pathname)) continue;
      if (rule.probability !== undefined && rule.probability < 1 && state.random() >= rule.probability)
        continue;
      state.hits++;
      if (rule.oncePerPath) state.paths.add(pathname);
      return state;
    }
    return undefined;
  };

  const errorBody = (status: number, detail: string): string => {
    const [code, text] = errorCode(status);
    return JSON.stringify({ errors: [{ code, message: text, detail }] });
  };

  const answerStatus = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyLogEntry,
    state: RuleState,
    action: StatusFault,
  ): void => {
    const headers: OutgoingHttpHeaders = { ...API_VERSION };
    let body = action.body;
    if (body === undefined) {
      body =
        action.status >= 400 ? errorBody(action.status, `injected by the fault proxy (${state.name})`) : '';
      if (body) headers['content-type'] = 'application/json; charset=utf-8';
    }
    if (action.retryAfter !== undefined) headers['retry-after'] = retryAfterValue(action.retryAfter);
    for (const [name, value] of Object.entries(action.headers ?? {})) headers[name.toLowerCase()] = value;
    const bytes = Buffer.from(body);
    headers['content-length'] = bytes.length;
    entry.status = action.status;
    entry.fault = { rule: state.name, kind: 'status', status: action.status };
    req.resume(); // drain (and drop) any request body so the connection stays usable
    res.writeHead(action.status, headers);
    if (req.method === 'HEAD') res.end();
    else {
      res.end(bytes);
      entry.responseBytes = bytes.length;
    }
  };

  const answerRedirect = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyLogEntry,
    state: RuleState,
  ) => {
    const id = randomBytes(12).toString('base64url');
    const sig = randomBytes(16).toString('hex');
    signed.set(id, { sig, path: entry.path, authorization: req.headers.authorization });
    const location = `${redirectUrl}/signed/${id}?sig=${sig}`;
    entry.status = 307;
    entry.fault = { rule: state.name, kind: 'redirect', location };
    req.resume();
    res.writeHead(307, { ...API_VERSION, location, 'content-length': 0 });
    res.end();
  };

  /** Picks the offset for reset/truncate/flip given the body length (undefined = unknown). */
  const chooseOffset = (
    state: RuleState,
    at: Offset | undefined,
    length: number | undefined,
    maxOffset: number | undefined,
    kind: 'cut' | 'flip',
  ): { offset: number; holdBack: boolean } => {
    const max = maxOffset ?? DEFAULT_MAX_OFFSET;
    const value = at ?? 'random';
    if (length === undefined) {
      // Unknown length: pick in the declared range; holdBack makes it work for shorter bodies.
      const offset =
        value === 'random'
          ? kind === 'cut'
            ? uniform(state.random, 1, max)
            : uniform(state.random, 0, max - 1)
          : Math.max(0, value);
      return { offset, holdBack: true };
    }
    // Known length: cuts land in [1, length-1] (some bytes pass, never all); flips in [0, length-1].
    const last = Math.max(0, length - 1);
    const offset =
      value === 'random'
        ? kind === 'cut'
          ? uniform(state.random, Math.min(1, last), last)
          : uniform(state.random, 0, last)
        : Math.min(Math.max(0, value), last);
    return { offset, holdBack: false };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: ProxyLogEntry = {
      seq: ++seq,
      time: Date.now(),
      method,
      path: req.url ?? '/',
      headers: { ...req.headers },
      range: req.headers.range,
      status: undefined,
      fault: undefined,
      requestBytes: 0,
      responseBytes: 0,
      error: undefined,
      done: false,
    };
    log.push(entry);
    req.on('error', noop);
    const exchange = begin(res, () => {
      entry.error ??= 'client closed the connection';
    });
    const { signal } = exchange.controller;
    let upReq: ClientRequest | undefined;
    try {
      const state = pickRule({ method, path: entry.path, headers: req.headers });
      const action = state?.rule.action;
      if (state && action?.kind === 'status') return answerStatus(req, res, entry, state, action);
      if (state && action?.kind === 'redirect') return answerRedirect(req, res, entry, state);
      if (state && action?.kind === 'hold') {
        entry.fault = { rule: state.name, kind: 'hold' };
        await sleepFor(action.ms, undefined, { signal });
      }

      const skip = new Set([...hopByHop(req.headers.connection), 'host', 'expect']);
      const headers = copyHeaders(req.rawHeaders, skip);
      // A chunked request stays chunked (node only chunks some methods by default).
      if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) {
        headers['transfer-encoding'] = 'chunked';
      }
      const sent = upstreamRequest(method, entry.path, headers, signal);
      upReq = sent;
      const countRequest = (n: number): void => {
        entry.requestBytes += n;
      };

      if (state && action?.kind === 'reset-request') {
        const { offset, holdBack } = chooseOffset(
          state,
          action.at,
          requestLength(req),
          action.maxOffset,
          'cut',
        );
        const fault: AppliedFault = { rule: state.name, kind: 'reset-request' };
        entry.fault = fault;
        // If upstream answers before the cut (it rejected the upload early), stop pumping: the
        // client must still see a reset, and the answer is dropped.
        const stop = new AbortController();
        sent.once('response', (upRes: IncomingMessage) => {
          upRes.on('error', noop);
          entry.status = upRes.statusCode;
          upRes.resume();
          stop.abort();
        });
        const cut = (): void => {
          sent.destroy();
          killClient(exchange, req, action.socket);
        };
        try {
          const result = await pump(
            req,
            sent,
            { stopAt: offset, holdBack, onStop: cut },
            AbortSignal.any([signal, stop.signal]),
            countRequest,
          );
          fault.at = result.passed;
        } catch (error) {
          if (!stop.signal.aborted) throw error;
          fault.at = entry.requestBytes;
          cut();
        }
        return;
      }

      // The request body, streamed concurrently with the response (upstream may answer early).
      const flipRequest =
        state && action?.kind === 'flip' && action.direction === 'request' ? action : undefined;
      const requestPlan: PumpPlan = {};
      let requestFault: AppliedFault | undefined;
      if (state && flipRequest) {
        const { offset, holdBack } = chooseOffset(
          state,
          flipRequest.at,
          requestLength(req),
          flipRequest.maxOffset,
          'flip',
        );
        requestPlan.flipAt = offset;
        requestPlan.holdBack = holdBack;
        requestFault = { rule: state.name, kind: 'flip' };
        entry.fault = requestFault;
      }
      const requestDone = pump(req, sent, requestPlan, signal, countRequest).then(
        (result) => {
          if (requestFault && result.flipped !== undefined) requestFault.at = result.flipped;
          sent.end();
        },
        (error: unknown) => {
          // The client's body broke off: make sure upstream sees an aborted request too.
          entry.error ??= `request body: ${message(error)}`;
          sent.destroy();
        },
      );

      let upRes: IncomingMessage;
      try {
        upRes = await responseOf(sent);
      } catch (error) {
        if (signal.aborted) return;
        entry.error ??= `upstream: ${message(error)}`;
        if (!res.headersSent) {
          const body = errorBody(502, `fault proxy: upstream failed: ${message(error)}`);
          res.writeHead(502, {
            ...API_VERSION,
            'content-type': 'application/json',
            'content-length': body.length,
          });
          res.end(body);
        }
        return;
      }
      entry.status = upRes.statusCode;
      const status = upRes.statusCode ?? 502;
      const length = responseLength(method, upRes);
      const kind = state ? action?.kind : undefined;
      const responseSkip = new Set(hopByHop(upRes.headers.connection));
      if (kind === 'truncate') responseSkip.add('content-length');
      const responseHeaders = copyHeaders(upRes.rawHeaders, responseSkip, rewriteLocation);
      const countResponse = (n: number): void => {
        entry.responseBytes += n;
      };
      const plan: PumpPlan = {};
      let fault: AppliedFault | undefined;

      if (state && action?.kind === 'reset-response') {
        fault = { rule: state.name, kind: 'reset-response' };
        entry.fault = fault;
        if (length === 0) {
          // Nothing to cut: reset before the headers.
          fault.at = 0;
          upRes.destroy();
          killClient(exchange, req, action.socket);
          return;
        }
        const { offset, holdBack } = chooseOffset(state, action.at, length, action.maxOffset, 'cut');
        res.writeHead(status, responseHeaders);
        const style = action.socket;
        const result = await pump(
          upRes,
          res,
          { stopAt: offset, holdBack, onStop: () => killClient(exchange, req, style) },
          signal,
          countResponse,
        );
        fault.at = result.passed;
        return;
      }
      if (state && action?.kind === 'truncate') {
        fault = { rule: state.name, kind: 'truncate' };
        entry.fault = fault;
        if (length === 0) {
          fault.at = 0;
          res.writeHead(status, responseHeaders);
          res.end();
          upRes.resume();
          return;
        }
        const { offset, holdBack } = chooseOffset(state, action.at, length, action.maxOffset, 'cut');
        // Explicitly chunked: even a cut at 0 must not turn into `Content-Length: 0`.
        res.writeHead(status, { ...responseHeaders, 'transfer-encoding': 'chunked' });
        const result = await pump(upRes, res, { stopAt: offset, holdBack }, signal, countResponse);
        fault.at = result.passed;
        res.end();
        return;
      }
      if (state && action?.kind === 'headers') {
        fault = { rule: state.name, kind: 'headers' };
        entry.fault = fault;
        for (const [name, value] of Object.entries(action.headers)) {
          if (value === '') delete responseHeaders[name.toLowerCase()];
          else responseHeaders[name.toLowerCase()] = value;
        }
      }
      if (state && action?.kind === 'delay') {
        fault = { rule: state.name, kind: 'delay', ms: action.ms };
        entry.fault = fault;
        if ((action.phase ?? 'headers') === 'headers') await sleepFor(action.ms, undefined, { signal });
        else {
          plan.pauseMs = action.ms;
          if (action.at !== undefined) plan.pauseAt = action.at;
        }
      }
      if (state && action?.kind === 'flip' && action.direction !== 'request') {
        fault = { rule: state.name, kind: 'flip' };
        entry.fault = fault;
        if (length !== 0) {
          const { offset, holdBack } = chooseOffset(state, action.at, length, action.maxOffset, 'flip');
          plan.flipAt = offset;
          plan.holdBack = holdBack;
        }
      }
      res.writeHead(status, responseHeaders);
      const result = await pump(upRes, res, plan, signal, countResponse);
      if (fault?.kind === 'flip' && result.flipped !== undefined) fault.at = result.flipped;
      if (fault?.kind === 'delay' && result.paused !== undefined) fault.at = result.paused;
      res.end();
      // Upstream answered; give a still-streaming request body a moment, then let it go.
      await Promise.race([requestDone, sleepFor(1000, undefined, { signal }).catch(noop)]);
    } catch (error) {
      if (!signal.aborted) entry.error ??= message(error);
      upReq?.destroy();
      // Something broke mid-response: the client must see a broken exchange, not a clean end.
      if (!res.writableEnded) {
        exchange.killed = true;
        res.destroy();
      }
    } finally {
      entry.done = true;
      exchanges.delete(exchange);
    }
  };

  // The redirect target: a stand-in for blob storage behind signed URLs. It checks the signature,
  // then fetches the original path from upstream with the original credentials (its own access)
  // and the client's Range, and streams the answer back with storage-style headers only.
  const RELAYED = [
    'content-length',
    'content-range',
    'content-type',
    'accept-ranges',
    'etag',
    'last-modified',
  ];
  const serveSigned = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RedirectLogEntry = {
      seq: ++redirectSeq,
      time: Date.now(),
      method,
      path: req.url ?? '/',
      headers: { ...req.headers },
      status: undefined,
      bytes: 0,
      error: undefined,
      done: false,
    };
    redirectLog.push(entry);
    req.on('error', noop);
    req.resume();
    const exchange = begin(res, () => {
      entry.error ??= 'client closed the connection';
    });
    const { signal } = exchange.controller;
    const refuse = (status: number, text: string): void => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(method === 'HEAD' ? undefined : text);
    };
    let upReq: ClientRequest | undefined;
    try {
      const target = new URL(entry.path, redirectUrl);
      const id = /^\/signed\/([^/]+)$/.exec(target.pathname)?.[1];
      const found = id === undefined ? undefined : signed.get(id);
      if (!found) return refuse(404, 'no such signed URL\n');
      if (target.searchParams.get('sig') !== found.sig) return refuse(403, 'signature does not match\n');
      if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed\n');
      const headers: OutgoingHttpHeaders = { accept: '*/*' };
      if (found.authorization !== undefined) headers['authorization'] = found.authorization;
      if (req.headers.range !== undefined) headers['range'] = req.headers.range;
      const sent = upstreamRequest(method, found.path, headers, signal);
      upReq = sent;
      sent.end();
      const upRes = await responseOf(sent);
      entry.status = upRes.statusCode;
      const out: OutgoingHttpHeaders = {};
      for (const name of RELAYED) {
        const value = upRes.headers[name];
        if (value !== undefined) out[name] = value;
      }
      res.writeHead(upRes.statusCode ?? 502, out);
      await pump(upRes, res, {}, signal, (n) => {
        entry.bytes += n;
      });
      res.end();
    } catch (error) {
      if (!signal.aborted) entry.error ??= message(error);
      upReq?.destroy();
      if (!res.headersSent) refuse(502, `upstream failed: ${message(error)}\n`);
      else if (!res.writableEnded) {
        exchange.killed = true;
        res.destroy();
      }
    } finally {
      entry.done = true;
      exchanges.delete(exchange);
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  redirectServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void serveSigned(req, res);
  });

  return {
    host,
    port,
    url,
    upstream: upstream.origin,
    addRule(rule: FaultRule): RuleHandle {
      ordinal++;
      const methods =
        rule.method === undefined
          ? undefined
          : new Set((Array.isArray(rule.method) ? rule.method : [rule.method]).map((m) => m.toUpperCase()));
      const state: RuleState = {
        rule,
        name: rule.name ?? `${rule.action.kind}#${ordinal}`,
        methods,
        random: mulberry32(
          ruleSeed(
            seed,
            rule.name ?? `${rule.action.kind} ${[...(methods ?? [])].join(',')} ${String(rule.path ?? '')}`,
          ),
        ),
        matched: 0,
        hits: 0,
        paths: new Set(),
        removed: false,
      };
      rules.push(state);
      return {
        name: state.name,
        get hits() {
          return state.hits;
        },
        get matched() {
          return state.matched;
        },
        remove() {
          state.removed = true;
          const index = rules.indexOf(state);
          if (index >= 0) rules.splice(index, 1);
        },
      };
    },
    clearRules() {
      for (const state of rules) state.removed = true;
      rules.length = 0;
    },
    log,
    get connections() {
      return accepted;
    },
    clearLog() {
      log.length = 0;
      redirectLog.length = 0;
    },
    idle: (timeoutMs = 5000) =>
      waitFor(
        'fault proxy exchanges to finish',
        () => (log.every((e) => e.done) && redirectLog.every((e) => e.done) ? true : undefined),
        { timeoutMs, intervalMs: 5 },
      ).then(noop),
    redirectTarget: { url: redirectUrl, host: redirectHost, log: redirectLog },
    close() {
      closing ??= (async () => {
        for (const exchange of exchanges) exchange.controller.abort();
        for (const socket of sockets) socket.destroy();
        await Promise.all([closeServer(server), closeServer(redirectServer)]);
        agent.destroy();
      })();
      return closing;
    },
  };
}
