// A password is never sent in the clear to a token realm off the machine: not to a plain-HTTP
// realm on another host, nor to a plain-HTTP realm of an HTTPS registry (auth/realm-trust.ts has
// the rule and its table test). Every test server is on loopback, where plain HTTP is allowed, so
// the registry and its token server are named here under .ferry.test, which only the test proxy
// resolves (to 127.0.0.1): to ferry they are remote hosts reached through HTTP(S)_PROXY. The
// registries are real Distribution instances whose auth.token.realm names those hosts, sharing one
// token server; the token server's log proves nothing was sent to it when ferry refused.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROXIED_REGISTRY_NAME } from '../harness/ca.js';
import { type ConnectProxy, startConnectProxy } from '../harness/connect-proxy.js';
import { errorLine } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { startTokenServer, type TokenServer } from '../harness/token-server.js';

const AUTH_NAME = 'auth.ferry.test';

describe('credentials and plain-HTTP token realms', () => {
  let tokens: TokenServer;
  let proxy: ConnectProxy;
  let seed: Registry;
  /** Plain HTTP; realm http://auth.ferry.test:PORT (another host). */
  let otherHost: Registry;
  /** Plain HTTP; realm http://registry.ferry.test:PORT (its own host, another port). */
  let sameHost: Registry;
  /** HTTPS; realm http://registry.ferry.test:PORT (a downgrade). */
  let tlsSameHost: Registry;
  let tokenPort: string;

  const realmConfig = (realm: string) => ({
    auth: {
      token: { realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certFile },
    },
  });

  before(async () => {
    [tokens, proxy] = await Promise.all([startTokenServer(), startConnectProxy()]);
    tokenPort = new URL(tokens.url).port;
    // One storage for all: seeded through a registry whose realm skopeo can reach (loopback).
    seed = await startRegistry({ auth: 'token', tokenServer: tokens });
    await pushImage(seed, 'realm/app:v1', await generateImage({ tag: 'v1', layers: [256] }));
    const shared = { auth: 'token' as const, tokenServer: tokens, storageDir: seed.storageDir };
    [otherHost, sameHost, tlsSameHost] = await Promise.all([
      startRegistry({ ...shared, extraConfig: realmConfig(`http://${AUTH_NAME}:${tokenPort}/token`) }),
      startRegistry({
        ...shared,
        extraConfig: realmConfig(`http://${PROXIED_REGISTRY_NAME}:${tokenPort}/token`),
      }),
      startRegistry({
        ...shared,
        tls: true,
        extraConfig: realmConfig(`http://${PROXIED_REGISTRY_NAME}:${tokenPort}/token`),
      }),
    ]);
  });
  after(async () => {
    await Promise.all([otherHost?.stop(), sameHost?.stop(), tlsSameHost?.stop()]);
    await seed?.stop();
    await Promise.all([tokens?.close(), proxy?.close()]);
  });

  /** ferry as alice against `registry` by its .ferry.test name, through the proxy. */
  const asAlice = (registry: Registry, extra: string[] = []) => {
    const host = `${PROXIED_REGISTRY_NAME}:${registry.port}`;
    const flags = registry.tls ? ['--ca-file', registry.caFile!] : ['--plain-http', host];
    return ferry(['-u', 'alice', '--password-stdin', ...flags, ...extra, 'ls', `${host}/realm/app`], {
      env: baseEnv({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }),
      stdin: 's3cret\n',
    });
  };

  test('a plain-HTTP realm on another host: refused (exit 3), nothing sent to it', async () => {
    tokens.reset();
    proxy.visits.length = 0;
    const r = await asAlice(otherHost);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(
      errorLine(r),
      `ferry: not sending the credentials for ${PROXIED_REGISTRY_NAME}:${otherHost.port} in the clear: ` +
        `its token server http://${AUTH_NAME}:${tokenPort} is plain HTTP on another host ` +
        `(hint: if that network is trusted, allow plain HTTP to it with --plain-http ${AUTH_NAME}:${tokenPort})`,
    );
    assert.equal(tokens.stats().requests, 0, 'the token server was not asked at all');
    assert.ok(
      proxy.visits.every((v) => !v.target.startsWith(AUTH_NAME)),
      'no connection to the realm',
    );
    assert.ok(proxy.visits.length > 0, 'the registry itself was asked (its challenge named the realm)');
  });

  test('the same realm allowed on purpose with --plain-http: the password goes, the listing works', async () => {
    tokens.reset();
    const r = await asAlice(otherHost, ['--plain-http', `${AUTH_NAME}:${tokenPort}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'v1\n');
    assert.deepEqual(tokens.stats().byUser, { alice: 1 });
  });

  test('or with plain-http: true for its host in the settings file', async () => {
    const dir = await makeTempDir('realm-settings');
    const file = join(dir, 'registries.yaml');
    await writeFile(file, `registries:\n  ${AUTH_NAME}:\n    plain-http: true\n`);
    tokens.reset();
    const host = `${PROXIED_REGISTRY_NAME}:${otherHost.port}`;
    const r = await ferry(
      ['-u', 'alice', '--password-stdin', '--plain-http', host, 'ls', `${host}/realm/app`],
      {
        env: baseEnv({ HTTP_PROXY: proxy.url, FERRY_REGISTRIES_CONFIG: file }),
        stdin: 's3cret\n',
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tokens.stats().byUser, { alice: 1 });
  });

  test("a plain-HTTP realm on a plain-HTTP registry's own host: allowed", async () => {
    tokens.reset();
    const r = await asAlice(sameHost);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'v1\n');
    assert.deepEqual(tokens.stats().byUser, { alice: 1 });
  });

  test('a plain-HTTP realm of an HTTPS registry (same host): refused, nothing sent', async () => {
    tokens.reset();
    const r = await asAlice(tlsSameHost);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      errorLine(r),
      new RegExp(
        `: its token server http://${PROXIED_REGISTRY_NAME.replaceAll('.', '\\.')}:${tokenPort} is plain HTTP while ${PROXIED_REGISTRY_NAME.replaceAll('.', '\\.')}:${tlsSameHost.port} is HTTPS `,
      ),
    );
    assert.equal(tokens.stats().requests, 0);
  });

  test('anonymous access still asks such a realm (no secret to protect)', async () => {
    tokens.reset();
    const host = `${PROXIED_REGISTRY_NAME}:${otherHost.port}`;
    const r = await ferry(['--plain-http', host, 'ls', `${host}/realm/app`], {
      env: baseEnv({ HTTP_PROXY: proxy.url }),
    });
    assert.equal(r.code, 3, r.stderr); // the token server refuses anonymous access here
    assert.ok(tokens.requests().length > 0);
    for (const req of tokens.requests()) assert.equal(req.hasAuthorization, false);
  });
});
