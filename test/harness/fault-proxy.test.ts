// Self-test of fault-proxy.ts: every action against the real registry, driven by plain node:http
// requests (not ferry), so a failure here is the proxy's, not the client's.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type FaultProxy, type FaultRule, type ProxyLogEntry, startFaultProxy } from './fault-proxy.js';
import { generateImage, type ImageSummary, pseudoRandomBytes, readLayoutBlob, sha256 } from './images.js';
import { type Registry, startRegistry } from './registry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy, skopeoInspectRaw } from './skopeo.js';
import { waitFor } from './wait.js';

// The tests share one proxy and change its rules: run them in order.
const IN_ORDER = { concurrency: 1 };
const MIB = 1024 * 1024;

interface Reply {
  /** undefined: the exchange broke before a response arrived. */
  status: number | undefined;
  headers: IncomingHttpHeaders;
  /** Every body byte received, even when the exchange then broke. */
  body: Buffer;
  /** Set when the exchange did not end cleanly (reset, premature close, timeout...). */
  error: Error | undefined;
  /** ms from sending to the response headers, and to the end. */
  headersMs: number;
  totalMs: number;
  /** ms from the first body byte to the end. */
  bodyMs: number;
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A Buffer is sent with Content-Length; an array of Buffers is streamed chunked, one write each. */
  body?: Buffer | Buffer[];
  timeoutMs?: number;
}

/** One request on a fresh connection; never rejects: failures are in `error`. */
function call(url: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const start = Date.now();
    const chunks: Buffer[] = [];
    const reply: Reply = {
      status: undefined,
      headers: {},
      body: Buffer.alloc(0),
      error: undefined,
      headersMs: 0,
      totalMs: 0,
      bodyMs: 0,
    };
    let firstByte = 0;
    let settled = false;
    const done = (error?: Error): void => {
      if (settled) return;
      settled = true;
      reply.body = Buffer.concat(chunks);
      reply.error = error;
      reply.totalMs = Date.now() - start;
      reply.bodyMs = firstByte ? Date.now() - firstByte : 0;
      resolve(reply);
    };
    const headers: Record<string, string> = { ...options.headers };
    if (Buffer.isBuffer(options.body)) headers['content-length'] = String(options.body.length);
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      reply.status = res.statusCode;
      reply.headers = res.headers;
      reply.headersMs = Date.now() - start;
      res.on('data', (chunk: Buffer) => {
        firstByte ||= Date.now();
        chunks.push(chunk);
      });
      res.on('end', () => done());
      res.on('error', (error) => done(error));
      res.on('close', () => {
        if (!res.complete) done(new Error('response closed before its end'));
      });
    });
    req.on('error', (error) => done(error));
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    }
    const body = options.body;
    if (Array.isArray(body)) {
      void (async () => {
        for (const chunk of body) {
          if (req.destroyed) return;
          await new Promise<void>((ok) => req.write(chunk, () => ok()));
        }
        req.end();
      })();
    } else {
      req.end(body);
    }
  });
}

