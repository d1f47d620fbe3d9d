// `ferry config` against the real registry, skopeo `inspect --config --raw` as the referee: the
// bytes printed are the config blob as served (its sha256 is the manifest's config digest), an
// index resolves to the host's platform by default (said on stderr) or to --platform, and a config
// altered on the way (fault proxy) fails with exit 6 and prints nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startFaultProxy } from '../harness/fault-proxy.js';
import {
  describeSeeded,
  errorLine,
  ferryOn,
  MULTI,
  type SeededRegistry,
  SINGLE,
} from '../harness/fixtures.js';
import { readLayoutBlob, sha256 } from '../harness/images.js';
import { ferry } from '../harness/run-ferry.js';
import { dockerRef, registryAccess, skopeoInspectConfig } from '../harness/skopeo.js';

const MODES = ['anonymous', 'token', 'tls'] as const;
/** The host's platform as ferry and skopeo pick it (image/platform.ts hostPlatform). */
const HOST_ARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

const skopeoConfig = (s: SeededRegistry, ref: string): Promise<Buffer> =>
  skopeoInspectConfig(dockerRef(s.registry, ref), registryAccess(s.registry));

describeSeeded('ferry config', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test('a single image: the config bytes skopeo reads, verified digest, nothing on stderr', async () => {
        const s = seeded[mode];
        const [r, expected] = await Promise.all([
          ferryOn(s, ['config', `${s.registry.host}/${SINGLE}:v1`]),
          skopeoConfig(s, `${SINGLE}:v1`),
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, '');
        assert.deepEqual(r.stdoutBytes, expected);
        assert.equal(sha256(r.stdoutBytes), s.images.single.platforms[0]?.configDigest);
      });

      test("an index: the host platform's config by default, and stderr says which", async (t) => {
        const s = seeded[mode];
        const child = s.images.multi.platforms.find((p) => p.platform.split('/')[1] === HOST_ARCH);
        if (!child) return t.skip(`lab/multi has no image for ${HOST_ARCH}`);
        const [r, expected] = await Promise.all([
          ferryOn(s, ['config', `${s.registry.host}/${MULTI}:v1`]),
          skopeoConfig(s, `${MULTI}:v1`),
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdoutBytes, expected);
        assert.equal(sha256(r.stdoutBytes), child.configDigest);
        assert.match(r.stderr, new RegExp(`multi-platform index: config of linux/${HOST_ARCH}.*--platform`));
      });
    });
  }

  test('--platform picks each child of an OCI index and of a Docker manifest list', async () => {
    const s = seeded.anonymous;
    for (const p of s.images.multi.platforms) {
      const r = await ferryOn(s, ['config', '--platform', p.platform, `${s.registry.host}/${MULTI}:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', 'an explicit --platform is not remarked on');
      assert.deepEqual(r.stdoutBytes, await readLayoutBlob(s.images.multi.dir, p.configDigest));
      // skopeo's v2s2 conversion keeps the config blobs.
      const docker = await ferryOn(s, [
        'config',
        '--platform',
        p.platform,
        `${s.registry.host}/${MULTI}:v1-docker`,
      ]);
      assert.equal(sha256(docker.stdoutBytes), p.configDigest);
    }
  });

  test('a platform the index lacks, and an image that does not exist: exit 1', async () => {
    const s = seeded.anonymous;
    const missing = await ferryOn(s, [
      'config',
      '--platform',
      'linux/s390x',
      `${s.registry.host}/${MULTI}:v1`,
    ]);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /no image for platform linux\/s390x/);
    const absent = await ferryOn(s, ['config', `${s.registry.host}/${SINGLE}:nope`]);
    assert.equal(absent.code, 1);
    errorLine(absent);
  });

  test('a config altered on the way: exit 6, nothing on stdout', async () => {
    const s = seeded.anonymous;
    const proxy = await startFaultProxy({ upstream: s.registry.url });
    try {
      const digest = s.images.single.platforms[0]!.configDigest;
      proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${digest}`), action: { kind: 'flip' } });
      const r = await ferry(['--retries', '0', 'config', `${proxy.host}/${SINGLE}:v1`]);
      assert.equal(r.code, 6, r.stderr);
      assert.match(errorLine(r), /digest mismatch/);
    } finally {
      await proxy.close();
    }
  });
});
