/**
 * A round trip of our own making: a TCP proxy on 127.0.0.1 that holds every chunk it relays for
 * `oneWayMs` in each direction, so a request and its answer cost 2 × oneWayMs more than on
 * loopback. This kernel has no netem (`tc qdisc … netem delay` is what one would use elsewhere),
 * so the delay lives in user land: in a child process of the benchmark (latency-proxy-child.ts,
 * started by `startProxyPair` below), which exits when the benchmark does.
 *
 * - Every byte is relayed unchanged (TCP, not HTTP): keep-alive, the Host header (so the
 *   registry's upload Locations name the proxy) and the clients' own connection reuse all stay
 *   what they are; a TLS probe reaches the plain-HTTP registry and fails there, as it would.
 * - A new connection costs one round trip more, as TCP's handshake does: the first bytes a
 *   client sends reach the registry no earlier than 3 × oneWayMs after it connected (SYN, SYN-ACK,
 *   then its data), however early it wrote them.
 * - No bandwidth cap, only a bounded amount in flight: a direction holding more than
 *   WINDOW bytes stops reading until the far side has taken them (16 MiB per 20 ms is 800 MiB/s
 *   per connection, above what these workloads move through it). Order is kept: one FIFO per
 *   direction, one timer for its head.
 * - Bounded: loopback only, at most MAX_CONNECTIONS at once, upstream always 127.0.0.1.
 * - Its own process, at a raised priority where allowed (root): on a busy machine a timer of the
 *   benchmark's event loop fires late, and every late hop would count as round trips of the
 *   client measured. The network a real client talks through does not queue behind its CPU.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setPriority } from 'node:os';
import { join } from 'node:path';

const WINDOW = 16 * 1024 * 1024;
const MAX_CONNECTIONS = 256;

export interface LatencyProxy {
  /** '127.0.0.1:PORT' */
  host: string;
  port: number;
  /** Connections accepted so far (each one cost a round trip to set up). */
  connections(): number;
  /** The turns seen since the last call (and forgets them): see Turn. */
  turns(): Turn[];
  close(): Promise<void>;
}

/**
 * A connection's direction changed: the client began sending (a request) or the registry began
 * answering, at `at` (ms, performance.now() of the proxy's process, before the delay), with the
 * first line of what it sent: the request and status lines of every exchange, in order.
 */
export interface Turn {
  at: number;
  connection: number;
  direction: '>' | '<';
  line: string;
}

/** Turns kept between two calls of turns() at most (a copy of 40 blobs makes about 350). */
const MAX_TURNS = 20_000;

/** The first line of a chunk when it is text (an HTTP request or status line), else its size. */
function firstLine(chunk: Buffer): string {
  const head = chunk.subarray(0, 160).toString('latin1');
  const line = head.split('\r\n')[0] ?? '';
  return /^[\x20-\x7e]+$/.test(line) ? line.slice(0, 140) : `(${chunk.length} bytes, not text: a TLS hello?)`;
}

interface Held {
  due: number;
  chunk?: Buffer;
  /** End the far side's writing (the near side ended), or tear it down (the near side failed). */
  end?: 'end' | 'destroy';
}

/** One direction: what `from` sends reaches `to` `delayMs` later, in order, no earlier than `notBefore`. */
class DelayLine {
  private readonly queue: Held[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private finished = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly notBefore: number,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.hold({ chunk });
      if (this.queued > WINDOW) from.pause();
    });
    from.once('end', () => this.hold({ end: 'end' }));
    from.once('close', (hadError) => {
      if (hadError) this.hold({ end: 'destroy' });
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
  }

  private hold(item: Omit<Held, 'due'>): void {
    if (this.finished) return;
    const due = Math.max(performance.now() + this.delayMs, this.notBefore);
    this.queue.push({ ...item, due });
    this.queued += item.chunk?.length ?? 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.waitingForDrain) return;
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush();
      },
      Math.max(0, Math.ceil(head.due - performance.now())),
    );
  }

  private flush(): void {
    const now = performance.now();
    while (!this.waitingForDrain) {
      const head = this.queue[0];
      if (!head || head.due > now) break;
      this.queue.shift();
      if (head.chunk) {
        this.queued -= head.chunk.length;
        if (this.to.destroyed) continue;
        if (!this.to.write(head.chunk)) this.waitingForDrain = true;
      } else {
        this.finished = true;
        if (head.end === 'end') this.to.end();
        else this.to.destroy();
        this.queue.length = 0;
        this.queued = 0;
      }
    }
    if (this.queued <= WINDOW / 2 && this.from.isPaused()) this.from.resume();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.finished = true;
  }
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) to 127.0.0.1:`upstreamPort()`, asked per connection,
 * so one proxy serves each run's fresh destination registry in turn.
 */
