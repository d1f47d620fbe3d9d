import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Descriptor } from '../../../src/image/descriptor.js';
import { parseManifest } from '../../../src/image/manifest.js';
import { MediaType } from '../../../src/image/media-types.js';
import {
  archiveName,
  type DockerArchiveSource,
  openDockerArchiveDestination,
  openDockerArchiveSource,
} from '../../../src/store/docker-archive.js';
import type { ImageDestination } from '../../../src/store/store.js';
import {
  generateImage,
  type ImageSummary,
  REF_NAME_ANNOTATION,
  readLayoutBlob,
} from '../../harness/images.js';
import { runSkopeo, skopeoCopy } from '../../harness/skopeo.js';
import { makeTempDir } from '../../harness/tmp.js';
import { sourceStream } from './copy-helper.js';

const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Member {
  name: string;
  data?: Buffer | string;
  symlink?: string;
  hardlink?: string;
  directory?: boolean;
}

async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = drain(pack as unknown as Readable);
  for (const m of members) {
    if (m.symlink !== undefined) pack.entry({ name: m.name, type: 'symlink', linkname: m.symlink });
    else if (m.hardlink !== undefined) pack.entry({ name: m.name, type: 'link', linkname: m.hardlink });
    else if (m.directory) pack.entry({ name: m.name, type: 'directory' });
    else pack.entry({ name: m.name }, Buffer.from(m.data ?? ''));
  }
  pack.finalize();
  return out;
}

async function writeTar(members: Member[], name = 'image.tar'): Promise<string> {
  const file = join(await makeTempDir('darchive'), name);
  await writeFile(file, await tarOf(members));
  return file;
}

async function listTar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const entries = new Map<string, Buffer>();
  const done = (async () => {
    for await (const entry of extract) {
      const data = await drain(entry as unknown as Readable);
      if (entry.header.type === 'file') entries.set(entry.header.name, data);
    }
  })();
  extract.end(bytes);
  await done;
  return entries;
}

/** A small hand-made image: layer tars, their gzip, and a config naming the diff_ids. */
async function handImage(layerCount = 2, label = 'hand') {
  const layers: { tar: Buffer; gz: Buffer; diffId: string; gzDigest: string }[] = [];
  for (let i = 0; i < layerCount; i++) {
    const layerTar = await tarOf([{ name: `f${i}.txt`, data: `${label} layer ${i}\n`.repeat(50) }]);
    const gz = gzipSync(layerTar);
    layers.push({ tar: layerTar, gz, diffId: sha256(layerTar), gzDigest: sha256(gz) });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { label } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  return { layers, config, configDigest: sha256(config) };
}

const manifestJson = (items: unknown): Member => ({ name: 'manifest.json', data: JSON.stringify(items) });

/** The source's image manifest: a synthesized Docker one unless the archive holds its own (`held`). */
async function rootOf(source: DockerArchiveSource, held?: 'held') {
  const root = await source.root();
  assert.equal(root.descriptor.digest, sha256(root.bytes));
  if (held === undefined) assert.equal(root.descriptor.mediaType, MediaType.dockerManifest);
  const parsed = parseManifest(root.bytes, root.descriptor.mediaType);
  assert.equal(parsed.kind, 'image');
  if (parsed.kind !== 'image') throw new Error('unreachable');
  return { root, manifest: parsed.manifest };
}

/** Streams every blob of the source's image, checking each against its descriptor. */
async function streamAll(source: DockerArchiveSource, held?: 'held'): Promise<Map<string, Buffer>> {
  const { manifest } = await rootOf(source, held);
  const out = new Map<string, Buffer>();
  for (const d of [manifest.config, ...manifest.layers]) {
    const bytes = await drain(await source.blob(d));
    assert.equal(sha256(bytes), d.digest);
    assert.equal(bytes.length, d.size);
    out.set(d.digest, bytes);
  }
  return out;
}

/** The test's stand-in for the copy engine: OCI layout (or any source of descriptors) → destination. */
async function copyLayout(dir: string, tag: string, dest: ImageDestination): Promise<void> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag);
  assert.ok(top);
  const bytes = await readLayoutBlob(dir, top.digest);
  const manifest = JSON.parse(bytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  try {
    for (const d of [manifest.config, ...manifest.layers]) {
      if (await dest.hasBlob(d)) continue;
      await dest.putBlob(d, async () => createReadStream(join(dir, 'blobs', 'sha256', hex(d.digest))));
    }
    await dest.putManifest(
      { descriptor: { mediaType: top.mediaType, digest: top.digest, size: top.size }, bytes },
      { tag },
    );
    await dest.commit();
  } catch (error) {
    await dest.abort();
    throw error;
  }
}

