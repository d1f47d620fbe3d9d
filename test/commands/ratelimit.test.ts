// `ferry ratelimit` against the real registry. Distribution 2.8 sends no rate-limit headers, so
// the fault proxy adds Docker Hub's to the registry's real HEAD answers (its `headers` action);
// without the proxy the registry's own answer is the "no headers" case. Only HEAD requests may
// be sent: Docker Hub counts manifest GETs as pulls, not HEADs.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { errorLine } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';

const HUB_HEADERS = {
  'RateLimit-Limit': '100;w=21600',
  'RateLimit-Remaining': '76;w=21600',
  'Docker-RateLimit-Source': '203.0.113.7',
};

describe('ferry ratelimit', () => {
  let reg: Registry;
  let proxy: FaultProxy;
  before(async () => {
    const [registry, image] = await Promise.all([
      startRegistry('anonymous'),
      generateImage({ tag: 'v1', seed: 'ratelimit', layers: [64] }),
    ]);
    reg = registry;
    await pushImage(reg, 'rl/app:v1', image);
    proxy = await startFaultProxy({ upstream: reg.url });
  });
  afterEach(async () => {
    await proxy.idle();
    proxy.clearRules();
    proxy.clearLog();
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  const hubHeaders = (extra: Record<string, string> = {}): void => {
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\//,
      action: { kind: 'headers', headers: { ...HUB_HEADERS, ...extra } },
    });
  };

  test('--json: the stable shape, from one HEAD (no GET of the manifest)', async () => {
    hubHeaders();
    const r = await ferry(['ratelimit', '--json', `${proxy.host}/rl/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), {
      limit: 100,
      remaining: 76,
      windowSeconds: 21600,
      resetSeconds: null,
      source: '203.0.113.7',
    });
    await proxy.idle();
    const manifestRequests = proxy.log.filter((e) => e.path.includes('/manifests/'));
    assert.deepEqual(
      manifestRequests.map((e) => e.method),
      ['HEAD'],
    );
  });

  test('human output, with a reset when the registry sends one', async () => {
    hubHeaders({ 'RateLimit-Reset': '3600' });
    const r = await ferry(['ratelimit', `${proxy.host}/rl/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      ['limit     100 per 6 h', 'remaining 76', 'reset     in 1 h', 'source    203.0.113.7', ''].join('\n'),
    );
  });

  test('no rate-limit headers (registry 2.8 as it is): nulls, and stderr says so', async () => {
    const json = await ferry(['ratelimit', '--json', `${reg.host}/rl/app:v1`]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      limit: null,
      remaining: null,
      windowSeconds: null,
      resetSeconds: null,
      source: null,
    });
    assert.match(json.stderr, /sent no rate-limit headers/);
    const human = await ferry(['ratelimit', `${reg.host}/rl/app:v1`]);
    assert.equal(human.code, 0);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /sent no rate-limit headers/);
  });

  test('unreadable headers: a warning, the readable ones still shown', async () => {
    hubHeaders({ 'RateLimit-Remaining': 'plenty' });
    const r = await ferry(['ratelimit', '--json', `${proxy.host}/rl/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*unreadable RateLimit-Remaining/);
    const shape = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(shape['limit'], 100);
    assert.equal(shape['remaining'], null);
  });

  test('an image that does not exist: exit 1', async () => {
    const r = await ferry(['ratelimit', `${reg.host}/rl/app:nope`]);
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /not found/);
  });
});
