// Self-test of the harness: real registries in every mode, images from the generator, skopeo as
// the client. If this fails, fix the environment or the harness before blaming ferry.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  generateImage,
  type ImageSummary,
  OCI_INDEX,
  OCI_MANIFEST,
  readLayoutBlob,
  sha256,
} from './images.js';
import { decodeJwt, libtrustKeyId } from './jwt.js';
import { type Registry, startRegistry } from './registry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  skopeoCopy,
  skopeoDelete,
  skopeoDigestOf,
  skopeoInspectRaw,
  skopeoListTags,
} from './skopeo.js';
import { makeTempDir } from './tmp.js';
import { ANONYMOUS } from './token-server.js';
import { httpStatus } from './wait.js';

// Tests inside a suite depend on each other's pushes (concurrency is inherited, so say it).
const IN_ORDER = { concurrency: 1 };
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(', ');

interface Manifestish {
  mediaType?: string;
  manifests?: { digest: string; mediaType: string; platform?: { architecture: string; variant?: string } }[];
  layers?: { digest: string }[];
  config?: { digest: string };
}

const parse = (bytes: Buffer): Manifestish => JSON.parse(bytes.toString('utf8')) as Manifestish;

let single: ImageSummary;
let multi: ImageSummary;

before(async () => {
  const dir = await makeTempDir('selftest-layout');
  [single, multi] = await Promise.all([
    generateImage({ dir, tag: 'v1', layers: [1024, 3000] }),
    generateImage({ dir, tag: 'multi', layers: [2048], platforms: PLATFORMS }),
  ]);
});