/** Checks an OCI layout skopeo wrote: the image's layers decompress to the expected diff_ids. */
async function layoutDiffIds(dir: string, tag: string): Promise<{ diffIds: string[]; configDigest: string }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag);
  assert.ok(top);
  const manifest = JSON.parse((await readLayoutBlob(dir, top.digest)).toString('utf8')) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  const diffIds: string[] = [];
  for (const layer of manifest.layers) {
    const blob = await readLayoutBlob(dir, layer.digest);
    diffIds.push(sha256(blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob));
  }
  const config = JSON.parse((await readLayoutBlob(dir, manifest.config.digest)).toString('utf8')) as {
    rootfs: { diff_ids: string[] };
  };
  assert.deepEqual(config.rootfs.diff_ids, diffIds);
  return { diffIds, configDigest: manifest.config.digest };
}

const code = (expected: string) => (err: unknown) => {
  assert.equal((err as { code?: string }).code, expected, String(err));
  return true;
};

describe('docker-archive names', () => {
  test('RepoTags are written in the familiar form docker saves', () => {
    assert.deepEqual(archiveName('docker.io/library/alpine:3.19'), {
      repoTag: 'alpine:3.19',
      repository: 'alpine',
      tag: '3.19',
      fullName: 'docker.io/library/alpine:3.19',
    });
    assert.equal(archiveName('lab/x').repoTag, 'lab/x:latest');
    assert.equal(archiveName('index.docker.io/lab/x:v1').repoTag, 'lab/x:v1');
    assert.equal(archiveName('127.0.0.1:5000/a/b:t').repoTag, '127.0.0.1:5000/a/b:t');
    assert.throws(() => archiveName(`x@sha256:${'a'.repeat(64)}`), code('E_USAGE'));
    assert.throws(() => archiveName('Bad/Name'), code('E_REF'));
  });
});

describe('docker-archive source: what skopeo writes', () => {
  let image: ImageSummary;
  let file: string;

  test('skopeo writes an archive from an OCI layout', { timeout: 60_000 }, async () => {
    image = await generateImage({ tag: 'v1', layers: [1024, 2048, 0] });
    file = join(await makeTempDir('darchive-skopeo'), 'x.tar');
    await skopeoCopy(image.ref, `docker-archive:${file}:lab/x:v1`);
  });

  test('ferry reads it: config digest, diff_ids, every blob verifies', { timeout: 60_000 }, async () => {
    const generated = image.platforms[0]!;
    const skopeoConfig = await runSkopeo(['inspect', '--config', '--raw', `docker-archive:${file}`]);
    for (const ref of [undefined, 'lab/x:v1', 'docker.io/lab/x:v1', '@0']) {
      const source = await openDockerArchiveSource(file, ref);
      const { manifest } = await rootOf(source);
      assert.equal(manifest.config.digest, generated.configDigest);
      assert.equal(manifest.config.digest, sha256(skopeoConfig));
      assert.equal(manifest.config.mediaType, MediaType.dockerConfig);
      assert.deepEqual(
        manifest.layers.map((l) => [l.mediaType, l.digest]),
        generated.layers.map((l) => [DOCKER_LAYER_TAR, l.diffId]),
      );
      assert.deepEqual(source.repoTags, ['docker.io/lab/x:v1']);
      await streamAll(source);
      await source.close();
    }
    await assert.rejects(openDockerArchiveSource(file, 'lab/x:v2'), code('E_NOT_FOUND'));
    await assert.rejects(openDockerArchiveSource(file, '@1'), code('E_NOT_FOUND'));
  });
});