export async function startLatencyProxy(options: {
  upstreamPort: () => number;
  oneWayMs: number;
}): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const lines = new Set<DelayLine>();
  let accepted = 0;
  let turns: Turn[] = [];
  const server: Server = createServer({ noDelay: true }, (client) => {
    const connection = ++accepted;
    const connectedAt = performance.now();
    let port: number;
    try {
      port = options.upstreamPort();
    } catch {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // Errors travel as a 'close' with hadError (DelayLine); nothing to report here.
      socket.on('error', () => {});
    }
    let speaking: Turn['direction'] | undefined;
    const turn = (direction: Turn['direction']) => (chunk: Buffer) => {
      if (speaking === direction) return;
      speaking = direction;
      if (turns.length < MAX_TURNS)
        turns.push({ at: performance.now(), connection, direction, line: firstLine(chunk) });
    };
    client.on('data', turn('>'));
    upstream.on('data', turn('<'));
    const up = new DelayLine(client, upstream, options.oneWayMs, connectedAt + 3 * options.oneWayMs);
    const down = new DelayLine(upstream, client, options.oneWayMs, 0);
    lines.add(up);
    lines.add(down);
    client.once('close', () => {
      // Whatever is still held for the client goes with it; the upstream half ends on its own.
      lines.delete(down);
    });
    upstream.once('close', () => lines.delete(up));
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('latency proxy: no port');
  return {
    host: `127.0.0.1:${address.port}`,
    port: address.port,
    connections: () => accepted,
    turns: () => {
      const taken = turns;
      turns = [];
      return taken;
    },
    close: async () => {
      for (const line of lines) line.stop();
      lines.clear();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The two proxies of a run through latency, in their child process. */
export interface ProxyPair {
  rttMs: number;
  /** '127.0.0.1:PORT' of the proxy in front of the source, and of the one in front of the destination. */
  srcHost: string;
  dstHost: string;
  /** Whether the child runs at a raised priority (needs root). */
  raised: boolean;
  /** Points the destination proxy at this registry port (each run has a fresh destination). */
  setDestination(port: number): Promise<void>;
  /** Connections each proxy accepted so far. */
  connections(): Promise<{ src: number; dst: number }>;
  /** Each proxy's turns since the last call (latency-proxy.ts Turn), then forgotten. */
  turns(): Promise<{ src: Turn[]; dst: Turn[] }>;
  close(): Promise<void>;
}

/** Messages to the child: ask with an id, it answers with the same id. */
type Question = { kind: 'destination'; port: number } | { kind: 'connections' } | { kind: 'turns' };
export type ProxyRequest = Question & { id: number };
export type ProxyAnswer =
  | { kind: 'ready'; src: number; dst: number }
  | { id: number; kind: 'done' }
  | { id: number; kind: 'connections'; src: number; dst: number }
  | { id: number; kind: 'turns'; src: Turn[]; dst: Turn[] };

/** Nice value of the proxy child where the user may raise priority (root); the clients keep 0. */
const PROXY_NICE = -10;

/**
 * Forks latency-proxy-child.ts with proxies in front of 127.0.0.1:`srcPort` and (later) the
 * destination. The child exits when its IPC channel closes, so it cannot outlive the benchmark.
 */
export async function startProxyPair(rttMs: number, srcPort: number): Promise<ProxyPair> {
  const child: ChildProcess = fork(
    join(import.meta.dirname, 'latency-proxy-child.ts'),
    [String(rttMs / 2), String(srcPort)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  let raised = false;
  try {
    if (child.pid !== undefined) {
      setPriority(child.pid, PROXY_NICE);
      raised = true;
    }
  } catch {
    // Not root: the proxy runs at the benchmark's own priority (the report says which).
  }
  const pending = new Map<number, (answer: ProxyAnswer) => void>();
  let nextId = 1;
  const ready = new Promise<{ src: number; dst: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`latency proxy exited (${code}) before it was ready`)));
    child.on('message', (answer: ProxyAnswer) => {
      if (answer.kind === 'ready') resolve(answer);
      else pending.get(answer.id)?.(answer);
    });
  });
  const { src, dst } = await ready;
  const ask = (request: Question): Promise<ProxyAnswer> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (answer) => {
        pending.delete(id);
        resolve(answer);
      });
      child.send({ ...request, id }, (err) => {
        if (err) reject(err);
      });
    });
  return {
    rttMs,
    srcHost: `127.0.0.1:${src}`,
    dstHost: `127.0.0.1:${dst}`,
    raised,
    async setDestination(port) {
      await ask({ kind: 'destination', port });
    },
    async connections() {
      const answer = await ask({ kind: 'connections' });
      return answer.kind === 'connections' ? { src: answer.src, dst: answer.dst } : { src: 0, dst: 0 };
    },
    async turns() {
      const answer = await ask({ kind: 'turns' });
      return answer.kind === 'turns' ? { src: answer.src, dst: answer.dst } : { src: [], dst: [] };
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    },
  };
}