// The suites are independent (one registry each), so they run concurrently; tests inside a suite
// run in order.
describe('harness', { concurrency: true }, () => {
  describe('images.ts', IN_ORDER, () => {
    test('same options give the same digests', async () => {
      const dir = await makeTempDir('selftest-again');
      const again = await generateImage({ dir, tag: 'multi', layers: [2048], platforms: PLATFORMS });
      assert.equal(again.digest, multi.digest);
      assert.deepEqual(again.platforms, multi.platforms);
    });

    test('writes a valid OCI layout with both tags', async () => {
      const index = JSON.parse(await readFile(join(single.dir, 'index.json'), 'utf8')) as {
        manifests: { digest: string; mediaType: string; annotations: Record<string, string> }[];
      };
      const byTag = new Map(
        index.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m]),
      );
      assert.equal(byTag.get('v1')?.digest, single.digest);
      assert.equal(byTag.get('v1')?.mediaType, OCI_MANIFEST);
      assert.equal(byTag.get('multi')?.digest, multi.digest);
      assert.equal(byTag.get('multi')?.mediaType, OCI_INDEX);

      const top = parse(await readLayoutBlob(multi.dir, multi.digest));
      assert.deepEqual(
        top.manifests?.map((m) => m.platform),
        [
          { architecture: 'amd64', os: 'linux' },
          { architecture: 'arm64', os: 'linux' },
          { architecture: 'arm', os: 'linux', variant: 'v7' },
        ],
      );
      const layer = single.platforms[0]!.layers[1]!;
      const gz = await readLayoutBlob(single.dir, layer.digest);
      assert.equal(sha256(gz), layer.digest);
      assert.equal(gz.length, layer.size);
      const tarBytes = gunzipSync(gz);
      assert.equal(sha256(tarBytes), layer.diffId);
      assert.equal(tarBytes.subarray(257, 262).toString('latin1'), 'ustar');
      assert.ok(tarBytes.length >= 3000 + 3 * 512);
    });

    test('same seed shares leading layers; different platforms do not', async () => {
      const other = await generateImage({ tag: 'other', seed: 'v1', layers: [1024, 5000] });
      assert.equal(other.platforms[0]!.layers[0]!.digest, single.platforms[0]!.layers[0]!.digest);
      assert.notEqual(other.digest, single.digest);
      const [amd, arm] = multi.platforms;
      assert.notEqual(amd!.layers[0]!.digest, arm!.layers[0]!.digest);
    });
  });

  describe('anonymous registry', IN_ORDER, () => {
    let reg: Registry;
    before(async () => {
      reg = await startRegistry();
    });
    after(() => reg.stop());

    test('OCI image round-trips byte for byte', async () => {
      const pushed = await pushImage(reg, 'lab/img:v1', single);
      assert.equal(pushed.digest, single.digest);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/img:v1'), registryAccess(reg));
      assert.equal(skopeoDigestOf(raw), single.digest);
      assert.deepEqual(raw, await readLayoutBlob(single.dir, single.digest));
    });

    test('three-platform OCI index keeps every digest', async () => {
      await pushImage(reg, 'lab/img:multi', multi);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/img:multi'), registryAccess(reg));
      assert.equal(skopeoDigestOf(raw), multi.digest);
      const index = parse(raw);
      assert.equal(index.mediaType, OCI_INDEX);
      assert.deepEqual(
        index.manifests?.map((m) => m.digest),
        multi.platforms.map((p) => p.manifestDigest),
      );
      const arm = multi.platforms[2]!;
      const child = await skopeoInspectRaw(
        dockerRef(reg, `lab/img@${arm.manifestDigest}`),
        registryAccess(reg),
      );
      assert.equal(skopeoDigestOf(child), arm.manifestDigest);
    });

    test('Docker media types via --format v2s2 (new manifest digests, same layer blobs)', async () => {
      const pushed = await pushImage(reg, 'lab/img:multi-docker', multi, { docker: true });
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/img:multi-docker'), registryAccess(reg));
      assert.equal(skopeoDigestOf(raw), pushed.digest);
      assert.notEqual(pushed.digest, multi.digest);
      const list = parse(raw);
      assert.equal(list.mediaType, DOCKER_LIST);
      assert.equal(list.manifests?.length, 3);
      for (const [i, entry] of (list.manifests ?? []).entries()) {
        assert.equal(entry.mediaType, DOCKER_MANIFEST);
        const child = parse(
          await skopeoInspectRaw(dockerRef(reg, `lab/img@${entry.digest}`), registryAccess(reg)),
        );
        assert.equal(child.mediaType, DOCKER_MANIFEST);
        assert.deepEqual(
          child.layers?.map((l) => l.digest),
          multi.platforms[i]!.layers.map((l) => l.digest),
        );
      }
      const one = await pushImage(reg, 'lab/img:v1-docker', single, { docker: true });
      const manifest = parse(
        await skopeoInspectRaw(dockerRef(reg, 'lab/img:v1-docker'), registryAccess(reg)),
      );
      assert.equal(manifest.mediaType, DOCKER_MANIFEST);
      assert.notEqual(one.digest, single.digest);
    });

    test('list-tags and the request log', async () => {
      const tags = await skopeoListTags(dockerRef(reg, 'lab/img'), registryAccess(reg));
      assert.deepEqual([...tags].sort(), ['multi', 'multi-docker', 'v1', 'v1-docker']);
      const requests = await reg.waitForRequests(1);
      assert.ok(
        requests.some((r) => r.method === 'PUT' && r.path === '/v2/lab/img/manifests/v1' && r.status === 201),
      );
      assert.ok(requests.some((r) => r.userAgent.startsWith('skopeo/')));
      assert.match(reg.readLog(), /listening on 127\.0\.0\.1:\d+/);
    });

    test('two registries at once; registry-to-registry copy keeps digests', async () => {
      const other = await startRegistry();
      try {
        assert.notEqual(other.port, reg.port);
        const copied = await skopeoCopy(dockerRef(reg, 'lab/img:multi'), dockerRef(other, 'copy/img:multi'), {
          all: true,
          src: registryAccess(reg),
          dest: registryAccess(other),
        });
        assert.equal(copied.digest, multi.digest);
      } finally {
        await other.stop();
      }
    });

    test('deleteEnabled: false refuses DELETE', async () => {
      const noDelete = await startRegistry({ deleteEnabled: false });
      try {
        await pushImage(noDelete, 'lab/img:v1', single);
        await assert.rejects(
          skopeoDelete(dockerRef(noDelete, 'lab/img:v1'), registryAccess(noDelete)),
          /unsupported|405/i,
        );
        await skopeoDelete(dockerRef(reg, 'lab/img:v1'), registryAccess(reg));
        await assert.rejects(
          skopeoInspectRaw(dockerRef(reg, 'lab/img:v1'), registryAccess(reg)),
          /manifest unknown/i,
        );
      } finally {
        await noDelete.stop();
      }
    });
  });

  describe('basic-auth registry', IN_ORDER, () => {
    let reg: Registry;
    before(async () => {
      reg = await startRegistry('basic');
    });
    after(() => reg.stop());

    test('challenges with Basic and accepts the right password', async () => {
      const res = await fetch(`${reg.url}/v2/`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="ferry-basic"');
      const ok = await fetch(`${reg.url}/v2/`, {
        headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` },
      });
      assert.equal(ok.status, 200);
      const pushed = await pushImage(reg, 'lab/img:v1', single);
      assert.equal(pushed.digest, single.digest);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/img:v1'), registryAccess(reg, 'reader'));
      assert.equal(skopeoDigestOf(raw), single.digest);
    });

    test('rejects a wrong password and anonymous access', async () => {
      const ref = dockerRef(reg, 'lab/img:v1');
      await assert.rejects(
        skopeoInspectRaw(ref, { tlsVerify: false, creds: 'alice:wrong' }),
        /unauthorized|authentication required|invalid username/i,
      );
      await assert.rejects(
        skopeoInspectRaw(ref, registryAccess(reg, null)),
        /unauthorized|authentication required/i,
      );
    });
  });

  describe('token-auth registry', IN_ORDER, () => {
    let reg: Registry;
    before(async () => {
      reg = await startRegistry({
        auth: 'token',
        users: [
          { username: 'alice', password: 's3cret', actions: ['*'] },
          { username: 'reader', password: 'r3ad', actions: ['pull'], identityToken: 'reader-identity' },
        ],
      });
    });
    after(() => reg.stop());

    test('skopeo push and pull go through the token server, which counts', async () => {
      const ts = reg.tokenServer!;
      ts.reset();
      await pushImage(reg, 'lab/img:v1', single);
      const afterPush = ts.stats();
      assert.ok(afterPush.issued >= 1, JSON.stringify(afterPush));
      assert.equal(afterPush.issued, afterPush.requests);
      assert.equal(afterPush.byUser['alice'], afterPush.issued);
      assert.ok(
        (afterPush.byScope['repository:lab/img:pull,push'] ?? 0) >= 1,
        JSON.stringify(afterPush.byScope),
      );
      assert.ok(ts.requests().every((r) => r.hasAuthorization && r.method === 'GET' && r.status === 200));

      ts.reset();
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/img:v1'), registryAccess(reg, 'reader'));
      assert.equal(skopeoDigestOf(raw), single.digest);
      assert.equal(ts.stats().byUser['reader'], ts.stats().issued);
      assert.ok(ts.stats().issued >= 1);
      // reader gets no push grant, so the registry refuses the push.
      await assert.rejects(
        pushImage(reg, 'lab/img:v2', single, { user: 'reader' }),
        /denied|unauthorized|authentication required/i,
      );
    });

    test('bad password → 401 and counted as denied; anonymous gets an empty token', async () => {
      const ts = reg.tokenServer!;
      ts.reset();
      await assert.rejects(
        skopeoInspectRaw(dockerRef(reg, 'lab/img:v1'), { tlsVerify: false, creds: 'alice:wrong' }),
        /unauthorized|401|incorrect/i,
      );
      assert.ok(ts.stats().denied >= 1);
      assert.equal(ts.stats().issued, 0);

      const res = await fetch(`${ts.realm}?service=${ts.service}&scope=repository:lab/img:pull`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { token: string };
      assert.deepEqual(decodeJwt(body.token).claims.access, []);
      assert.equal(ts.stats().byUser[ANONYMOUS], 1);
      const last = ts.requests().at(-1)!;
      assert.equal(last.hasAuthorization, false);
      assert.deepEqual(last.scopes, ['repository:lab/img:pull']);
    });

    test('grants requested ∩ allowed; JWT has the libtrust kid and the claims the registry checks', async () => {
      const ts = reg.tokenServer!;
      const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      const query = `service=${ts.service}&scope=repository:lab/img:pull,push&scope=registry:catalog:*`;
      const asReader = await fetch(`${ts.realm}?${query}`, {
        headers: { authorization: basic('reader', 'r3ad') },
      });
      const readerBody = (await asReader.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(readerBody).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
      const { header, claims } = decodeJwt(readerBody['token'] as string);
      assert.equal(header['alg'], 'RS256');
      assert.equal(header['kid'], ts.keyId);
      assert.match(ts.keyId, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
      assert.equal(ts.keyId, libtrustKeyId(await readFile(ts.certFile, 'utf8')));
      assert.equal(claims.iss, ts.issuer);
      assert.equal(claims.aud, ts.service);
      assert.equal(claims.sub, 'reader');
      assert.equal(claims.nbf, claims.iat - 10);
      assert.equal(claims.exp, claims.iat + 300);
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'lab/img', actions: ['pull'] }]);

      const asAlice = await fetch(`${ts.realm}?${query}`, {
        headers: { authorization: basic('alice', 's3cret') },
      });
      const aliceToken = ((await asAlice.json()) as { token: string }).token;
      assert.deepEqual(decodeJwt(aliceToken).claims.access, [
        { type: 'repository', name: 'lab/img', actions: ['pull', 'push'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ]);
      // The registry accepts the token; an expired one (beyond its 60 s leeway) is refused.
      const catalog = await fetch(`${reg.url}/v2/_catalog`, {
        headers: { authorization: `Bearer ${aliceToken}` },
      });
      assert.equal(catalog.status, 200);
      assert.deepEqual(await catalog.json(), { repositories: ['lab/img'] });
      const manifest = await fetch(`${reg.url}/v2/lab/img/manifests/v1`, {
        headers: { authorization: `Bearer ${aliceToken}`, accept: ACCEPT },
      });
      assert.equal(manifest.status, 200);
      assert.equal(manifest.headers.get('docker-content-digest'), single.digest);
      const expired = ts.mint({
        subject: 'alice',
        access: [{ type: 'registry', name: 'catalog', actions: ['*'] }],
        expiresIn: -120,
      });
      const refused = await fetch(`${reg.url}/v2/_catalog`, {
        headers: { authorization: `Bearer ${expired}` },
      });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    test('OAuth2 POST: password grant with offline refresh token, refresh grant, identity token', async () => {
      const ts = reg.tokenServer!;
      ts.reset();
      const post = (form: Record<string, string>): Promise<Response> =>
        fetch(ts.realm, { method: 'POST', body: new URLSearchParams(form) });
      const scope = 'repository:lab/img:pull repository:lab/other:pull';
      const first = await post({
        grant_type: 'password',
        username: 'alice',
        password: 's3cret',
        service: ts.service,
        scope,
        client_id: 'ferry-test',
        access_type: 'offline',
      });
      assert.equal(first.status, 200);
      const firstBody = (await first.json()) as {
        access_token: string;
        refresh_token: string;
        scope: string;
      };
      assert.equal(typeof firstBody.refresh_token, 'string');
      assert.equal(firstBody.scope, scope);
      assert.equal(decodeJwt(firstBody.access_token).claims.access.length, 2);

      const refreshed = await post({
        grant_type: 'refresh_token',
        refresh_token: firstBody.refresh_token,
        scope,
        service: ts.service,
      });
      assert.equal(refreshed.status, 200);
      assert.equal(
        decodeJwt(((await refreshed.json()) as { access_token: string }).access_token).claims.sub,
        'alice',
      );

      const identity = await post({
        grant_type: 'refresh_token',
        refresh_token: 'reader-identity',
        scope,
        service: ts.service,
      });
      assert.equal(identity.status, 200);
      assert.equal(
        decodeJwt(((await identity.json()) as { access_token: string }).access_token).claims.sub,
        'reader',
      );

      assert.equal(
        (await post({ grant_type: 'refresh_token', refresh_token: 'nope', service: ts.service })).status,
        401,
      );
      assert.equal((await post({ grant_type: 'password', username: 'alice', password: 'x' })).status, 401);
      assert.equal((await post({ grant_type: 'client_credentials' })).status, 400);
      const stats = ts.stats();
      assert.deepEqual(
        { requests: stats.requests, issued: stats.issued, denied: stats.denied, byGrant: stats.byGrant },
        { requests: 6, issued: 3, denied: 2, byGrant: { password: 1, refresh_token: 2 } },
      );
      assert.deepEqual(
        ts.requests().map((r) => r.grantType),
        ['password', 'refresh_token', 'refresh_token', 'refresh_token', 'password', 'client_credentials'],
      );
    });

    test('failNext injects token endpoint failures', async () => {
      const ts = reg.tokenServer!;
      ts.failNext(1, 503);
      assert.equal((await fetch(`${ts.realm}?service=${ts.service}`)).status, 503);
      assert.equal((await fetch(`${ts.realm}?service=${ts.service}`)).status, 200);
    });
  });

  describe('TLS registry (with basic auth)', IN_ORDER, () => {
    let reg: Registry;
    before(async () => {
      reg = await startRegistry({ tls: true, auth: 'basic' });
    });
    after(() => reg.stop());

    test('serves HTTPS with a cert the test CA signed', async () => {
      assert.ok(reg.url.startsWith('https://127.0.0.1:'));
      assert.equal(await httpStatus(`${reg.url}/v2/`, { ca: reg.caPem! }), 401);
      await assert.rejects(httpStatus(`${reg.url}/v2/`), /self-signed|unable to verify|certificate/i);
    });

    test('skopeo pushes and reads with the CA dir and creds', async () => {
      const pushed = await pushImage(reg, 'lab/idx:multi', multi);
      assert.equal(pushed.digest, multi.digest);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/idx:multi'), registryAccess(reg));
      assert.equal(skopeoDigestOf(raw), multi.digest);
      assert.deepEqual(await skopeoListTags(dockerRef(reg, 'lab/idx'), registryAccess(reg)), ['multi']);
    });

    test('skopeo without the CA fails certificate verification', async () => {
      await assert.rejects(
        skopeoInspectRaw(dockerRef(reg, 'lab/idx:multi'), { creds: reg.creds() }),
        /x509|certificate/i,
      );
    });
  });
});