describe('docker-archive destination: what skopeo reads', () => {
  test('an archive written from an OCI layout loads in skopeo with the same diff_ids', {
    timeout: 60_000,
  }, async () => {
    const image = await generateImage({ tag: 'v2', layers: [3000, 1500] });
    const generated = image.platforms[0]!;
    const dir = await makeTempDir('darchive-dest');
    const file = join(dir, 'y.tar');
    const dest = await openDockerArchiveDestination(file, { repoTags: ['docker.io/lab/y:v2'] });
    assert.equal(dest.traits.sequential, true);
    await copyLayout(image.dir, 'v2', dest);
    assert.deepEqual(await readdir(dir), ['y.tar']);

    const entries = await listTar(await readFile(file));
    const items = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.deepEqual(items, [
      {
        Config: `blobs/sha256/${hex(generated.configDigest)}`,
        RepoTags: ['lab/y:v2'],
        Layers: generated.layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
      },
    ]);
    assert.deepEqual(JSON.parse(entries.get('repositories')!.toString('utf8')), {
      'lab/y': { v2: hex(generated.layers.at(-1)!.diffId) },
    });
    const index = JSON.parse(entries.get('index.json')!.toString('utf8'));
    assert.equal(index.manifests[0].digest, generated.manifestDigest);
    assert.deepEqual(index.manifests[0].annotations, {
      'io.containerd.image.name': 'docker.io/lab/y:v2',
      'org.opencontainers.image.ref.name': 'v2',
    });
    assert.ok(entries.has('oci-layout'));

    // skopeo inspect: the layers it reports are the diff_ids (it decompresses gzip'd layers).
    for (const ref of [
      `docker-archive:${file}`,
      `docker-archive:${file}:lab/y:v2`,
      `docker-archive:${file}:docker.io/lab/y:v2`,
    ]) {
      const inspect = JSON.parse((await runSkopeo(['inspect', ref])).toString('utf8')) as {
        Layers: string[];
      };
      assert.deepEqual(
        inspect.Layers,
        generated.layers.map((l) => l.diffId),
      );
    }
    const check = await makeTempDir('darchive-check');
    await skopeoCopy(`docker-archive:${file}`, `oci:${check}:t`);
    const copied = await layoutDiffIds(check, 't');
    assert.deepEqual(
      copied.diffIds,
      generated.layers.map((l) => l.diffId),
    );
    assert.equal(copied.configDigest, generated.configDigest);
    // The tar is an OCI layout too, byte-identical to the registry's blobs.
    const ociCheck = await makeTempDir('darchive-oci');
    await skopeoCopy(`oci-archive:${file}:v2`, `oci:${ociCheck}:t`, { preserveDigests: true });

    // ferry's own source reads it back with the original (compressed) blobs and the manifest the
    // OCI view holds for them, so the image keeps its digest (a synthesized Docker manifest would not).
    const source = await openDockerArchiveSource(file, 'lab/y:v2');
    const { root, manifest } = await rootOf(source, 'held');
    assert.deepEqual(root.descriptor, {
      mediaType: MediaType.ociManifest,
      digest: generated.manifestDigest,
      size: generated.manifestSize,
    });
    assert.equal(manifest.config.digest, generated.configDigest);
    assert.deepEqual(
      manifest.layers.map((l) => [l.digest, l.size]),
      generated.layers.map((l) => [l.digest, l.size]),
    );
    await streamAll(source, 'held');
  });

  test('skopeo archive → ferry source → ferry destination → skopeo (uncompressed layers)', {
    timeout: 60_000,
  }, async () => {
    const image = await generateImage({ tag: 'v3', layers: [700, 900] });
    const generated = image.platforms[0]!;
    const dir = await makeTempDir('darchive-round');
    const first = join(dir, 'first.tar');
    await skopeoCopy(image.ref, `docker-archive:${first}:lab/z:v3`);
    const source = await openDockerArchiveSource(first);
    const second = join(dir, 'second.tar');
    const dest = await openDockerArchiveDestination(second, { repoTags: ['lab/z:v3', 'lab/z:also'] });
    const root = await source.root();
    const { manifest } = await rootOf(source);
    for (const d of [manifest.config, ...manifest.layers]) await dest.putBlob(d, () => source.blob(d));
    await dest.putManifest(root);
    await dest.commit();

    const inspect = JSON.parse(
      (await runSkopeo(['inspect', `docker-archive:${second}:lab/z:also`])).toString('utf8'),
    );
    assert.deepEqual(
      inspect.Layers,
      generated.layers.map((l) => l.diffId),
    );
    const check = await makeTempDir('darchive-check2');
    await skopeoCopy(`docker-archive:${second}:lab/z:v3`, `oci:${check}:t`);
    assert.deepEqual(
      (await layoutDiffIds(check, 't')).diffIds,
      generated.layers.map((l) => l.diffId),
    );
    const entries = await listTar(await readFile(second));
    assert.deepEqual(JSON.parse(entries.get('manifest.json')!.toString('utf8'))[0].RepoTags, [
      'lab/z:v3',
      'lab/z:also',
    ]);
    assert.deepEqual(JSON.parse(entries.get('repositories')!.toString('utf8')), {
      'lab/z': { v3: hex(generated.layers.at(-1)!.diffId), also: hex(generated.layers.at(-1)!.diffId) },
    });
  });

  test('writes to a Writable (stdout) without temp files; no RepoTags is an untagged image', async () => {
    const image = await generateImage({ tag: 'v4', layers: [100] });
    const out = new PassThrough();
    const collected = drain(out);
    const dest = await openDockerArchiveDestination(out, { repoTags: [] });
    assert.equal(dest.description, 'docker-archive:-');
    await copyLayout(image.dir, 'v4', dest);
    const entries = await listTar(await collected);
    assert.deepEqual(JSON.parse(entries.get('manifest.json')!.toString('utf8'))[0].RepoTags, []);
    assert.equal(entries.has('repositories'), false);
    assert.equal(JSON.parse(entries.get('index.json')!.toString('utf8')).manifests[0].annotations, undefined);
  });
});

