// Polling helpers: wait until an HTTP(S) endpoint answers, or until a condition holds.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One GET; resolves with the status code (the body is discarded). Rejects on connection errors. */
/** TLS options of a probe: the CA to trust, and a client certificate for registries that require one. */
export interface ProbeTls {
  ca?: string | Buffer;
  cert?: string;
  key?: string;
}

export function httpStatus(url: string, options: ProbeTls & { timeoutMs?: number } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'GET',
        agent: false,
        timeout: options.timeoutMs ?? 2000,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`timeout waiting for ${url}`)));
    req.once('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** An error thrown by `check` for which this returns true ends the wait at once (rethrown). */
  stopOn?: (error: unknown) => boolean;
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined; errors it throws
 * count as "not yet" unless `stopOn` says otherwise. Rejects after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 5000, intervalMs = 10, stopOn }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (stopOn?.(error)) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/** Waits until GET `url` answers with one of `statuses`. */
export function waitForHttp(
  url: string,
  statuses: readonly number[],
  options: ProbeTls & { timeoutMs?: number } = {},
): Promise<number> {
  const { timeoutMs, ...tls } = options;
  return waitFor(
    `${url} to answer ${statuses.join('/')}`,
    async () => {
      const status = await httpStatus(url, tls);
      if (statuses.includes(status)) return status;
      throw new Error(`status ${status}`);
    },
    { timeoutMs: timeoutMs ?? 5000 },
  );
}
