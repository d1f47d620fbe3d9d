// `ferry sync` against real registries: a mistake in the file costs no request; --dry-run
// prints the plan and writes nothing; a cold mirror copies every planned tag with the source's
// digest (skopeo and crane as referees); the tag rules (allow, deny, semver, latest) on a
// repository with many tags; a re-run in step costs one listing per repository and one manifest
// HEAD per tag on each side and uploads nothing (the registries' own logs); shards are disjoint
// and together the whole plan; Basic and token registries on either side.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { craneDigest } from '../harness/crane.js';
import { requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { orasAccess, orasAttach, orasDiscover, orasPush, orasTags } from '../harness/oras.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import type { RegistryRequest } from '../harness/registry-log.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  skopeoDigestAt,
  skopeoInspectRaw,
  skopeoListTags,
} from '../harness/skopeo.js';
import { syncRecords, writeSyncFile } from '../harness/sync.js';
import { makeTempDir } from '../harness/tmp.js';

const MANY_TAGS = [
  '1.0.0',
  '1.2.0',
  '1.2.1',
  '1.10.0',
  '2.0.0-rc1',
  '2.0.0',
  '2.1.0',
  '3.0.0',
  'latest',
  'edge',
];
/** What allow ^\d, deny -rc, semver >=1.2.0 <3 and latest 3 leave of MANY_TAGS. */
const MANY_KEPT = ['1.10.0', '2.0.0', '2.1.0'];
const FLEET = Array.from({ length: 10 }, (_, i) => `fleet/r${String(i).padStart(2, '0')}`);

let dir: string;

const syncFile = (text: string): Promise<string> => writeSyncFile(dir, text);

