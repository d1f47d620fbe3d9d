import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { realmRefusal } from '../../../src/auth/realm-trust.js';
import { registryListed } from '../../../src/ref/index.js';

describe('realmRefusal: may a password or refresh token go to this token realm?', () => {
  // [registry origin, realm, hosts allowed plain HTTP, refused?]
  const cases: Array<[string, string, string[], boolean]> = [
    // https realms: always
    ['https://registry.example', 'https://auth.example/token', [], false],
    ['http://registry.example:5000', 'https://auth.example/token', [], false],
    // plain-HTTP realm of an HTTPS registry: a downgrade, even on the same host
    ['https://registry.example', 'http://registry.example/token', [], true],
    ['https://registry.example', 'http://registry.example:8080/token', [], true],
    ['https://registry.example', 'http://auth.example/token', [], true],
    // plain-HTTP registry: its own host (any port) is no worse than the registry; another host is
    ['http://registry.example:5000', 'http://registry.example:5001/token', [], false],
    ['http://registry.example:5000', 'http://REGISTRY.example/token', [], false],
    ['http://registry.example:5000', 'http://auth.example/token', [], true],
    ['http://10.0.0.5:5000', 'http://10.0.0.6:5001/token', [], true],
    // loopback realms never leave the machine, whatever the registry
    ['https://registry.example', 'http://127.0.0.1:5001/token', [], false],
    ['http://127.0.0.1:5000', 'http://127.0.0.2:5001/token', [], false],
    ['https://127.0.0.1:5000', 'http://localhost:5001/token', [], false],
    ['http://registry.example', 'http://[::1]:5001/token', [], false],
    // a loopback registry does not make a remote plain-HTTP realm safe
    ['http://127.0.0.1:5000', 'http://auth.example/token', [], true],
    ['http://localhost:5000', 'http://localhost.example/token', [], true],
    // --plain-http for the realm's host (with or without its port) is the user's choice
    ['http://registry.example:5000', 'http://auth.example:5001/token', ['auth.example'], false],
    ['https://registry.example', 'http://auth.example:5001/token', ['auth.example:5001'], false],
    ['https://registry.example', 'http://auth.example:5001/token', ['auth.example:5002'], true],
    ['https://registry.example', 'http://auth.example/token', ['registry.example'], true],
  ];
  for (const [registry, realm, allowed, refused] of cases) {
    test(`${registry} → ${realm}${allowed.length ? ` (--plain-http ${allowed})` : ''}: ${refused ? 'refused' : 'allowed'}`, () => {
      const reason = realmRefusal(new URL(registry), new URL(realm), (h) => registryListed(h, allowed));
      assert.equal(reason !== undefined, refused, reason);
    });
  }

  test('the reason names the realm and why', () => {
    assert.equal(
      realmRefusal(new URL('https://r.example'), new URL('http://r.example:81/t')),
      'its token server http://r.example:81 is plain HTTP while r.example is HTTPS',
    );
    assert.equal(
      realmRefusal(new URL('http://r.example'), new URL('http://a.example/t')),
      'its token server http://a.example is plain HTTP on another host',
    );
  });
});
