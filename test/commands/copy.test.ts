// `ferry copy` against real registries, with skopeo as the referee: digests kept for whole
// indexes and Docker lists, platform selection (one child / a new index), auth on both sides,
// skipping what is already there, cross-repository mount, --all-tags and --no-clobber.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { dockerConfigFor, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  skopeoDigestAt,
  skopeoInspectRaw,
  skopeoListTags,
} from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];

interface IndexJson {
  mediaType?: string;
  manifests: {
    digest: string;
    mediaType: string;
    platform?: { os: string; architecture: string; variant?: string };
  }[];
}

async function rawJson<T>(registry: Registry, ref: string): Promise<T> {
  return JSON.parse(
    (await skopeoInspectRaw(dockerRef(registry, ref), registryAccess(registry))).toString('utf8'),
  ) as T;
}

describe('ferry copy', () => {
  let src: Registry; // anonymous
  let dst: Registry; // anonymous
  let basic: Registry;
  let token: Registry;
  let multi: ImageSummary;
  let single: ImageSummary;
  let other: ImageSummary;
  let dockerDigest: string;

  before(async () => {
    [src, dst, basic, token] = await Promise.all([
      startRegistry('anonymous'),
      startRegistry('anonymous'),
      startRegistry('basic'),
      startRegistry('token'),
    ]);
    [multi, single, other] = await Promise.all([
      generateImage({ tag: 'v1', seed: 'copy-multi', layers: [300, 200], platforms: PLATFORMS }),
      generateImage({ tag: 'v1', seed: 'copy-single', layers: [700, 400] }),
      generateImage({ tag: 'v1', seed: 'copy-other', layers: [500] }),
    ]);
    await pushImage(src, 'lab/multi:v1', multi);
    dockerDigest = (await pushImage(src, 'lab/multi:docker', multi, { docker: true })).digest;
    await pushImage(src, 'lab/single:v1', single);
    // One at a time: registry 2.8 can answer 500 to concurrent writes into one repository.
    for (const t of ['t1', 't2', 't3']) await pushImage(src, `lab/tags:${t}`, single);
  });
  after(() => Promise.all([src, dst, basic, token].map((r) => r?.stop())));

  const childDigest = (platform: string): string => {
    const found = multi.platforms.find((p) => p.platform === platform);
    assert.ok(found, platform);
    return found.manifestDigest;
  };

  test('whole OCI index: the destination digest equals the source', async () => {
    const r = await ferry(['copy', `${src.host}/lab/multi:v1`, `${dst.host}/copy/multi:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(await skopeoDigestAt(dst, 'copy/multi:v1'), multi.digest);
    for (const p of multi.platforms)
      assert.equal(await skopeoDigestAt(dst, `copy/multi@${p.manifestDigest}`), p.manifestDigest);
  });

  test('whole Docker manifest list (pushed by skopeo): digest kept', async () => {
    const r = await ferry(['copy', `${src.host}/lab/multi:docker`, `${dst.host}/copy/docker:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await skopeoDigestAt(dst, 'copy/docker:v1'), dockerDigest);
    const list = await rawJson<IndexJson>(dst, 'copy/docker:v1');
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  });

  test('--platform linux/arm64: the destination is exactly that child manifest', async () => {
    const r = await ferry([
      'copy',
      '--platform',
      'linux/arm64',
      `${src.host}/lab/multi:v1`,
      `${dst.host}/copy/arm64:v1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await skopeoDigestAt(dst, 'copy/arm64:v1'), childDigest('linux/arm64'));
    const manifest = await rawJson<{ mediaType: string }>(dst, 'copy/arm64:v1');
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  });

  test('two platforms: a new index with exactly those children', async () => {
    const r = await ferry([
      'copy',
      '--platform',
      'linux/amd64',
      '--platform',
      'linux/arm/v7',
      `${src.host}/lab/multi:v1`,
      `${dst.host}/copy/two:v1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const index = await rawJson<IndexJson>(dst, 'copy/two:v1');
    assert.equal(index.manifests.length, 2);
    assert.deepEqual(
      index.manifests.map((m) => m.digest).sort(),
      [childDigest('linux/amd64'), childDigest('linux/arm/v7')].sort(),
    );
    assert.deepEqual(index.manifests.map((m) => m.platform?.architecture).sort(), ['amd64', 'arm']);
    assert.notEqual(await skopeoDigestAt(dst, 'copy/two:v1'), multi.digest);
    // Every child is readable by digest (the registry accepted the index because they were pushed first).
    for (const m of index.manifests)
      assert.equal(await skopeoDigestAt(dst, `copy/two@${m.digest}`), m.digest);
  });

  test('anonymous → basic registry with config.json auths', async () => {
    const config = await dockerConfigFor(basic);
    const r = await ferry(['copy', `${src.host}/lab/multi:v1`, `${basic.host}/copy/multi:v1`], {
      env: baseEnv({ DOCKER_CONFIG: config }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await skopeoDigestAt(basic, 'copy/multi:v1'), multi.digest);
  });

  test('basic → token registry, each with its own config.json credentials', async () => {
    await pushImage(basic, 'lab/single:v1', single);
    const b = await dockerConfigFor(basic);
    const t = await dockerConfigFor(token);
    // One config.json with both hosts.
    const merged = JSON.parse(await readFile(`${b}/config.json`, 'utf8')) as {
      auths: Record<string, unknown>;
    };
    Object.assign(
      merged.auths,
      (JSON.parse(await readFile(`${t}/config.json`, 'utf8')) as typeof merged).auths,
    );
    await writeFile(`${b}/config.json`, JSON.stringify(merged));
    const r = await ferry(['copy', `${basic.host}/lab/single:v1`, `${token.host}/copy/single:v1`], {
      env: baseEnv({ DOCKER_CONFIG: b }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await skopeoDigestAt(token, 'copy/single:v1'), single.digest);
  });

  test('copy into a token registry with --dest-creds/--dest-password-stdin', async () => {
    const r = await ferry(
      [
        'copy',
        '--dest-creds',
        'alice',
        '--dest-password-stdin',
        `${src.host}/lab/multi:v1`,
        `${token.host}/copy/multi:v1`,
      ],
      { stdin: 's3cret\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await skopeoDigestAt(token, 'copy/multi:v1'), multi.digest);
  });

  test('re-copy of an image already there uploads no blob', async () => {
    const args = ['copy', `${src.host}/lab/single:v1`, `${dst.host}/copy/again:v1`];
    const first = await ferry(args);
    assert.equal(first.code, 0, first.stderr);
    const { value: second, requests } = await requestsDuring(dst, () => ferry(args));
    assert.equal(second.code, 0, second.stderr);
    const uploads = requests.filter(
      (q) => q.path.includes('/blobs/') && q.method !== 'HEAD' && q.method !== 'GET',
    );
    assert.deepEqual(uploads, [], 'no blob upload on the second run');
    assert.ok(
      requests.every(
        (q) =>
          q.method === 'HEAD' || q.method === 'GET' || (q.method === 'PUT' && q.path.includes('/manifests/')),
      ),
      JSON.stringify(requests.map((q) => `${q.method} ${q.uri}`)),
    );
    assert.match(second.stderr, /already in step \(sha256:[0-9a-f]{64}\): nothing sent/);
    // The tag already names the source's digest: one HEAD on it, no blob HEAD, no manifest PUT.
    assert.deepEqual(
      requests.filter((q) => q.path.includes('/copy/again/')).map((q) => `${q.method} ${q.path}`),
      ['HEAD /v2/copy/again/manifests/v1'],
    );
    assert.equal(await skopeoDigestAt(dst, 'copy/again:v1'), single.digest);
  });

  test('copy to another repository on the same registry mounts the blobs', async () => {
    const { value: r, requests } = await requestsDuring(src, () =>
      ferry(['copy', `${src.host}/lab/single:v1`, `${src.host}/mounted/single:v1`]),
    );
    assert.equal(r.code, 0, r.stderr);
    const mounts = requests.filter((q) => q.method === 'POST' && q.uri.includes('mount='));
    assert.equal(mounts.length, 3, 'config and two layers mounted');
    for (const m of mounts) assert.equal(m.status, 201, m.uri);
    assert.deepEqual(
      requests.filter((q) => q.method === 'PATCH'),
      [],
      'no blob data sent',
    );
    assert.equal(await skopeoDigestAt(src, 'mounted/single:v1'), single.digest);
  });

  test('-a copies every tag of the repository', async () => {
    const r = await ferry(['copy', '-a', `${src.host}/lab/tags`, `${dst.host}/copy/tags`]);
    assert.equal(r.code, 0, r.stderr);
    const tags = await skopeoListTags(dockerRef(dst, 'copy/tags'), registryAccess(dst));
    assert.deepEqual(tags.sort(), ['t1', 't2', 't3']);
    for (const t of tags) assert.equal(await skopeoDigestAt(dst, `copy/tags:${t}`), single.digest);
  });

  test('-a names each tag in its closing lines and copies the tags concurrently', async () => {
    const proxy = await startFaultProxy({ upstream: src.url });
    try {
      // t1's root is held at the proxy: copied one after another, t2 and t3 would wait for it.
      proxy.addRule({ method: 'GET', path: /\/manifests\/t1$/, action: { kind: 'hold', ms: 3000 } });
      const { value: r, requests } = await requestsDuring(dst, () =>
        ferry(['copy', '-a', `${proxy.host}/lab/tags`, `${dst.host}/concurrent/tags`]),
      );
      assert.equal(r.code, 0, r.stderr);
      for (const t of ['t1', 't2', 't3'])
        assert.match(r.stderr, new RegExp(`^${dst.host}/concurrent/tags:${t}: ${single.digest}: `, 'm'));
      assert.match(r.stderr, /^3 images: 3 done, 0 failed in /m);
      const tagged = requests
        .filter((q) => q.method === 'PUT' && q.path.includes('/manifests/'))
        .map((q) => q.path.split('/').at(-1));
      assert.equal(tagged.at(-1), 't1', `t2 and t3 were tagged while t1 was held: ${tagged.join(', ')}`);
    } finally {
      await proxy.close();
    }
  });

  test('-a -q: the tag that failed is still named on stderr, and nothing else is', async () => {
    const proxy = await startFaultProxy({ upstream: src.url });
    try {
      proxy.addRule({ path: /\/manifests\/t2$/, action: { kind: 'status', status: 404 } });
      const r = await ferry(['-q', 'copy', '-a', `${proxy.host}/lab/tags`, `${dst.host}/quiet/tags`]);
      // One of three failed: exit 9 (docs/output.md), and -q keeps errors, so the failure shows.
      assert.equal(r.code, 9, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^${dst.host}/quiet/tags:t2: failed: (?!ferry: )[^\n]*\n$`));
    } finally {
      await proxy.close();
    }
  });

  test('-a refuses a tag or digest on either side, and a file location', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const cases: [string, string, RegExp][] = [
      [`${src.host}/lab/tags:t1`, `${dst.host}/x/tags`, /takes no tag \(drop ':t1'\)/],
      [`${src.host}/lab/tags`, `${dst.host}/x/tags:v1`, /takes no tag \(drop ':v1'\)/],
      [`${src.host}/lab/tags@${digest}`, `${dst.host}/x/tags`, /takes no digest/],
      [
        `${src.host}/lab/tags`,
        'oci:/tmp/layout',
        /copies between registries: the destination 'oci:\/tmp\/layout' is a file/,
      ],
    ];
    for (const [from, to, message] of cases) {
      const r = await ferry(['copy', '-a', from, to]);
      assert.equal(r.code, 2, `${from} ${to}: ${r.stderr}`);
      assert.match(r.stderr, /^ferry: [^\n]*\n$/);
      assert.match(r.stderr, message);
    }
  });

  test('-n leaves an existing tag alone', async () => {
    await pushImage(dst, 'copy/keep:v1', other);
    const before = await skopeoDigestAt(dst, 'copy/keep:v1');
    assert.equal(before, other.digest);
    const r = await ferry(['copy', '-n', `${src.host}/lab/single:v1`, `${dst.host}/copy/keep:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /left alone/);
    assert.equal(await skopeoDigestAt(dst, 'copy/keep:v1'), other.digest);
    // and a tag that does not exist yet is copied
    const fresh = await ferry(['copy', '-n', `${src.host}/lab/single:v1`, `${dst.host}/copy/keep:v2`]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(await skopeoDigestAt(dst, 'copy/keep:v2'), single.digest);
  });

  test('-n into an OCI layout leaves its tag alone; into an archive file that exists it is refused (exit 2)', async () => {
    const work = await makeTempDir('copy-no-clobber');
    const layout = join(work, 'layout');
    const first = await ferry(['copy', `${src.host}/lab/single:v1`, `oci:${layout}:v1`]);
    assert.equal(first.code, 0, first.stderr);
    const index = await readFile(join(layout, 'index.json'));
    const kept = await ferry(['copy', '-n', `${src.host}/lab/multi:v1`, `oci:${layout}:v1`]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stderr, /left alone \(--no-clobber\)/);
    assert.deepEqual(
      await readFile(join(layout, 'index.json')),
      index,
      'the tag still names the first image',
    );

    const archive = join(work, 'app.tar');
    const written = await ferry(['copy', `${src.host}/lab/single:v1`, `oci-archive:${archive}:v1`]);
    assert.equal(written.code, 0, written.stderr);
    const bytes = await readFile(archive);
    const refused = await ferry(['copy', '-n', `${src.host}/lab/multi:v1`, `oci-archive:${archive}:v1`]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^ferry: --no-clobber: [^\n]*replaced whole[^\n]*\n$/);
    assert.deepEqual(await readFile(archive), bytes, 'the archive is as it was');
    assert.deepEqual((await readdir(work)).sort(), ['app.tar', 'layout'], 'no temp file left');
  });
});
