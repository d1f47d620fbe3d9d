// `ferry pull` and `ferry push` with skopeo as the referee: what ferry writes (docker-archive,
// OCI tarball, OCI layout dir, stdout) skopeo must read with the generator's diff_ids and
// digests; what skopeo writes (docker-archive, oci-archive, oci: layout) ferry must push so the
// registry serves the same image; an archive that holds its image's manifest (ferry's own, a
// containerd export) is pushed with it. A failed pull leaves nothing behind.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateImage, type ImageSummary, readLayoutBlob, sha256 } from '../harness/images.js';
import { tarOf } from '../harness/layouts.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry, ferryBin } from '../harness/run-ferry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  runSkopeo,
  skopeoCopy,
  skopeoDigestAt,
  skopeoInspectConfig,
  skopeoInspectRaw,
} from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
const HOST_ARCH = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;

interface Config {
  architecture: string;
  os: string;
  rootfs: { diff_ids: string[] };
}

const configOf = async (ref: string): Promise<Config> =>
  JSON.parse((await skopeoInspectConfig(ref)).toString('utf8')) as Config;

describe('ferry pull / push', () => {
  let reg: Registry;
  let single: ImageSummary;
  let multi: ImageSummary;
  let work: string;

  before(async () => {
    [reg, single, multi, work] = await Promise.all([
      startRegistry('anonymous'),
      generateImage({ tag: 'v1', seed: 'pp-single', layers: [900, 300] }),
      generateImage({ tag: 'v1', seed: 'pp-multi', layers: [400], platforms: PLATFORMS }),
      makeTempDir('pull-push'),
    ]);
    await pushImage(reg, 'lab/single:v1', single);
    await pushImage(reg, 'lab/multi:v1', multi);
  });
  after(() => reg?.stop());

  const digestAt = (ref: string): Promise<string> => skopeoDigestAt(reg, ref);
  const platformOf = (platform: string) => {
    const found = multi.platforms.find((p) => p.platform === platform);
    assert.ok(found, platform);
    return found;
  };
  const fresh = async (name: string): Promise<string> => {
    const dir = join(work, name);
    await mkdir(dir);
    return dir;
  };

  describe('pull', () => {
    test('docker-archive (default format): skopeo reads it, diff_ids equal the generator', async () => {
      const dir = await fresh('docker-single');
      const file = join(dir, 'single.tar');
      const r = await ferry(['pull', `${reg.host}/lab/single:v1`, file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      await skopeoCopy(`docker-archive:${file}`, `oci:${join(dir, 'layout')}:t`);
      const config = await configOf(`docker-archive:${file}`);
      assert.deepEqual(
        config.rootfs.diff_ids,
        single.platforms[0]?.layers.map((l) => l.diffId),
      );
      assert.deepEqual((await readdir(dir)).sort(), ['layout', 'single.tar']);
    });

    test('from an index, the default pull picks the host platform and says so', async () => {
      const dir = await fresh('docker-host');
      const file = join(dir, 'multi.tar');
      const r = await ferry(['pull', `${reg.host}/lab/multi:v1`, file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`linux/${HOST_ARCH}`));
      const config = await configOf(`docker-archive:${file}`);
      assert.equal(config.architecture, HOST_ARCH);
      const expected = multi.platforms.find((p) => p.platform === `linux/${HOST_ARCH}`);
      if (expected)
        assert.deepEqual(
          config.rootfs.diff_ids,
          expected.layers.map((l) => l.diffId),
        );
    });

    test('--platform linux/arm64 picks that image', async () => {
      const dir = await fresh('docker-arm64');
      const file = join(dir, 'arm64.tar');
      const r = await ferry(['pull', '--platform', 'linux/arm64', `${reg.host}/lab/multi:v1`, file]);
      assert.equal(r.code, 0, r.stderr);
      const config = await configOf(`docker-archive:${file}`);
      assert.equal(config.architecture, 'arm64');
      assert.deepEqual(
        config.rootfs.diff_ids,
        platformOf('linux/arm64').layers.map((l) => l.diffId),
      );
    });

    test('--format oci: skopeo copies the oci-archive and reads the source index digest', async () => {
      const dir = await fresh('oci-archive');
      const file = join(dir, 'multi-oci.tar');
      const r = await ferry(['pull', '--format', 'oci', `${reg.host}/lab/multi:v1`, file]);
      assert.equal(r.code, 0, r.stderr);
      const raw = await runSkopeo(['inspect', '--raw', `oci-archive:${file}:v1`]);
      assert.equal(sha256(raw), multi.digest);
      await skopeoCopy(`oci-archive:${file}:v1`, `oci:${join(dir, 'layout')}:t`, {
        all: true,
        preserveDigests: true,
      });
    });

    test('--format oci-dir: an OCI layout skopeo reads, with the source index digest', async () => {
      const dir = await fresh('oci-dir');
      const layout = join(dir, 'layout');
      const r = await ferry(['pull', '--format', 'oci-dir', `${reg.host}/lab/multi:v1`, layout]);
      assert.equal(r.code, 0, r.stderr);
      const raw = await runSkopeo(['inspect', '--raw', `oci:${layout}:v1`]);
      assert.equal(sha256(raw), multi.digest);
      await skopeoCopy(`oci:${layout}:v1`, `oci:${join(dir, 'copy')}:t`, {
        all: true,
        preserveDigests: true,
      });
      const config = await configOf(`oci:${layout}:v1`);
      assert.equal(config.architecture, HOST_ARCH);
    });

    test('pull REF - writes the tar to stdout and nothing else', async () => {
      const dir = await fresh('stdout');
      const r = await ferry(['pull', `${reg.host}/lab/single:v1`, '-']);
      assert.equal(r.code, 0, r.stderr);
      // a tar: ustar magic at offset 257 of the first header, and ends in zero blocks
      assert.ok(
        r.stdoutBytes.length > 1024 && r.stdoutBytes.length % 512 === 0,
        `tar size ${r.stdoutBytes.length}`,
      );
      assert.equal(r.stdoutBytes.subarray(257, 262).toString('latin1'), 'ustar');
      const file = join(dir, 'from-stdout.tar');
      await writeFile(file, r.stdoutBytes);
      const config = await configOf(`docker-archive:${file}`);
      assert.deepEqual(
        config.rootfs.diff_ids,
        single.platforms[0]?.layers.map((l) => l.diffId),
      );
      assert.doesNotMatch(r.stderr, /ustar/);
    });

    test('pull REF - through the real binary: a tar on the stdout pipe, progress only on stderr', async () => {
      const dir = await fresh('stdout-bin');
      const r = await ferryBin(['pull', '--platform', 'linux/arm64', `${reg.host}/lab/multi:v1`, '-']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdoutBytes.subarray(257, 262).toString('latin1'), 'ustar');
      const file = join(dir, 'bin.tar');
      await writeFile(file, r.stdoutBytes);
      const config = await configOf(`docker-archive:${file}`);
      assert.equal(config.architecture, 'arm64');
      assert.deepEqual(
        config.rootfs.diff_ids,
        platformOf('linux/arm64').layers.map((l) => l.diffId),
      );
    });

    test('a pull of an unknown tag fails and leaves nothing in the target directory', async () => {
      const dir = await fresh('fail-tag');
      for (const format of ['docker', 'oci', 'oci-dir']) {
        const r = await ferry([
          'pull',
          '--format',
          format,
          `${reg.host}/lab/single:nope`,
          join(dir, `out-${format}`),
        ]);
        assert.notEqual(r.code, 0, format);
        assert.match(r.stderr, /^ferry: /, format);
        assert.deepEqual(await readdir(dir), [], `${format}: no output or temp file`);
      }
    });

    test('a tarball pulled onto an existing directory is refused before the first byte is fetched', async () => {
      const dir = await fresh('onto-dir');
      for (const format of ['docker', 'oci']) {
        const target = join(dir, `existing-${format}`);
        await mkdir(target);
        const before = reg.requests().length;
        const r = await ferry(['pull', '--format', format, `${reg.host}/lab/single:v1`, target]);
        assert.equal(r.code, 8, r.stderr);
        assert.match(r.stderr, /^ferry: .* is a directory; name a file to write the tarball to\n$/);
        await reg.waitForRequests(before);
        const blobs = reg
          .requests()
          .slice(before)
          .filter((q) => q.path.includes('/blobs/'));
        assert.deepEqual(blobs, [], `${format}: no blob fetched`);
        assert.deepEqual(await readdir(target), [], `${format}: the directory is left as it was`);
      }
    });

    test('a pull to stdout that fails writes nothing there', async () => {
      const r = await ferry(['pull', `${reg.host}/lab/single:nope`, '-']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', 'not even the start of a tar');
    });

    test('a pull into a missing directory fails cleanly', async () => {
      const dir = await fresh('fail-path');
      const r = await ferry(['pull', `${reg.host}/lab/single:v1`, join(dir, 'no', 'such', 'dir', 'x.tar')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^ferry: /);
      assert.deepEqual(await readdir(dir), []);
    });

    test('a pull of an unknown platform leaves nothing behind', async () => {
      const dir = await fresh('fail-platform');
      const r = await ferry([
        'pull',
        '--platform',
        'linux/s390x',
        `${reg.host}/lab/multi:v1`,
        join(dir, 'x.tar'),
      ]);
      assert.notEqual(r.code, 0);
      assert.deepEqual(await readdir(dir), []);
    });
  });

  describe('push (of what skopeo wrote)', () => {
    test('docker-archive: same layer count and diff_ids, skopeo copies the pushed image', async () => {
      const dir = await fresh('push-docker');
      const file = join(dir, 'x.tar');
      await skopeoCopy(single.ref, `docker-archive:${file}:lab/x:v1`);
      const r = await ferry(['push', file, `${reg.host}/pushed/docker:v1`]);
      assert.equal(r.code, 0, r.stderr);
      const manifest = JSON.parse(
        (await skopeoInspectRaw(dockerRef(reg, 'pushed/docker:v1'), registryAccess(reg))).toString('utf8'),
      ) as { layers: unknown[] };
      assert.equal(manifest.layers.length, single.platforms[0]?.layers.length);
      const config = JSON.parse(
        (await skopeoInspectConfig(dockerRef(reg, 'pushed/docker:v1'), registryAccess(reg))).toString('utf8'),
      ) as Config;
      assert.deepEqual(
        config.rootfs.diff_ids,
        single.platforms[0]?.layers.map((l) => l.diffId),
      );
      await skopeoCopy(dockerRef(reg, 'pushed/docker:v1'), `dir:${join(dir, 'out')}`, {
        src: registryAccess(reg),
      });
    });

    test('explicit docker-archive:FILE:REF', async () => {
      const dir = await fresh('push-docker-explicit');
      const file = join(dir, 'x.tar');
      await skopeoCopy(single.ref, `docker-archive:${file}:lab/x:v1`);
      const r = await ferry([
        'push',
        `docker-archive:${file}:lab/x:v1`,
        `${reg.host}/pushed/docker-explicit:v1`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      await skopeoCopy(dockerRef(reg, 'pushed/docker-explicit:v1'), `dir:${join(dir, 'out')}`, {
        src: registryAccess(reg),
      });
    });

    test('oci-archive (detected, and explicit oci-archive:FILE:TAG): digest equals the original', async () => {
      const dir = await fresh('push-oci-archive');
      const file = join(dir, 'x-oci.tar');
      await skopeoCopy(single.ref, `oci-archive:${file}:v1`, { preserveDigests: true });
      const r = await ferry(['push', file, `${reg.host}/pushed/oci-archive:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await digestAt('pushed/oci-archive:v1'), single.digest);
      const e = await ferry(['push', `oci-archive:${file}:v1`, `${reg.host}/pushed/oci-archive:v2`]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(await digestAt('pushed/oci-archive:v2'), single.digest);
    });

    test('oci: layout dir written by skopeo (detected, and explicit oci:DIR:TAG): digest kept', async () => {
      const dir = await fresh('push-oci-dir');
      const layout = join(dir, 'layout');
      await skopeoCopy(multi.ref, `oci:${layout}:v1`, { all: true, preserveDigests: true });
      const r = await ferry(['push', layout, `${reg.host}/pushed/oci-dir:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await digestAt('pushed/oci-dir:v1'), multi.digest);
      const e = await ferry(['push', `oci:${layout}:v1`, `${reg.host}/pushed/oci-dir:v2`]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(await digestAt('pushed/oci-dir:v2'), multi.digest);
      for (const p of multi.platforms)
        assert.equal(await digestAt(`pushed/oci-dir@${p.manifestDigest}`), p.manifestDigest);
    });

    test('pull then push round trip (docker-archive) keeps the digest: the archive holds the manifest', async () => {
      // ferry pull writes the image's manifest into the archive's OCI view (index.json); push read
      // manifest.json only and pushed a synthesized Docker manifest instead, a new digest and no note.
      const dir = await fresh('round-trip-docker');
      const file = join(dir, 'x.tar');
      const p = await ferry(['pull', `${reg.host}/lab/single:v1`, file]);
      assert.equal(p.code, 0, p.stderr);
      const d = await ferry(['digest', file]);
      assert.equal(d.stdout, `${single.digest}\n`, d.stderr);
      const r = await ferry(['push', file, `${reg.host}/round/docker:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /note:/);
      assert.equal(await digestAt('round/docker:v1'), single.digest);
    });

    test("a docker-archive shaped like containerd's export of one platform keeps that platform's manifest", async () => {
      // index.json names an index whose other platforms are not in the tar; the held manifest is
      // pretty-printed, as some writers store it, so no re-serialisation can hit its digest.
      const amd64 = platformOf('linux/amd64');
      const arm64 = platformOf('linux/arm64');
      const compact = await readLayoutBlob(multi.dir, amd64.manifestDigest);
      const pretty = Buffer.from(JSON.stringify(JSON.parse(compact.toString('utf8')), null, 3));
      const held = {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(pretty),
        size: pretty.length,
      };
      const list = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { ...held, platform: { architecture: 'amd64', os: 'linux' } },
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: arm64.manifestDigest,
              size: arm64.manifestSize,
              platform: { architecture: 'arm64', os: 'linux' },
            },
          ],
        }),
      );
      const blob = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
      const entries = [
        { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
        {
          name: 'index.json',
          content: JSON.stringify({
            schemaVersion: 2,
            manifests: [
              {
                mediaType: 'application/vnd.oci.image.index.v1+json',
                digest: sha256(list),
                size: list.length,
                annotations: { 'org.opencontainers.image.ref.name': 'v1' },
              },
            ],
          }),
        },
        { name: blob(sha256(list)), content: list },
        { name: blob(held.digest), content: pretty },
        { name: blob(amd64.configDigest), content: await readLayoutBlob(multi.dir, amd64.configDigest) },
        ...(await Promise.all(
          amd64.layers.map(async (l) => ({
            name: blob(l.digest),
            content: await readLayoutBlob(multi.dir, l.digest),
          })),
        )),
        {
          name: 'manifest.json',
          content: JSON.stringify([
            {
              Config: blob(amd64.configDigest),
              RepoTags: ['lab/multi:v1'],
              Layers: amd64.layers.map((l) => blob(l.digest)),
            },
          ]),
        },
      ];
      const file = join(await fresh('containerd-export'), 'export.tar');
      await writeFile(file, await tarOf(entries));
      const r = await ferry(['push', file, `${reg.host}/held/manifest:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await digestAt('held/manifest:v1'), held.digest);
      const raw = await skopeoInspectRaw(dockerRef(reg, 'held/manifest:v1'), registryAccess(reg));
      assert.ok(raw.equals(pretty), 'the held bytes, as they are');
    });

    test('pull then push round trip (oci-dir) keeps the digest', async () => {
      const dir = await fresh('round-trip');
      const layout = join(dir, 'layout');
      const p = await ferry(['pull', '--format', 'oci-dir', `${reg.host}/lab/multi:v1`, layout]);
      assert.equal(p.code, 0, p.stderr);
      const r = await ferry(['push', `oci:${layout}:v1`, `${reg.host}/round/trip:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await digestAt('round/trip:v1'), multi.digest);
    });
  });
});