describe('docker-archive source: layouts', () => {
  test('classic docker save: <hex>.json, <id>/layer.tar files and symlinks, root-level <diffid>.tar', async () => {
    const img = await handImage(3);
    const [l0, l1, l2] = img.layers as [
      (typeof img.layers)[0],
      (typeof img.layers)[0],
      (typeof img.layers)[0],
    ];
    const file = await writeTar([
      { name: 'aaaa/', directory: true },
      { name: 'aaaa/VERSION', data: '1.0' },
      { name: 'aaaa/json', data: '{}' },
      { name: 'aaaa/layer.tar', data: l0.tar },
      { name: `${hex(l1.diffId)}.tar`, data: l1.tar },
      { name: 'bbbb/layer.tar', symlink: `../${hex(l1.diffId)}.tar` },
      { name: 'cccc/layer.tar', data: l2.tar },
      { name: 'dddd/layer.tar', hardlink: 'cccc/layer.tar' },
      { name: `${hex(img.configDigest)}.json`, data: img.config },
      { name: 'repositories', data: '{"hand":{"latest":"bbbb"}}' },
      manifestJson([
        {
          Config: `${hex(img.configDigest)}.json`,
          RepoTags: ['hand:latest'],
          Layers: ['aaaa/layer.tar', 'bbbb/layer.tar', 'dddd/layer.tar'],
        },
      ]),
    ]);
    for (const ref of [undefined, 'hand', 'hand:latest', 'docker.io/library/hand:latest']) {
      const source = await openDockerArchiveSource(file, ref);
      const { manifest } = await rootOf(source);
      assert.equal(manifest.config.digest, img.configDigest);
      assert.deepEqual(
        manifest.layers.map((l) => [l.mediaType, l.digest, l.size]),
        img.layers.map((l) => [DOCKER_LAYER_TAR, l.diffId, l.tar.length]),
      );
      const blobs = await streamAll(source);
      assert.deepEqual(blobs.get(l1.diffId), l1.tar);
    }
  });

  test('Docker 25+: blobs/sha256 plus oci-layout and index.json (manifest.json is what counts)', async () => {
    const img = await handImage(2);
    const file = await writeTar([
      { name: 'blobs/', directory: true },
      { name: 'blobs/sha256/', directory: true },
      ...img.layers.map((l) => ({ name: `blobs/sha256/${hex(l.diffId)}`, data: l.tar })),
      { name: `blobs/sha256/${hex(img.configDigest)}`, data: img.config },
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', data: '{"schemaVersion":2,"manifests":[]}' },
      manifestJson([
        {
          Config: `blobs/sha256/${hex(img.configDigest)}`,
          RepoTags: ['lab/new:25'],
          Layers: img.layers.map((l) => `blobs/sha256/${hex(l.diffId)}`),
        },
      ]),
    ]);
    const source = await openDockerArchiveSource(file);
    const { manifest } = await rootOf(source);
    assert.deepEqual(
      manifest.layers.map((l) => l.digest),
      img.layers.map((l) => l.diffId),
    );
    await streamAll(source);
  });

  test("crane's tarball: config sha256:<hex>, gzip'd <hex>.tar.gz layers", async () => {
    const img = await handImage(2);
    const file = await writeTar([
      { name: `sha256:${hex(img.configDigest)}`, data: img.config },
      ...img.layers.map((l) => ({ name: `${hex(l.gzDigest)}.tar.gz`, data: l.gz })),
      manifestJson([
        {
          Config: `sha256:${hex(img.configDigest)}`,
          RepoTags: ['crane/img:1'],
          Layers: img.layers.map((l) => `${hex(l.gzDigest)}.tar.gz`),
        },
      ]),
    ]);
    const source = await openDockerArchiveSource(file);
    const { manifest } = await rootOf(source);
    assert.deepEqual(
      manifest.layers.map((l) => [l.mediaType, l.digest, l.size]),
      img.layers.map((l) => [MediaType.dockerLayerGzip, l.gzDigest, l.gz.length]),
    );
    await streamAll(source);
  });

  test("'./'-prefixed names, and gzip'd layers whose names carry no digest (hashed on open)", async () => {
    const img = await handImage(2);
    const file = await writeTar([
      { name: './', directory: true },
      { name: './config.json', data: img.config },
      { name: './one/layer.tar', data: img.layers[0]!.gz },
      { name: './two/layer.tar', data: img.layers[1]!.tar },
      {
        name: './manifest.json',
        data: JSON.stringify([
          { Config: './config.json', RepoTags: null, Layers: ['./one/layer.tar', 'two/layer.tar'] },
        ]),
      },
    ]);
    const source = await openDockerArchiveSource(file);
    const { manifest } = await rootOf(source);
    assert.deepEqual(
      manifest.layers.map((l) => [l.mediaType, l.digest]),
      [
        [MediaType.dockerLayerGzip, img.layers[0]!.gzDigest],
        [DOCKER_LAYER_TAR, img.layers[1]!.diffId],
      ],
    );
    await streamAll(source);
  });

  test('several images: REF picks one, by any spelling; without REF it is a usage error listing the tags', async () => {
    const a = await handImage(1, 'a');
    const b = await handImage(1, 'b');
    const file = await writeTar([
      { name: 'a.json', data: a.config },
      { name: 'a.tar', data: a.layers[0]!.tar },
      { name: 'b.json', data: b.config },
      { name: 'b.tar', data: b.layers[0]!.gz },
      manifestJson([
        { Config: 'a.json', RepoTags: ['alpha:1', 'alpha:latest'], Layers: ['a.tar'] },
        { Config: 'b.json', RepoTags: ['docker.io/lab/beta:2'], Layers: ['b.tar'] },
      ]),
    ]);
    await assert.rejects(openDockerArchiveSource(file), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_USAGE');
      assert.match(err.message, /alpha:1, alpha:latest; docker\.io\/lab\/beta:2/);
      return true;
    });
    const pick = async (ref: string) =>
      (await rootOf(await openDockerArchiveSource(file, ref))).manifest.config.digest;
    assert.equal(await pick('alpha'), a.configDigest);
    assert.equal(await pick('docker.io/library/alpha:1'), a.configDigest);
    assert.equal(await pick('lab/beta:2'), b.configDigest);
    assert.equal(await pick('@1'), b.configDigest);
    await assert.rejects(openDockerArchiveSource(file, 'lab/beta'), code('E_NOT_FOUND'));
    await assert.rejects(openDockerArchiveSource(file, `alpha@sha256:${'a'.repeat(64)}`), code('E_USAGE'));
  });
});

