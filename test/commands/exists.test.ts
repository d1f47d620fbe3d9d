// `ferry exists` against the real registry in every auth mode. The exit code is the contract:
// 0 present, 1 absent, and 3 or more when ferry could not check (auth 3, network 4, TLS 5), so a
// script never mistakes "could not check" for "absent" (auth failures, 3: auth-failures.test.ts).
// skopeo is the referee for what is there, and the registry's access log proves that `exists`
// only ever sends HEAD.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeSeeded,
  dockerConfigFor,
  errorLine,
  ferryAccess,
  MODES,
  MULTI,
  requestsDuring,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  TAGS_REPO,
} from '../harness/fixtures.js';
import { sha256 } from '../harness/images.js';
import { freePort } from '../harness/ports.js';
import { startRegistry } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { dockerRef, registryAccess, skopeoInspectRaw } from '../harness/skopeo.js';

const ABSENT_DIGEST = `sha256:${'0'.repeat(64)}`;

/** Whether skopeo can read the reference: the referee's "present" (it fails with "manifest unknown" otherwise). */
async function skopeoSees(s: SeededRegistry, ref: string): Promise<boolean> {
  try {
    await skopeoInspectRaw(dockerRef(s.registry, ref), registryAccess(s.registry));
    return true;
  } catch (error) {
    assert.match(String(error), /manifest unknown|name unknown|repository name not known/);
    return false;
  }
}

/** Exit 0 and the one-line answer for a present reference. */
function assertPresent(result: FerryResult, ref: string, digest: string): void {
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
  assert.equal(result.stdout, `${ref}: present (${digest})\n`);
}

/** Exit 1 and the one-line answer for an absent reference: not an error, so nothing on stderr. */
function assertAbsent(result: FerryResult, ref: string): void {
  assert.equal(result.stderr, '');
  assert.equal(result.code, 1);
  assert.equal(result.stdout, `${ref}: absent\n`);
}

