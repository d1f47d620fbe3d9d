import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { proxyFor, proxySettings } from '../../../src/http/transport-options.js';

describe("proxyFor: which proxy a request goes through (NO_PROXY is undici's)", () => {
  const proxy = proxySettings({
    HTTP_PROXY: 'http://plain.proxy:3128',
    HTTPS_PROXY: 'http://tls.proxy:3128',
  });
  // [url, proxy host or undefined for direct]
  const cases: Array<[string, string | undefined]> = [
    ['https://registry.example.com/v2/', 'tls.proxy:3128'],
    ['http://registry.example.com:5000/v2/', 'plain.proxy:3128'],
    ['https://10.0.0.5:5000/v2/', 'tls.proxy:3128'],
    ['https://192.168.1.10/v2/', 'tls.proxy:3128'],
    ['http://localhost:5000/v2/', undefined],
    ['https://LOCALHOST:5000/v2/', undefined],
    ['http://registry.localhost:5000/v2/', undefined],
    ['http://127.0.0.1:5000/v2/', undefined],
    ['http://127.0.0.2:5000/v2/', undefined],
    ['https://127.255.255.254/v2/', undefined],
    ['http://[::1]:5000/v2/', undefined],
    ['http://[0:0:0:0:0:0:0:1]:5000/v2/', undefined],
    ['http://localhost.example.com/v2/', 'plain.proxy:3128'],
    ['http://127.0.0.1.nip.io/v2/', 'plain.proxy:3128'],
    ['http://[::ffff:127.0.0.1]/v2/', 'plain.proxy:3128'],
  ];
  for (const [url, expected] of cases) {
    test(`${url} → ${expected ?? 'direct'}`, () => {
      assert.equal(proxyFor(new URL(url), proxy)?.host, expected);
    });
  }

  test('no proxy variables: always direct', () => {
    assert.equal(proxyFor(new URL('https://registry.example.com/'), proxySettings({})), undefined);
  });

  test('HTTP_PROXY alone also serves https (as undici and curl read it)', () => {
    const only = proxySettings({ http_proxy: 'http://p:1' });
    assert.equal(proxyFor(new URL('https://registry.example.com/'), only)?.host, 'p:1');
  });
});
