import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { digestOf } from '../../../src/digest/index.js';
import { openOciArchiveDestination, openOciArchiveSource } from '../../../src/store/oci-archive.js';
import { openOciLayoutDestination, openOciLayoutSource } from '../../../src/store/oci-layout.js';
import { scanTar } from '../../../src/store/tar-index.js';
import { generateImage, type ImageSummary } from '../../harness/images.js';
import { skopeoCopy, skopeoInspectRaw } from '../../harness/skopeo.js';
import { makeTempDir, removeTempDir } from '../../harness/tmp.js';
import { copyImage, copyNoClobber, corruptBlob, layoutBlobs, REF_NAME, sourceStream } from './copy-helper.js';

let work: string;
let multi: ImageSummary;
let single: ImageSummary;
let n = 0;
const fresh = (name: string): string => join(work, `${name}-${n++}`);

before(async () => {
  work = await makeTempDir('oci-archive');
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

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** layout → archive → layout; returns the archive path and the final layout dir. */
async function roundTrip(image: ImageSummary): Promise<{ archive: string; back: string }> {
  const archive = `${fresh('out')}.tar`;
  await copyImage(
    await openOciLayoutSource(image.dir, image.tag),
    await openOciArchiveDestination(archive, image.tag),
    image.tag,
  );
  const back = fresh('back');
  await copyImage(
    await openOciArchiveSource(archive, image.tag),
    await openOciLayoutDestination(back, image.tag),
    image.tag,
  );
  return { archive, back };
}

describe('oci archive', () => {
  test('round-trips an index through a tar file', async () => {
    const { archive, back } = await roundTrip(multi);
    const index = await scanTar(archive);
    const names = index.names();
    assert.equal(names[0], 'oci-layout');
    assert.equal(names.at(-1), 'index.json');
    const indexJson = JSON.parse((await index.read('index.json', 1 << 20)).toString('utf8'));
    assert.deepEqual(indexJson.manifests, [
      {
        mediaType: multi.mediaType,
        digest: multi.digest,
        size: multi.size,
        annotations: { [REF_NAME]: 'multi' },
      },
    ]);
    const inTar = names.filter((name) => name.startsWith('blobs/')).map((name) => `sha256:${name.slice(13)}`);
    assert.deepEqual(inTar.sort(), (await layoutBlobs(back)).sort());
    const source = await openOciArchiveSource(archive, 'multi');
    assert.equal(digestOf((await source.root()).bytes), multi.digest);
    assert.deepEqual(await readdir(work).then((all) => all.filter((f) => f.includes('.tmp-'))), []);
  });

  test('writes to a Writable (stdout) and reads back', async () => {
    const sink = new PassThrough();
    const bytes = collect(sink);
    await copyImage(
      await openOciLayoutSource(single.dir, 'v1'),
      await openOciArchiveDestination(sink, 'v1'),
      'v1',
    );
    const archive = `${fresh('stdout')}.tar`;
    await writeFile(archive, await bytes);
    const back = fresh('back');
    const root = await copyImage(
      await openOciArchiveSource(archive),
      await openOciLayoutDestination(back, 'v1'),
      'v1',
    );
    assert.equal(root.digest, single.digest);
  });

  test('a corrupted blob fails the copy with E_DIGEST_MISMATCH and leaves no file', async () => {
    const src = await generateImage({ dir: fresh('corrupt-src'), tag: 't', layers: [2000, 300_000] });
    await corruptBlob(src.dir, src.platforms[0]!.layers[1]!.digest);
    const dir = fresh('corrupt-out');
    await mkdir(dir);
    await assert.rejects(
      copyImage(
        await openOciLayoutSource(src.dir, 't'),
        await openOciArchiveDestination(join(dir, 'out.tar'), 't'),
        't',
      ),
      { code: 'E_DIGEST_MISMATCH' },
    );
    assert.deepEqual(await readdir(dir), []);
  });

  test('a failed copy to a Writable stops writing, later calls fail, and the stream stays usable', async () => {
    const sink = new PassThrough();
    const collected = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of sink) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    })();
    const destination = await openOciArchiveDestination(sink, 't');
    const data = Buffer.from('not what the descriptor says');
    const descriptor = { mediaType: 'x', digest: digestOf(Buffer.from('other')), size: data.length };
    await assert.rejects(
      destination.putBlob(descriptor, async () => sourceStream(data, descriptor)),
      {
        code: 'E_DIGEST_MISMATCH',
      },
    );
    // The archive is broken from the first failure on: even a good blob is refused.
    await assert.rejects(
      destination.putBlob({ ...descriptor, digest: digestOf(data) }, async () =>
        sourceStream(data, { ...descriptor, digest: digestOf(data) }),
      ),
      {
        code: 'E_DIGEST_MISMATCH',
      },
    );
    await destination.abort();
    // As with a docker-archive to stdout: the caller's stream is left to report the error on.
    assert.equal(sink.destroyed, false);
    sink.end('the end');
    assert.match((await collected).toString('latin1'), /the end$/);
  });

  test('copy -n into an archive file that exists is refused (it would be replaced whole); a new file is written', async () => {
    const dir = fresh('no-clobber');
    await mkdir(dir);
    const archive = join(dir, 'app.tar');
    await copyImage(
      await openOciLayoutSource(single.dir, 'v1'),
      await openOciArchiveDestination(archive, 'v1'),
      'v1',
    );
    const before = await readFile(archive);
    await assert.rejects(
      copyNoClobber(
        await openOciLayoutSource(multi.dir, 'multi'),
        await openOciArchiveDestination(archive, 'v1'),
        'v1',
      ),
      (err: Error & { code?: string }) =>
        err.code === 'E_USAGE' && /--no-clobber: .*replaced whole/.test(err.message),
    );
    assert.deepEqual(await readFile(archive), before, 'the archive is as it was');
    assert.deepEqual(await readdir(dir), ['app.tar'], 'no temp file left');
    const added = await copyNoClobber(
      await openOciLayoutSource(multi.dir, 'multi'),
      await openOciArchiveDestination(join(dir, 'new.tar'), 'multi'),
      'multi',
    );
    assert.equal(added.outcome, 'copied');
    assert.equal(added.descriptor.digest, multi.digest);
  });

  test('a missing parent directory is a LocalError', async () => {
    await assert.rejects(openOciArchiveDestination(join(work, 'absent', 'x.tar')), { code: 'E_LOCAL' });
  });

  test('a hostile archive is refused', async () => {
    const pack = tar.pack();
    const bytes = collect(pack);
    pack.entry({ name: 'oci-layout' }, '{"imageLayoutVersion":"1.0.0"}');
    pack.entry({ name: 'index.json' }, '{"schemaVersion":2,"manifests":[]}');
    pack.entry({ name: './index.json' }, '{"schemaVersion":2,"manifests":[]}');
    pack.finalize();
    const archive = `${fresh('hostile')}.tar`;
    await writeFile(archive, await bytes);
    await assert.rejects(openOciArchiveSource(archive), { code: 'E_INVALID_CONTENT' });
  });
});

