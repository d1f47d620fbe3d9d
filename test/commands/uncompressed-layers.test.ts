// Images whose layers are plain tars (`…layer.v1.tar`, Docker `…rootfs.diff.tar`), single and
// multi-platform, OCI and Docker media types. Such an image is published as it is, so every pull,
// push and copy keeps every byte and digest: ferry used to gzip the layers on the way into a
// registry or an OCI layout and then put the index's original bytes, naming children the
// destination never got (MANIFEST_BLOB_UNKNOWN, or a layout whose index.json named missing
// blobs, with exit 0). skopeo reads every result back. A docker-archive's plain tars are the one
// case that is compressed by default (as `docker push` does), and that is said.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { craneDigest, cranePush } from '../harness/crane.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy, skopeoInspectRaw } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const FIXTURES = [
  { name: 'OCI index', docker: false, platforms: ['linux/amd64', 'linux/arm64'] },
  { name: 'Docker manifest list', docker: true, platforms: ['linux/amd64', 'linux/arm64'] },
  { name: 'OCI image', docker: false, platforms: ['linux/amd64'] },
  { name: 'Docker image', docker: true, platforms: ['linux/amd64'] },
] as const;

const sha = (text: string) => /sha256:[0-9a-f]{64}/.exec(text)?.[0];

