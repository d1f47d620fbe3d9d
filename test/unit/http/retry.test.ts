// Retry policy and middleware logic, without a server: what is retried, how long it waits, and
// that a failure is retried at one level only. The behaviour against the real registry through
// the fault proxy is in test/commands/faults.test.ts.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { FerryError, NetworkError } from '../../../src/errors.js';
import { RegistryError, retryAfterMs } from '../../../src/http/errors.js';
import { DEFAULT_RETRY_POLICY, Retrier, retryMiddleware, transientFailure } from '../../../src/http/retry.js';
import type { HttpRequest, HttpResponse, ResponseBody } from '../../../src/http/types.js';

function recordingRetrier(retries: number, random = () => 0.5) {
  const waits: number[] = [];
  const retrier = new Retrier({
    ...DEFAULT_RETRY_POLICY,
    retries,
    random,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { retrier, waits };
}

function response(status: number, headers: Record<string, string> = {}): HttpResponse {
  const body = Object.assign(Readable.from([]), {
    text: async () => '',
    arrayBuffer: async () => new ArrayBuffer(0),
    dump: async () => {},
  }) as unknown as ResponseBody;
  return { status, headers, body, url: new URL('http://127.0.0.1:1/v2/') };
}

const get = (method: HttpRequest['method'] = 'GET', extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method,
  url: new URL('http://127.0.0.1:1/v2/r/manifests/t'),
  ...extra,
});

const reset = () => new NetworkError('connection reset', { transient: true });

describe('Retry-After', () => {
  test('delta-seconds and HTTP-date both give milliseconds from now', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Sun, 22 Nov 2026 10:00:03 GMT', now), 3000);
    assert.equal(retryAfterMs('Sun, 22 Nov 2026 09:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs('-5', now), undefined);
  });
});

describe('Retrier.delayFor', () => {
  test('backoff doubles from the base, with jitter between half and all of it, up to the cap', () => {
    const low = new Retrier({ ...DEFAULT_RETRY_POLICY, random: () => 0 });
    const high = new Retrier({ ...DEFAULT_RETRY_POLICY, random: () => 0.999999 });
    const base = DEFAULT_RETRY_POLICY.baseDelayMs;
    assert.equal(low.delayFor(1), base / 2);
    assert.equal(high.delayFor(1), base);
    assert.equal(low.delayFor(3), base * 2);
    assert.equal(high.delayFor(3), base * 4);
    assert.equal(high.delayFor(30), DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  test('a Retry-After wins over backoff, cut to the cap', () => {
    const r = new Retrier(DEFAULT_RETRY_POLICY);
    assert.equal(r.delayFor(1, 3000), 3000);
    assert.equal(r.delayFor(1, 6 * 3600 * 1000), DEFAULT_RETRY_POLICY.maxRetryAfterMs);
  });
});

describe('transientFailure', () => {
  const registryError = (status: number, attempts = 1) =>
    new RegistryError('E_REGISTRY', `HTTP ${status}`, {
      status,
      method: 'GET',
      url: new URL('http://h/v2/'),
      diagnostics: [],
      attempts,
    });

  test('resets and try-later statuses are transient; refusals, mismatches and 4xx are not', () => {
    assert.ok(transientFailure(reset()));
    assert.equal(transientFailure(new NetworkError('connection refused')), undefined);
    for (const status of [408, 429, 500, 502, 503, 504]) assert.ok(transientFailure(registryError(status)));
    for (const status of [400, 401, 403, 404, 405, 501])
      assert.equal(transientFailure(registryError(status)), undefined);
    assert.equal(transientFailure(new FerryError('E_DIGEST_MISMATCH', 'x')), undefined);
    assert.equal(transientFailure(new Error('plain')), undefined);
  });

  test('a 5xx the transport already retried is not retried again higher up', () => {
    assert.equal(transientFailure(registryError(503, 3)), undefined);
  });
});

describe('Retrier.run', () => {
  test('retries transient failures, then succeeds', async () => {
    const { retrier, waits } = recordingRetrier(3);
    let calls = 0;
    const result = await retrier.run('op', async () => {
      calls++;
      if (calls < 3) throw reset();
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(calls, 3);
    assert.equal(waits.length, 2);
  });

  test('gives up after the budget, says so, and the error is final for outer levels', async () => {
    const { retrier, waits } = recordingRetrier(2);
    let calls = 0;
    const err = await retrier
      .run('op', async () => {
        calls++;
        throw reset();
      })
      .catch((e: unknown) => e);
    assert.equal(calls, 3);
    assert.equal(waits.length, 2);
    assert.ok(err instanceof NetworkError);
    assert.match(err.message, /gave up after 3 attempts/);
    assert.equal(transientFailure(err), undefined, 'exhausted errors are not retried again');
    // An outer run sees a final error and does not multiply the attempts.
    let outerCalls = 0;
    await assert.rejects(
      retrier.run('outer', async () => {
        outerCalls++;
        throw err;
      }),
    );
    assert.equal(outerCalls, 1);
  });

  test('a permanent failure is thrown at once', async () => {
    const { retrier, waits } = recordingRetrier(5);
    let calls = 0;
    await assert.rejects(
      retrier.run('op', async () => {
        calls++;
        throw new NetworkError('refused');
      }),
      /refused$/,
    );
    assert.equal(calls, 1);
    assert.equal(waits.length, 0);
  });
});

describe('retryMiddleware', () => {
  test('retries an idempotent request on 503, honouring Retry-After', async () => {
    const { retrier, waits } = recordingRetrier(3);
    const answers = [response(503, { 'retry-after': '2' }), response(503), response(200)];
    const send = retryMiddleware(retrier)(async () => answers.shift() as HttpResponse);
    const res = await send(get());
    assert.equal(res.status, 200);
    assert.equal(res.attempts, 3);
    assert.equal(waits[0], 2000);
    assert.equal(waits.length, 2);
  });

  test('returns the last answer with its attempt count when the budget runs out', async () => {
    const { retrier } = recordingRetrier(2);
    let calls = 0;
    const send = retryMiddleware(retrier)(async () => {
      calls++;
      return response(500);
    });
    const res = await send(get());
    assert.equal(res.status, 500);
    assert.equal(res.attempts, 3);
    assert.equal(calls, 3);
  });

  test('retries a reset before the answer', async () => {
    const { retrier } = recordingRetrier(2);
    let calls = 0;
    const send = retryMiddleware(retrier)(async () => {
      calls++;
      if (calls === 1) throw reset();
      return response(200);
    });
    assert.equal((await send(get('HEAD'))).status, 200);
    assert.equal(calls, 2);
  });

  test('never retries a POST, a PATCH, a streamed body or a request marked retry: false', async () => {
    const { retrier, waits } = recordingRetrier(5);
    const cases: HttpRequest[] = [
      get('POST'),
      get('PATCH', { body: Buffer.from('chunk') }),
      get('PUT', { body: Readable.from([Buffer.from('stream')]) }),
      get('GET', { retry: false }),
    ];
    for (const req of cases) {
      let calls = 0;
      const send = retryMiddleware(retrier)(async () => {
        calls++;
        return response(503);
      });
      assert.equal((await send(req)).status, 503);
      assert.equal(calls, 1, `${req.method} sent once`);
    }
    assert.equal(waits.length, 0);
  });

  test('a PUT with a Buffer body (a manifest) is retried', async () => {
    const { retrier } = recordingRetrier(2);
    let calls = 0;
    const send = retryMiddleware(retrier)(async () => {
      calls++;
      return response(calls === 1 ? 502 : 201);
    });
    assert.equal((await send(get('PUT', { body: Buffer.from('{}') }))).status, 201);
    assert.equal(calls, 2);
  });
});
