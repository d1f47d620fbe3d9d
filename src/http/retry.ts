/**
 * Retries, at exactly one level per failure (architecture.md principle 4):
 *
 * - `retryMiddleware` retries a single request at the transport level, only when it is
 *   idempotent (GET, HEAD, PUT, DELETE) and its body can be sent again. A streamed body (a blob
 *   PATCH) or a POST never is.
 * - `Retrier.run` retries a whole operation that spans requests or reads a body (a blob upload
 *   with a fresh session, a download resumed with Range). Requests inside it carry
 *   `retry: false`, so the transport does not retry them as well: go-containerregistry's
 *   `retry.Never` inside `uploadOne`, which it says avoids "retry amplification".
 *
 * What is retried: resets, stalls and truncations (NetworkError.transient) and the statuses
 * registries and CDNs use for "try later" (408, 429, 500, 502, 503, 504). Waits grow
 * exponentially with jitter, and a `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3) is
 * honoured up to a cap, so a Docker Hub answer of "come back in six hours" fails rather than hangs.
 * An error that already used up its retries is final: no outer level retries it again.
 */
import { NetworkError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { RegistryError, retryAfterMs } from './errors.js';
import { header, isReplayable, type Method, type Middleware } from './types.js';

export interface RetryPolicy {
  /** Attempts after the first (--retries). */
  retries: number;
  /** The first backoff; each further one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; a longer hint is cut to this. */
  maxRetryAfterMs: number;
  /** Told before every wait (the CLI says long waits on stderr). */
  onWait?: ((wait: RetryWait) => void) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  /** Ends any wait at once (the user interrupted ferry). */
  signal?: AbortSignal | undefined;
}

export interface RetryWait {
  /** What is being retried ("GET https://h/v2/r/manifests/t", "upload of blob sha256:…"). */
  what: string;
  /** Why: the status or the network failure. */
  reason: string;
  /** The retry about to happen (1 for the first retry) and how many are allowed. */
  attempt: number;
  retries: number;
  delayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** Statuses that mean "try again later" (the set undici's and oras-go's retry policies use). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

const IDEMPOTENT: ReadonlySet<Method> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Errors that used up their retries: no outer level may retry them again. */
const exhausted = new WeakSet<object>();

/**
 * Why `err` may pass when tried again, or undefined when it will not. A RegistryError that the
 * transport already retried (attempts > 1) is not retried again higher up.
 */
export function transientFailure(err: unknown): { reason: string; retryAfterMs?: number } | undefined {
  if (typeof err !== 'object' || err === null || exhausted.has(err)) return undefined;
  if (err instanceof NetworkError) return err.transient ? { reason: err.message } : undefined;
  if (err instanceof RegistryError && RETRY_STATUSES.has(err.status) && err.attempts <= 1) {
    return {
      reason: `HTTP ${err.status}`,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  return undefined;
}

export class Retrier {
  constructor(readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY) {}

  get retries(): number {
    return this.policy.retries;
  }

  /** The wait before retry number `attempt` (1-based): the server's hint, else jittered backoff. */
  delayFor(attempt: number, retryAfterMs?: number): number {
    const { baseDelayMs, maxDelayMs, maxRetryAfterMs } = this.policy;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxRetryAfterMs);
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the ceiling, so waits still grow, but clients that failed
    // together do not come back together.
    const random = this.policy.random ?? Math.random;
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  async wait(
    what: string,
    attempt: number,
    reason: string,
    retryAfterMs?: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const delayMs = this.delayFor(attempt, retryAfterMs);
    this.policy.onWait?.({ what, reason, attempt, retries: this.policy.retries, delayMs });
    await (this.policy.sleep ?? sleep)(delayMs, signal ?? this.policy.signal);
  }

  /**
   * Runs `operation` until it succeeds, fails for good, or has used the retries. `operation`
   * gets the attempt number (0 first) and must start over cleanly each time.
   */
  async run<T>(what: string, operation: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation(attempt);
      } catch (err) {
        const verdict = transientFailure(err);
        if (!verdict || attempt >= this.policy.retries) throw giveUp(err, attempt);
        await this.wait(what, attempt + 1, verdict.reason, verdict.retryAfterMs);
      }
    }
  }
}

/** Marks an error as final and, when it was retried, says so in its message. */
export function giveUp(err: unknown, retriesDone: number): unknown {
  if (typeof err !== 'object' || err === null) return err;
  if (retriesDone > 0 && err instanceof Error && !exhausted.has(err)) {
    err.message = `${err.message} (gave up after ${retriesDone + 1} attempts)`;
  }
  exhausted.add(err);
  return err;
}

/** Transport-level retry for idempotent requests with replayable bodies (see the file comment). */
export function retryMiddleware(retrier: Retrier): Middleware {
  return (next) => async (req) => {
    if (req.retry === false || !IDEMPOTENT.has(req.method) || !isReplayable(req.body)) return next(req);
    const what = `${req.method} ${req.url.origin}${req.url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await next(req);
        if (!RETRY_STATUSES.has(res.status) || attempt >= retrier.retries) {
          return attempt > 0 ? { ...res, attempts: attempt + 1 } : res;
        }
        const hint = header(res.headers, 'retry-after');
        await res.body.dump();
        const after = hint === undefined ? undefined : retryAfterMs(hint);
        await retrier.wait(what, attempt + 1, `HTTP ${res.status}`, after, req.signal);
      } catch (err) {
        const verdict = transientFailure(err);
        if (!verdict || attempt >= retrier.retries) throw giveUp(err, attempt);
        await retrier.wait(what, attempt + 1, verdict.reason, undefined, req.signal);
      }
    }
  };
}
