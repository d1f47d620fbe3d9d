/**
 * --chunk-size: blobs go up in several PATCHes with Content-Range instead of one stream, and the
 * real registry assembles them into the same digests skopeo reads back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { dockerRef, registryAccess, skopeoDigestOf, skopeoInspectRaw } from '../harness/skopeo.js';

describe('push --chunk-size', () => {
  let reg: Registry;
  let image: ImageSummary;

  before(async () => {
    reg = await startRegistry('anonymous');
    image = await generateImage({ tag: 'v1', layers: [300_000, 150_000], seed: 'chunked' });
  });
  after(async () => {
    await reg.stop();
  });

  test('uploads each blob in PATCHes of at most the chunk size, and the image reads back intact', async () => {
    const res = await ferry([
      'push',
      '--chunk-size',
      '64KiB',
      `oci:${image.dir}:v1`,
      `${reg.host}/lab/chunked:v1`,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const raw = await skopeoInspectRaw(dockerRef(reg, 'lab/chunked:v1'), registryAccess(reg));
    assert.equal(skopeoDigestOf(raw), image.digest);
    const patches = (await reg.waitForRequests(1)).filter(
      (r) => r.method === 'PATCH' && r.path.startsWith('/v2/lab/chunked/blobs/uploads/'),
    );
    const largest = Math.max(...image.platforms[0]!.layers.map((l) => l.size));
    // The largest layer alone needs more than one 64 KiB PATCH.
    assert.ok(patches.length >= Math.ceil(largest / 65536), `only ${patches.length} PATCH requests`);
    assert.ok(patches.every((p) => p.status === 202));
  });

  test('a bad size is a usage error', async () => {
    const res = await ferry([
      'push',
      '--chunk-size',
      'lots',
      `oci:${image.dir}:v1`,
      `${reg.host}/lab/chunked:v2`,
    ]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^ferry: --chunk-size must be a size such as 5MiB/);
    assert.equal(res.stderr.trim().split('\n').length, 1);
  });
});

describe('--chunk-size bounds', () => {
  const cases: Array<[string, RegExp]> = [
    [
      '16',
      /^ferry: --chunk-size 16 is below the floor of 64KiB \(hint: a bare number counts bytes: for megabytes write 16MiB\)$/,
    ],
    ['1KiB', /^ferry: --chunk-size 1KiB is below the floor of 64KiB \(hint: /],
    ['65535', /below the floor of 64KiB/],
    ['2GiB', /^ferry: --chunk-size 2GiB is above the ceiling of 1GiB \(each chunk is held in memory\)$/],
  ];
  for (const [size, message] of cases) {
    test(`--chunk-size ${size}: exit 2, one line, when the options are read`, async () => {
      for (const command of [
        ['push', 'oci:/nonexistent:v1', '127.0.0.1:1/x:y'],
        ['copy', '127.0.0.1:1/a:b', '127.0.0.1:1/x:y'],
      ]) {
        const res = await ferry([command[0]!, '--chunk-size', size, ...command.slice(1)]);
        assert.equal(res.code, 2);
        assert.match(res.stderr.trimEnd(), message);
        assert.equal(res.stderr.trim().split('\n').length, 1);
      }
    });
  }
  test('64KiB and 1GiB are accepted (the bounds themselves)', async () => {
    for (const size of ['64KiB', '65536', '1GiB']) {
      const res = await ferry([
        'push',
        '--chunk-size',
        size,
        'oci:/nonexistent-ferry-layout:v1',
        '127.0.0.1:1/x:y',
      ]);
      assert.notEqual(res.code, 2, `${size}: ${res.stderr}`);
    }
  });
});
