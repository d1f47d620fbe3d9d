// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, through a real forward proxy to the real registry.
//
// Loopback registries (localhost, 127.0.0.0/8, ::1) are never proxied, as Go's tools do: they are
// reached directly by both transports (node:http for light commands, undici for transfers), and
// the proxy's log shows nothing for them. To test what does go through the proxy, the registry is
// named `registry.ferry.test:PORT`: not loopback, and resolvable only by the proxy (which sends
// *.ferry.test to 127.0.0.1), so a request that skipped the proxy could not reach it at all.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROXIED_REGISTRY_NAME } from '../harness/ca.js';
import { type ConnectProxy, startConnectProxy } from '../harness/connect-proxy.js';
import {
  requestsDuring,
  type SeededRegistry,
  SINGLE,
  startSeededRegistries,
  stopAll,
} from '../harness/fixtures.js';
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

  /** The registry under its proxy-only name, and the flags to go with it (plain HTTP unless TLS). */
  const named = (s: SeededRegistry): { host: string; flags: string[] } => {
    const host = `${PROXIED_REGISTRY_NAME}:${s.registry.port}`;
    return { host, flags: s.registry.tls ? [] : ['--plain-http', host] };
  };
  const run = (s: SeededRegistry, args: string[], env: NodeJS.ProcessEnv) =>
    ferry([...s.args, ...args], { ...s.run, env: baseEnv(env) });
  const BOTH = (url: string): NodeJS.ProcessEnv => ({ HTTP_PROXY: url, HTTPS_PROXY: url });

  test('a plain-HTTP registry with a non-loopback name is reached through HTTP_PROXY', async () => {
    const s = seeded!.anonymous;
    const { host, flags } = named(s);
    proxy.visits.length = 0;
    const r = await run(s, [...flags, 'digest', `${host}/${SINGLE}:v1`], { HTTP_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), s.images.single.digest);
    assert.ok(
      proxy.visits.some((v) => v.target.includes(host)),
      'the proxy carried the request',
    );
  });

  test('a TLS registry is tunnelled through HTTPS_PROXY and still verified', async () => {
    const s = seeded!.tls;
    const { host } = named(s);
    proxy.visits.length = 0;
    const r = await run(s, ['digest', `${host}/${SINGLE}:v1`], { HTTPS_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.visits.some((v) => v.method === 'CONNECT' && v.target === host));
    // Without --ca-file the tunnelled TLS is verified against the system roots, and fails.
    const unverified = await ferry(['digest', `${host}/${SINGLE}:v1`], {
      env: baseEnv({ HTTPS_PROXY: proxy.url }),
    });
    assert.equal(unverified.code, 5, unverified.stderr);
  });

  test('NO_PROXY sends a registry around the proxy', async () => {
    const s = seeded!.anonymous;
    const { host, flags } = named(s);
    proxy.visits.length = 0;
    const r = await run(s, ['--retries', '0', ...flags, 'digest', `${host}/${SINGLE}:v1`], {
      HTTP_PROXY: proxy.url,
      NO_PROXY: PROXIED_REGISTRY_NAME,
    });
    // Around the proxy, the name resolves nowhere: proof that the proxy was not asked.
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^ferry: cannot resolve ${PROXIED_REGISTRY_NAME.replaceAll('.', '\\.')}`),
    );
    assert.deepEqual(proxy.visits, []);
  });

  test('Basic credentials for the registry are not shown to the proxy', async () => {
    const s = seeded!.basic;
    const { host, flags } = named(s);
    proxy.visits.length = 0;
    const r = await run(s, [...flags, 'ls', `${host}/${SINGLE}`], { HTTP_PROXY: proxy.url });
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
    const { host, flags } = named(s);
    const r = await run(s, ['--retries', '0', ...flags, 'digest', `${host}/${SINGLE}:v1`], {
      HTTP_PROXY: 'http://127.0.0.1:9',
    });
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /^ferry: cannot connect to the proxy 127\.0\.0\.1:9: connection refused \(hint: .*NO_PROXY\)\n$/,
    );
  });

  test('loopback registries are reached directly by light commands, the proxy sees nothing', async () => {
    for (const s of [seeded!.anonymous, seeded!.tls, seeded!.basic]) {
      for (const host of [s.registry.host, `localhost:${s.registry.port}`]) {
        proxy.visits.length = 0;
        const { value: r, requests } = await requestsDuring(s.registry, () =>
          run(s, ['digest', `${host}/${SINGLE}:v1`], BOTH(proxy.url)),
        );
        assert.equal(r.code, 0, `${host}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), s.images.single.digest);
        assert.ok(
          requests.some((q) => q.method === 'HEAD'),
          `${host}: the registry answered`,
        );
        assert.deepEqual(proxy.visits, [], `${host}: nothing went through the proxy`);
      }
    }
  });

  test('loopback registries are reached directly by transfers (undici), the proxy sees nothing', async () => {
    const a = seeded!.anonymous;
    const t = seeded!.tls;
    const dir = await mkdtemp(join(tmpdir(), 'ferry-proxy-'));
    try {
      proxy.visits.length = 0;
      const copy = await ferry(
        [
          '--ca-file',
          t.registry.caFile!,
          'copy',
          `${a.registry.host}/${SINGLE}:v1`,
          `${t.registry.host}/proxy/direct:v1`,
        ],
        { env: baseEnv(BOTH(proxy.url)) },
      );
      assert.equal(copy.code, 0, copy.stderr);
      const pull = await ferry(['pull', `localhost:${a.registry.port}/${SINGLE}:v1`, join(dir, 'x.tar')], {
        env: baseEnv(BOTH(proxy.url)),
      });
      assert.equal(pull.code, 0, pull.stderr);
      assert.deepEqual(proxy.visits, []);
      const check = await ferry([
        '--ca-file',
        t.registry.caFile!,
        'digest',
        `${t.registry.host}/proxy/direct:v1`,
      ]);
      assert.equal(check.stdout.trim(), a.images.single.digest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('in one copy, the non-loopback side goes through the proxy and the loopback side does not', async () => {
    const a = seeded!.anonymous;
    const t = seeded!.tls;
    const { host, flags } = named(a);
    proxy.visits.length = 0;
    const r = await ferry(
      [
        '--ca-file',
        t.registry.caFile!,
        ...flags,
        'copy',
        `${host}/${SINGLE}:v1`,
        `${t.registry.host}/proxy/mixed:v1`,
      ],
      { env: baseEnv(BOTH(proxy.url)) },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.visits.length > 0);
    assert.deepEqual(
      [...new Set(proxy.visits.map((v) => v.target))],
      [host],
      'only the source, by its non-loopback name, went through the proxy',
    );
  });
});
