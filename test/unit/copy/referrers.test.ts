// The referrers walk (copy/referrers.ts) on the engine alone, against the in-memory store:
// referrers (and theirs) follow the image with -r, through the same engine; without it they are
// counted; a lying listing brings nothing; a changed subject leaves its referrers behind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CopySummary } from '../../../src/copy/events.js';
import { copyImageGraph } from '../../../src/copy/image-copy.js';
import { KEEP_LAYERS, layerPolicy } from '../../../src/copy/layer-policy.js';
import { type ReferrersMode, referrersWalk } from '../../../src/copy/referrers.js';
import { CopySession } from '../../../src/copy/session.js';
import { UsageError } from '../../../src/errors.js';
import type { Platform } from '../../../src/image/descriptor.js';
import { legacyTags } from '../../../src/image/referrers.js';
import type { ImageDestination, ImageSource } from '../../../src/store/store.js';
import {
  fileDestination,
  listAsReferrer,
  MemoryRegistry,
  MemorySource,
  PLAIN_LAYER,
  putImage,
  putIndex,
  putReferrer,
  registryDestination,
} from './memory-store.js';

const SBOM = 'application/spdx+json';
const SIG = 'application/vnd.example.signature.v1';

async function copy(
  source: ImageSource,
  destination: ImageDestination,
  mode: ReferrersMode,
  tag = 'v1',
  layers = KEEP_LAYERS,
  platforms?: Platform[],
): Promise<CopySummary> {
  const walk = referrersWalk(source, destination, mode);
  return copyImageGraph(new CopySession(4), source, destination, {
    tag,
    layers,
    platforms,
    onEvent: walk?.listener(undefined),
    extend: walk,
  });
}

/** src/app:v1, an SBOM on it and a signature on the SBOM. */
function seed(registry: MemoryRegistry) {
  const image = putImage(registry, 'src/app', { layers: ['layer one'], tag: 'v1' });
  const sbom = putReferrer(registry, 'src/app', image.descriptor, { artifactType: SBOM, content: 'sbom' });
  const sig = putReferrer(registry, 'src/app', sbom.descriptor, { artifactType: SIG, content: 'sig' });
  return { image, sbom, sig };
}

const kept = (registry: MemoryRegistry, repository: string, subject: string): string[] =>
  (registry.repo(repository).referrers.get(subject) ?? []).map((d) => d.digest);

