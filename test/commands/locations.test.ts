// The read commands (manifest, config, digest, ls, export) take the same local locations as copy, written
// by skopeo (the referee): oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, a plain
// path that exists, and docker://REF. A path that does not exist is said to be one, never looked
// up on Docker Hub.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  errorLine,
  MULTI,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  startSeededRegistries,
  stopAll,
} from '../harness/fixtures.js';
import { sha256 } from '../harness/images.js';
import {
  dockerRef,
  registryAccess,
  skopeoCopy,
  skopeoInspectConfig,
  skopeoInspectRaw,
} from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

describe('local locations for the read commands', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let host: string;
  let layout: string;
  let ociTar: string;
  let dockerTar: string;
  let empty: string;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
    const dir = await makeTempDir('locations');
    layout = join(dir, 'layout');
    ociTar = join(dir, 'image-oci.tar');
    dockerTar = join(dir, 'saved.tar');
    empty = join(dir, 'plain-dir');
    await mkdir(empty);
    const src = registryAccess(s.registry);
    await skopeoCopy(dockerRef(s.registry, `${SINGLE}:v1`), `oci:${layout}:single`, { src });
    await skopeoCopy(dockerRef(s.registry, `${MULTI}:v1`), `oci:${layout}:2.0-rc1`, { src, all: true });
    await skopeoCopy(dockerRef(s.registry, `${SINGLE}:v1`), `oci:${layout}:10`, { src });
    await skopeoCopy(dockerRef(s.registry, `${MULTI}:v1`), `oci-archive:${ociTar}:v1`, { src, all: true });
    await skopeoCopy(dockerRef(s.registry, `${SINGLE}:v1`), `docker-archive:${dockerTar}:app:1.0`, { src });
  });
  after(() => stopAll(seeded));

  test('manifest and digest of oci:DIR:TAG: the bytes skopeo reads there', async () => {
    const expected = await skopeoInspectRaw(`oci:${layout}:single`);
    const [manifest, digest] = await Promise.all([
      run(s, ['manifest', `oci:${layout}:single`]),
      run(s, ['digest', `oci:${layout}:single`]),
    ]);
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.deepEqual(manifest.stdoutBytes, expected);
    assert.equal(digest.stdout, `${sha256(expected)}\n`);
    assert.equal(digest.stdout, `${s.images.single.digest}\n`);
  });

  test('a plain path that exists, with :TAG, reads the same layout; --json names the location', async () => {
    const [bytes, json] = await Promise.all([
      run(s, ['manifest', `${layout}:single`]),
      run(s, ['digest', '--json', `${layout}:single`]),
    ]);
    assert.equal(bytes.code, 0, bytes.stderr);
    assert.deepEqual(bytes.stdoutBytes, await skopeoInspectRaw(`oci:${layout}:single`));
    assert.deepEqual(JSON.parse(json.stdout), {
      reference: `oci:${layout}:single`,
      digest: s.images.single.digest,
      platform: null,
    });
  });

  test('--platform picks the child of an index in a layout, and checks a single image there', async () => {
    const arm = await run(s, ['digest', '--platform', 'linux/arm64', `oci:${layout}:2.0-rc1`]);
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal(arm.stdout, `${s.images.multi.platforms[1]?.manifestDigest}\n`);
    const refused = await run(s, ['manifest', '--platform', 'linux/arm64', `oci:${layout}:single`]);
    assert.equal(refused.code, 1);
    assert.equal(
      errorLine(refused),
      `ferry: oci:${layout}:single has no image for platform linux/arm64 (available: linux/amd64)`,
    );
  });

  test('config of an OCI tarball (by path and by oci-archive:) and of a docker-archive: the bytes skopeo reads', async () => {
    const [oci, byPath, docker] = await Promise.all([
      run(s, ['config', '--platform', 'linux/arm/v7', `oci-archive:${ociTar}:v1`]),
      run(s, ['config', '--platform', 'linux/arm/v7', ociTar]),
      run(s, ['config', dockerTar]),
    ]);
    const armv7 = await skopeoInspectConfig(`oci-archive:${ociTar}:v1`, {
      extraArgs: ['--override-arch', 'arm', '--override-variant', 'v7'],
    });
    assert.equal(oci.code, 0, oci.stderr);
    assert.deepEqual(oci.stdoutBytes, armv7);
    assert.deepEqual(byPath.stdoutBytes, armv7);
    assert.equal(docker.code, 0, docker.stderr);
    assert.deepEqual(docker.stdoutBytes, await skopeoInspectConfig(`docker-archive:${dockerTar}`));
  });

  test('docker:// is read as the registry reference it names', async () => {
    const ref = `docker://${host}/${SINGLE}:v1`;
    const [manifest, digest, config, ls] = await Promise.all([
      run(s, ['manifest', ref]),
      run(s, ['digest', ref]),
      run(s, ['config', ref]),
      run(s, ['ls', `docker://${host}/${SINGLE}`]),
    ]);
    assert.deepEqual(
      manifest.stdoutBytes,
      await skopeoInspectRaw(dockerRef(s.registry, `${SINGLE}:v1`), registryAccess(s.registry)),
    );
    assert.equal(digest.stdout, `${s.images.single.digest}\n`);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(ls.stdout, 'v1\n');
  });

  test('what a transfer summary prints as its destination (docker://…) reads back in exists, digest, tag and delete', async () => {
    const copied = await run(s, ['copy', '-q', '--json', `${host}/${SINGLE}:v1`, `${host}/lab/printed:v1`]);
    assert.equal(copied.code, 0, copied.stderr);
    const destination = (JSON.parse(copied.stdout) as { destination: string }).destination;
    assert.equal(destination, `docker://${host}/lab/printed:v1`);
    const [exists, digest, tagged, dryRun] = await Promise.all([
      run(s, ['exists', destination]),
      run(s, ['digest', destination]),
      run(s, ['tag', destination, 'v2']),
      run(s, ['delete', '--dry-run', destination]),
    ]);
    assert.equal(exists.code, 0, exists.stderr);
    assert.equal(digest.stdout, `${s.images.single.digest}\n`);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const blob = await run(s, [
      'blob',
      `docker://${host}/${SINGLE}@${s.images.single.platforms[0]?.configDigest}`,
    ]);
    assert.equal(blob.code, 0, blob.stderr);
  });

  test('pull and push take docker://REF as the other commands do', async () => {
    const tar = join(await makeTempDir('docker-scheme'), 'pulled.tar');
    const pulled = await run(s, ['pull', '-q', '--format', 'oci', `docker://${host}/${SINGLE}:v1`, tar]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const pushed = await run(s, ['push', '-q', tar, `docker://${host}/lab/pushed-scheme:v1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = await run(s, ['digest', `${host}/lab/pushed-scheme:v1`]);
    assert.equal(digest.stdout, `${s.images.single.digest}\n`);
  });

  test('ls of a layout: its tags in version order; -l and --platform read the images there', async () => {
    const [plain, json, long, arm] = await Promise.all([
      run(s, ['ls', `oci:${layout}`]),
      run(s, ['ls', '--json', layout]),
      run(s, ['ls', '-l', '--json', `oci:${layout}`]),
      run(s, ['ls', '--platform', 'linux/arm64', layout]),
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, '2.0-rc1\n10\nsingle\n');
    assert.deepEqual(JSON.parse(json.stdout), {
      repository: `oci:${layout}`,
      tags: ['2.0-rc1', '10', 'single'],
      next: null,
    });
    const rows = (JSON.parse(long.stdout) as { tags: { tag: string; digest: string; platforms: string[] }[] })
      .tags;
    assert.deepEqual(
      rows.map((r) => [r.tag, r.digest, r.platforms.join(',')]),
      [
        ['2.0-rc1', s.images.multi.digest, 'linux/amd64,linux/arm64/v8,linux/arm/v7'],
        ['10', s.images.single.digest, 'linux/amd64'],
        ['single', s.images.single.digest, 'linux/amd64'],
      ],
    );
    assert.equal(arm.stdout, '2.0-rc1\n');
  });

  test('ls of a docker-archive: its RepoTags', async () => {
    const result = await run(s, ['ls', `docker-archive:${dockerTar}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'docker.io/library/app:1.0\n');
  });

  test('ls of a layout with :TAG: exit 2, one line', async () => {
    const result = await run(s, ['ls', `oci:${layout}:single`]);
    assert.equal(result.code, 2);
    assert.equal(errorLine(result), "ferry: ls lists every tag of a layout: drop ':single'");
  });

  for (const path of ['./no-such-image', '../no-such-image.tar', '/no/such/image', '~/no-such-layout']) {
    test(`a path that does not exist (${path}): exit 8, said to be a path`, async () => {
      for (const command of ['manifest', 'config', 'digest', 'ls']) {
        const result = await run(s, [command, path]);
        assert.equal(result.code, 8, `${command}: ${result.stderr}`);
        assert.match(
          errorLine(result),
          new RegExp(
            `^ferry: ${path.replace(/[.*/~]/g, '\\$&')}: no such file or directory \\(read as a path, since it starts with '`,
          ),
        );
      }
    });
  }

  test('export reads a path that exists, as manifest does: the same tar as through docker-archive:', async () => {
    const dir = await makeTempDir('locations-export');
    const byTransport = join(dir, 'by-transport.tar');
    const byPath = join(dir, 'by-path.tar');
    const first = await run(s, ['export', `docker-archive:${dockerTar}`, byTransport]);
    assert.equal(first.code, 0, first.stderr);
    // An absolute path: it used to be parsed as a reference ("the repository path has a leading '/'", exit 2).
    const second = await run(s, ['export', dockerTar, byPath]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(sha256(await readFile(byPath)), sha256(await readFile(byTransport)));
    const layoutExport = await run(s, ['export', `${layout}:single`, join(dir, 'layout.tar')]);
    assert.equal(layoutExport.code, 0, layoutExport.stderr);
  });

  test('a command that takes no bare path says a path-like word is one, naming the transports (exit 2)', async () => {
    // Read as references, these failed on their "host" ('.' is not a valid registry host) or
    // their "leading '/'", which says nothing about what to type instead.
    for (const args of [
      ['copy', dockerTar, `${host}/lab/x:1`],
      ['copy', `${host}/${SINGLE}:v1`, './out-layout'],
      ['mutate', '--label', 'a=b', `./${'saved.tar'}`, `${host}/lab/x:1`],
    ]) {
      const result = await run(s, args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(
        errorLine(result),
        /^ferry: '[^']+' is a path, not an image reference \(hint: name what it holds: oci:\S+ \(a layout directory\), oci-archive:\S+ or docker-archive:\S+ \(a tarball\)\)$/,
      );
    }
  });

  test('an existing directory that is no layout: exit 2, said so', async () => {
    const result = await run(s, ['manifest', empty]);
    assert.equal(result.code, 2);
    assert.match(errorLine(result), /is a directory without an oci-layout file/);
  });
});
