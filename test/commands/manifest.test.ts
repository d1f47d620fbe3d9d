// `ferry manifest` against the real registry in every auth mode, with skopeo as the referee: the
// bytes ferry prints are the bytes skopeo reads, for an OCI manifest, an OCI index and a Docker
// manifest list, and `--platform` picks exactly the child skopeo finds by digest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeSeeded,
  errorLine,
  MODES,
  MULTI,
  MULTI_PLATFORMS,
  skopeoRaw as raw,
  ferryOn as run,
  SINGLE,
} from '../harness/fixtures.js';
import { type Descriptor, indexEntry, OCI_INDEX, OCI_MANIFEST, sha256 } from '../harness/images.js';

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describeSeeded('ferry manifest', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test('prints the single-image manifest byte for byte as skopeo reads it', async () => {
        const s = seeded[mode];
        const [result, expected] = await Promise.all([
          run(s, ['manifest', `${s.registry.host}/${SINGLE}:v1`]),
          raw(s, `${SINGLE}:v1`),
        ]);
        assert.equal(result.stderr, '');
        assert.equal(result.code, 0);
        assert.deepEqual(result.stdoutBytes, expected);
        assert.equal(sha256(result.stdoutBytes), s.images.single.digest);
        assert.equal((JSON.parse(result.stdout) as { mediaType: string }).mediaType, OCI_MANIFEST);
      });

      test('prints the OCI index byte for byte, by tag and by digest', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [byTag, byDigest, expected] = await Promise.all([
          run(s, ['manifest', `${host}/${MULTI}:v1`]),
          run(s, ['manifest', `${host}/${MULTI}@${s.images.multi.digest}`]),
          raw(s, `${MULTI}:v1`),
        ]);
        assert.equal(byTag.code, 0, byTag.stderr);
        assert.deepEqual(byTag.stdoutBytes, expected);
        assert.equal(byDigest.code, 0, byDigest.stderr);
        assert.deepEqual(byDigest.stdoutBytes, expected);
        assert.equal(sha256(expected), s.images.multi.digest);
        const index = JSON.parse(byTag.stdout) as { mediaType: string; manifests: Descriptor[] };
        assert.equal(index.mediaType, OCI_INDEX);
        assert.deepEqual(
          index.manifests.map(
            (m) => s.images.multi.platforms.find((p) => p.manifestDigest === m.digest)?.platform,
          ),
          [...MULTI_PLATFORMS],
        );
      });

      test('prints the Docker manifest list byte for byte', async () => {
        const s = seeded[mode];
        const [result, expected] = await Promise.all([
          run(s, ['manifest', `${s.registry.host}/${MULTI}:v1-docker`]),
          raw(s, `${MULTI}:v1-docker`),
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdoutBytes, expected);
        assert.equal(sha256(result.stdoutBytes), s.multiDockerDigest);
        const list = JSON.parse(result.stdout) as { mediaType: string; manifests: Descriptor[] };
        assert.equal(list.mediaType, DOCKER_LIST);
        assert.deepEqual(
          list.manifests.map((m) => m.mediaType),
          [DOCKER_MANIFEST, DOCKER_MANIFEST, DOCKER_MANIFEST],
        );
      });

      test('--platform linux/arm64 prints the arm64 child of the OCI index, as skopeo reads it by digest', async () => {
        const s = seeded[mode];
        const child = indexEntry(await raw(s, `${MULTI}:v1`), 'linux/arm64');
        assert.equal(child.digest, s.images.multi.platforms[1]?.manifestDigest);
        const [result, expected] = await Promise.all([
          run(s, ['manifest', '--platform', 'linux/arm64', `${s.registry.host}/${MULTI}:v1`]),
          raw(s, `${MULTI}@${child.digest}`),
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdoutBytes, expected);
        assert.equal(sha256(result.stdoutBytes), child.digest);
        assert.equal((JSON.parse(result.stdout) as { mediaType: string }).mediaType, OCI_MANIFEST);
      });

      test('--platform linux/arm64 prints the arm64 child of the Docker list, as skopeo reads it by digest', async () => {
        const s = seeded[mode];
        const child = indexEntry(await raw(s, `${MULTI}:v1-docker`), 'linux/arm64');
        const [result, expected] = await Promise.all([
          run(s, ['manifest', '--platform', 'linux/arm64', `${s.registry.host}/${MULTI}:v1-docker`]),
          raw(s, `${MULTI}@${child.digest}`),
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdoutBytes, expected);
        assert.equal(sha256(result.stdoutBytes), child.digest);
        assert.equal((JSON.parse(result.stdout) as { mediaType: string }).mediaType, DOCKER_MANIFEST);
      });

      test('--platform not in the index: exit 1 and one line listing the available platforms', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        for (const tag of ['v1', 'v1-docker']) {
          const result = await run(s, ['manifest', '--platform', 'linux/s390x', `${host}/${MULTI}:${tag}`]);
          assert.equal(result.code, 1);
          assert.equal(
            errorLine(result),
            `ferry: ${host}/${MULTI}:${tag} has no image for platform linux/s390x ` +
              '(available: linux/amd64, linux/arm64/v8, linux/arm/v7)',
          );
        }
      });

      test('an absent tag: exit 1 and one line', async () => {
        const s = seeded[mode];
        const result = await run(s, ['manifest', `${s.registry.host}/${SINGLE}:nope`]);
        assert.equal(result.code, 1);
        assert.equal(errorLine(result), `ferry: manifest ${s.registry.host}/${SINGLE}:nope not found`);
      });
    });
  }
});