describe('oci archive against skopeo', () => {
  test('skopeo reads what ferry wrote, with the same digests', async () => {
    const { archive } = await roundTrip(multi);
    assert.equal(digestOf(await skopeoInspectRaw(`oci-archive:${archive}:multi`)), multi.digest);
    const check = fresh('skopeo-check');
    const { digest } = await skopeoCopy(`oci-archive:${archive}:multi`, `oci:${check}:multi`, {
      all: true,
      preserveDigests: true,
    });
    assert.equal(digest, multi.digest);
    const expected = new Set([multi.digest]);
    for (const p of multi.platforms)
      for (const d of [p.manifestDigest, p.configDigest, ...p.layers.map((l) => l.digest)]) expected.add(d);
    assert.deepEqual((await layoutBlobs(check)).sort(), [...expected].sort());
  });

  test('ferry reads what skopeo wrote, with the same digests', async () => {
    const archive = `${fresh('by-skopeo')}.tar`;
    await skopeoCopy(multi.ref, `oci-archive:${archive}:multi`, { all: true, preserveDigests: true });
    const back = fresh('from-skopeo');
    const root = await copyImage(
      await openOciArchiveSource(archive, 'multi'),
      await openOciLayoutDestination(back, 'multi'),
      'multi',
    );
    assert.equal(root.digest, multi.digest);
    const index = await scanTar(archive);
    const inTar = index.names().filter((name) => name.startsWith('blobs/sha256/'));
    assert.deepEqual(
      (await layoutBlobs(back)).sort(),
      inTar.map((name) => `sha256:${name.slice(13)}`).sort(),
    );
    assert.equal(
      digestOf(await readFile(join(back, 'blobs', 'sha256', multi.digest.slice(7)))),
      multi.digest,
    );
  });
});