const header = (reply: Reply, name: string): string | undefined => {
  const value = reply.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** Offsets where a and b differ (same length assumed). */
function differences(a: Buffer, b: Buffer): number[] {
  assert.equal(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** Starts a monolithic upload of `data` to `base` (proxy or registry); resolves with the PUT reply. */
async function uploadBlob(base: string, repo: string, data: Buffer): Promise<Reply> {
  const started = await call(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(started.status, 202, started.body.toString());
  const location = header(started, 'location')!;
  return call(`${location}&digest=${encodeURIComponent(sha256(data))}`, { method: 'PUT', body: data });
}

const only = (log: ProxyLogEntry[], method: string, pattern: RegExp): ProxyLogEntry[] =>
  log.filter((e) => e.method === method && pattern.test(e.path));

describe('fault proxy', IN_ORDER, () => {
  let reg: Registry;
  let proxy: FaultProxy;
  let img: ImageSummary;
  /** The big layer (≈1.2 MB) and the config blob, with their bytes. */
  let big: { digest: string; bytes: Buffer; url: string };
  let small: { digest: string; bytes: Buffer; url: string };

  before(async () => {
    [reg, img] = await Promise.all([
      startRegistry(),
      generateImage({ tag: 'v1', layers: [1_200_000, 4096] }),
    ]);
    await pushImage(reg, 'lab/img:v1', img);
    proxy = await startFaultProxy({ upstream: reg.url, seed: 42 });
    const platform = img.platforms[0]!;
    const layer = platform.layers[0]!;
    big = {
      digest: layer.digest,
      bytes: await readLayoutBlob(img.dir, layer.digest),
      url: `${proxy.url}/v2/lab/img/blobs/${layer.digest}`,
    };
    small = {
      digest: platform.configDigest,
      bytes: await readLayoutBlob(img.dir, platform.configDigest),
      url: `${proxy.url}/v2/lab/img/blobs/${platform.configDigest}`,
    };
    assert.ok(big.bytes.length > MIB);
  });
  beforeEach(() => {
    proxy.clearLog();
  });
  afterEach(async () => {
    await proxy.idle();
    proxy.clearRules();
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  describe('unmatched traffic', IN_ORDER, () => {
    test('a 1 MiB+ blob, HEAD and the manifest pass intact', async () => {
      const got = await call(big.url);
      assert.equal(got.error, undefined);
      assert.equal(got.status, 200);
      assert.equal(got.body.length, big.bytes.length);
      assert.equal(sha256(got.body), big.digest);
      assert.equal(header(got, 'content-length'), String(big.bytes.length));
      assert.equal(header(got, 'docker-content-digest'), big.digest);

      const head = await call(big.url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(header(head, 'content-length'), String(big.bytes.length));

      const manifest = await call(`${proxy.url}/v2/lab/img/manifests/v1`, {
        headers: { accept: img.mediaType },
      });
      assert.equal(manifest.status, 200);
      assert.equal(sha256(manifest.body), img.digest);

      await proxy.idle();
      const [entry] = only(proxy.log, 'GET', /\/blobs\//);
      assert.equal(entry?.status, 200);
      assert.equal(entry?.fault, undefined);
      assert.equal(entry?.responseBytes, big.bytes.length);
      assert.equal(entry?.error, undefined);
    });

    test('a Range request gets 206 and the slice', async () => {
      const got = await call(big.url, { headers: { range: 'bytes=1000-1999' } });
      assert.equal(got.status, 206);
      assert.equal(header(got, 'content-range'), `bytes 1000-1999/${big.bytes.length}`);
      assert.deepEqual(got.body, big.bytes.subarray(1000, 2000));
      await proxy.idle();
      assert.equal(proxy.log[0]?.range, 'bytes=1000-1999');
    });

    test('upload Locations are rewritten to the proxy; a chunked upload completes through it', async () => {
      const direct = await call(`${reg.url}/v2/lab/up/blobs/uploads/`, { method: 'POST' });
      assert.ok(header(direct, 'location')?.startsWith(`${reg.url}/v2/lab/up/blobs/uploads/`));

      const data = pseudoRandomBytes('fault-proxy-upload', Math.floor(1.5 * MIB));
      const started = await call(`${proxy.url}/v2/lab/up/blobs/uploads/`, { method: 'POST' });
      assert.equal(started.status, 202);
      const location = header(started, 'location')!;
      assert.ok(location.startsWith(`${proxy.url}/v2/lab/up/blobs/uploads/`), location);

      // Two chunked PATCHes (no Content-Length), then the closing PUT.
      const half = Math.floor(data.length / 2);
      const parts = (from: number, to: number): Buffer[] => {
        const out: Buffer[] = [];
        for (let at = from; at < to; at += 100_000) out.push(data.subarray(at, Math.min(to, at + 100_000)));
        return out;
      };
      const first = await call(location, { method: 'PATCH', body: parts(0, half) });
      assert.equal(first.status, 202, first.body.toString());
      assert.equal(header(first, 'range'), `0-${half - 1}`);
      const next = header(first, 'location')!;
      assert.ok(next.startsWith(proxy.url), next);
      const second = await call(next, { method: 'PATCH', body: parts(half, data.length) });
      assert.equal(second.status, 202);
      const put = await call(`${header(second, 'location')}&digest=${sha256(data)}`, { method: 'PUT' });
      assert.equal(put.status, 201, put.body.toString());
      assert.ok(header(put, 'location')?.startsWith(`${proxy.url}/v2/lab/up/blobs/sha256:`));

      const back = await call(`${reg.url}/v2/lab/up/blobs/${sha256(data)}`);
      assert.equal(sha256(back.body), sha256(data));
      await proxy.idle();
      const patches = only(proxy.log, 'PATCH', /uploads/);
      assert.deepEqual(
        patches.map((e) => e.requestBytes),
        [half, data.length - half],
      );
    });

    test('skopeo pushes through the proxy', async () => {
      const pushed = await skopeoCopy(img.ref, `docker://${proxy.host}/lab/via:v1`, {
        all: true,
        dest: { tlsVerify: false },
      });
      assert.equal(pushed.digest, img.digest);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/via:v1'), registryAccess(reg));
      assert.equal(sha256(raw), img.digest);
      await proxy.idle();
      assert.ok(
        proxy.log.some((e) => e.method === 'PUT' && /manifests\/v1$/.test(e.path) && e.status === 201),
      );
      assert.deepEqual(
        proxy.log.filter((e) => e.error !== undefined),
        [],
      );
    });
  });

  describe('status', IN_ORDER, () => {
    test('503 with Retry-After seconds, never reaching upstream', async () => {
      const rule = proxy.addRule({
        path: /\/lab\/never\//,
        action: { kind: 'status', status: 503, retryAfter: 7 },
      });
      const got = await call(`${proxy.url}/v2/lab/never/tags/list`);
      assert.equal(got.status, 503);
      assert.equal(header(got, 'retry-after'), '7');
      assert.match(header(got, 'content-type') ?? '', /application\/json/);
      const body = JSON.parse(got.body.toString()) as { errors: { code: string }[] };
      assert.equal(body.errors[0]?.code, 'UNAVAILABLE');
      assert.equal(rule.hits, 1);
      // A later request does reach the registry; the injected one must not be in its log.
      const marker = await call(`${proxy.url}/v2/lab/marker/tags/list`);
      assert.equal(marker.status, 404);
      await reg.waitForLog('lab/marker');
      assert.doesNotMatch(reg.readLog(), /lab\/never/);
      await proxy.idle();
      assert.deepEqual(proxy.log[0]?.fault, { rule: rule.name, kind: 'status', status: 503 });
      assert.equal(proxy.log[0]?.status, 503);
    });

    test('503 with an HTTP-date Retry-After; 429; custom body and headers', async () => {
      const when = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
      proxy.addRule({ method: 'GET', times: 1, action: { kind: 'status', status: 503, retryAfter: when } });
      proxy.addRule({ method: 'GET', times: 1, action: { kind: 'status', status: 429, retryAfter: '2' } });
      proxy.addRule({
        method: 'GET',
        times: 1,
        action: {
          kind: 'status',
          status: 502,
          body: 'bad gateway',
          headers: { 'Content-Type': 'text/plain' },
        },
      });
      const dated = await call(small.url);
      assert.equal(dated.status, 503);
      assert.equal(header(dated, 'retry-after'), 'Wed, 02 Jan 2030 03:04:05 GMT');
      const limited = await call(small.url);
      assert.equal(limited.status, 429);
      assert.equal(header(limited, 'retry-after'), '2');
      assert.equal(
        (JSON.parse(limited.body.toString()) as { errors: { code: string }[] }).errors[0]?.code,
        'TOOMANYREQUESTS',
      );
      const custom = await call(small.url);
      assert.equal(custom.status, 502);
      assert.equal(custom.body.toString(), 'bad gateway');
      assert.equal(header(custom, 'content-type'), 'text/plain');
      const passed = await call(small.url);
      assert.deepEqual(passed.body, small.bytes);
    });
  });

  describe('headers', IN_ORDER, () => {
    test("upstream's real answer with headers added, replaced and removed", async () => {
      const rule = proxy.addRule({
        name: 'hub-limits',
        method: 'HEAD',
        path: /\/manifests\//,
        action: {
          kind: 'headers',
          headers: {
            'RateLimit-Limit': '100;w=21600',
            'Docker-Distribution-Api-Version': 'registry/2.0 (proxied)',
            'X-Content-Type-Options': '',
          },
        },
      });
      const url = `${proxy.url}/v2/lab/img/manifests/v1`;
      const head = await call(url, { method: 'HEAD', headers: { accept: img.mediaType } });
      assert.equal(head.status, 200);
      assert.equal(header(head, 'ratelimit-limit'), '100;w=21600');
      assert.equal(header(head, 'docker-distribution-api-version'), 'registry/2.0 (proxied)');
      assert.equal(header(head, 'x-content-type-options'), undefined);
      // Upstream's own headers are kept: the digest comes from the real registry.
      assert.equal(header(head, 'docker-content-digest'), img.digest);
      // Unmatched (GET) answers are untouched, and the body is upstream's.
      const get = await call(url, { headers: { accept: img.mediaType } });
      assert.equal(header(get, 'ratelimit-limit'), undefined);
      assert.equal(header(get, 'x-content-type-options'), 'nosniff');
      assert.equal(sha256(get.body), img.digest);
      await proxy.idle();
      assert.equal(rule.hits, 1);
      assert.deepEqual(proxy.log[0]?.fault, { rule: 'hub-limits', kind: 'headers' });
      assert.equal(proxy.log[0]?.status, 200);
    });
  });

  describe('reset-response', IN_ORDER, () => {
    test('the client gets exactly `at` bytes, then an error', async () => {
      proxy.addRule({ name: 'cut', path: /\/blobs\//, action: { kind: 'reset-response', at: 1000 } });
      const got = await call(big.url);
      assert.equal(got.status, 200);
      assert.equal(header(got, 'content-length'), String(big.bytes.length));
      assert.ok(got.error, 'the client must see an error');
      assert.equal(got.body.length, 1000);
      assert.deepEqual(got.body, big.bytes.subarray(0, 1000));
      await proxy.idle();
      const entry = proxy.log[0]!;
      assert.deepEqual(entry.fault, { rule: 'cut', kind: 'reset-response', at: 1000 });
      assert.equal(entry.responseBytes, 1000);
      assert.equal(entry.error, undefined);
    });

    test("'random' picks in [1, length-1] and logs it; the same seed picks the same offsets", async () => {
      const offsets = async (p: FaultProxy, url: string): Promise<number[]> => {
        p.addRule({ path: /\/blobs\//, times: 3, action: { kind: 'reset-response', at: 'random' } });
        const out: number[] = [];
        for (let i = 0; i < 3; i++) {
          const got = await call(url);
          assert.ok(got.error);
          await p.idle();
          const at = p.log.at(-1)?.fault?.at;
          assert.equal(got.body.length, at);
          assert.deepEqual(got.body, big.bytes.subarray(0, at));
          out.push(at!);
        }
        return out;
      };
      const first = await offsets(proxy, big.url);
      for (const at of first) assert.ok(at >= 1 && at <= big.bytes.length - 1, String(at));
      const twin = await startFaultProxy({ upstream: reg.url, seed: 42 });
      try {
        assert.deepEqual(await offsets(twin, `${twin.url}/v2/lab/img/blobs/${big.digest}`), first);
      } finally {
        await twin.close();
      }
    });

    test('HEAD is reset before the headers', async () => {
      proxy.addRule({ method: 'HEAD', action: { kind: 'reset-response' } });
      const got = await call(big.url, { method: 'HEAD' });
      assert.equal(got.status, undefined);
      assert.ok(got.error);
      await proxy.idle();
      assert.equal(proxy.log[0]?.fault?.at, 0);
    });

    test("socket: 'rst' resets the connection", async () => {
      proxy.addRule({ path: /\/blobs\//, action: { kind: 'reset-response', at: 4096, socket: 'rst' } });
      const got = await call(big.url);
      assert.ok(got.error);
      assert.ok(got.body.length <= 4096);
      assert.deepEqual(got.body, big.bytes.subarray(0, got.body.length));
    });
  });

  describe('truncate', IN_ORDER, () => {
    test('a clean, chunked, short body', async () => {
      proxy.addRule({ path: /\/blobs\//, action: { kind: 'truncate', at: 5000 } });
      const got = await call(big.url);
      assert.equal(got.error, undefined);
      assert.equal(got.status, 200);
      assert.equal(header(got, 'content-length'), undefined);
      assert.equal(header(got, 'transfer-encoding'), 'chunked');
      assert.deepEqual(got.body, big.bytes.subarray(0, 5000));
      await proxy.idle();
      assert.equal(proxy.log[0]?.fault?.at, 5000);
      assert.equal(proxy.log[0]?.responseBytes, 5000);
    });

    test("'random' stays inside the body", async () => {
      proxy.addRule({ path: /\/blobs\//, action: { kind: 'truncate', at: 'random' } });
      const got = await call(small.url);
      assert.equal(got.error, undefined);
      await proxy.idle();
      const at = proxy.log[0]?.fault?.at ?? -1;
      assert.ok(at >= 1 && at < small.bytes.length, String(at));
      assert.deepEqual(got.body, small.bytes.subarray(0, at));
    });
  });

  describe('flip', IN_ORDER, () => {
    test('exactly one response byte changes (XOR 0xff)', async () => {
      proxy.addRule({ path: /\/blobs\//, times: 1, action: { kind: 'flip', at: 123_456 } });
      const got = await call(big.url);
      assert.equal(got.error, undefined);
      assert.equal(got.status, 200);
      assert.deepEqual(differences(got.body, big.bytes), [123_456]);
      assert.equal(got.body[123_456], big.bytes[123_456]! ^ 0xff);
      assert.notEqual(sha256(got.body), big.digest);
      // 'random': one byte, where the log says.
      proxy.addRule({ path: /\/blobs\//, times: 1, action: { kind: 'flip' } });
      const random = await call(small.url);
      await proxy.idle();
      assert.deepEqual(differences(random.body, small.bytes), [proxy.log[1]?.fault?.at]);
    });

    test('a flipped request body makes the registry reject the digest', async () => {
      const data = pseudoRandomBytes('fault-proxy-flip', 200_000);
      proxy.addRule({
        name: 'flip-put',
        method: 'PUT',
        action: { kind: 'flip', direction: 'request', at: 777 },
      });
      const put = await uploadBlob(proxy.url, 'lab/flip', data);
      assert.equal(put.status, 400);
      assert.match(put.body.toString(), /DIGEST_INVALID/);
      const head = await call(`${reg.url}/v2/lab/flip/blobs/${sha256(data)}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
      await proxy.idle();
      const entry = only(proxy.log, 'PUT', /uploads/)[0]!;
      assert.deepEqual(entry.fault, { rule: 'flip-put', kind: 'flip', at: 777 });
      assert.equal(entry.requestBytes, data.length);
    });
  });

  describe('reset-request', IN_ORDER, () => {
    test('a monolithic PUT dies after `at` bytes and the blob never appears', async () => {
      const data = pseudoRandomBytes('fault-proxy-reset-put', 512 * 1024);
      proxy.addRule({ method: 'PUT', action: { kind: 'reset-request', at: 10_000 } });
      const put = await uploadBlob(proxy.url, 'lab/reset', data);
      assert.ok(put.error, 'the client must see its connection reset');
      assert.equal(put.status, undefined);
      await proxy.idle();
      const entry = only(proxy.log, 'PUT', /uploads/)[0]!;
      assert.equal(entry.fault?.kind, 'reset-request');
      assert.equal(entry.fault?.at, 10_000);
      assert.equal(entry.requestBytes, 10_000);
      const head = await call(`${reg.url}/v2/lab/reset/blobs/${sha256(data)}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
    });

    test("a chunked PATCH with 'random' is cut within maxOffset", async () => {
      const data = pseudoRandomBytes('fault-proxy-reset-patch', 256 * 1024);
      const started = await call(`${proxy.url}/v2/lab/reset/blobs/uploads/`, { method: 'POST' });
      const location = header(started, 'location')!;
      proxy.addRule({
        method: 'PATCH',
        action: { kind: 'reset-request', at: 'random', maxOffset: 64 * 1024 },
      });
      const chunks = Array.from({ length: 8 }, (_, i) => data.subarray(i * 32 * 1024, (i + 1) * 32 * 1024));
      const patch = await call(location, { method: 'PATCH', body: chunks });
      assert.ok(patch.error);
      await proxy.idle();
      const entry = only(proxy.log, 'PATCH', /uploads/)[0]!;
      const at = entry.fault?.at ?? -1;
      assert.ok(at >= 1 && at <= 64 * 1024, String(at));
      assert.equal(entry.requestBytes, at);
      // The proxy is idle, but the registry may still be handling the cut PATCH: what the status
      // request sees depends on whether the registry has written any of it yet. Once the session
      // holds bytes, the Location we kept (its `_state` says offset 0) is stale and the answer is
      // 404 BLOB_UPLOAD_INVALID (every local run); before that it is 204 with the empty range
      // "0-0" (seen once in CI). Either way it never holds more than the proxy let through.
      const status = await call(location.replace(proxy.url, reg.url));
      if (status.status === 404) {
        assert.match(status.body.toString(), /BLOB_UPLOAD_INVALID/);
      } else {
        assert.equal(status.status, 204);
        const range = /^0-(\d+)$/.exec(header(status, 'range') ?? '');
        assert.ok(range, `range header: ${header(status, 'range')}`);
        assert.ok(Number(range[1]) < at, `${range[1]} < ${at}`);
      }
      const head = await call(`${reg.url}/v2/lab/reset/blobs/${sha256(data)}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
    });

    test('a chunked body shorter than the offset is cut before its final chunk', async () => {
      const started = await call(`${proxy.url}/v2/lab/reset/blobs/uploads/`, { method: 'POST' });
      proxy.addRule({ method: 'PATCH', action: { kind: 'reset-request', at: 10 * MIB } });
      const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(1000, 3)];
      const patch = await call(header(started, 'location')!, { method: 'PATCH', body: chunks });
      assert.ok(patch.error);
      await proxy.idle();
      const entry = only(proxy.log, 'PATCH', /uploads/)[0]!;
      assert.ok(entry.requestBytes < 3000, String(entry.requestBytes));
      assert.equal(entry.fault?.at, entry.requestBytes);
    });
  });

  describe('delay', IN_ORDER, () => {
    test('headers are held for ms', async () => {
      proxy.addRule({ path: /\/blobs\//, action: { kind: 'delay', ms: 300 } });
      const got = await call(small.url);
      assert.ok(got.headersMs >= 290, `headers after ${got.headersMs} ms`);
      assert.deepEqual(got.body, small.bytes);
    });

    test('the body pauses mid-way', async () => {
      proxy.addRule({
        name: 'slow',
        path: /\/blobs\//,
        action: { kind: 'delay', ms: 300, phase: 'body', at: 1000 },
      });
      const got = await call(big.url);
      assert.ok(got.headersMs <= got.totalMs - 290, `headers after ${got.headersMs} of ${got.totalMs} ms`);
      assert.ok(got.bodyMs >= 290, `body took ${got.bodyMs} ms`);
      assert.equal(sha256(got.body), big.digest);
      await proxy.idle();
      assert.deepEqual(proxy.log[0]?.fault, { rule: 'slow', kind: 'delay', ms: 300, at: 1000 });
    });

    test("trips a client's timeout; the proxy survives the abandoned exchange", async () => {
      proxy.addRule({ path: /\/blobs\//, times: 1, action: { kind: 'delay', ms: 5000 } });
      const got = await call(small.url, { timeoutMs: 200 });
      assert.match(got.error?.message ?? '', /client timeout/);
      await proxy.idle();
      assert.equal(proxy.log[0]?.error, 'client closed the connection');
      const again = await call(small.url);
      assert.deepEqual(again.body, small.bytes);
    });
  });

  describe('redirect', IN_ORDER, () => {
    test('307 to 127.0.0.2; the target serves the blob and ranges without Authorization', async () => {
      proxy.addRule({ path: /\/blobs\//, method: 'GET', action: { kind: 'redirect' } });
      const first = await call(big.url, { headers: { authorization: 'Bearer secret-token' } });
      assert.equal(first.status, 307);
      const location = header(first, 'location')!;
      assert.ok(location.startsWith(`http://127.0.0.2:`), location);
      assert.ok(location.startsWith(`${proxy.redirectTarget.url}/signed/`), location);
      assert.match(location, /\?sig=[0-9a-f]+$/);

      const whole = await call(location);
      assert.equal(whole.status, 200);
      assert.equal(sha256(whole.body), big.digest);
      const slice = await call(location, { headers: { range: 'bytes=100-199' } });
      assert.equal(slice.status, 206);
      assert.equal(header(slice, 'content-range'), `bytes 100-199/${big.bytes.length}`);
      assert.deepEqual(slice.body, big.bytes.subarray(100, 200));
      assert.equal((await call(location.replace(/sig=.*/, 'sig=00'))).status, 403);
      assert.equal((await call(`${proxy.redirectTarget.url}/signed/nope?sig=00`)).status, 404);

      await proxy.idle();
      const targetLog = proxy.redirectTarget.log;
      assert.equal(targetLog.length, 4);
      for (const entry of targetLog) assert.equal(entry.headers.authorization, undefined);
      assert.deepEqual(
        targetLog.map((e) => e.status),
        [200, 206, 403, 404],
      );
      assert.equal(targetLog[1]?.bytes, 100);
      assert.equal(proxy.log[0]?.fault?.location, location);
      // HEAD is not a redirect rule's business unless it says so: method: 'GET' here.
      assert.equal((await call(big.url, { method: 'HEAD' })).status, 200);
    });
  });

  describe('budgets', IN_ORDER, () => {
    const tags = (): Promise<Reply> => call(`${proxy.url}/v2/lab/img/tags/list`);
    const statuses = async (n: number, send = tags): Promise<(number | undefined)[]> => {
      const out: (number | undefined)[] = [];
      for (let i = 0; i < n; i++) out.push((await send()).status);
      return out;
    };
    const fail = (status: number, extra: Partial<FaultRule> = {}): FaultRule => ({
      path: /tags\/list/,
      ...extra,
      action: { kind: 'status', status },
    });

    test('times', async () => {
      const rule = proxy.addRule(fail(503, { times: 2 }));
      assert.deepEqual(await statuses(3), [503, 503, 200]);
      assert.equal(rule.hits, 2);
      assert.equal(rule.matched, 3);
    });

    test('skip', async () => {
      proxy.addRule(fail(503, { skip: 1, times: 1 }));
      assert.deepEqual(await statuses(3), [200, 503, 200]);
    });

    test('oncePerPath (the query does not make a new path)', async () => {
      const rule = proxy.addRule({
        path: /\/blobs\//,
        oncePerPath: true,
        action: { kind: 'status', status: 500 },
      });
      assert.equal((await call(big.url)).status, 500);
      assert.equal((await call(big.url)).status, 200);
      assert.equal((await call(`${big.url}?again=1`)).status, 200);
      assert.equal((await call(small.url)).status, 500);
      assert.equal((await call(small.url)).status, 200);
      assert.equal(rule.hits, 2);
    });

    test('probability is reproducible for a seed', async () => {
      const pattern = async (p: FaultProxy): Promise<(number | undefined)[]> => {
        p.addRule({ path: /tags\/list/, probability: 0.5, action: { kind: 'status', status: 503 } });
        const out: (number | undefined)[] = [];
        for (let i = 0; i < 24; i++) out.push((await call(`${p.url}/v2/lab/img/tags/list`)).status);
        return out;
      };
      const [twin, other] = await Promise.all([
        startFaultProxy({ upstream: reg.url, seed: 42 }),
        startFaultProxy({ upstream: reg.url, seed: 43 }),
      ]);
      try {
        const a = await pattern(proxy);
        const b = await pattern(twin);
        const c = await pattern(other);
        assert.deepEqual(a, b);
        assert.notDeepEqual(a, c);
        const failed = a.filter((s) => s === 503).length;
        assert.ok(failed >= 4 && failed <= 20, `${failed} of 24 failed`);
        assert.ok(a.every((s) => s === 503 || s === 200));
      } finally {
        await Promise.all([twin.close(), other.close()]);
      }
    });

    test('order, fall-through, method filter, remove() and clearRules()', async () => {
      proxy.addRule(fail(500, { times: 1 }));
      const second = proxy.addRule(fail(502));
      assert.deepEqual(await statuses(3), [500, 502, 502]);
      second.remove();
      assert.deepEqual(await statuses(1), [200]);
      // (The registry answers HEAD on tags/list with 405, so use a blob for the method filter.)
      proxy.addRule({ method: 'head', path: /\/blobs\//, action: { kind: 'status', status: 503 } });
      assert.equal((await call(small.url)).status, 200);
      assert.equal((await call(small.url, { method: 'HEAD' })).status, 503);
      proxy.clearRules();
      assert.equal((await call(small.url, { method: 'HEAD' })).status, 200);
    });
  });
});

describe('fault proxy close()', () => {
  test('ends exchanges in flight and closes both servers', async () => {
    const reg = await startRegistry();
    try {
      const proxy = await startFaultProxy({ upstream: reg.url });
      proxy.addRule({ action: { kind: 'delay', ms: 30_000 } });
      const pending = call(`${proxy.url}/v2/`);
      await waitFor('the delayed request to reach the proxy', () => (proxy.log.length ? true : undefined));
      await proxy.close();
      const got = await pending;
      // close() cut the 30 s delay short, rather than waiting it out: the exchange is over, the
      // client saw it broken, and not one byte of the registry's answer went out.
      assert.ok(got.error, 'the client sees its exchange broken');
      assert.equal(proxy.log[0]?.done, true);
      assert.equal(proxy.log[0]?.responseBytes, 0, 'no byte of the answer was sent');
      assert.ok((await call(`${proxy.url}/v2/`)).error, 'nothing listens any more');
      assert.ok((await call(`${proxy.redirectTarget.url}/signed/x?sig=y`)).error);
    } finally {
      await reg.stop();
    }
  });
});

describe('fault proxy in front of a basic-auth registry', IN_ORDER, () => {
  let reg: Registry;
  let proxy: FaultProxy;
  let img: ImageSummary;
  before(async () => {
    [reg, img] = await Promise.all([startRegistry('basic'), generateImage({ tag: 'auth', layers: [3000] })]);
    await pushImage(reg, 'lab/private:v1', img);
    proxy = await startFaultProxy({ upstream: reg.url });
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  test('challenges pass through untouched', async () => {
    const got = await call(`${proxy.url}/v2/`);
    assert.equal(got.status, 401);
    assert.equal(header(got, 'www-authenticate'), 'Basic realm="ferry-basic"');
  });

  test('the redirect target uses the original credentials; the client sends none', async () => {
    const digest = img.platforms[0]!.layers[0]!.digest;
    const auth = `Basic ${Buffer.from(reg.creds()).toString('base64')}`;
    proxy.addRule({ path: /\/blobs\//, action: { kind: 'redirect' } });
    const blobUrl = `${proxy.url}/v2/lab/private/blobs/${digest}`;
    assert.equal((await call(blobUrl)).status, 307, 'the redirect comes before any auth check');
    const first = await call(blobUrl, { headers: { authorization: auth } });
    assert.equal(first.status, 307);
    const got = await call(header(first, 'location')!);
    assert.equal(got.status, 200);
    assert.equal(sha256(got.body), digest);
    // Without the remembered credentials the registry refuses; the target relays that.
    const anonymous = await call(header(await call(blobUrl), 'location')!);
    assert.equal(anonymous.status, 401);
    await proxy.idle();
    for (const entry of proxy.redirectTarget.log) assert.equal(entry.headers.authorization, undefined);
    assert.deepEqual(
      proxy.log.filter((e) => e.headers.authorization !== undefined).map((e) => e.status),
      [307],
    );
  });
});
