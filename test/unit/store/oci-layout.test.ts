import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digestOf } from '../../../src/digest/index.js';
import { openOciLayoutDestination, openOciLayoutSource } from '../../../src/store/oci-layout.js';
import { generateImage, type ImageSummary, pseudoRandomBytes } from '../../harness/images.js';
import { skopeoCopy, skopeoInspectRaw } from '../../harness/skopeo.js';
import { makeTempDir, removeTempDir } from '../../harness/tmp.js';
import {
  copyImage,
  copyNoClobber,
  corruptBlob,
  layoutBlobs,
  listFiles,
  REF_NAME,
  readIndexJson,
  sourceStream,
} from './copy-helper.js';

let work: string;
let multi: ImageSummary;
let single: ImageSummary;
let n = 0;
const fresh = (name: string): string => join(work, `${name}-${n++}`);
const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** Every blob digest an image summary names, sorted. */
function imageDigests(image: ImageSummary): string[] {
  const all = new Set([image.digest]);
  for (const p of image.platforms) {
    for (const d of [p.manifestDigest, p.configDigest, ...p.layers.map((l) => l.digest)]) all.add(d);
  }
  return [...all].sort();
}

before(async () => {
  work = await makeTempDir('oci-layout');
  const src = join(work, 'src');
  multi = await generateImage({
    dir: src,
    tag: 'multi',
    platforms: ['linux/amd64', 'linux/arm64'],
    layers: [3000, 70_000],
  });
  single = await generateImage({ dir: src, tag: 'v1', layers: [1024] });
});
after(async () => {
  await removeTempDir(work);
});

describe('oci layout source', () => {
  test('root by tag, verified manifests and blobs', async () => {
    const source = await openOciLayoutSource(multi.dir, 'multi');
    assert.equal(source.description, `oci:${multi.dir}:multi`);
    const root = await source.root();
    assert.equal(root.descriptor.digest, multi.digest);
    assert.equal(digestOf(root.bytes), multi.digest);
    const image = multi.platforms[0]!;
    const manifest = await source.manifest({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: image.manifestDigest,
      size: image.manifestSize,
    });
    assert.equal(digestOf(manifest), image.manifestDigest);
    const layer = image.layers[1]!;
    const chunks: Buffer[] = [];
    for await (const chunk of await source.blob(layer)) chunks.push(chunk as Buffer);
    assert.equal(digestOf(Buffer.concat(chunks)), layer.digest);
    await source.close();
  });

  test('several tags and no tag: a usage error listing them', async () => {
    await assert.rejects(
      openOciLayoutSource(multi.dir).then((s) => s.root()),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'E_USAGE');
        assert.match(err.message, /multi, v1/);
        return true;
      },
    );
  });

  test('one image and no tag: that one', async () => {
    const only = await generateImage({ dir: fresh('only'), tag: 'only' });
    const source = await openOciLayoutSource(only.dir);
    assert.equal((await source.root()).descriptor.digest, only.digest);
  });

  test('an unknown tag is NotFound naming the tags; a digest works as the tag', async () => {
    const source = await openOciLayoutSource(multi.dir, 'nope');
    await assert.rejects(source.root(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_NOT_FOUND');
      assert.match(err.message, /multi, v1/);
      return true;
    });
    const byDigest = await openOciLayoutSource(multi.dir, single.digest);
    assert.equal((await byDigest.root()).descriptor.digest, single.digest);
  });

  test('missing directory, missing oci-layout, missing blob', async () => {
    await assert.rejects(openOciLayoutSource(join(work, 'absent')), { code: 'E_LOCAL' });
    const empty = fresh('empty');
    await mkdir(empty);
    await assert.rejects(openOciLayoutSource(empty), { code: 'E_INVALID_CONTENT' });
    const source = await openOciLayoutSource(multi.dir, 'v1');
    await assert.rejects(source.blob({ mediaType: 'x', digest: `sha256:${'0'.repeat(64)}`, size: 1 }), {
      code: 'E_NOT_FOUND',
    });
  });

  test('a blob that does not match its digest fails at the end of the stream', async () => {
    const copy = await generateImage({ dir: fresh('bad'), tag: 'bad', layers: [5000] });
    const layer = copy.platforms[0]!.layers[0]!;
    await corruptBlob(copy.dir, layer.digest);
    const source = await openOciLayoutSource(copy.dir, 'bad');
    await assert.rejects(
      async () => {
        for await (const _ of await source.blob(layer)) {
          // drain
        }
      },
      { code: 'E_DIGEST_MISMATCH' },
    );
  });
});