describe('the referrers walk', () => {
  test('-r: referrers and theirs follow the image, each after its subject, blobs first, kept as referrers', async () => {
    const registry = new MemoryRegistry();
    const { image, sbom, sig } = seed(registry);
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      'copy',
    );
    assert.deepEqual(summary.referrers, { followed: true, copied: 2, left: 0 });
    assert.deepEqual(kept(registry, 'dst/app', image.descriptor.digest), [sbom.descriptor.digest]);
    assert.deepEqual(kept(registry, 'dst/app', sbom.descriptor.digest), [sig.descriptor.digest]);
    const log = registry.log;
    const put = (d: string) => log.indexOf(`put-manifest dst/app ${d}`);
    assert.ok(
      log.indexOf('put-manifest dst/app v1') < put(sbom.descriptor.digest),
      'the image before its SBOM',
    );
    assert.ok(put(sbom.descriptor.digest) < put(sig.descriptor.digest), 'the SBOM before its signature');
    const sbomLayer = (JSON.parse(sbom.bytes.toString()) as { layers: { digest: string }[] }).layers[0]!
      .digest;
    assert.ok(
      log.indexOf(`put-blob dst/app ${sbomLayer}`) < put(sbom.descriptor.digest),
      "the SBOM's blob first",
    );
    assert.equal(summary.manifests, 3, 'the image and two referrers');
  });

  test('without -r, the direct referrers of what was copied are counted and nothing of them moves', async () => {
    const registry = new MemoryRegistry();
    const { image } = seed(registry);
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      'count',
    );
    assert.deepEqual(summary.referrers, { followed: false, copied: 0, left: 1 });
    assert.deepEqual(kept(registry, 'dst/app', image.descriptor.digest), []);
    assert.equal(registry.ops('put-manifest dst/app').length, 1);
  });

  test('a legacy cosign tag travels with its tag', async () => {
    const registry = new MemoryRegistry();
    const image = putImage(registry, 'src/app', { layers: ['x'], tag: 'v1' });
    const sigTag = legacyTags(image.descriptor.digest)[0]!.tag;
    const sig = putReferrer(registry, 'src/app', undefined, {
      artifactType: SIG,
      content: 'cosign',
      tag: sigTag,
    });
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      'copy',
    );
    assert.equal(summary.referrers?.copied, 1);
    assert.equal(registry.repo('dst/app').tags.get(sigTag), sig.descriptor.digest);
  });

  test("a listing that names a manifest not referring to the subject (GitLab's children) brings nothing", async () => {
    const registry = new MemoryRegistry();
    const amd = putImage(registry, 'src/app', {
      layers: ['a'],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const index = putIndex(
      registry,
      'src/app',
      [{ manifest: amd, platform: { os: 'linux', architecture: 'amd64' } }],
      {
        tag: 'v1',
      },
    );
    const stranger = putReferrer(registry, 'src/app', undefined, { artifactType: SIG, content: 'stranger' });
    listAsReferrer(registry, 'src/app', index.descriptor, stranger.descriptor);
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      'copy',
    );
    assert.equal(summary.referrers?.copied, 0);
    assert.equal(registry.repo('dst/app').manifests.has(stranger.descriptor.digest), false);
  });

  test('referrers of a manifest whose digest changed on the way stay behind, counted', async () => {
    const registry = new MemoryRegistry();
    const image = putImage(registry, 'src/app', { layers: ['plain'], layerType: PLAIN_LAYER, tag: 'v1' });
    putReferrer(registry, 'src/app', image.descriptor, { artifactType: SBOM, content: 'sbom' });
    const source = new MemorySource(registry, 'src/app', 'v1');
    const destination = registryDestination(registry, 'dst/app');
    const layers = layerPolicy(
      { compress: 'gzip', preserveDigests: false },
      source.traits,
      destination.traits,
    );
    const summary = await copy(source, destination, 'copy', 'v1', layers);
    assert.notEqual(summary.descriptor.digest, image.descriptor.digest);
    assert.deepEqual(summary.referrers, { followed: true, copied: 0, left: 1 });
  });

  test("one platform picked out of an index: the index's own referrers stay behind, counted", async () => {
    const registry = new MemoryRegistry();
    const amd64 = { os: 'linux', architecture: 'amd64' };
    const arm64 = { os: 'linux', architecture: 'arm64' };
    const images = [amd64, arm64].map((platform) => ({
      platform,
      manifest: putImage(registry, 'src/app', { layers: [`layer ${platform.architecture}`], platform }),
    }));
    const index = putIndex(registry, 'src/app', images, { tag: 'v1' });
    // A cosign-style signature of the index digest, and an SBOM of the amd64 image.
    const sig = putReferrer(registry, 'src/app', index.descriptor, {
      artifactType: SIG,
      content: 'index sig',
    });
    const sbom = putReferrer(registry, 'src/app', images[0]!.manifest.descriptor, {
      artifactType: SBOM,
      content: 'amd64 sbom',
    });
    const source = () => new MemorySource(registry, 'src/app', 'v1');
    const copied = await copy(source(), registryDestination(registry, 'dst/app'), 'copy', 'v1', KEEP_LAYERS, [
      amd64,
    ]);
    assert.equal(copied.descriptor.digest, images[0]!.manifest.descriptor.digest, 'the image alone');
    // The SBOM names the image, which is there: it follows. The signature names an index that
    // is not there: it stays, and is counted.
    assert.deepEqual(copied.referrers, { followed: true, copied: 1, left: 1 });
    assert.equal(registry.repo('dst/app').manifests.has(sbom.descriptor.digest), true);
    assert.equal(registry.repo('dst/app').manifests.has(sig.descriptor.digest), false);
    // Without -r both are counted as left behind.
    const counted = await copy(
      source(),
      registryDestination(registry, 'dst/other'),
      'count',
      'v1',
      KEEP_LAYERS,
      [amd64],
    );
    assert.deepEqual(counted.referrers, { followed: false, copied: 0, left: 2 });
  });

  test('a referrer already at the destination but not kept as one is kept again (an interrupted run)', async () => {
    const registry = new MemoryRegistry();
    const { image, sbom } = seed(registry);
    // dst has the SBOM's manifest and blobs, but no record of it as a referrer.
    const dst = registry.repo('dst/app');
    for (const [k, v] of registry.repo('src/app').blobs) dst.blobs.set(k, v);
    dst.manifests.set(sbom.descriptor.digest, sbom);
    await copy(new MemorySource(registry, 'src/app', 'v1'), registryDestination(registry, 'dst/app'), 'copy');
    assert.deepEqual(kept(registry, 'dst/app', image.descriptor.digest), [sbom.descriptor.digest]);
    assert.equal(registry.ops(`put-referrers dst/app ${image.descriptor.digest}`).length, 1);
  });

  test('a re-copy in step still brings a new referrer of an index child', async () => {
    const registry = new MemoryRegistry();
    const amd64 = { os: 'linux', architecture: 'amd64' };
    const child = putImage(registry, 'src/app', { layers: ['c'], platform: amd64 });
    putIndex(registry, 'src/app', [{ manifest: child, platform: amd64 }], { tag: 'v1' });
    const source = () => new MemorySource(registry, 'src/app', 'v1');
    await copy(source(), registryDestination(registry, 'dst/app'), 'copy');
    const late = putReferrer(registry, 'src/app', child.descriptor, { artifactType: SIG, content: 'late' });
    const again = await copy(source(), registryDestination(registry, 'dst/app'), 'copy');
    assert.equal(again.outcome, 'in-step');
    assert.equal(again.referrers?.copied, 1);
    assert.deepEqual(kept(registry, 'dst/app', child.descriptor.digest), [late.descriptor.digest]);
  });

  test('-r into a destination that holds no referrers is refused before anything moves', () => {
    const registry = new MemoryRegistry();
    seed(registry);
    const archive = fileDestination(registry, 'dst/archive', { holds: 'one-image', referrers: 'none' });
    assert.throws(
      () => referrersWalk(new MemorySource(registry, 'src/app', 'v1'), archive, 'copy'),
      UsageError,
    );
    assert.equal(referrersWalk(new MemorySource(registry, 'src/app', 'v1'), archive, 'count'), undefined);
    assert.deepEqual(registry.ops('put-'), []);
  });

  test('into a file destination, referrers are staged with the image and a failure leaves nothing', async () => {
    const registry = new MemoryRegistry();
    const { sig } = seed(registry);
    registry.fault = (op) =>
      op === `put-manifest dst/layout ${sig.descriptor.digest}` ? new Error('disk full') : undefined;
    const destination = fileDestination(registry, 'dst/layout');
    await assert.rejects(copy(new MemorySource(registry, 'src/app', 'v1'), destination, 'copy'), /disk full/);
    assert.equal(destination.state, 'aborted');
    assert.equal(registry.repo('dst/layout').manifests.size, 0, 'nothing published');
  });
});
