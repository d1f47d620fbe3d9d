import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isInsecure,
  isLoopbackHost,
  parseReference,
  registryListed,
  type Scheme,
  type SchemeOptions,
  schemesToTry,
} from '../../../src/ref/index.js';

describe('isLoopbackHost', () => {
  const loopback = [
    'localhost',
    'localhost:5000',
    'LOCALHOST:5000',
    '127.0.0.1',
    '127.0.0.1:5000',
    '127.1.2.3:80',
    '127.255.255.254',
    '[::1]',
    '[::1]:5000',
    '[0:0:0:0:0:0:0:1]:5000',
    '[0::1]',
  ];
  const other = [
    'docker.io',
    'ghcr.io',
    '128.0.0.1',
    '10.0.0.1:5000',
    '192.168.1.1:5000',
    '0.0.0.0',
    '127.0.0.256',
    '127.0.0.1.nip.io',
    '1127.0.0.1',
    'localhost.example.com',
    'mylocalhost',
    'foo.localhost', // reserved for loopback, but resolved by DNS on many systems
    'registry.foo.localhost:8080',
    'localhostx:5000',
    '[::2]',
    '[fe80::1]:5000',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[not-ipv6]',
  ];
  for (const host of loopback) test(`${host} is loopback`, () => assert.equal(isLoopbackHost(host), true));
  for (const host of other) test(`${host} is not loopback`, () => assert.equal(isLoopbackHost(host), false));
});

describe('registryListed', () => {
  // [registry, list, listed]
  const cases: Array<[string, string[], boolean]> = [
    ['h.io:5000', ['h.io:5000'], true],
    ['h.io:5000', ['h.io'], true], // no port in the entry: any port
    ['h.io', ['h.io'], true],
    ['h.io', ['h.io:5000'], false], // a port in the entry: only that port
    ['h.io:5001', ['h.io:5000'], false],
    ['H.IO:5000', ['h.io'], true],
    ['h.io:5000', ['H.io:5000/'], true],
    ['docker.io', ['index.docker.io'], true],
    ['registry-1.docker.io', ['docker.io'], true],
    ['[::1]:5000', ['[::1]'], true],
    ['[::1]:5000', ['[::1]:5000'], true],
    ['[::1]:5000', ['[::1]:5001'], false],
    ['sub.h.io', ['h.io'], false],
    ['h.io', [], false],
    ['h.io', ['x.io', 'h.io'], true],
  ];
  for (const [registry, list, listed] of cases) {
    test(`${registry} in [${list.join(', ')}]`, () => assert.equal(registryListed(registry, list), listed));
  }
});

describe('schemesToTry and isInsecure', () => {
  const none: SchemeOptions = { plainHttp: [], insecure: [] };
  // [registry, options, schemes, insecure]
  const cases: Array<[string, SchemeOptions, Scheme[], boolean]> = [
    ['ghcr.io', none, ['https'], false],
    ['docker.io', none, ['https'], false],
    ['192.168.1.10:5000', none, ['https'], false], // private but not loopback: no silent HTTP
    ['localhost:5000', none, ['http', 'https'], false],
    ['localhost', none, ['http', 'https'], false],
    ['127.0.0.1:5000', none, ['http', 'https'], false],
    ['[::1]:5000', none, ['http', 'https'], false],
    ['app.localhost:5000', none, ['https'], false], // a name DNS may answer: no silent HTTP
    ['reg.lan:5000', { plainHttp: ['reg.lan:5000'], insecure: [] }, ['http'], false],
    ['reg.lan:5000', { plainHttp: ['reg.lan'], insecure: [] }, ['http'], false],
    ['reg.lan:5000', { plainHttp: ['reg.lan:5001'], insecure: [] }, ['https'], false],
    ['localhost:5000', { plainHttp: ['localhost:5000'], insecure: [] }, ['http'], false],
    ['reg.lan:5000', { plainHttp: [], insecure: ['reg.lan:5000'] }, ['https'], true],
    ['reg.lan:5000', { plainHttp: [], insecure: ['reg.lan'] }, ['https'], true],
    ['other.lan:5000', { plainHttp: [], insecure: ['reg.lan'] }, ['https'], false],
    ['localhost:5000', { plainHttp: [], insecure: ['localhost'] }, ['http', 'https'], true],
    ['docker.io', { plainHttp: [], insecure: ['registry-1.docker.io'] }, ['https'], true],
    ['reg.lan', { plainHttp: ['reg.lan'], insecure: ['reg.lan'] }, ['http'], true],
  ];
  for (const [registry, opts, schemes, insecure] of cases) {
    test(`${registry} ${JSON.stringify(opts)}`, () => {
      assert.deepEqual(schemesToTry(registry, opts), schemes);
      assert.equal(isInsecure(registry, opts), insecure);
    });
  }

  test('works on parsed references', () => {
    const opts: SchemeOptions = { plainHttp: ['localhost:5000'], insecure: [] };
    assert.deepEqual(schemesToTry(parseReference('localhost:5000/a:b').registry, opts), ['http']);
    assert.deepEqual(schemesToTry(parseReference('LocalHost:5001/a').registry, opts), ['http', 'https']);
    assert.deepEqual(schemesToTry(parseReference('alpine').registry, opts), ['https']);
  });
});