describeSeeded('ferry exists', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test('present by tag: exit 0, with the digest skopeo reads', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [single, docker, singleBytes, dockerBytes] = await Promise.all([
          run(s, ['exists', `${host}/${SINGLE}:v1`]),
          run(s, ['exists', `${host}/${MULTI}:v1-docker`]),
          skopeoInspectRaw(dockerRef(s.registry, `${SINGLE}:v1`), registryAccess(s.registry)),
          skopeoInspectRaw(dockerRef(s.registry, `${MULTI}:v1-docker`), registryAccess(s.registry)),
        ]);
        assertPresent(single, `${host}/${SINGLE}:v1`, sha256(singleBytes));
        assertPresent(docker, `${host}/${MULTI}:v1-docker`, sha256(dockerBytes));
      });

      test('present by digest (an index and one of its children): exit 0', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const child = s.images.multi.platforms[2]!.manifestDigest;
        const [index, arm] = await Promise.all([
          run(s, ['exists', `${host}/${MULTI}@${s.images.multi.digest}`]),
          run(s, ['exists', `${host}/${MULTI}@${child}`]),
        ]);
        assertPresent(index, `${host}/${MULTI}@${s.images.multi.digest}`, s.images.multi.digest);
        assertPresent(arm, `${host}/${MULTI}@${child}`, child);
      });

      test('absent tag, absent repository, absent digest: exit 1, and skopeo agrees', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const absent = [
          `${SINGLE}:v2`,
          'lab/nothing-here:v1',
          `${SINGLE}@${ABSENT_DIGEST}`,
          // A digest the registry holds, but in another repository.
          `${TAGS_REPO}@${s.images.single.digest}`,
        ];
        const results = await Promise.all(absent.map((ref) => run(s, ['exists', `${host}/${ref}`])));
        results.forEach((result, i) => {
          assertAbsent(result, `${host}/${absent[i]}`);
        });
        assert.deepEqual(await Promise.all(absent.map((ref) => skopeoSees(s, ref))), [
          false,
          false,
          false,
          false,
        ]);
      });

      test('no tag means latest', async () => {
        const s = seeded[mode];
        const result = await run(s, ['exists', `${s.registry.host}/${SINGLE}`]);
        assertAbsent(result, `${s.registry.host}/${SINGLE}:latest`);
      });

      test('--quiet (and the global -q) print nothing and answer with the exit code', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [present, absent, globalPresent, globalAbsent] = await Promise.all([
          run(s, ['exists', '--quiet', `${host}/${SINGLE}:v1`]),
          run(s, ['exists', '--quiet', `${host}/${SINGLE}:v2`]),
          run(s, ['-q', 'exists', `${host}/${SINGLE}:v1`]),
          run(s, ['-q', 'exists', `${host}/${SINGLE}:v2`]),
        ]);
        assert.deepEqual(
          [present, absent, globalPresent, globalAbsent].map((r) => [r.code, r.stdout, r.stderr]),
          [
            [0, '', ''],
            [1, '', ''],
            [0, '', ''],
            [1, '', ''],
          ],
        );
        // What its help says: -q drops the sentence, not the data --json asks for; and a usage
        // error is 2, apart from absent (1) and could not check (3 and up).
        const [json, usage] = await Promise.all([
          run(s, ['exists', '-q', '--json', `${host}/${SINGLE}:v1`]),
          run(s, ['exists', '-q', `${host}/NOT-lower-case:v1`]),
        ]);
        assert.equal(json.code, 0, json.stderr);
        assert.equal((JSON.parse(json.stdout) as { exists: boolean }).exists, true);
        assert.equal(usage.code, 2, usage.stderr);
      });

      test('--json: {reference, exists, digest}', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [present, absent] = await Promise.all([
          run(s, ['exists', '--json', `${host}/${MULTI}:v1`]),
          run(s, ['exists', '--json', `${host}/${MULTI}:v2`]),
        ]);
        assert.equal(present.code, 0, present.stderr);
        assert.deepEqual(JSON.parse(present.stdout), {
          reference: `${host}/${MULTI}:v1`,
          exists: true,
          digest: s.images.multi.digest,
        });
        assert.equal(absent.code, 1, absent.stderr);
        assert.deepEqual(JSON.parse(absent.stdout), {
          reference: `${host}/${MULTI}:v2`,
          exists: false,
          digest: null,
        });
      });

      test('sends only HEAD for the manifest (besides the GET /v2/ ping)', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const { value, requests } = await requestsDuring(s.registry, async () => [
          await run(s, ['exists', `${host}/${SINGLE}:v1`]),
          await run(s, ['exists', `${host}/${SINGLE}:v2`]),
          await run(s, ['exists', `${host}/${SINGLE}@${ABSENT_DIGEST}`]),
        ]);
        assert.deepEqual(
          value.map((r) => r.code),
          [0, 1, 1],
        );
        const nonPing = requests.filter((r) => !(r.method === 'GET' && r.path === '/v2/'));
        assert.deepEqual(
          nonPing.filter((r) => r.status !== 401).map((r) => `${r.method} ${r.path} ${r.status}`),
          [
            `HEAD /v2/${SINGLE}/manifests/v1 200`,
            `HEAD /v2/${SINGLE}/manifests/v2 404`,
            `HEAD /v2/${SINGLE}/manifests/${ABSENT_DIGEST} 404`,
          ],
        );
        assert.deepEqual(
          nonPing.filter((r) => r.method !== 'HEAD'),
          [],
        );
      });

      test('registry down: exit 4 (network), not 1', async () => {
        const s = seeded[mode];
        // A registry of the same mode, stopped: its port refuses connections.
        const gone = await startRegistry(mode);
        const access = ferryAccess(gone);
        await gone.stop();
        const result = await ferry([...access.args, 'exists', `${gone.host}/${SINGLE}:v1`], access.run);
        assert.equal(result.code, 4);
        assert.equal(
          errorLine(result),
          `ferry: cannot connect to ${gone.host}: connection refused (hint: is the registry running, and is the port right?)`,
        );
        // And the same through the seeded registry's flags, on a port nothing listens on.
        const port = await freePort();
        const closed = await run(s, ['exists', '--json', `127.0.0.1:${port}/${SINGLE}:v1`]);
        assert.equal(closed.code, 4);
        assert.match(errorLine(closed), /^ferry: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
      });
    });
  }

  for (const mode of ['basic', 'token'] as const) {
    describe(`${mode} registry credentials`, () => {
      test('credentials from DOCKER_CONFIG auths answer present and absent', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const env = baseEnv({ DOCKER_CONFIG: await dockerConfigFor(s.registry) });
        const [present, absent] = await Promise.all([
          ferry(['exists', `${host}/${SINGLE}:v1`], { env }),
          ferry(['exists', `${host}/${SINGLE}:v2`], { env }),
        ]);
        assertPresent(present, `${host}/${SINGLE}:v1`, s.images.single.digest);
        assertAbsent(absent, `${host}/${SINGLE}:v2`);
      });

      test('the pull-only reader can check', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const reader = s.as('reader');
        const [present, absent] = await Promise.all([
          ferry([...reader.args, 'exists', `${host}/${SINGLE}:v1`], reader.run),
          ferry([...reader.args, 'exists', `${host}/${SINGLE}:v2`], reader.run),
        ]);
        assertPresent(present, `${host}/${SINGLE}:v1`, s.images.single.digest);
        assertAbsent(absent, `${host}/${SINGLE}:v2`);
      });
    });
  }

  test('tls registry without its CA: exit 5 (TLS), not 1', async () => {
    const host = seeded.tls.registry.host;
    const result = await ferry(['exists', `${host}/${SINGLE}:v2`], { env: baseEnv() });
    assert.equal(result.code, 5);
    assert.equal(
      errorLine(result),
      `ferry: TLS verification of ${host} failed: unable to verify the first certificate ` +
        `(hint: pass the registry's CA with --ca-file FILE, or (unsafe) --insecure ${host})`,
    );
  });
});
