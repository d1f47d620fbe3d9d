// The copy engine alone, against the in-memory store (memory-store.ts): its invariants, in
// milliseconds. Registry behaviour is tested against the real registry in test/commands/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { CopyEvent, CopySummary } from '../../../src/copy/events.js';
import { copyImageGraph, type ImageCopyOptions } from '../../../src/copy/image-copy.js';
import { KEEP_LAYERS, layerPolicy } from '../../../src/copy/layer-policy.js';
import { copyEach, exitCodeOf } from '../../../src/copy/many.js';
import { CopySession } from '../../../src/copy/session.js';
import { ExitCode, NetworkError, NotFoundError, UsageError } from '../../../src/errors.js';
import type { Descriptor } from '../../../src/image/descriptor.js';
import type { ImageDestination, ImageSource } from '../../../src/store/store.js';
import {
  fileDestination,
  GZIP_LAYER,
  MemoryRegistry,
  MemorySource,
  PLAIN_LAYER,
  putImage,
  putIndex,
  registryDestination,
  walk,
} from './memory-store.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const s390x = { os: 'linux', architecture: 's390x' };

/** One copy in a session of its own (closed after it), or in the run's `session`. */
async function copy(
  source: ImageSource,
  destination: ImageDestination,
  options: Partial<ImageCopyOptions> = {},
  session?: CopySession,
): Promise<CopySummary> {
  const run = session ?? new CopySession(4);
  try {
    return await copyImageGraph(run, source, destination, { layers: KEEP_LAYERS, ...options });
  } finally {
    if (!session) await run.close();
  }
}

/** A three-platform index whose images share a base layer, with BuildKit-style attestations. */
function threePlatforms(registry: MemoryRegistry, layerType = GZIP_LAYER) {
  const images = [amd64, arm64, s390x].map((platform) => ({
    platform,
    manifest: putImage(registry, 'src/app', {
      layers: ['base layer', `app for ${platform.architecture}`],
      layerType,
      platform,
    }),
  }));
  const index = putIndex(registry, 'src/app', images, { tag: 'v1', attestations: true });
  return { images, index };
}

/** The position of the first operation starting with `prefix`. */
const at = (log: readonly string[], prefix: string): number => log.findIndex((o) => o.startsWith(prefix));