describe('oci layout destination', () => {
  test('round-trips an index and a second tag into the same layout (merged index.json)', async () => {
    const out = fresh('out');
    await copyImage(
      await openOciLayoutSource(multi.dir, 'multi'),
      await openOciLayoutDestination(out, 'multi'),
      'multi',
    );
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    // The same tag again replaces its entry instead of adding one.
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    assert.deepEqual(JSON.parse(await readFile(join(out, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });
    const index = await readIndexJson(out);
    assert.deepEqual(
      index.manifests.map((d) => [d.annotations?.[REF_NAME], d.digest, d.mediaType]),
      [
        ['multi', multi.digest, multi.mediaType],
        ['v1', single.digest, single.mediaType],
      ],
    );
    assert.deepEqual((await layoutBlobs(out)).sort(), (await layoutBlobs(multi.dir)).sort());
    assert.ok(!(await listFiles(out)).some((f) => f.includes('.tmp-')));
  });

  test('an empty layout Go wrote ("manifests": null) reads as empty and takes an image', async () => {
    const out = fresh('go-empty');
    await mkdir(join(out, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(out, 'index.json'),
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}',
    );
    await assert.rejects(
      openOciLayoutSource(out).then((source) => source.root()),
      { code: 'E_NOT_FOUND', message: /holds no images/ },
    );
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    const index = await readIndexJson(out);
    assert.deepEqual(
      index.manifests.map((d) => [d.annotations?.[REF_NAME], d.digest]),
      [['v1', single.digest]],
    );
  });

  test('without a tag anywhere, the root is the last manifest, untagged', async () => {
    const out = fresh('untagged');
    await copyImage(await openOciLayoutSource(multi.dir, 'multi'), await openOciLayoutDestination(out));
    const index = await readIndexJson(out);
    assert.deepEqual(index.manifests, [
      { mediaType: multi.mediaType, digest: multi.digest, size: multi.size },
    ]);
    assert.equal((await (await openOciLayoutSource(out)).root()).descriptor.digest, multi.digest);
  });

  test('putBlob stores a blob whole under its digest, from a stream in pieces', async () => {
    const out = fresh('stream');
    const destination = await openOciLayoutDestination(out, 't');
    const data = pseudoRandomBytes('stream', 100_000);
    const descriptor = { mediaType: 'application/octet-stream', digest: digestOf(data), size: data.length };
    await destination.putBlob(descriptor, async () =>
      sourceStream(Buffer.concat([data.subarray(0, 5), data.subarray(5)]), descriptor),
    );
    assert.ok(await destination.hasBlob(descriptor));
    assert.ok(!(await destination.hasBlob({ ...descriptor, size: 1 })));
    await destination.commit();
    assert.deepEqual(await layoutBlobs(out), [descriptor.digest]);
  });

  test('a corrupted source blob fails the copy with E_DIGEST_MISMATCH and leaves no directory', async () => {
    const src = await generateImage({ dir: fresh('corrupt-src'), tag: 't', layers: [2000, 300_000] });
    await corruptBlob(src.dir, src.platforms[0]!.layers[1]!.digest);
    const out = join(fresh('corrupt-out'), 'nested', 'layout');
    await assert.rejects(
      copyImage(await openOciLayoutSource(src.dir, 't'), await openOciLayoutDestination(out, 't'), 't'),
      {
        code: 'E_DIGEST_MISMATCH',
      },
    );
    assert.ok(!(await exists(join(out, '..', '..'))), 'the directories this copy made are gone');
  });

  test('a failed copy into an existing layout leaves it as it was', async () => {
    const src = await generateImage({
      dir: fresh('corrupt-src'),
      tag: 'new',
      layers: [2000, 300_000],
      seed: 'other',
    });
    await corruptBlob(src.dir, src.platforms[0]!.layers[1]!.digest);
    const out = fresh('existing');
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    const before = { files: await listFiles(out), index: await readFile(join(out, 'index.json')) };
    await assert.rejects(
      copyImage(await openOciLayoutSource(src.dir, 'new'), await openOciLayoutDestination(out, 'new'), 'new'),
      {
        code: 'E_DIGEST_MISMATCH',
      },
    );
    assert.deepEqual(await listFiles(out), before.files);
    assert.deepEqual(await readFile(join(out, 'index.json')), before.index);
  });

  test('a manifest that does not match its descriptor is refused before anything is written', async () => {
    const out = fresh('bad-manifest');
    const destination = await openOciLayoutDestination(out, 't');
    const bytes = Buffer.from('{"schemaVersion":2}');
    await assert.rejects(
      destination.putManifest({
        descriptor: { mediaType: 'x', digest: digestOf(Buffer.from('other')), size: bytes.length },
        bytes,
      }),
      { code: 'E_DIGEST_MISMATCH' },
    );
    await destination.abort();
    assert.ok(!(await exists(out)));
  });

  test('tagged() answers from index.json: copy -n leaves an existing tag alone, index.json untouched', async () => {
    const out = fresh('no-clobber');
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    const destination = await openOciLayoutDestination(out, 'v1');
    assert.deepEqual(await destination.tagged('v1'), {
      kind: 'names',
      descriptor: { mediaType: single.mediaType, digest: single.digest, size: single.size },
      complete: false,
    });
    assert.deepEqual(await destination.tagged('nope'), { kind: 'absent' });
    await destination.abort();
    const before = await readFile(join(out, 'index.json'));
    const kept = await copyNoClobber(
      await openOciLayoutSource(multi.dir, 'multi'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    assert.equal(kept.outcome, 'existing');
    assert.equal(kept.descriptor.digest, single.digest);
    assert.deepEqual(await readFile(join(out, 'index.json')), before);
    assert.ok(!(await exists(join(out, 'blobs', 'sha256', multi.digest.slice('sha256:'.length)))));
    // A tag the layout lacks is copied.
    const added = await copyNoClobber(
      await openOciLayoutSource(multi.dir, 'multi'),
      await openOciLayoutDestination(out, 'multi'),
      'multi',
    );
    assert.equal(added.outcome, 'copied');
    const index = await readIndexJson(out);
    assert.deepEqual(
      index.manifests.map((d) => [d.annotations?.[REF_NAME], d.digest]),
      [
        ['v1', single.digest],
        ['multi', multi.digest],
      ],
    );
  });

  test('abort keeps a layout it created when another writer has committed into it since', async () => {
    const out = join(fresh('shared'), 'layout');
    const destination = await openOciLayoutDestination(out, 'mine');
    const mine = Buffer.from('a blob of this copy');
    const descriptor = { mediaType: 'application/octet-stream', digest: digestOf(mine), size: mine.length };
    await destination.putBlob(descriptor, async () => sourceStream(mine, descriptor));
    // Meanwhile another writer (skopeo, or a ferry run that opened the new directory at the same
    // moment) commits a tag into the same layout.
    const theirs = Buffer.from('{"schemaVersion":2}');
    const theirDigest = digestOf(theirs);
    await writeFile(join(out, 'blobs', 'sha256', theirDigest.slice('sha256:'.length)), theirs);
    await writeFile(join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(out, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: theirDigest,
            size: theirs.length,
            annotations: { [REF_NAME]: 'theirs' },
          },
        ],
      }),
    );
    await destination.abort();
    assert.deepEqual(await listFiles(out), [
      `blobs/sha256/${theirDigest.slice('sha256:'.length)}`,
      'index.json',
      'oci-layout',
    ]);
  });

  test('refuses a non-empty directory that is not a layout', async () => {
    const out = fresh('not-layout');
    await mkdir(out);
    await writeFile(join(out, 'precious.txt'), 'keep me');
    await assert.rejects(openOciLayoutDestination(out, 't'), { code: 'E_LOCAL' });
  });
});

describe('oci layout against skopeo', () => {
  test('skopeo reads what ferry wrote, with the same digests', async () => {
    const out = fresh('for-skopeo');
    await copyImage(
      await openOciLayoutSource(multi.dir, 'multi'),
      await openOciLayoutDestination(out, 'multi'),
      'multi',
    );
    await copyImage(
      await openOciLayoutSource(multi.dir, 'v1'),
      await openOciLayoutDestination(out, 'v1'),
      'v1',
    );
    assert.equal(digestOf(await skopeoInspectRaw(`oci:${out}:multi`)), multi.digest);
    assert.equal(digestOf(await skopeoInspectRaw(`oci:${out}:v1`)), single.digest);
    const check = fresh('skopeo-check');
    const { digest } = await skopeoCopy(`oci:${out}:multi`, `oci:${check}:multi`, {
      all: true,
      preserveDigests: true,
    });
    assert.equal(digest, multi.digest);
    assert.deepEqual((await layoutBlobs(check)).sort(), imageDigests(multi));
  });

  test('ferry reads what skopeo wrote, with the same digests', async () => {
    const skopeoDir = fresh('by-skopeo');
    await skopeoCopy(multi.ref, `oci:${skopeoDir}:multi`, { all: true, preserveDigests: true });
    const out = fresh('from-skopeo');
    const root = await copyImage(
      await openOciLayoutSource(skopeoDir, 'multi'),
      await openOciLayoutDestination(out, 'multi'),
      'multi',
    );
    assert.equal(root.digest, multi.digest);
    assert.deepEqual((await layoutBlobs(out)).sort(), (await layoutBlobs(skopeoDir)).sort());
  });
});
