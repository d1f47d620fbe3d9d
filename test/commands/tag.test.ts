// `ferry tag` against the real registry, skopeo as the referee: the new tag serves the very same
// manifest bytes (same digest, same media type) for an OCI manifest, an OCI index and a Docker
// manifest list; the only write is one manifest PUT (no blob is uploaded or mounted); and targets
// in another repository or registry are refused before anything is sent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeSeeded,
  errorLine,
  ferryOn,
  MULTI,
  requestsDuring,
  SINGLE,
  skopeoRaw,
} from '../harness/fixtures.js';
import { sha256 } from '../harness/images.js';

const MODES = ['anonymous', 'token'] as const;
describeSeeded('ferry tag', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      for (const [source, label] of [
        [`${SINGLE}:v1`, 'an OCI manifest'],
        [`${MULTI}:v1`, 'an OCI index'],
        [`${MULTI}:v1-docker`, 'a Docker manifest list'],
      ] as const) {
        test(`${label}: the new tag serves the same bytes; one manifest PUT, no blob traffic`, async () => {
          const s = seeded[mode];
          const repo = source.split(':')[0]!;
          const newTag = `copy-${source.split(':')[1]}`;
          const { value: r, requests } = await requestsDuring(s.registry, () =>
            ferryOn(s, ['tag', `${s.registry.host}/${source}`, newTag]),
          );
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, '');
          const original = await skopeoRaw(s, source);
          assert.match(
            r.stderr,
            new RegExp(`tagged ${s.registry.host}/${repo}:${newTag} \\(${sha256(original)}\\)`),
          );
          const tagged = await skopeoRaw(s, `${repo}:${newTag}`);
          assert.deepEqual(tagged, original);
          const writes = requests.filter((q) => !['GET', 'HEAD'].includes(q.method));
          assert.deepEqual(
            writes.map((q) => `${q.method} ${q.path} ${q.status}`),
            [`PUT /v2/${repo}/manifests/${newTag} 201`],
          );
          assert.ok(!requests.some((q) => q.path.includes('/blobs/')), 'no blob is touched');
        });
      }

      test('a source by digest, and a full reference in the same repository as the target', async () => {
        const s = seeded[mode];
        const digest = s.images.single.digest;
        const r = await ferryOn(s, [
          'tag',
          `${s.registry.host}/${SINGLE}@${digest}`,
          `${s.registry.host}/${SINGLE}:stable`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(sha256(await skopeoRaw(s, `${SINGLE}:stable`)), digest);
      });
    });
  }

  test('an existing tag is moved to the source image', async () => {
    const s = seeded.anonymous;
    assert.equal((await ferryOn(s, ['tag', `${s.registry.host}/${MULTI}:v1`, 'moving'])).code, 0);
    assert.equal(sha256(await skopeoRaw(s, `${MULTI}:moving`)), s.images.multi.digest);
    const child = s.images.multi.platforms[0]!.manifestDigest;
    const r = await ferryOn(s, ['tag', `${s.registry.host}/${MULTI}@${child}`, 'moving']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(await skopeoRaw(s, `${MULTI}:moving`)), child);
  });

  test('another repository or registry, or a digest as target: exit 2 with a hint, nothing sent', async () => {
    const s = seeded.anonymous;
    const source = `${s.registry.host}/${SINGLE}:v1`;
    const { value, requests } = await requestsDuring(s.registry, () =>
      Promise.all([
        ferryOn(s, ['tag', source, `${s.registry.host}/lab/other:v1`]),
        ferryOn(s, ['tag', source, `registry.example.com/${SINGLE}:v1`]),
        ferryOn(s, ['tag', source, `${s.registry.host}/${SINGLE}@${s.images.single.digest}`]),
        ferryOn(s, ['tag', source, 'not a tag']),
        ferryOn(s, ['tag', source, '-dash-first']),
      ]),
    );
    const [otherRepo, otherRegistry, digest, invalid, dash] = value;
    for (const r of value) assert.equal(r.code, 2, r.stderr);
    assert.match(errorLine(otherRepo), /tag works within one repository.*hint: .*ferry copy/);
    assert.match(errorLine(otherRegistry), /ferry copy/);
    assert.match(errorLine(digest), /digest/);
    errorLine(invalid);
    errorLine(dash);
    assert.deepEqual(requests, []);
  });

  test('a source that does not exist: exit 1', async () => {
    const s = seeded.anonymous;
    const r = await ferryOn(s, ['tag', `${s.registry.host}/${SINGLE}:nope`, 'x']);
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /not found/);
  });
});