/** Requests by kind: what a re-run may and may not send. */
function tally(requests: readonly RegistryRequest[]) {
  const count = (method: string, re: RegExp) =>
    requests.filter((r) => r.method === method && re.test(r.path)).length;
  return {
    tagLists: count('GET', /\/tags\/list$/),
    catalogs: count('GET', /^\/v2\/_catalog$/),
    manifestHeads: count('HEAD', /\/manifests\//),
    manifestGets: count('GET', /\/manifests\//),
    blobGets: count('GET', /\/blobs\//),
    writes: requests.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)).length,
  };
}

describe('ferry sync', () => {
  let src: Registry;
  let dst: Registry;
  let app: ImageSummary;
  let tools: ImageSummary;
  let multi: ImageSummary;
  let main: string;

  before(async () => {
    dir = await makeTempDir('sync');
    [src, dst] = await Promise.all([startRegistry('anonymous'), startRegistry('anonymous')]);
    [app, tools, multi] = await Promise.all([
      generateImage({ tag: 'v1', seed: 'sync-app', layers: [300, 200] }),
      generateImage({ tag: 'v1', seed: 'sync-tools', layers: [250] }),
      generateImage({
        tag: 'v1',
        seed: 'sync-multi',
        layers: [150],
        platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      }),
    ]);
    await Promise.all([
      (async () => {
        await pushImage(src, 'org/app:v1.0.0', app);
        await pushImage(src, 'org/app:v1.1.0', app);
      })(),
      pushImage(src, 'org/multi:v1', multi),
      pushImage(src, 'org/tools:1.0', tools),
      pushImage(src, `lab/many:${MANY_TAGS[0]}`, tools),
    ]);
    // More tags and repositories without more pushes: tags re-put the manifest, copies mount.
    for (const tag of MANY_TAGS.slice(1)) {
      const r = await ferry(['tag', `${src.host}/lab/many:${MANY_TAGS[0]}`, tag]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const repo of FLEET) {
      const r = await ferry(['copy', `${src.host}/org/tools:1.0`, `${src.host}/${repo}:v1`]);
      assert.equal(r.code, 0, r.stderr);
    }
    main = await syncFile(`
sync:
  - type: registry
    source: ${src.host}/org
    target: ${dst.host}/mirror/org
  - type: repository
    source: ${src.host}/lab/many
    target: ${dst.host}/mirror/many
    tags:
      allow: ['^\\d']
      deny: ['-rc']
      semver: '>=1.2.0 <3'
      latest: 3
  - type: image
    source: ${src.host}/org/multi:v1
    target: ${dst.host}/narrow/multi:v1
    platforms: [linux/amd64, linux/arm64]
`);
  });
  after(() => Promise.all([src?.stop(), dst?.stop()]));

  test('a mistake in the file: exit 2, one line naming the entry and key, and no request', async () => {
    const bad = await syncFile(`
sync:
  - type: repository
    source: ${src.host}/org/app
    target: ${dst.host}/mirror/app
    tags:
      deny: ['(rc']
`);
    const { value: r, requests } = await requestsDuring(src, () => ferry(['sync', bad]));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(
        `^ferry: ${bad.replaceAll('/', '\\/')} line 7: sync\\[0\\] \\(${src.host}/org/app\\): tags\\.deny\\[0\\]: '\\(rc' is not a valid regular expression [^\\n]*\\n$`,
      ),
    );
    assert.deepEqual(requests, [], 'nothing asked of the source');
  });

  test('--dry-run prints the plan and leaves the destination empty', async () => {
    const { value: r, requests } = await requestsDuring(dst, () => ferry(['sync', '--dry-run', main]));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(
      lines.includes(`copy      ${src.host}/org/app:v1.0.0 → ${dst.host}/mirror/org/app:v1.0.0`),
      r.stdout,
    );
    assert.ok(lines.includes(`copy      ${src.host}/org/multi:v1 → ${dst.host}/narrow/multi:v1`), r.stdout);
    assert.ok(
      lines.includes(
        `filtered  ${src.host}/lab/many:2.0.0-rc1 → ${dst.host}/mirror/many:2.0.0-rc1 (matches deny pattern '-rc')`,
      ),
      r.stdout,
    );
    // 2 app + multi + tools + 3 of lab/many + the narrowed multi; the other 7 of lab/many filtered
    assert.equal(lines.filter((l) => l.startsWith('copy ')).length, 8, r.stdout);
    assert.equal(lines.filter((l) => l.startsWith('filtered ')).length, 7, r.stdout);
    assert.match(
      r.stderr,
      /dry run: 15 images: 8 to copy, 0 in step, 7 filtered, 0 failed in .*; nothing was written\n$/,
    );
    assert.deepEqual(
      requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD'),
      [],
      'only reads reached the destination',
    );
    const catalog = await ferry(['catalog', '--json', dst.host]);
    assert.deepEqual(JSON.parse(catalog.stdout).repositories, []);
  });

  test('a cold mirror: every planned tag copied with the source digest (skopeo and crane agree)', async () => {
    let srcRequests: RegistryRequest[] = [];
    const { value: r, requests } = await requestsDuring(dst, async () => {
      const inner = await requestsDuring(src, () => ferry(['sync', '--json', main]));
      srcRequests = inner.requests;
      return inner.value;
    });
    assert.equal(r.code, 0, r.stderr);
    // The referrers left behind are counted; whether the source serves the referrers API is
    // asked once per repository (org/app, org/multi, org/tools, lab/many), however many of its
    // images are copied side by side.
    const probes = srcRequests.filter((q) => q.method === 'GET' && /\/referrers\//.test(q.path));
    assert.deepEqual([...new Set(probes.map((q) => q.path.replace(/\/referrers\/.*/, '')))].sort(), [
      '/v2/lab/many',
      '/v2/org/app',
      '/v2/org/multi',
      '/v2/org/tools',
    ]);
    assert.equal(probes.length, 4, probes.map((q) => q.path).join('\n'));
    // Each source repository is listed once: the plan's listing also answers which referrers
    // tags exist.
    assert.equal(tally(srcRequests).tagLists, 4);
    // One manifest HEAD per planned tag at the destination (the in-step check); the engine takes
    // its 404 as the answer instead of asking again. (Children are looked up by digest.)
    const tagHeads = requests.filter((q) => q.method === 'HEAD' && /\/manifests\/(?!sha256:)/.test(q.path));
    assert.equal(tagHeads.length, 8, tagHeads.map((q) => q.path).join('\n'));
    const got = syncRecords(r);
    assert.deepEqual(
      got.map((g) => g.outcome).sort(),
      [...Array(8).fill('copied'), ...Array(7).fill('filtered')].sort(),
    );
    const expected: [string, string][] = [
      ['mirror/org/app:v1.0.0', app.digest],
      ['mirror/org/app:v1.1.0', app.digest],
      ['mirror/org/multi:v1', multi.digest],
      ['mirror/org/tools:1.0', tools.digest],
      ...MANY_KEPT.map((t): [string, string] => [`mirror/many:${t}`, tools.digest]),
    ];
    for (const [ref, digest] of expected) {
      assert.equal(await skopeoDigestAt(dst, ref), digest, `skopeo: ${ref}`);
      assert.equal(await craneDigest(`${dst.host}/${ref}`), digest, `crane: ${ref}`);
    }
    assert.deepEqual(
      (await skopeoListTags(dockerRef(dst, 'mirror/many'), registryAccess(dst))).sort(),
      MANY_KEPT,
    );
    // The narrowed image is a new index of the two platforms asked for, said in the record.
    const narrowed = got.find((g) => g.destination.endsWith('/narrow/multi:v1'));
    assert.equal(narrowed?.sourceDigest, multi.digest);
    assert.notEqual(narrowed?.digest, multi.digest);
    const index = JSON.parse(
      (await skopeoInspectRaw(dockerRef(dst, 'narrow/multi:v1'), registryAccess(dst))).toString(),
    );
    assert.deepEqual(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
      ['amd64', 'arm64'],
    );
    assert.equal(await craneDigest(`${dst.host}/narrow/multi:v1`), narrowed?.digest);
    const filtered = got.filter((g) => g.outcome === 'filtered');
    assert.deepEqual(Object.fromEntries(filtered.map((g) => [g.source.split(':').at(-1), g.reason])), {
      '1.0.0': "outside semver '>=1.2.0 <3'",
      '1.2.0': 'not among the latest 3',
      '1.2.1': 'not among the latest 3',
      '2.0.0-rc1': "matches deny pattern '-rc'",
      '3.0.0': "outside semver '>=1.2.0 <3'",
      latest: 'matches no allow pattern',
      edge: 'matches no allow pattern',
    });
  });

  test('a re-run in step: one listing per repository, one manifest HEAD per tag a side, no upload', async () => {
    let srcRequests: RegistryRequest[] = [];
    const { value: r, requests: dstRequests } = await requestsDuring(dst, async () => {
      const inner = await requestsDuring(src, () => ferry(['sync', '--json', main]));
      srcRequests = inner.requests;
      return inner.value;
    });
    assert.equal(r.code, 0, r.stderr);
    const got = syncRecords(r);
    assert.equal(got.filter((g) => g.outcome === 'in-step').length, 8);
    assert.equal(got.filter((g) => g.outcome === 'filtered').length, 7);
    assert.match(r.stderr, /^15 images: 0 copied, 8 in step, 7 filtered, 0 failed in /m);
    // Source: the catalog once, org/app, org/multi, org/tools and lab/many listed once each, one
    // HEAD per tag; the narrowed image's index is read (one GET): only the source's index tells
    // which new index the platforms make of it.
    assert.deepEqual(tally(srcRequests), {
      tagLists: 4,
      catalogs: 1,
      manifestHeads: 8,
      manifestGets: 1,
      blobGets: 0,
      writes: 0,
    });
    assert.deepEqual(tally(dstRequests), {
      tagLists: 0,
      catalogs: 0,
      manifestHeads: 8,
      manifestGets: 0,
      blobGets: 0,
      writes: 0,
    });
  });

  test('an image entry by digest: stored by digest (no tag), then found in step', async () => {
    const file = await syncFile(
      `sync:\n  - {type: image, source: '${src.host}/org/tools@${tools.digest}', target: '${dst.host}/pinned/tools'}\n`,
    );
    const first = await ferry(['sync', '--json', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(syncRecords(first)[0]?.outcome, 'copied');
    assert.equal(await skopeoDigestAt(dst, `pinned/tools@${tools.digest}`), tools.digest);
    const tags = await skopeoListTags(dockerRef(dst, 'pinned/tools'), registryAccess(dst)).catch(() => []);
    assert.deepEqual(tags, [], 'no tag at the destination');
    const again = await ferry(['sync', '--json', file]);
    assert.equal(syncRecords(again)[0]?.outcome, 'in-step');
  });

  test('shards: pairwise disjoint by repository, and together the whole plan', async () => {
    const file = await syncFile(`
sync:
  - type: registry
    source: ${src.host}/fleet
    target: ${dst.host}/fleet
  - type: image
    source: ${src.host}/org/tools:1.0
    target: ${dst.host}/single/tools:1.0
`);
    const plan = async (...args: string[]) => {
      const r = await ferry(['sync', '--dry-run', '--json', ...args, file]);
      assert.equal(r.code, 0, r.stderr);
      return syncRecords(r).map((g) => g.source);
    };
    const whole = await plan();
    assert.equal(whole.length, FLEET.length + 1);
    const count = 3;
    const shards: string[][] = [];
    for (let i = 0; i < count; i++) shards.push(await plan('--shard', `${i}/${count}`));
    const repository = (source: string) => source.replace(/^docker:\/\//, '').replace(/:[^:/]+$/, '');
    for (let i = 0; i < count; i++)
      for (let j = i + 1; j < count; j++) {
        const shared = shards[i]!.map(repository).filter((x) => shards[j]!.map(repository).includes(x));
        assert.deepEqual(shared, [], `shards ${i} and ${j} share no repository`);
      }
    assert.deepEqual(shards.flat().sort(), [...whole].sort(), 'the union is the whole plan');
    assert.ok(shards.filter((s) => s.length > 0).length >= 2, 'the work is spread');

    const filtered = await plan('--filter', 'fleet/r0[0-4]');
    assert.deepEqual(
      filtered.map(repository).sort(),
      FLEET.slice(0, 5).map((r) => `${src.host}/${r}`),
    );
    const bad = await ferry(['sync', '--shard', '3/3', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ferry: --shard must be I\/N/);
  });
});

describe('ferry sync between Basic and token registries', () => {
  let basic: Registry;
  let token: Registry;
  let image: ImageSummary;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir ??= await makeTempDir('sync');
    [basic, token] = await Promise.all([startRegistry('basic'), startRegistry('token')]);
    image = await generateImage({ tag: 'v1', seed: 'sync-auth', layers: [400] });
    await Promise.all([pushImage(basic, 'team/app:v1', image), pushImage(token, 'team/app:v2', image)]);
    const config = await makeTempDir('sync-docker-config');
    const auth = (r: Registry) => Buffer.from(r.creds()).toString('base64');
    await writeFile(
      join(config, 'config.json'),
      JSON.stringify({ auths: { [basic.host]: { auth: auth(basic) }, [token.host]: { auth: auth(token) } } }),
    );
    env = baseEnv({ DOCKER_CONFIG: config });
  });
  after(() => Promise.all([basic?.stop(), token?.stop()]));

  for (const direction of ['basic → token', 'token → basic'] as const) {
    test(`${direction}: credentials from the docker config on each side`, async () => {
      const [from, to, tag] = direction === 'basic → token' ? [basic, token, 'v1'] : [token, basic, 'v2'];
      const file = await syncFile(
        `sync:\n  - type: repository\n    source: ${from.host}/team/app\n    target: ${to.host}/mirror/app\n`,
      );
      const r = await ferry(['sync', file], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await skopeoDigestAt(to, `mirror/app:${tag}`), image.digest);
      assert.equal(
        await craneDigest(`${to.host}/mirror/app:${tag}`, { dockerConfig: env['DOCKER_CONFIG']! }),
        image.digest,
      );
      const again = await ferry(['sync', file], { env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /1 image: 0 copied, 1 in step/);
    });
  }
});

describe('ferry sync with referrers: true (signatures and SBOMs go with their images)', () => {
  const SBOM = 'application/spdx+json';
  const SIG = 'application/vnd.example.signature.v1';
  const COSIGN = 'application/vnd.dev.cosign.simplesigning.v1+json';
  let src: Registry;
  let dst: Registry;
  let image: ImageSummary;
  let files: string;
  let file: string;
  let sbom: string;
  let cosignTag: string;
  let cosign: string;

  before(async () => {
    files = await makeTempDir('sync-referrers');
    await writeFile(join(files, 'sbom.json'), '{"spdxVersion":"SPDX-2.3"}\n');
    await writeFile(join(files, 'app.sig'), 'a signature\n');
    await writeFile(join(files, 'payload.json'), '{"critical":{"image":{}}}\n');
    [src, dst] = await Promise.all([startRegistry('anonymous'), startRegistry('anonymous')]);
    image = await generateImage({ tag: 'v1', seed: 'sync-referrers', layers: [120] });
    await pushImage(src, 'signed/app:v1', image);
    const access = orasAccess(src);
    sbom = (await orasAttach(`${src.host}/signed/app:v1`, ['sbom.json'], SBOM, access, { cwd: files }))
      .digest;
    cosignTag = `sha256-${image.digest.slice('sha256:'.length)}.sig`;
    cosign = (
      await orasPush(`${src.host}/signed/app:${cosignTag}`, [`payload.json:${COSIGN}`], access, {
        cwd: files,
        artifactType: COSIGN,
      })
    ).digest;
    file = join(files, 'mirror.yaml');
    await writeFile(
      file,
      `defaults:\n  referrers: true\nsync:\n  - {type: repository, source: '${src.host}/signed/app', target: '${dst.host}/mirror/app'}\n`,
    );
  });
  after(() => Promise.all([src?.stop(), dst?.stop()]));

  test('the image is copied with its referrers; the referrers tags travel with it, not as images', async () => {
    const r = await ferry(['sync', '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    const byDestination = new Map(syncRecords(r).map((x) => [x.destination.split(':').at(-1), x]));
    assert.equal(byDestination.get('v1')?.outcome, 'copied');
    assert.equal(byDestination.get('v1')?.digest, image.digest);
    for (const tag of (await orasTags(`${src.host}/signed/app`, orasAccess(src))).filter((t) =>
      t.startsWith('sha256-'),
    )) {
      assert.equal(byDestination.get(tag)?.outcome, 'filtered', tag);
      assert.match(byDestination.get(tag)?.reason ?? '', /referrers tag/);
    }
    // oras (the referee) finds both on the mirror: the SBOM by the referrers tag, the cosign tag as is.
    const found = await orasDiscover([`${dst.host}/mirror/app:v1`], orasAccess(dst));
    assert.deepEqual(
      found.referrers.map((x) => x.digest),
      [sbom],
    );
    const tags = await orasTags(`${dst.host}/mirror/app`, orasAccess(dst));
    assert.ok(tags.includes(cosignTag), tags.join(' '));
    assert.equal(await skopeoDigestAt(dst, `mirror/app:${cosignTag}`), cosign);
  });

  test('a signature added later reaches the mirror on the next run, and the image is in step', async () => {
    const sig = await orasAttach(`${src.host}/signed/app:v1`, ['app.sig'], SIG, orasAccess(src), {
      cwd: files,
    });
    await requestsDuring(dst, async () => {}); // the first run's requests are all logged by now
    const { value: r, requests } = await requestsDuring(dst, () => ferry(['sync', '--json', file]));
    assert.equal(r.code, 0, r.stderr);
    const v1 = syncRecords(r).find((x) => x.destination.endsWith(':v1'));
    assert.equal(v1?.outcome, 'in-step');
    const found = await orasDiscover([`${dst.host}/mirror/app:v1`], orasAccess(dst));
    assert.deepEqual(found.referrers.map((x) => x.digest).sort(), [sbom, sig.digest].sort());
    // The image's layer and config were not sent again: the only uploads are the signature's.
    const uploads = requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'));
    assert.ok(uploads.length <= 2, `${uploads.length} uploads: ${uploads.map((q) => q.path).join(' ')}`);
  });

  test('with platforms too, an image in step is found in step: nothing is put again', async () => {
    const index = await generateImage({
      tag: 'multi',
      seed: 'sync-referrers-multi',
      layers: [90],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    await pushImage(src, 'signed/multi:v1', index);
    const amd64 = index.platforms.find((p) => p.platform === 'linux/amd64')!.manifestDigest;
    const sig = await orasAttach(`${src.host}/signed/multi@${amd64}`, ['app.sig'], SIG, orasAccess(src), {
      cwd: files,
    });
    const trio = await generateImage({
      tag: 'trio',
      seed: 'sync-referrers-trio',
      layers: [70],
      platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'],
    });
    await pushImage(src, 'signed/trio:v1', trio);
    const narrowed = join(files, 'narrowed.yaml');
    await writeFile(
      narrowed,
      `defaults:\n  referrers: true\n  platforms: [linux/amd64]\nsync:\n` +
        `  - {type: image, source: '${src.host}/signed/app:v1', target: '${dst.host}/narrowed/app:v1'}\n` +
        `  - {type: image, source: '${src.host}/signed/multi:v1', target: '${dst.host}/narrowed/multi:v1'}\n` +
        `  - {type: image, source: '${src.host}/signed/trio:v1', target: '${dst.host}/narrowed/trio:v1', platforms: [linux/amd64, linux/arm64]}\n`,
    );
    const first = await ferry(['sync', '--json', narrowed]);
    assert.equal(first.code, 0, first.stderr);
    const two = syncRecords(first)[2]?.digest;
    assert.notEqual(two, trio.digest, 'two platforms of three: a new index');
    assert.deepEqual(
      syncRecords(first).map((x) => [x.outcome, x.digest, x.sourceDigest]),
      [
        ['copied', image.digest, image.digest],
        ['copied', amd64, index.digest],
        ['copied', two, trio.digest],
      ],
    );
    const found = await orasDiscover([`${dst.host}/narrowed/multi:v1`], orasAccess(dst));
    assert.deepEqual(
      found.referrers.map((x) => x.digest),
      [sig.digest],
    );
    await requestsDuring(dst, async () => {});
    const { value: again, requests } = await requestsDuring(dst, () => ferry(['sync', '--json', narrowed]));
    assert.equal(again.code, 0, again.stderr);
    // The second run used to put every manifest again: the engine found a tag in step only for a
    // copy as is, and platforms made these copies narrowed ones. The index of two platforms is
    // built again, and the tag already names it.
    assert.deepEqual(
      syncRecords(again).map((x) => [x.outcome, x.digest, x.sourceDigest]),
      [
        ['in-step', image.digest, image.digest],
        ['in-step', amd64, index.digest],
        ['in-step', two, trio.digest],
      ],
    );
    const writes = requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD');
    assert.deepEqual(
      writes.map((q) => `${q.method} ${q.path}`),
      [],
    );
  });

  test('without referrers: true, the note on what stayed behind names the key, not copy -r', async () => {
    const plain = join(files, 'plain.yaml');
    await writeFile(
      plain,
      `sync:\n  - {type: image, source: '${src.host}/signed/app:v1', target: '${dst.host}/plain/app:v1'}\n`,
    );
    const r = await ferry(['sync', plain]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /referrers? \(signatures, SBOMs, attestations\) left behind: 'referrers: true' in the file/,
    );
    assert.doesNotMatch(r.stderr, /-r copies/);
  });
});