describe('docker-archive source: refusals', () => {
  test('no manifest.json (and a hint for an OCI archive)', async () => {
    await assert.rejects(
      openDockerArchiveSource(await writeTar([{ name: 'x', data: 'y' }])),
      code('E_INVALID_CONTENT'),
    );
    await assert.rejects(
      openDockerArchiveSource(
        await writeTar([
          { name: 'oci-layout', data: '{}' },
          { name: 'index.json', data: '{}' },
        ]),
      ),
      (err: Error & { code?: string; hint?: string }) =>
        err.code === 'E_INVALID_CONTENT' && /oci-archive:/.test(err.hint ?? ''),
    );
  });

  test('missing file, unreadable file', async () => {
    await assert.rejects(openDockerArchiveSource('/nonexistent/x.tar'), code('E_LOCAL'));
    const img = await handImage(1);
    const noLayer = await writeTar([
      { name: 'c.json', data: img.config },
      manifestJson([{ Config: 'c.json', RepoTags: [], Layers: ['gone/layer.tar'] }]),
    ]);
    await assert.rejects(openDockerArchiveSource(noLayer), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_INVALID_CONTENT');
      assert.match(err.message, /gone\/layer\.tar/);
      return true;
    });
    const noConfig = await writeTar([manifestJson([{ Config: 'c.json', RepoTags: [], Layers: [] }])]);
    await assert.rejects(openDockerArchiveSource(noConfig), /c\.json/);
    const dangling = await writeTar([
      { name: 'c.json', data: img.config },
      { name: 'l/layer.tar', symlink: '../nothing.tar' },
      manifestJson([{ Config: 'c.json', RepoTags: [], Layers: ['l/layer.tar'] }]),
    ]);
    await assert.rejects(openDockerArchiveSource(dangling), code('E_INVALID_CONTENT'));
  });

  test('a malformed or huge manifest.json', async () => {
    const bad = [
      '{nope',
      '{}',
      '[]',
      '[1]',
      '[{"Config":"c.json","Layers":"x"}]',
      '[{"Config":"","Layers":[]}]',
      '[{"Config":"c.json","Layers":[],"RepoTags":"x"}]',
    ];
    for (const text of bad) {
      await assert.rejects(
        openDockerArchiveSource(await writeTar([{ name: 'manifest.json', data: text }])),
        code('E_INVALID_CONTENT'),
        text,
      );
    }
    const huge = `[${' '.repeat(4 * 1024 * 1024)}]`;
    await assert.rejects(
      openDockerArchiveSource(await writeTar([{ name: 'manifest.json', data: huge }])),
      code('E_INVALID_CONTENT'),
    );
  });

  test('a config whose name lies, diff_ids that do not match the layer count', async () => {
    const img = await handImage(1);
    const wrongName = await writeTar([
      { name: `${'0'.repeat(64)}.json`, data: img.config },
      { name: 'l.tar', data: img.layers[0]!.tar },
      manifestJson([{ Config: `${'0'.repeat(64)}.json`, RepoTags: [], Layers: ['l.tar'] }]),
    ]);
    await assert.rejects(openDockerArchiveSource(wrongName), code('E_DIGEST_MISMATCH'));
    const tooMany = await writeTar([
      { name: 'c.json', data: img.config },
      { name: 'l.tar', data: img.layers[0]!.tar },
      manifestJson([{ Config: 'c.json', RepoTags: [], Layers: ['l.tar', 'l.tar'] }]),
    ]);
    await assert.rejects(openDockerArchiveSource(tooMany), code('E_INVALID_CONTENT'));
    const notJson = await writeTar([
      { name: 'c.json', data: 'nope' },
      manifestJson([{ Config: 'c.json', RepoTags: [], Layers: [] }]),
    ]);
    await assert.rejects(openDockerArchiveSource(notJson), code('E_INVALID_CONTENT'));
  });

  test('a layer that lies about its content fails when streamed', async () => {
    const img = await handImage(2);
    const file = await writeTar([
      { name: 'c.json', data: img.config },
      { name: 'l0.tar', data: img.layers[0]!.tar },
      // Uncompressed, but not the tar the diff_id names.
      { name: 'l1.tar', data: img.layers[0]!.tar },
      // gzip'd, named after a digest it does not have.
      { name: `${hex(img.layers[0]!.gzDigest)}.tar.gz`, data: img.layers[1]!.gz },
      manifestJson([
        { Config: 'c.json', RepoTags: ['lie:1'], Layers: ['l0.tar', 'l1.tar'] },
        {
          Config: 'c.json',
          RepoTags: ['lie:2'],
          Layers: ['l0.tar', `${hex(img.layers[0]!.gzDigest)}.tar.gz`],
        },
      ]),
    ]);
    for (const ref of ['lie:1', 'lie:2']) {
      const source = await openDockerArchiveSource(file, ref);
      const { manifest } = await rootOf(source);
      await drain(await source.blob(manifest.layers[0]!));
      await assert.rejects(drain(await source.blob(manifest.layers[1]!)), code('E_DIGEST_MISMATCH'));
    }
  });

  test('zstd layers are read (OCI types), checked against their diff_id; xz is refused; unknown blobs are not found', async () => {
    const img = await handImage(2);
    // Made by the reference encoder, the `zstd` CLI (Debian's zstd package).
    const zstd = (data: Buffer, level: string): Buffer =>
      execFileSync('zstd', ['-q', '-c', level], { input: data });
    const good = zstd(img.layers[0]!.tar, '-3');
    // Other bytes (another level), the same content: layer 0's tar where layer 1's should be.
    const lying = zstd(img.layers[0]!.tar, '-19');
    const file = await writeTar([
      { name: 'c.json', data: img.config },
      { name: 'l0.tar.zst', data: good },
      { name: 'l1.tar.zst', data: lying },
      { name: 'l1.tar', data: img.layers[1]!.tar },
      {
        name: 'l.tar.xz',
        data: Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(20)]),
      },
      manifestJson([
        { Config: 'c.json', RepoTags: ['z:1'], Layers: ['l0.tar.zst', 'l1.tar'] },
        { Config: 'c.json', RepoTags: ['lie:1'], Layers: ['l0.tar.zst', 'l1.tar.zst'] },
        { Config: 'c.json', RepoTags: ['xz:1'], Layers: ['l.tar.xz', 'l1.tar'] },
      ]),
    ]);
    const source = await openDockerArchiveSource(file, 'z:1');
    const root = await source.root();
    const parsed = parseManifest(root.bytes, root.descriptor.mediaType);
    assert.ok(parsed.kind === 'image');
    // Docker's schema 2 has no zstd type: the whole image is presented with OCI types.
    assert.equal(root.descriptor.mediaType, MediaType.ociManifest);
    assert.equal(parsed.manifest.config.mediaType, MediaType.ociConfig);
    assert.deepEqual(
      parsed.manifest.layers.map((l) => l.mediaType),
      [MediaType.ociLayerZstd, MediaType.ociLayer],
    );
    assert.equal(parsed.manifest.layers[0]!.digest, sha256(good));
    for (const layer of parsed.manifest.layers)
      assert.equal(sha256(await drain(await source.blob(layer))), layer.digest);
    const lie = await openDockerArchiveSource(file, 'lie:1');
    const lieRoot = parseManifest((await lie.root()).bytes);
    assert.ok(lieRoot.kind === 'image');
    await assert.rejects(drain(await lie.blob(lieRoot.manifest.layers[1]!)), code('E_DIGEST_MISMATCH'));
    await assert.rejects(openDockerArchiveSource(file, 'xz:1'), code('E_UNSUPPORTED'));
    const other: Descriptor = { mediaType: DOCKER_LAYER_TAR, digest: sha256('other'), size: 5 };
    await assert.rejects(source.blob(other), code('E_NOT_FOUND'));
    await assert.rejects(
      source.manifest({ ...other, mediaType: MediaType.dockerManifest }),
      code('E_NOT_FOUND'),
    );
    assert.deepEqual(await source.manifest(root.descriptor), root.bytes);
  });
});

