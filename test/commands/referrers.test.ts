// `ferry referrers`, and how ferry finds out and keeps referrers on registries that behave
// differently: Distribution 2.8 (no API: the referrers tag), the referrers API (the referrers
// proxy in front of a real registry), ECR's OCI-Subject header without the API, and GitLab's
// sha256-<hex> resolving to the image itself. Referrers are made with oras, the referee.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { orasAccess, orasAttach, orasDiscover, orasPush, orasTags, treeLines } from '../harness/oras.js';
import { type ReferrersProxy, startReferrersProxy } from '../harness/referrers-proxy.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const SBOM = 'application/spdx+json';
const SBOM_RE = 'application/spdx\\+json';
const SIG = 'application/vnd.example.signature.v1';
const COSIGN = 'application/vnd.dev.cosign.simplesigning.v1+json';

let files: string;
before(async () => {
  files = await makeTempDir('referrers-files');
  await writeFile(join(files, 'sbom.json'), '{"spdxVersion":"SPDX-2.3"}\n');
  await writeFile(join(files, 'app.sig'), 'a signature\n');
  await writeFile(join(files, 'payload.json'), '{"critical":{"image":{}}}\n');
});

const hexOf = (digest: string) => digest.slice('sha256:'.length);

/** REPO:v1 with an SBOM, a signature on the SBOM (oras attach) and a cosign-style .sig tag (oras push). */
async function seed(registry: Registry, host: string, repo: string, image: ImageSummary) {
  await pushImage(registry, `${repo}:v1`, image);
  const access = orasAccess(registry);
  const sbom = await orasAttach(`${host}/${repo}:v1`, ['sbom.json'], SBOM, access, {
    cwd: files,
    annotations: { 'org.example.kind': 'spdx' },
  });
  const sig = await orasAttach(`${host}/${repo}@${sbom.digest}`, ['app.sig'], SIG, access, { cwd: files });
  const cosign = await orasPush(
    `${host}/${repo}:sha256-${hexOf(image.digest)}.sig`,
    [`payload.json:${COSIGN}`],
    access,
    { cwd: files, artifactType: COSIGN },
  );
  return { sbom: sbom.digest, sig: sig.digest, cosign: cosign.digest };
}

describe('ferry referrers on a registry without the API (Distribution 2.8)', () => {
  let reg: Registry;
  let image: ImageSummary;
  let seeded: Awaited<ReturnType<typeof seed>>;

  before(async () => {
    reg = await startRegistry();
    image = await generateImage({ tag: 'v1', seed: 'referrers-cmd', layers: [200] });
    seeded = await seed(reg, reg.host, 'lab/app', image);
  });
  after(() => reg?.stop());

  test('lists each referrer with its type, digest, size and annotations; the cosign tag marked', async () => {
    const r = await ferry(['referrers', `${reg.host}/lab/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0]!, new RegExp(`^${SBOM_RE}  ${seeded.sbom}  \\d+  .*org\\.example\\.kind=spdx`));
    assert.match(
      lines[1]!,
      new RegExp(`${seeded.cosign}  \\d+  \\[cosign tag sha256-${hexOf(image.digest)}\\.sig\\]`),
    );
  });

  test('--tree shows the signature under the SBOM', async () => {
    const r = await ferry(['referrers', '--tree', `${reg.host}/lab/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `${reg.host}/lab/app:v1@${image.digest}`);
    assert.match(lines[1]!, new RegExp(`^├── ${SBOM_RE}  ${seeded.sbom}`));
    assert.match(lines[2]!, new RegExp(`^│   └── ${SIG}  ${seeded.sig}`));
    assert.match(lines[3]!, new RegExp(`^└── .*${seeded.cosign}`));
  });

  test('--artifact-type filters; --json and --format give the documented shape', async () => {
    const filtered = await ferry([
      'referrers',
      '--artifact-type',
      SBOM,
      '--format',
      '{{.Digest}} {{.Depth}} {{.LegacyTag}}',
      `${reg.host}/lab/app:v1`,
    ]);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.equal(filtered.stdout, `${seeded.sbom} 1 \n`);
    const json = await ferry(['referrers', '--tree', '--json', `${reg.host}/lab/app:v1`]);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { digest: string; referrers: Record<string, unknown>[] };
    assert.equal(doc.digest, image.digest);
    assert.deepEqual(
      doc.referrers.map((r) => [r['digest'], r['subject'], r['depth'], r['legacyTag']]),
      [
        [seeded.sbom, image.digest, 1, null],
        [seeded.sig, seeded.sbom, 2, null],
        [seeded.cosign, image.digest, 1, `sha256-${hexOf(image.digest)}.sig`],
      ],
    );
    assert.deepEqual(doc.referrers[0]!['annotations'], {
      'org.example.kind': 'spdx',
      ...(doc.referrers[0]!['annotations'] as object),
    });
  });

  test('what it costs: one referrers probe, one tag list, then one GET per tag that exists', async () => {
    await requestsDuring(reg, async () => {}); // the earlier tests' requests are all logged by now
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['referrers', `${reg.host}/lab/app:v1`]),
    );
    assert.equal(r.code, 0, r.stderr);
    const seen = requests.map((q) => `${q.method} ${q.path.replace(/sha256[:-][0-9a-f]{64}/g, 'D')}`);
    assert.deepEqual(
      seen.filter((s) => s.includes('/referrers/')),
      ['GET /v2/lab/app/referrers/D'],
    );
    assert.deepEqual(
      seen.filter((s) => s.includes('/tags/list')),
      ['GET /v2/lab/app/tags/list'],
    );
    assert.deepEqual(
      seen.filter((s) => s.includes('/manifests/')).sort(),
      [
        'GET /v2/lab/app/manifests/D',
        'GET /v2/lab/app/manifests/D.sig',
        'GET /v2/lab/app/manifests/v1',
      ].sort(),
      'the root, the referrers tag, the .sig tag: no HEAD for the .att and .sbom tags that do not exist',
    );
  });

  test('an image without referrers lists nothing; an unknown one is exit 1', async () => {
    await pushImage(reg, 'lab/bare:v1', image);
    const bare = await ferry(['referrers', `${reg.host}/lab/bare:v1`]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.equal(bare.stdout, '');
    const missing = await ferry(['referrers', `${reg.host}/lab/bare:nope`]);
    assert.equal(missing.code, 1);
    errorLine(missing);
  });
});

