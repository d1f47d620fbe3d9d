/**
 * Per-host limits, shared by everything one run sends to a host (architecture.md §7): every
 * registry client, every image of a `copy -a` or a mirror, the token requests.
 *
 * - concurrent: requests in flight to the host at once. A request holds its slot until its answer's
 *   headers arrive (for an upload: until the registry has taken the whole body), not while its body
 *   is read, so a copy between two repositories of one host cannot deadlock on its own downloads.
 * - requestsPerSecond: a token bucket of one second's worth, refilled continuously.
 * - cool-down: an answer with `Retry-After` (a 429, or a 503 that says when) pauses every request to
 *   that host until then, not only the one that got it: the others would only be refused too, and
 *   count against the client (Docker Hub, GHCR). The retry middleware retries the refused request
 *   itself; the gate holds the rest.
 * - quotaFloor: Docker Hub states its pull quota on manifest answers (`RateLimit-Remaining: 76;w=21600`;
 *   HEAD requests show it without counting). Once the remaining quota is at the floor, a manifest
 *   GET (which counts as a pull) is refused with a clear error instead of spending the quota.
 */
import { FerryError } from '../errors.js';
import { createSemaphore, type Semaphore } from '../util/limit.js';
import { sleep } from '../util/sleep.js';
import { retryAfterMs } from './errors.js';
import { type HttpResponse, header, type Middleware } from './types.js';

export interface HostLimits {
  concurrent?: number | undefined;
  requestsPerSecond?: number | undefined;
  /** Refuse manifest GETs once the host's stated remaining pull quota is this low (Docker Hub). */
  quotaFloor?: number | undefined;
}

export interface GateClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: GateClock = {
  now: () => Date.now(),
  sleep,
};

/** A pull quota would be spent below the floor the user set. */
export class QuotaFloorError extends FerryError {
  constructor(host: string, remaining: number, floor: number) {
    super(
      'E_REGISTRY',
      `${host}: the pull quota left (${remaining}) is at the floor you set (quotaFloor ${floor}): no more manifest pulls from it in this run`,
      {
        hint: 'raise or drop quotaFloor, log in for a larger quota, or run again once the quota window has passed',
      },
    );
  }
}

/** The gate of one host. */
export class HostGate {
  private semaphore: Semaphore | undefined;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  /** The last `RateLimit-Remaining` the host stated. */
  remaining: number | undefined;

  constructor(
    readonly host: string,
    private limits: HostLimits,
    private readonly clock: GateClock,
  ) {
    this.semaphore = limits.concurrent ? createSemaphore(limits.concurrent) : undefined;
    this.tokens = limits.requestsPerSecond ?? 0;
    this.refilledAt = clock.now();
  }

  setLimits(limits: HostLimits): void {
    if (limits.concurrent !== this.limits.concurrent)
      this.semaphore = limits.concurrent ? createSemaphore(limits.concurrent) : undefined;
    this.limits = limits;
    this.tokens = Math.min(this.tokens, limits.requestsPerSecond ?? 0);
  }

  /**
   * Waits for the cool-down, a rate token and a slot; returns the slot's release. A request that
   * waited for its slot while a 429 came in waits out that pause too, the slot given back meanwhile.
   */
  async enter(signal?: AbortSignal, countsAsPull = false): Promise<() => void> {
    for (;;) {
      await this.coolDown(signal);
      const { quotaFloor } = this.limits;
      const floor = quotaFloor !== undefined && this.remaining !== undefined && this.remaining <= quotaFloor;
      if (countsAsPull && floor) throw new QuotaFloorError(this.host, this.remaining ?? 0, quotaFloor ?? 0);
      await this.takeToken(signal);
      const release = this.semaphore ? await this.semaphore.acquire() : () => {};
      if (this.pausedUntil <= this.clock.now()) return release;
      release();
    }
  }

  private async coolDown(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.clock.now();
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }

  private async takeToken(signal?: AbortSignal): Promise<void> {
    const rate = this.limits.requestsPerSecond;
    if (!rate) return;
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / rate) * 1000), signal);
    }
  }

  /** Reads what an answer says about the host: a cool-down to start, the quota left. */
  observe(res: Pick<HttpResponse, 'status' | 'headers'>): void {
    const remaining = header(res.headers, 'ratelimit-remaining');
    const count = remaining === undefined ? undefined : /^\s*(\d+)/.exec(remaining)?.[1];
    if (count !== undefined) this.remaining = Number(count);
    if (res.status !== 429 && res.status !== 503) return;
    const hint = header(res.headers, 'retry-after');
    const ms = hint === undefined ? undefined : retryAfterMs(hint);
    if (ms !== undefined && ms > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }
}

/** Every host's gate for one run. */
export class HostGates {
  private readonly gates = new Map<string, HostGate>();
  private readonly limits = new Map<string, HostLimits>();

  constructor(private readonly clock: GateClock = realClock) {}

  /** Limits for a host (`host[:port]` as in URLs); applies to requests from now on. */
  limit(host: string, limits: HostLimits): void {
    this.limits.set(host, limits);
    this.gates.get(host)?.setLimits(limits);
  }

  for(host: string): HostGate {
    let gate = this.gates.get(host);
    if (!gate) {
      gate = new HostGate(host, this.limits.get(host) ?? {}, this.clock);
      this.gates.set(host, gate);
    }
    return gate;
  }
}

/** A manifest GET is what a registry with a pull quota counts (Docker Hub: HEADs are free). */
const countsAsPull = (method: string, url: URL): boolean =>
  method === 'GET' && url.pathname.includes('/manifests/');

export function hostGateMiddleware(gates: HostGates): Middleware {
  return (next) => async (req) => {
    const gate = gates.for(req.url.host);
    const leave = await gate.enter(req.signal, countsAsPull(req.method, req.url));
    try {
      const res = await next(req);
      gate.observe(res);
      return res;
    } finally {
      leave();
    }
  };
}