describe('docker-archive destination: refusals leave nothing behind', () => {
  const blobOf = (data: Buffer, mediaType: string = MediaType.dockerLayerGzip): Descriptor => ({
    mediaType,
    digest: sha256(data),
    size: data.length,
  });

  test('a blob stream that fails mid-way: rejects, later calls reject, abort removes the temp file', async () => {
    const dir = await makeTempDir('darchive-fail');
    const file = join(dir, 'out.tar');
    const dest = await openDockerArchiveDestination(file, { repoTags: ['x:1'] });
    assert.equal((await readdir(dir)).length, 1); // the temp file
    assert.match((await readdir(dir))[0]!, /^\.out\.tar\.tmp-\d+-[0-9a-f]+$/, 'a hidden temp file beside it');
    const data = Buffer.alloc(100_000, 7);
    const failing = new Readable({
      read() {
        this.push(data.subarray(0, 1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(
      dest.putBlob(blobOf(data), async () => failing),
      /connection reset/,
    );
    await assert.rejects(
      dest.putBlob(blobOf(Buffer.from('x')), async () => Readable.from([Buffer.from('x')])),
    );
    await assert.rejects(dest.commit());
    await dest.abort();
    await dest.abort();
    assert.deepEqual(await readdir(dir), []);
  });

  test('a failed copy to a Writable (stdout) stops writing but leaves the stream usable', async () => {
    const out = new PassThrough();
    const collected = drain(out);
    const dest = await openDockerArchiveDestination(out, { repoTags: ['x:1'] });
    const data = Buffer.from('not what the digest says');
    await assert.rejects(
      dest.putBlob({ ...blobOf(Buffer.from('other')), size: data.length }, async () =>
        sourceStream(data, { ...blobOf(Buffer.from('other')), size: data.length }),
      ),
      code('E_DIGEST_MISMATCH'),
    );
    await dest.abort();
    assert.equal(out.destroyed, false);
    out.end('the end');
    assert.match((await collected).toString('latin1'), /the end$/);
  });

  test('a blob that does not match its digest', async () => {
    const dir = await makeTempDir('darchive-bad');
    const dest = await openDockerArchiveDestination(join(dir, 'out.tar'), { repoTags: [] });
    const descriptor = blobOf(Buffer.from('expected'));
    await assert.rejects(
      dest.putBlob({ ...descriptor, size: 8 }, async () =>
        sourceStream(Buffer.from('12345678'), { ...descriptor, size: 8 }),
      ),
      code('E_DIGEST_MISMATCH'),
    );
    await dest.abort();
    assert.deepEqual(await readdir(dir), []);
  });

  test('an index, a manifest before its blobs, a second image, a digest as the name, no directory', async () => {
    const dir = await makeTempDir('darchive-refuse');
    const file = join(dir, 'out.tar');
    const image = await handImage(1);
    const config = blobOf(image.config, MediaType.dockerConfig);
    const layer = blobOf(image.layers[0]!.gz);
    const manifestBytes = (layers: Descriptor[]) =>
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers }));
    const stored = (bytes: Buffer, mediaType: string = MediaType.dockerManifest) => ({
      descriptor: { mediaType, digest: sha256(bytes), size: bytes.length },
      bytes,
    });

    const dest = await openDockerArchiveDestination(file, { repoTags: ['x:1'] });
    const indexBytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }),
    );
    await assert.rejects(dest.putManifest(stored(indexBytes, MediaType.ociIndex)), code('E_USAGE'));
    await assert.rejects(dest.putManifest(stored(manifestBytes([layer]))), code('E_LOCAL'));
    await dest.putBlob(config, async () => Readable.from([image.config]));
    await dest.putBlob(layer, async () => Readable.from([image.layers[0]!.gz]));
    assert.equal(await dest.hasBlob(layer), true);
    await dest.putBlob(layer, async () => Readable.from([image.layers[0]!.gz])); // already there: skipped
    await assert.rejects(dest.putManifest(stored(manifestBytes([layer, layer]))), code('E_INVALID_CONTENT'));
    await dest.putManifest(stored(manifestBytes([layer])));
    await assert.rejects(dest.putManifest(stored(manifestBytes([]))), code('E_USAGE'));
    await dest.commit();
    assert.deepEqual(await readdir(dir), ['out.tar']);
    const source = await openDockerArchiveSource(file, 'x:1');
    await streamAll(source);

    await assert.rejects(
      openDockerArchiveDestination(join(dir, 'no', 'such', 'dir.tar'), { repoTags: [] }),
      code('E_LOCAL'),
    );
    await assert.rejects(
      openDockerArchiveDestination(join(dir, 'y.tar'), { repoTags: [`x@sha256:${'a'.repeat(64)}`] }),
      code('E_USAGE'),
    );
    assert.deepEqual(await readdir(dir), ['out.tar']);
    const empty = await openDockerArchiveDestination(join(dir, 'empty.tar'), { repoTags: [] });
    await assert.rejects(empty.commit(), code('E_LOCAL'));
    await empty.abort();
    assert.deepEqual(await readdir(dir), ['out.tar']);
  });
});