describe('a referrers tag that is not a referrers index (as GitLab serves it)', () => {
  let reg: Registry;
  let proxy: ReferrersProxy;
  let index: ImageSummary;

  before(async () => {
    reg = await startRegistry();
    proxy = await startReferrersProxy({ registry: reg, mode: 'subject-tag' });
    index = await generateImage({
      tag: 'v1',
      seed: 'referrers-gitlab',
      layers: [100],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    await pushImage(reg, 'lab/multi:v1', index);
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  test('a sha256-<hex> tag naming the image itself is not read as its referrers (its children are not)', async () => {
    const access = registryAccess(reg);
    await skopeoCopy(
      dockerRef(reg, 'lab/multi:v1'),
      dockerRef(reg, `lab/multi:sha256-${hexOf(index.digest)}`),
      {
        src: access,
        dest: access,
        all: true,
        preserveDigests: true,
      },
    );
    const r = await ferry(['referrers', '--json', `${reg.host}/lab/multi:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { referrers: unknown[] }).referrers, []);
  });

  test('--platform lists the referrers of that image of the index', async () => {
    const arm64 = index.platforms.find((p) => p.platform === 'linux/arm64');
    assert.ok(arm64, 'the index has an arm64 image');
    const r = await ferry(['referrers', '--platform', 'linux/arm64', '--json', `${reg.host}/lab/multi:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { digest: string }).digest, arm64.manifestDigest);
  });

  test('--platform is checked as manifest and digest check it: a platform the image lacks is exit 1', async () => {
    // An index without that platform, and a single image whose config states another: the single
    // image's referrers used to be listed whatever --platform said.
    const single = await generateImage({ tag: 'v1', seed: 'referrers-single-amd64', layers: [50] });
    await pushImage(reg, 'lab/single:v1', single);
    for (const [image, available] of [
      ['lab/multi:v1', 'linux/amd64, linux/arm64'],
      ['lab/single:v1', 'linux/amd64'],
    ] as const) {
      const r = await ferry(['referrers', '--platform', 'linux/s390x', `${reg.host}/${image}`]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^ferry: \\S*${image} has no image for platform linux/s390x \\(available: ${available}\\)\n$`,
        ),
      );
    }
    const r = await ferry(['referrers', '--platform', 'linux/amd64', '--json', `${reg.host}/lab/single:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { digest: string }).digest, single.digest);
  });

  test('attach there fails with one line (exit 7) and leaves that tag as it was', async () => {
    const r = await ferry([
      'attach',
      `${proxy.host}/lab/multi:v1`,
      join(files, 'sbom.json'),
      '--artifact-type',
      SBOM,
    ]);
    assert.equal(r.code, 7, r.stderr);
    const line = r.stderr.trim().split('\n').at(-1)!;
    assert.match(
      line,
      /^ferry: .*:sha256-[0-9a-f]{64} is not a referrers index \(it resolves to the subject itself\)/,
    );
    assert.deepEqual(
      proxy.log.filter((e) => e.method === 'PUT' && e.path.includes('/manifests/sha256-')),
      [],
      'the tag was not overwritten',
    );
  });
});

describe('finding out whether a registry serves the referrers API', () => {
  let reg: Registry;
  let api: ReferrersProxy;
  let headerOnly: ReferrersProxy;
  let image: ImageSummary;

  before(async () => {
    reg = await startRegistry();
    [api, headerOnly] = await Promise.all([
      startReferrersProxy({ registry: reg, mode: 'api', pageSize: 1 }),
      startReferrersProxy({ registry: reg, mode: 'header-only' }),
    ]);
    image = await generateImage({ tag: 'v1', seed: 'referrers-support', layers: [100] });
    await Promise.all([pushImage(reg, 'api/app:v1', image), pushImage(reg, 'ecr/app:v1', image)]);
  });
  after(async () => {
    await Promise.all([api?.close(), headerOnly?.close()]);
    await reg?.stop();
  });

  test('with the API: attach writes no referrers tag, and referrers reads every page', async () => {
    for (const name of ['a.sig', 'b.sig', 'c.sig']) await writeFile(join(files, name), name);
    for (const name of ['a.sig', 'b.sig', 'c.sig']) {
      const r = await ferry(['attach', `${api.host}/api/app:v1`, join(files, name), '--artifact-type', SIG]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(await orasTags(`${reg.host}/api/app`, orasAccess(reg)), ['v1']);
    const r = await ferry(['referrers', '--json', `${api.host}/api/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { referrers: unknown[] }).referrers.length, 3);
    const pages = api.log.filter((e) => e.method === 'GET' && e.path.startsWith('/v2/api/app/referrers/'));
    assert.ok(
      pages.some((e) => e.path.includes('page=2')),
      'the Link pages were followed',
    );
  });

  test('ECR sends OCI-Subject without serving the API: the probe says so, and the referrers tag is kept', async () => {
    const r = await ferry([
      'attach',
      `${headerOnly.host}/ecr/app:v1`,
      join(files, 'sbom.json'),
      '--artifact-type',
      SBOM,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      headerOnly.log.some(
        (e) => e.method === 'PUT' && e.path === `/v2/ecr/app/manifests/sha256-${hexOf(image.digest)}`,
      ),
      'the referrers tag was written',
    );
    const found = await orasDiscover([`${reg.host}/ecr/app:v1`], orasAccess(reg));
    assert.deepEqual(
      found.referrers.map((n) => n.artifactType),
      [SBOM],
    );
  });

  test('copy -r from a registry with the API to one without: the destination gets the referrers tag', async () => {
    const dst = await startRegistry();
    try {
      const r = await ferry(['copy', '-r', `${api.host}/api/app:v1`, `${dst.host}/mirror/app:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        (await orasTags(`${dst.host}/mirror/app`, orasAccess(dst))).includes(`sha256-${hexOf(image.digest)}`),
      );
      const found = await orasDiscover([`${dst.host}/mirror/app:v1`], orasAccess(dst));
      assert.equal(treeLines(found.referrers).length, 3);
    } finally {
      await dst.stop();
    }
  });
});

describe('copy -r and the cosign legacy tags; what a copy without -r costs', () => {
  let src: Registry;
  let dst: Registry;
  let image: ImageSummary;
  let seeded: Awaited<ReturnType<typeof seed>>;

  before(async () => {
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    image = await generateImage({ tag: 'v1', seed: 'referrers-cosign', layers: [150] });
    seeded = await seed(src, src.host, 'lab/app', image);
  });
  after(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  test('a cosign-style sha256-<hex>.sig tag travels with -r, under the same tag and digest', async () => {
    const r = await ferry(['copy', '-r', '--json', `${src.host}/lab/app:v1`, `${dst.host}/mirror/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { referrers: number; referrersLeft: number };
    assert.equal(doc.referrers, 3);
    assert.equal(doc.referrersLeft, 0);
    const listed = await ferry([
      'referrers',
      '--format',
      '{{.LegacyTag}} {{.Digest}}',
      `${dst.host}/mirror/app:v1`,
    ]);
    assert.match(listed.stdout, new RegExp(`sha256-${hexOf(image.digest)}\\.sig ${seeded.cosign}`));
  });

  test('a second copy -r sends no blob and puts no manifest: everything is there and kept', async () => {
    await requestsDuring(dst, async () => {}); // the first copy's requests are all logged by now
    const { value: r, requests } = await requestsDuring(dst, () =>
      ferry(['copy', '-r', `${src.host}/lab/app:v1`, `${dst.host}/mirror/app:v1`]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      requests
        .filter((q) => q.method === 'PUT' || q.method === 'POST' || q.method === 'PATCH')
        .map((q) => q.path),
      [],
    );
    assert.match(r.stderr, /already in step \(sha256:[0-9a-f]{64}\), with 3 referrers: nothing sent/);
  });

  test('without -r: one probe and one tag list on the source, and the count on stderr and in --json', async () => {
    await requestsDuring(src, async () => {}); // the earlier copies' requests are all logged by now
    const { value: r, requests } = await requestsDuring(src, () =>
      ferry(['copy', '--json', `${src.host}/lab/app:v1`, `${dst.host}/plain/app:v1`]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { referrersLeft: number }).referrersLeft,
      2,
      'the SBOM and the .sig',
    );
    assert.match(
      r.stderr,
      /note: 2 referrers \(signatures, SBOMs, attestations\) left behind: -r copies them/,
    );
    const extra = requests.filter((q) => q.path.includes('/referrers/') || q.path.includes('/tags/list'));
    assert.deepEqual(extra.map((q) => q.path.replace(/sha256:[0-9a-f]{64}/, 'D')).sort(), [
      '/v2/lab/app/referrers/D',
      '/v2/lab/app/tags/list',
    ]);
  });

  test('copy -a -r copies the images and leaves the sha256-… tags to travel with them', async () => {
    const r = await ferry(['copy', '-a', '-r', '--json', `${src.host}/lab/app`, `${dst.host}/all/app`]);
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as { destination: string }[];
    assert.deepEqual(
      items.map((i) => i.destination),
      [`docker://${dst.host}/all/app:v1`],
    );
    const tags = await orasTags(`${dst.host}/all/app`, orasAccess(dst));
    // The image's referrers tag, the SBOM's (its signature), the cosign tag, and the image's tag.
    assert.deepEqual(
      tags.sort(),
      [
        `sha256-${hexOf(image.digest)}`,
        `sha256-${hexOf(seeded.sbom)}`,
        `sha256-${hexOf(image.digest)}.sig`,
        'v1',
      ].sort(),
    );
  });

  test('-r into a docker-archive is refused before anything is fetched', async () => {
    const out = await makeTempDir('referrers-archive');
    const r = await ferry(['pull', '-r', `${src.host}/lab/app:v1`, join(out, 'app.tar')]);
    assert.equal(r.code, 2);
    assert.match(errorLine(r), /cannot hold referrers/);
    // copy's --format is a template: its hint names the destinations that keep them (it used to
    // say only "--format oci-dir or --format oci", which copy would print as a template).
    const copied = await ferry([
      'copy',
      '-r',
      `${src.host}/lab/app:v1`,
      `docker-archive:${join(out, 'c.tar')}`,
    ]);
    assert.equal(copied.code, 2);
    assert.match(
      errorLine(copied),
      /cannot hold referrers .*\(hint: an OCI layout or tarball keeps them: oci:DIR or oci-archive:FILE/,
    );
    assert.deepEqual(await readdir(out), []);
  });
});

describe('referrers on a token registry (credentials from --password-stdin)', () => {
  let reg: Registry;
  let image: ImageSummary;

  before(async () => {
    reg = await startRegistry('token');
    image = await generateImage({ tag: 'v1', seed: 'referrers-token', layers: [100] });
    await pushImage(reg, 'lab/app:v1', image);
  });
  after(() => reg?.stop());

  test('attach, referrers and copy -r within the registry', async () => {
    const auth = ['-u', 'alice', '--password-stdin'];
    const run = (args: string[]) => ferry([...auth, ...args], { stdin: 's3cret\n' });
    const attached = await run([
      'attach',
      `${reg.host}/lab/app:v1`,
      join(files, 'sbom.json'),
      '--artifact-type',
      SBOM,
      '--format',
      '{{.Digest}}',
    ]);
    assert.equal(attached.code, 0, attached.stderr);
    const listed = await run(['referrers', '--format', '{{.Digest}}', `${reg.host}/lab/app:v1`]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, attached.stdout);
    const copied = await run(['copy', '-r', `${reg.host}/lab/app:v1`, `${reg.host}/mirror/app:v1`]);
    assert.equal(copied.code, 0, copied.stderr);
    const there = await run(['referrers', '--format', '{{.Digest}}', `${reg.host}/mirror/app:v1`]);
    assert.equal(there.stdout, attached.stdout);
  });
});
