// `ferry digest` against the real registry in every auth mode: the digest is the sha256 of the
// bytes skopeo reads (and, for what was pushed as OCI, the generator's digest); `--platform`
// gives the child's digest as the index lists it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeSeeded,
  errorLine,
  MODES,
  MULTI,
  skopeoRaw as raw,
  requestsDuring,
  ferryOn as run,
  SINGLE,
} from '../harness/fixtures.js';
import { indexEntry, sha256 } from '../harness/images.js';

describeSeeded('ferry digest', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test('single image: sha256 of the bytes skopeo reads, which is the pushed digest', async () => {
        const s = seeded[mode];
        const [result, bytes] = await Promise.all([
          run(s, ['digest', `${s.registry.host}/${SINGLE}:v1`]),
          raw(s, `${SINGLE}:v1`),
        ]);
        assert.equal(result.stderr, '');
        assert.equal(result.code, 0);
        assert.equal(result.stdout, `${sha256(bytes)}\n`);
        assert.equal(result.stdout, `${s.images.single.digest}\n`);
      });

      test('OCI index and Docker list: sha256 of the bytes skopeo reads', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [oci, docker, ociBytes, dockerBytes] = await Promise.all([
          run(s, ['digest', `${host}/${MULTI}:v1`]),
          run(s, ['digest', `${host}/${MULTI}:v1-docker`]),
          raw(s, `${MULTI}:v1`),
          raw(s, `${MULTI}:v1-docker`),
        ]);
        assert.equal(oci.code, 0, oci.stderr);
        assert.equal(oci.stdout, `${sha256(ociBytes)}\n`);
        assert.equal(oci.stdout, `${s.images.multi.digest}\n`);
        assert.equal(docker.code, 0, docker.stderr);
        assert.equal(docker.stdout, `${sha256(dockerBytes)}\n`);
        assert.equal(docker.stdout, `${s.multiDockerDigest}\n`);
        assert.notEqual(docker.stdout, oci.stdout);
      });

      test('--platform gives the child digest the OCI index lists', async () => {
        const s = seeded[mode];
        const ref = `${s.registry.host}/${MULTI}:v1`;
        const index = await raw(s, `${MULTI}:v1`);
        const [arm64, arm, amd64] = await Promise.all([
          run(s, ['digest', '--platform', 'linux/arm64', ref]),
          run(s, ['digest', '--platform', 'linux/arm/v7', ref]),
          run(s, ['digest', '--platform', 'linux/amd64', ref]),
        ]);
        assert.equal(arm64.code, 0, arm64.stderr);
        assert.equal(arm64.stdout, `${indexEntry(index, 'linux/arm64/v8').digest}\n`);
        assert.equal(arm64.stdout, `${s.images.multi.platforms[1]?.manifestDigest}\n`);
        assert.equal(arm.stdout, `${indexEntry(index, 'linux/arm/v7').digest}\n`);
        assert.equal(arm.stdout, `${s.images.multi.platforms[2]?.manifestDigest}\n`);
        assert.equal(amd64.stdout, `${indexEntry(index, 'linux/amd64').digest}\n`);
        assert.equal(amd64.stdout, `${s.images.multi.platforms[0]?.manifestDigest}\n`);
      });

      test('--platform gives the child digest the Docker list lists', async () => {
        const s = seeded[mode];
        const ref = `${s.registry.host}/${MULTI}:v1-docker`;
        const [list, arm64, arm] = await Promise.all([
          raw(s, `${MULTI}:v1-docker`),
          run(s, ['digest', '--platform', 'linux/arm64', ref]),
          // No variant: arm means arm/v7.
          run(s, ['digest', '--platform', 'linux/arm', ref]),
        ]);
        assert.equal(arm64.code, 0, arm64.stderr);
        assert.equal(arm64.stdout, `${indexEntry(list, 'linux/arm64/v8').digest}\n`);
        assert.equal(arm.code, 0, arm.stderr);
        assert.equal(arm.stdout, `${indexEntry(list, 'linux/arm/v7').digest}\n`);
        // skopeo rewrote the children: none keeps its OCI digest.
        assert.ok(!s.images.multi.platforms.some((p) => `${p.manifestDigest}\n` === arm64.stdout));
      });

      test('without --platform the digest comes from a HEAD: no manifest is downloaded', async () => {
        const s = seeded[mode];
        const { value: result, requests } = await requestsDuring(s.registry, () =>
          run(s, ['digest', `${s.registry.host}/${MULTI}:v1`]),
        );
        assert.equal(result.stdout, `${s.images.multi.digest}\n`);
        const manifestRequests = requests.filter((r) => r.path.includes('/manifests/'));
        assert.ok(manifestRequests.length > 0, 'the registry saw the manifest request');
        assert.deepEqual(
          manifestRequests.map((r) => `${r.method} ${r.path}`),
          manifestRequests.map(() => `HEAD /v2/${MULTI}/manifests/v1`),
        );
      });

      test('--platform not in the index: exit 1 and one line listing the available platforms', async () => {
        const s = seeded[mode];
        const ref = `${s.registry.host}/${MULTI}:v1`;
        const result = await run(s, ['digest', '--platform', 'windows/amd64', ref]);
        assert.equal(result.code, 1);
        assert.equal(
          errorLine(result),
          `ferry: ${ref} has no image for platform windows/amd64 (available: linux/amd64, linux/arm64/v8, linux/arm/v7)`,
        );
      });

      test('an absent tag: exit 1 and one line', async () => {
        const s = seeded[mode];
        const result = await run(s, ['digest', `${s.registry.host}/${SINGLE}:nope`]);
        assert.equal(result.code, 1);
        assert.equal(errorLine(result), `ferry: manifest ${s.registry.host}/${SINGLE}:nope not found`);
      });
    });
  }
});

// distribution/reference v0.6.0: the 255-character limit is on the repository path, not on
// `host/path`. The real registry takes such a name; ferry must reach it, and refuse one more.
describeSeeded('ferry digest: repository path length', ['anonymous'], (seeded) => {
  test('a 255-character path after a host is read; 256 is refused before any request', async () => {
    const s = seeded.anonymous;
    const host = s.registry.host;
    const path = `${'a/'.repeat(127)}a`;
    assert.equal(path.length, 255);
    const copied = await run(s, ['copy', '-q', `${host}/${SINGLE}:v1`, `${host}/${path}:x`]);
    assert.equal(copied.code, 0, copied.stderr);
    const result = await run(s, ['digest', `${host}/${path}:x`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${s.images.single.digest}\n`);

    const { value: tooLong, requests } = await requestsDuring(s.registry, () =>
      run(s, ['digest', `${host}/${path}b:x`]),
    );
    assert.equal(tooLong.code, 2);
    assert.match(errorLine(tooLong), /the repository path is 256 characters, the limit is 255/);
    assert.deepEqual(requests, []);
  });
});