describe('the copy engine', () => {
  test('children before parents: every blob before its manifest, every child before the index, the tag last', async () => {
    const registry = new MemoryRegistry();
    const { images, index } = threePlatforms(registry);
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      {
        tag: 'v1',
      },
    );
    assert.equal(summary.descriptor.digest, index.descriptor.digest, 'the digest is kept');
    assert.deepEqual(summary.changes, []);
    const log = registry.log;
    for (const { manifest } of images) {
      const doc = JSON.parse(manifest.bytes.toString()) as { config: Descriptor; layers: Descriptor[] };
      const put = at(log, `put-manifest dst/app ${manifest.descriptor.digest}`);
      assert.ok(put > 0, 'the child was put by digest');
      for (const d of [doc.config, ...doc.layers]) {
        const blobAt = log.findIndex((o) => o.includes(d.digest) && /^(put-blob|mount-blob)/.test(o));
        assert.ok(blobAt >= 0 && blobAt < put, `blob ${d.digest} went before its manifest`);
      }
      assert.ok(put < at(log, 'put-manifest dst/app v1'), 'the child went before the index');
    }
    assert.equal(log.filter((o) => o.startsWith('put-manifest dst/app v1')).length, 1, 'one PUT of the tag');
    assert.equal(registry.repo('dst/app').tags.get('v1'), index.descriptor.digest);
    assert.equal(
      walk(registry, 'dst/app', index.descriptor).length,
      7,
      'index, three images, three attestations',
    );
  });

  test('a changed layer rebuilds every parent: manifest, index and the attestation that names it', async () => {
    const registry = new MemoryRegistry();
    const { index } = threePlatforms(registry, PLAIN_LAYER);
    const source = new MemorySource(registry, 'src/app', 'v1', {
      layers: 'uncompressed-export',
      listsReferrers: false,
    });
    const destination = registryDestination(registry, 'dst/app');
    const layers = layerPolicy(
      { compress: 'auto', preserveDigests: false },
      source.traits,
      destination.traits,
    );
    assert.equal(layers.transforms, true);
    const summary = await copy(source, destination, { tag: 'v1', layers });
    assert.notEqual(summary.descriptor.digest, index.descriptor.digest);
    assert.equal(summary.sourceDigest, index.descriptor.digest);
    // The tag names the rebuilt index, and everything under it is there (walk throws otherwise).
    const visited = walk(registry, 'dst/app', summary.descriptor);
    const manifests = visited.map((m) => JSON.parse(m.bytes.toString()) as Record<string, unknown>);
    const layerTypes = manifests.flatMap((m) =>
      ((m['layers'] as Descriptor[] | undefined) ?? []).map((l) => l.mediaType),
    );
    assert.ok(layerTypes.includes(GZIP_LAYER) && !layerTypes.includes(PLAIN_LAYER), "plain tars gzip'd");
    const top = manifests[0] as { manifests: Descriptor[] };
    const images = top.manifests.filter((d) => d.platform?.os === 'linux');
    for (const attestation of top.manifests.filter((d) => d.platform?.os === 'unknown')) {
      const target = attestation.annotations?.['vnd.docker.reference.digest'];
      assert.ok(
        images.some((d) => d.digest === target),
        'the attestation names the rebuilt image',
      );
    }
    // Each compressed layer holds the source's bytes.
    const change = summary.changes.find((c) => c.kind === 'compressed');
    assert.ok(change);
    const plain = registry.repo('src/app').blobs.get(change.from.digest);
    const gzipped = registry.repo('dst/app').blobs.get(change.to.digest);
    assert.deepEqual(gunzipSync(gzipped ?? Buffer.alloc(0)), plain);
    assert.ok(summary.changes.some((c) => c.kind === 'rebuilt' && c.from.digest === index.descriptor.digest));
  });

  test('plain-tar layers of a published image keep their digest into every kind of destination', async () => {
    const registry = new MemoryRegistry();
    const { index } = threePlatforms(registry, PLAIN_LAYER);
    for (const destination of [
      registryDestination(registry, 'dst/reg'),
      fileDestination(registry, 'dst/layout'),
      fileDestination(registry, 'dst/tar', { sequential: true }),
    ]) {
      const source = new MemorySource(registry, 'src/app', 'v1');
      const layers = layerPolicy(
        { compress: 'auto', preserveDigests: false },
        source.traits,
        destination.traits,
      );
      const summary = await copy(source, destination, { tag: 'v1', layers });
      assert.equal(summary.descriptor.digest, index.descriptor.digest, destination.description);
      walk(registry, destination.repository, index.descriptor);
    }
  });

  test('--compress gzip works into a tarball too (layers are compressed first); --preserve-digests refuses it', async () => {
    const registry = new MemoryRegistry();
    threePlatforms(registry, PLAIN_LAYER);
    const source = new MemorySource(registry, 'src/app', 'v1');
    const tar = fileDestination(registry, 'dst/tar', { sequential: true });
    const gzip = layerPolicy({ compress: 'gzip', preserveDigests: false }, source.traits, tar.traits);
    const summary = await copy(source, tar, { tag: 'v1', layers: gzip });
    assert.ok(summary.changes.some((c) => c.kind === 'compressed'));
    walk(registry, 'dst/tar', summary.descriptor);
    assert.throws(
      () => layerPolicy({ compress: 'gzip', preserveDigests: true }, source.traits, tar.traits),
      /--preserve-digests/,
    );
    // --preserve-digests alone keeps an export's plain tars, even for a registry.
    const exported = new MemorySource(registry, 'src/app', 'v1', {
      layers: 'uncompressed-export',
      listsReferrers: false,
    });
    const kept = layerPolicy(
      { compress: 'auto', preserveDigests: true },
      exported.traits,
      registryDestination(registry, 'd').traits,
    );
    assert.equal(kept.transforms, false);
  });

  test("a layer gzip'd again comes out with the same digest: a re-push asks, and uploads nothing", async () => {
    const registry = new MemoryRegistry();
    const other = new MemoryRegistry('other.example');
    threePlatforms(other, PLAIN_LAYER);
    const push = () => {
      const source = new MemorySource(other, 'src/app', 'v1', {
        layers: 'uncompressed-export',
        listsReferrers: false,
      });
      const destination = registryDestination(registry, 'dst/app');
      const layers = layerPolicy(
        { compress: 'auto', preserveDigests: false },
        source.traits,
        destination.traits,
      );
      return copy(source, destination, { tag: 'v1', layers });
    };
    const first = await push();
    const uploads = registry.ops('put-blob').length;
    assert.ok(uploads > 0);
    const second = await push();
    assert.equal(second.descriptor.digest, first.descriptor.digest, 'the same digests');
    assert.equal(registry.ops('put-blob').length, uploads, 'no blob uploaded again');
    assert.equal(second.copied, 0);
    assert.equal(second.bytes, 0);
  });

  test('a blob shared by images of one run is fetched once; the other images count it as skipped', async () => {
    const registry = new MemoryRegistry();
    const other = new MemoryRegistry('other.example');
    for (const tag of ['a', 'b', 'c'])
      putImage(other, 'src/app', { layers: ['shared base', `only ${tag}`], tag });
    const results = await copyEach(['a', 'b', 'c'], { concurrency: 3, jobs: 2 }, (tag, session) =>
      copy(
        new MemorySource(other, 'src/app', tag),
        registryDestination(registry, 'dst/app'),
        { tag },
        session,
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['done', 'done', 'done'],
    );
    const gets = other.ops('get-blob');
    assert.equal(new Set(gets).size, gets.length, `each blob fetched once: ${gets.join(', ')}`);
    assert.equal(gets.length, 5, 'the shared base, three own layers and one config (the configs are equal)');
    const total = results.reduce((n, r) => n + (r.status === 'done' ? r.summary.copied : 0), 0);
    assert.equal(total, 5);
  });

  test('a failure stops its image early, aborts its destination and leaves nothing visible', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', {
      layers: Array.from({ length: 12 }, (_, i) => `layer ${i}`),
      tag: 'v1',
    });
    let gets = 0;
    registry.fault = (op) =>
      op.startsWith('get-blob') && ++gets === 2 ? new NetworkError('connection reset') : undefined;
    const destination = fileDestination(registry, 'dst/layout');
    const session = new CopySession(1);
    await assert.rejects(
      copy(new MemorySource(registry, 'src/app', 'v1'), destination, { tag: 'v1' }, session),
      {
        message: 'connection reset',
      },
    );
    assert.equal(destination.state, 'aborted');
    assert.equal(registry.ops('get-blob').length, 2, 'the queued transfers never started');
    assert.equal(registry.ops('put-manifest').length, 0, 'no manifest was put');
    assert.equal(registry.repositories.get('dst/layout')?.blobs.size ?? 0, 0, 'nothing published');
    assert.equal(destination.inflight, 0, 'no stream left open');
  });

  test('one failed image among many: the others complete, the exit code says partial', async () => {
    const registry = new MemoryRegistry();
    for (const tag of ['good1', 'bad', 'good2'])
      putImage(registry, 'src/app', { layers: [`layer ${tag}`], tag });
    const bad = JSON.parse(
      registry.repo('src/app').manifests.get(registry.repo('src/app').tags.get('bad')!)!.bytes.toString(),
    ) as { layers: Descriptor[] };
    registry.repo('src/app').blobs.delete(bad.layers[0]!.digest);
    const results = await copyEach(['good1', 'bad', 'good2'], { concurrency: 2, jobs: 2 }, (tag, session) =>
      copy(
        new MemorySource(registry, 'src/app', tag),
        registryDestination(registry, 'dst/app'),
        { tag },
        session,
      ),
    );
    assert.deepEqual(
      results.map((r) => [r.item, r.status]),
      [
        ['good1', 'done'],
        ['bad', 'failed'],
        ['good2', 'done'],
      ],
    );
    assert.ok(results[1]?.status === 'failed' && results[1].error instanceof NotFoundError);
    assert.equal(exitCodeOf(results), ExitCode.partial);
    assert.equal(registry.repo('dst/app').tags.has('bad'), false, 'the failed tag was not pushed');
    assert.equal(exitCodeOf(results.filter((r) => r.status === 'failed')), ExitCode.notFound);
  });

  test('platforms: a subset becomes a new index with their attestations; one platform, that image alone', async () => {
    const registry = new MemoryRegistry();
    const { images, index } = threePlatforms(registry);
    const picked: CopyEvent[] = [];
    const two = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/two'),
      {
        tag: 'v1',
        platforms: [arm64, amd64],
        onEvent: (e) => e.type === 'platform-picked' && picked.push(e),
      },
    );
    const doc = JSON.parse(
      registry.repo('dst/two').manifests.get(two.descriptor.digest)!.bytes.toString(),
    ) as {
      manifests: Descriptor[];
    };
    const kept = new Set([images[0]!.manifest.descriptor.digest, images[1]!.manifest.descriptor.digest]);
    assert.deepEqual(
      doc.manifests.filter((d) => d.platform?.os === 'linux').map((d) => d.digest),
      [...kept],
      'in the source index order',
    );
    const attestations = doc.manifests.filter((d) => d.platform?.os === 'unknown');
    assert.equal(attestations.length, 2);
    assert.ok(attestations.every((d) => kept.has(d.annotations?.['vnd.docker.reference.digest'] ?? '')));
    assert.equal(picked.length, 2);
    assert.ok(two.changes.some((c) => c.kind === 'rebuilt' && c.from.digest === index.descriptor.digest));

    const one = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/one'),
      {
        tag: 'v1',
        platforms: [s390x],
      },
    );
    assert.equal(one.descriptor.digest, images[2]!.manifest.descriptor.digest);
    assert.equal(one.sourceDigest, one.descriptor.digest, 'the image picked, unchanged');
    assert.deepEqual(one.changes, []);
    assert.equal(registry.repo('dst/one').tags.get('v1'), images[2]!.manifest.descriptor.digest);
  });

  test('a platform the source lacks is an error naming what it has, before anything is written', async () => {
    const registry = new MemoryRegistry();
    threePlatforms(registry);
    putImage(registry, 'src/single', { layers: ['x'], platform: amd64, tag: 'v1' });
    const riscv = { os: 'linux', architecture: 'riscv64' };
    await assert.rejects(
      copy(new MemorySource(registry, 'src/app', 'v1'), registryDestination(registry, 'dst/a'), {
        tag: 'v1',
        platforms: [riscv],
      }),
      (err: Error) =>
        err instanceof NotFoundError &&
        /available: linux\/amd64, linux\/arm64\/v8, linux\/s390x\)$/.test(err.message),
    );
    await assert.rejects(
      copy(new MemorySource(registry, 'src/single', 'v1'), registryDestination(registry, 'dst/b'), {
        tag: 'v1',
        platforms: [arm64],
      }),
      /has no image for platform linux\/arm64\/v8 \(available: linux\/amd64\)/,
    );
    assert.equal(registry.ops('put-').length, 0);
    // The right platform of a single image passes, and its config is fetched once.
    await copy(new MemorySource(registry, 'src/single', 'v1'), registryDestination(registry, 'dst/c'), {
      tag: 'v1',
      platforms: [amd64],
    });
    const config = JSON.parse(
      registry
        .repo('src/single')
        .manifests.get(registry.repo('src/single').tags.get('v1')!)!
        .bytes.toString(),
    ).config as Descriptor;
    assert.equal(
      registry.ops(`get-blob src/single ${config.digest}`).length,
      2,
      'once per check (b, c), not again to copy',
    );
  });

  test('a one-image destination gets one platform of an index', async () => {
    const registry = new MemoryRegistry();
    const { images } = threePlatforms(registry);
    const archive = fileDestination(registry, 'dst/archive', {
      holds: 'one-image',
      sequential: true,
    });
    const summary = await copy(new MemorySource(registry, 'src/app', 'v1'), archive, { platforms: [arm64] });
    assert.equal(summary.descriptor.digest, images[1]!.manifest.descriptor.digest);
    await assert.rejects(
      copy(
        new MemorySource(registry, 'src/app', 'v1'),
        fileDestination(registry, 'dst/x', { holds: 'one-image' }),
        {
          platforms: [arm64, amd64],
        },
      ),
      UsageError,
    );
  });

  test('on one registry blobs are mounted, not moved; a run mounts from where it already put them', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', { layers: ['l1', 'l2'], tag: 'v1' });
    const summary = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      {
        tag: 'v1',
      },
    );
    assert.equal(summary.mounted, 3);
    assert.equal(registry.ops('get-blob').length, 0, 'no byte moved');

    // A source on another registry: the first repository gets the bytes, the second mounts them.
    const other = new MemoryRegistry('other.example');
    putImage(other, 'src/app', { layers: ['m1', 'm2'], tag: 'v1' });
    const results = await copyEach(
      ['dst/one', 'dst/two'],
      { concurrency: 1, jobs: 2 },
      (repository, session) =>
        copy(
          new MemorySource(other, 'src/app', 'v1'),
          registryDestination(registry, repository),
          { tag: 'v1' },
          session,
        ),
    );
    const [first, second] = results.map((r) => (r.status === 'done' ? r.summary : undefined));
    assert.equal(first?.copied, 3);
    assert.equal(second?.mounted, 3);
    assert.equal(other.ops('get-blob').length, 3, 'each blob read from the other registry once');
  });

  test('a re-copy whose tag names the content stops at one lookup; --no-clobber leaves any tag', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', { layers: ['a'], tag: 'v1' });
    putImage(registry, 'src/app', { layers: ['b'], tag: 'v2' });
    const destination = () => registryDestination(registry, 'dst/app');
    await copy(new MemorySource(registry, 'src/app', 'v1'), destination(), { tag: 'v1' });
    const before = registry.log.length;
    const again = await copy(new MemorySource(registry, 'src/app', 'v1'), destination(), { tag: 'v1' });
    assert.equal(again.outcome, 'in-step');
    assert.deepEqual(registry.log.slice(before), [
      'tagged dst/app v1',
      'get-root src/app v1',
      'commit dst/app',
    ]);

    const kept = await copy(new MemorySource(registry, 'src/app', 'v2'), destination(), {
      tag: 'v1',
      noClobber: true,
    });
    assert.equal(kept.outcome, 'existing');
    assert.equal(kept.descriptor.digest, registry.repo('dst/app').tags.get('v1'));
    assert.notEqual(kept.descriptor.digest, registry.repo('src/app').tags.get('v2'));
  });

  test('a re-copy of platforms picked: the new index the tag names already is not put again (in step)', async () => {
    const registry = new MemoryRegistry();
    threePlatforms(registry);
    const destination = () => registryDestination(registry, 'dst/two');
    const options = { tag: 'v1', platforms: [amd64, arm64] };
    const first = await copy(new MemorySource(registry, 'src/app', 'v1'), destination(), options);
    assert.equal(first.outcome, 'copied');
    const before = registry.log.length;
    const again = await copy(new MemorySource(registry, 'src/app', 'v1'), destination(), options);
    const log = registry.log.slice(before);
    assert.equal(again.descriptor.digest, first.descriptor.digest, 'the same index, built again');
    assert.equal(again.outcome, 'in-step');
    assert.equal(again.manifests, 0);
    assert.deepEqual(
      log.filter((o) => /^(put|mount)/.test(o)),
      [],
      'nothing written: children and blobs found present, the index not put',
    );
    assert.ok(log.includes('tagged dst/two v1'), log.join('\n'));
    // A tag naming something else is moved, as before.
    registry.repo('dst/two').tags.set('v1', registry.repo('src/app').tags.get('v1')!);
    const moved = await copy(new MemorySource(registry, 'src/app', 'v1'), destination(), options);
    assert.equal(moved.outcome, 'copied');
    assert.equal(registry.repo('dst/two').tags.get('v1'), first.descriptor.digest);
  });

  test('a tag the caller has just seen absent (sync) is not looked up again', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', { layers: ['a'], tag: 'v1' });
    const before = registry.log.length;
    const copied = await copy(
      new MemorySource(registry, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      {
        tag: 'v1',
        tagSeenAbsent: true,
      },
    );
    assert.equal(copied.outcome, 'copied');
    const log = registry.log.slice(before);
    assert.equal(at(log, 'tagged '), -1, log.join('\n'));
    assert.equal(registry.repo('dst/app').tags.get('v1'), registry.repo('src/app').tags.get('v1'));
  });

  test('--no-clobber: a file destination that tells leaves its tag alone; one that cannot tell is refused, nothing written', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', { layers: ['a'], tag: 'v1' });
    putImage(registry, 'src/app', { layers: ['b'], tag: 'v2' });
    await copy(new MemorySource(registry, 'src/app', 'v1'), fileDestination(registry, 'dst/layout'), {
      tag: 'v1',
    });
    const before = registry.repo('dst/layout').tags.get('v1');
    // A layout directory answers from its index.json: the tag is there, so it is left alone.
    const kept = await copy(
      new MemorySource(registry, 'src/app', 'v2'),
      fileDestination(registry, 'dst/layout'),
      {
        tag: 'v1',
        noClobber: true,
      },
    );
    assert.equal(kept.outcome, 'existing');
    assert.equal(kept.descriptor.digest, before);
    assert.equal(registry.repo('dst/layout').tags.get('v1'), before);

    // An archive file that exists cannot tell (it would be replaced whole): refused, not clobbered.
    const archive = fileDestination(registry, 'dst/archive', { sequential: true });
    archive.unknownTags = 'the file exists and would be replaced whole';
    const puts = registry.ops('put-').length;
    await assert.rejects(
      copy(new MemorySource(registry, 'src/app', 'v2'), archive, { tag: 'v1', noClobber: true }),
      (err: Error) =>
        err instanceof UsageError &&
        err.exitCode === ExitCode.usage &&
        /--no-clobber: .*replaced whole/.test(err.message),
    );
    assert.equal(archive.state, 'aborted');
    assert.equal(registry.ops('put-').length, puts, 'nothing was written');
    // Without -n the same destination is simply written.
    const archive2 = fileDestination(registry, 'dst/archive', { sequential: true });
    archive2.unknownTags = 'the file exists and would be replaced whole';
    assert.equal(
      (await copy(new MemorySource(registry, 'src/app', 'v2'), archive2, { tag: 'v1' })).outcome,
      'copied',
    );
  });

  test('a tag naming the source root is not "in step" when layers are transformed on the way (a re-push after --compress none)', async () => {
    const registry = new MemoryRegistry();
    const other = new MemoryRegistry('other.example');
    const image = putImage(other, 'src/app', {
      layers: ['plain one', 'plain two'],
      layerType: PLAIN_LAYER,
      tag: 'v1',
    });
    const source = () =>
      new MemorySource(other, 'src/app', 'v1', { layers: 'uncompressed-export', listsReferrers: false });
    // --compress none: the plain tars go as they are, and the tag names the source's root.
    const plain = await copy(source(), registryDestination(registry, 'dst/app'), { tag: 'v1' });
    assert.equal(plain.descriptor.digest, image.descriptor.digest);
    // The default policy again: the layers must be gzip'd, not found "in step".
    const destination = registryDestination(registry, 'dst/app');
    const layers = layerPolicy(
      { compress: 'auto', preserveDigests: false },
      source().traits,
      destination.traits,
    );
    const again = await copy(source(), destination, { tag: 'v1', layers });
    assert.equal(again.outcome, 'copied');
    assert.equal(again.changes.filter((c) => c.kind === 'compressed').length, 2);
    const tagged = registry.repo('dst/app').tags.get('v1')!;
    assert.equal(tagged, again.descriptor.digest);
    assert.notEqual(tagged, image.descriptor.digest);
    const doc = JSON.parse(registry.repo('dst/app').manifests.get(tagged)!.bytes.toString()) as {
      layers: Descriptor[];
    };
    assert.deepEqual(
      doc.layers.map((l) => l.mediaType),
      [GZIP_LAYER, GZIP_LAYER],
    );
  });

  test("images sharing one gzip'd layer each record the change; blob-done names the source blob with its own size", async () => {
    const registry = new MemoryRegistry();
    const other = new MemoryRegistry('other.example');
    for (const tag of ['a', 'b'])
      putImage(other, 'src/app', {
        layers: ['shared plain base', `plain ${tag}`],
        layerType: PLAIN_LAYER,
        tag,
      });
    const shared = (
      JSON.parse(
        other.repo('src/app').manifests.get(other.repo('src/app').tags.get('a')!)!.bytes.toString(),
      ) as {
        layers: Descriptor[];
      }
    ).layers[0]!;
    const session = new CopySession(2);
    const events: CopyEvent[] = [];
    const summaries = await Promise.all(
      ['a', 'b'].map((tag) => {
        const source = new MemorySource(other, 'src/app', tag, {
          layers: 'uncompressed-export',
          listsReferrers: false,
        });
        const destination = registryDestination(registry, 'dst/app');
        const layers = layerPolicy(
          { compress: 'auto', preserveDigests: false },
          source.traits,
          destination.traits,
        );
        return copy(source, destination, { tag, layers, onEvent: (e) => events.push(e) }, session);
      }),
    ).finally(() => session.close());
    assert.equal(
      other.ops(`get-blob src/app ${shared.digest}`).length,
      1,
      "the shared layer was gzip'd once",
    );
    for (const summary of summaries) {
      const compressed = summary.changes.filter((c) => c.kind === 'compressed').map((c) => c.from.digest);
      assert.ok(compressed.includes(shared.digest), "each image says its shared layer was gzip'd");
      assert.equal(compressed.length, 2);
    }
    const done = events.filter((e): e is Extract<CopyEvent, { type: 'blob-done' }> => e.type === 'blob-done');
    assert.ok(done.length > 0);
    for (const e of done)
      assert.equal(e.bytes, e.outcome === 'copied' ? e.descriptor.size : 0, e.descriptor.digest);
  });

  test('a failed clean-up does not hide the failure that caused it: it is said as a warning', async () => {
    const registry = new MemoryRegistry();
    putImage(registry, 'src/app', { layers: ['x'], tag: 'v1' });
    registry.fault = (op) =>
      op.startsWith('get-blob')
        ? new NetworkError('connection reset')
        : op.startsWith('abort')
          ? new Error('cannot remove the temp files')
          : undefined;
    const events: CopyEvent[] = [];
    await assert.rejects(
      copy(new MemorySource(registry, 'src/app', 'v1'), fileDestination(registry, 'dst/layout'), {
        tag: 'v1',
        onEvent: (e) => events.push(e),
      }),
      (err: Error) => err instanceof NetworkError && err.message === 'connection reset',
    );
    const warnings = events.filter((e) => e.type === 'warning');
    assert.equal(warnings.length, 1);
    assert.match(
      (warnings[0] as { message: string }).message,
      /could not clean up mem:\/\/mem\.example\/dst\/layout .*cannot remove the temp files/,
    );
  });

  test('an interrupt ends a run of many only once every running item has settled', async () => {
    const controller = new AbortController();
    const order: string[] = [];
    const run = copyEach(
      ['fails', 'slow'],
      { concurrency: 2, jobs: 2, signal: controller.signal },
      async (item) => {
        if (item === 'fails') {
          // Ctrl-C: this item fails first...
          await Promise.resolve();
          controller.abort(new Error('interrupted'));
          throw new Error('interrupted');
        }
        // ...while this one is still cancelling (an upload session to delete, say).
        await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
        await new Promise((resolve) => setImmediate(resolve));
        order.push('slow settled');
        throw new Error('cancelled');
      },
    );
    // The session (its compressors and their temp files) closes after this, so it must come last.
    await assert.rejects(run, /interrupted/);
    order.push('run rejected');
    assert.deepEqual(order, ['slow settled', 'run rejected']);
  });

  test('a blob the destination has is not fetched; a transient failure is retried with a fresh read', async () => {
    const registry = new MemoryRegistry();
    const other = new MemoryRegistry('other.example');
    putImage(other, 'src/app', { layers: ['present', 'absent'], tag: 'v1' });
    const present = JSON.parse(
      other.repo('src/app').manifests.get(other.repo('src/app').tags.get('v1')!)!.bytes.toString(),
    ).layers[0] as Descriptor;
    registry.repo('dst/app').blobs.set(present.digest, Buffer.from('present'));
    let puts = 0;
    registry.fault = (op) =>
      op.startsWith('put-blob') && ++puts === 1 ? new NetworkError('reset', { transient: true }) : undefined;
    const { Retrier } = await import('../../../src/http/retry.js');
    const retrier = new Retrier({
      retries: 2,
      baseDelayMs: 1,
      maxDelayMs: 1,
      maxRetryAfterMs: 1,
      sleep: async () => {},
    });
    const summary = await copy(
      new MemorySource(other, 'src/app', 'v1'),
      registryDestination(registry, 'dst/app'),
      {
        tag: 'v1',
        retrier,
      },
    );
    assert.equal(summary.skipped, 1);
    assert.equal(summary.copied, 2);
    assert.equal(other.ops(`get-blob src/app ${present.digest}`).length, 0);
  });
});
