// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, through a real forward proxy to the real registry: plain
// HTTP and TLS registries are reached through the proxy (TLS still verified against the
// registry's CA, with --ca-file), NO_PROXY sends a host around it, and credentials meant for the
// registry never reach the proxy in the clear.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ConnectProxy, startConnectProxy } from '../harness/connect-proxy.js';
import { type SeededRegistry, SINGLE, startSeededRegistries, stopAll } from '../harness/fixtures.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';

describe('ferry behind an HTTP proxy', () => {
  let seeded: Record<'anonymous' | 'tls' | 'basic', SeededRegistry> | undefined;
  let proxy: ConnectProxy;

  before(async () => {
    seeded = await startSeededRegistries(['anonymous', 'tls', 'basic']);
    proxy = await startConnectProxy();
  });
  after(async () => {
    await proxy?.close();
    await stopAll(seeded);
  });

  const run = (s: SeededRegistry, args: string[], env: NodeJS.ProcessEnv) =>
    ferry([...s.args, ...args], { ...s.run, env: baseEnv(env) });

  test('a plain-HTTP registry is reached through HTTP_PROXY', async () => {
    const s = seeded!.anonymous;
    proxy.visits.length = 0;
    const r = await run(s, ['digest', `${s.registry.host}/${SINGLE}:v1`], { HTTP_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), s.images.single.digest);
    assert.ok(
      proxy.visits.some((v) => v.target.includes(s.registry.host)),
      'the proxy carried the request',
    );
  });

  test('a TLS registry is tunnelled through HTTPS_PROXY and still verified', async () => {
    const s = seeded!.tls;
    proxy.visits.length = 0;
    const r = await run(s, ['digest', `${s.registry.host}/${SINGLE}:v1`], { HTTPS_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.visits.some((v) => v.method === 'CONNECT' && v.target === s.registry.host));
    // Without --ca-file the tunnelled TLS is verified against the system roots, and fails.
    const unverified = await ferry(['digest', `${s.registry.host}/${SINGLE}:v1`], {
      env: baseEnv({ HTTPS_PROXY: proxy.url }),
    });
    assert.equal(unverified.code, 5, unverified.stderr);
  });

  test('NO_PROXY sends a registry around the proxy', async () => {
    const s = seeded!.anonymous;
    proxy.visits.length = 0;
    const r = await run(s, ['digest', `${s.registry.host}/${SINGLE}:v1`], {
      HTTP_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(proxy.visits, []);
  });

  test('Basic credentials for the registry are not shown to the proxy', async () => {
    const s = seeded!.basic;
    proxy.visits.length = 0;
    const r = await run(s, ['ls', `${s.registry.host}/${SINGLE}`], { HTTP_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.visits.length > 0);
    // The registry is plain HTTP here, so only a tunnel (CONNECT) keeps the header out of the
    // proxy's sight: every visit must be a CONNECT with no Authorization of the registry's.
    for (const v of proxy.visits) {
      assert.equal(v.method, 'CONNECT');
      assert.equal(v.headers.authorization, undefined);
    }
  });

  test('an unreachable proxy is a network error naming the failure', async () => {
    const s = seeded!.anonymous;
    const r = await run(s, ['--retries', '0', 'digest', `${s.registry.host}/${SINGLE}:v1`], {
      HTTP_PROXY: 'http://127.0.0.1:9',
    });
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /^ferry: cannot connect to the proxy 127\.0\.0\.1:9: connection refused \(hint: .*NO_PROXY\)\n$/,
    );
  });
});
