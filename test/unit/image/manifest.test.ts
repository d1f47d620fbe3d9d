import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imageSize, MAX_MANIFEST_BYTES, parseManifest } from '../../../src/image/manifest.js';
import { MediaType } from '../../../src/image/media-types.js';

const d = (n: number, mediaType: string = MediaType.ociLayerGzip) => ({
  mediaType,
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100 * n,
});
const image = {
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: d(1, MediaType.ociConfig),
  layers: [d(2), d(3)],
};
const index = {
  schemaVersion: 2,
  mediaType: MediaType.ociIndex,
  manifests: [{ ...d(4, MediaType.ociManifest), platform: { os: 'linux', architecture: 'amd64' } }],
};
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseManifest', () => {
  test('OCI image manifest', () => {
    const p = parseManifest(bytes(image));
    assert.equal(p.kind, 'image');
    assert.equal(p.mediaType, MediaType.ociManifest);
    if (p.kind === 'image') assert.equal(imageSize(p.manifest), 600);
  });
  test('OCI index', () => assert.equal(parseManifest(bytes(index)).kind, 'index'));
  test('Docker list without mediaType field, decided by content type', () => {
    const p = parseManifest(bytes({ schemaVersion: 2, manifests: [] }), MediaType.dockerManifestList);
    assert.equal(p.kind, 'index');
    assert.equal(p.mediaType, MediaType.dockerManifestList);
  });
  test('content type with parameters', () => {
    assert.equal(parseManifest(bytes(image), `${MediaType.ociManifest}; charset=utf-8`).kind, 'image');
  });
  test('no mediaType anywhere: shape decides', () => {
    assert.equal(parseManifest(bytes({ schemaVersion: 2, config: d(1), layers: [] })).kind, 'image');
  });

  const invalid: [string, Buffer, string?][] = [
    ['not JSON', Buffer.from('{nope')],
    ['an array', bytes([])],
    ['schema 1', bytes({ schemaVersion: 1, name: 'x' })],
    ['schemaVersion 3', bytes({ ...image, schemaVersion: 3 })],
    ['bad layer digest', bytes({ ...image, layers: [{ ...d(2), digest: 'sha256:xyz' }] })],
    ['negative size', bytes({ ...image, layers: [{ ...d(2), size: -1 }] })],
    ['fractional size', bytes({ ...image, layers: [{ ...d(2), size: 1.5 }] })],
    ['missing config', bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] })],
    ['layers not an array', bytes({ ...image, layers: {} })],
    ['index without manifests', bytes({ schemaVersion: 2, mediaType: MediaType.ociIndex })],
    [
      'platform without os',
      bytes({ ...index, manifests: [{ ...d(4), platform: { architecture: 'amd64' } }] }),
    ],
    ['mediaType contradicts header', bytes(image), MediaType.ociIndex],
    ['unsupported media type', bytes({ ...image, mediaType: 'text/plain' })],
    ['oversized', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32)],
  ];
  for (const [name, input, contentType] of invalid) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => parseManifest(input, contentType),
        (err: { code?: string }) => err.code === 'E_INVALID_CONTENT',
      );
    });
  }
});