describe('images with uncompressed layers keep every digest', () => {
  let reg: Registry;
  let work: string;
  const images = new Map<string, ImageSummary>();

  before(async () => {
    reg = await startRegistry();
    work = await makeTempDir('uncompressed');
    for (const [i, fixture] of FIXTURES.entries()) {
      const image = await generateImage({
        tag: 'v1',
        seed: `plain-${i}`,
        platforms: [...fixture.platforms],
        layers: [3000, 70_000],
        uncompressed: true,
        docker: fixture.docker,
      });
      images.set(fixture.name, image);
      // skopeo 1.9 reads an OCI layout's OCI entries only; crane pushes any media type as it is.
      if (fixture.docker) await cranePush(image.dir, `${reg.host}/src/plain-${i}:v1`);
      else await pushImage(reg, `src/plain-${i}:v1`, image, { preserveDigests: true });
    }
  });
  after(() => reg?.stop());

  /**
   * The digest of what skopeo reads at a registry reference, after skopeo has copied it whole to
   * a `dir:` (every blob fetched and checked against its digest, any media types).
   */
  async function readBack(ref: string, dir: string, registry = reg): Promise<string> {
    const raw = await skopeoInspectRaw(ref, registryAccess(registry));
    await skopeoCopy(ref, `dir:${dir}`, { all: true, src: registryAccess(registry), preserveDigests: true });
    return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  }

  for (const [i, fixture] of FIXTURES.entries()) {
    describe(fixture.name, () => {
      const image = () => images.get(fixture.name)!;

      test('push from the OCI layout: the registry gets the same digest and skopeo reads it all', async () => {
        const r = await ferry(['push', `oci:${image().dir}:v1`, `${reg.host}/push/plain-${i}:v1`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(sha(r.stderr.split('\n').at(-2) ?? ''), image().digest, r.stderr);
        assert.doesNotMatch(r.stderr, /note:/, 'nothing changed, so nothing is said');
        const dir = join(work, `push-${i}`);
        assert.equal(await readBack(dockerRef(reg, `push/plain-${i}:v1`), dir), image().digest);
      });

      test('copy between repositories of two registries keeps the digest', async () => {
        const other = await startRegistry();
        try {
          const r = await ferry([
            'copy',
            `${reg.host}/src/plain-${i}:v1`,
            `${other.host}/copy/plain-${i}:v1`,
          ]);
          assert.equal(r.code, 0, r.stderr);
          const ref = dockerRef(other, `copy/plain-${i}:v1`);
          assert.equal(await readBack(ref, join(work, `copy-${i}`), other), image().digest);
        } finally {
          await other.stop();
        }
      });

      test('pull --format oci-dir: every child in blobs/, and skopeo copies the layout back whole', async () => {
        const dir = join(work, `pull-dir-${i}`);
        const r = await ferry(['pull', '--format', 'oci-dir', `${reg.host}/src/plain-${i}:v1`, dir]);
        assert.equal(r.code, 0, r.stderr);
        const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
          manifests: { digest: string }[];
        };
        assert.deepEqual(
          index.manifests.map((m) => m.digest),
          [image().digest],
        );
        for (const p of image().platforms) {
          for (const digest of [p.manifestDigest, p.configDigest, ...p.layers.map((l) => l.digest)])
            await readFile(join(dir, 'blobs', 'sha256', digest.slice(7)));
        }
        // Back to a registry by a peer, byte for byte: skopeo for OCI media types, crane for
        // Docker ones (skopeo 1.9 reads only OCI entries of a layout's index.json).
        if (fixture.docker) {
          await cranePush(dir, `${reg.host}/back/plain-${i}:v1`);
          assert.equal(await craneDigest(`${reg.host}/back/plain-${i}:v1`), image().digest);
        } else {
          const back = await skopeoCopy(`oci:${dir}:v1`, dockerRef(reg, `back/plain-${i}:v1`), {
            all: true,
            dest: registryAccess(reg),
            preserveDigests: true,
          });
          assert.equal(back.digest, image().digest);
        }
      });

      test('one platform pulled as oci-dir, oci and docker-archive has one digest', async () => {
        const platform = fixture.platforms[0];
        const want = image().platforms[0]!.manifestDigest;
        const digests: string[] = [];
        for (const format of ['oci-dir', 'oci', 'docker']) {
          const out = join(work, `one-${i}-${format}${format === 'oci-dir' ? '' : '.tar'}`);
          const r = await ferry([
            'pull',
            '--json',
            '--format',
            format,
            '--platform',
            platform,
            `${reg.host}/src/plain-${i}:v1`,
            out,
          ]);
          assert.equal(r.code, 0, r.stderr);
          digests.push((JSON.parse(r.stdout) as { digest: string }).digest);
        }
        assert.deepEqual(digests, [want, want, want]);
      });
    });
  }

  describe('a docker-archive (plain tars because docker save writes them so)', () => {
    let archive: string;
    before(async () => {
      archive = join(work, 'saved.tar');
      // skopeo writes a docker-archive as `docker save` does: plain-tar layers.
      await skopeoCopy(`oci:${images.get('OCI image')!.dir}:v1`, `docker-archive:${archive}:saved:v1`);
    });

    test("is gzip'd for a registry by default, and the change is said", async () => {
      const r = await ferry(['push', '--json', archive, `${reg.host}/saved/default:v1`]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as {
        digest: string;
        sourceDigest: string;
        changes: { kind: string; to: { mediaType: string } }[];
      };
      assert.notEqual(summary.digest, summary.sourceDigest);
      assert.equal(summary.changes.filter((c) => c.kind === 'compressed').length, 2);
      assert.ok(
        summary.changes.every((c) => c.kind !== 'compressed' || c.to.mediaType.endsWith('.tar.gzip')),
      );
      // One reason, said once: it read "(… compressed (--compress none keeps them); its layers were compressed)".
      assert.match(
        r.stderr,
        /^note: 2 layers gzip'd on the way \(the archive holds plain tars, which a registry should get compressed; --compress none keeps them\): the digest there is sha256:[0-9a-f]{64}, not the source's sha256:[0-9a-f]{64}$/m,
      );
      assert.equal(
        await readBack(dockerRef(reg, 'saved/default:v1'), join(work, 'saved-default')),
        summary.digest,
      );
    });

    test('a re-push of the same archive uploads no layer: their gzip comes out with the same digests', async () => {
      const before = reg.requests().length;
      const r = await ferry(['push', '--json', archive, `${reg.host}/saved/default:v1`]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as {
        copied: number;
        skipped: number;
        bytes: number;
        outcome: string;
      };
      assert.equal(summary.copied, 0);
      assert.equal(summary.bytes, 0);
      await reg.waitForRequests(before);
      const uploads = reg
        .requests()
        .slice(before)
        .filter((q) => q.path.includes('/blobs/uploads/'));
      assert.deepEqual(uploads, [], 'no upload session opened');
    });

    test('--preserve-digests and --compress none keep the plain tars (the digests of the archive)', async () => {
      for (const flag of ['--preserve-digests', '--compress=none']) {
        const target = `saved/${flag.replace(/\W+/g, '')}:v1`;
        const r = await ferry(['push', '--json', flag, archive, `${reg.host}/${target}`]);
        assert.equal(r.code, 0, r.stderr);
        const summary = JSON.parse(r.stdout) as { digest: string; sourceDigest: string; changes: unknown[] };
        assert.equal(summary.digest, summary.sourceDigest, flag);
        assert.deepEqual(summary.changes, []);
        assert.doesNotMatch(r.stderr, /note:/);
        await readBack(dockerRef(reg, target), join(work, `saved-${flag.replace(/\W+/g, '')}`));
      }
    });

    test('a default push after one with --compress none gzips the layers: the plain tag is not "in step"', async () => {
      const target = `${reg.host}/saved/after-none:v1`;
      const plain = await ferry(['push', '--json', '--compress=none', archive, target]);
      assert.equal(plain.code, 0, plain.stderr);
      const before = JSON.parse(plain.stdout) as { digest: string; sourceDigest: string };
      assert.equal(before.digest, before.sourceDigest);
      const r = await ferry(['push', '--json', archive, target]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as {
        digest: string;
        sourceDigest: string;
        outcome: string;
        changes: { kind: string }[];
      };
      assert.equal(summary.outcome, 'copied', r.stderr);
      assert.notEqual(summary.digest, summary.sourceDigest);
      assert.equal(summary.changes.filter((c) => c.kind === 'compressed').length, 2);
      assert.equal(
        await readBack(dockerRef(reg, 'saved/after-none:v1'), join(work, 'saved-after-none')),
        summary.digest,
        "the tag names the gzip'd image",
      );
    });

    test('--preserve-digests with --compress gzip is refused before anything is sent', async () => {
      const r = await ferry([
        'push',
        '--preserve-digests',
        '--compress',
        'gzip',
        archive,
        `${reg.host}/saved/both:v1`,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /^ferry: --compress gzip changes layer digests, which --preserve-digests forbids\n$/,
      );
      const pushed = reg
        .requests()
        .filter((q) => q.path.startsWith('/v2/saved/both/') && q.method !== 'HEAD');
      assert.deepEqual(pushed, []);
    });
  });
});
