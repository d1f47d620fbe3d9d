// `ferry index create/add/remove` against real registries, with crane as the referee: sources in
// two other repositories of the destination's registry and in two other registries with different
// auth (basic, token); each entry's platform is what the image's config says; attestations come
// and go with their image; blobs on the same registry are mounted, never fetched and re-sent.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { craneDigest, cranePush, runCrane } from '../harness/crane.js';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary, OCI_INDEX, pseudoRandomBytes } from '../harness/images.js';
import { gzipLayer, tarOf, type WrittenImage, withAttestation, writeImage } from '../harness/layouts.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

interface Entry {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
}
interface Index {
  mediaType: string;
  manifests: Entry[];
  annotations?: Record<string, string>;
}

describe('ferry index', () => {
  let dst: Registry; // anonymous: the index's registry, with two source repositories
  let basic: Registry;
  let token: Registry;
  let env: NodeJS.ProcessEnv;
  let craneConfig: string;
  let amd: ImageSummary;
  let arm: ImageSummary;
  let armv7: ImageSummary;
  let multi: ImageSummary;
  let attested: { digest: string; attestation: string; subject: string };
  let win: WrittenImage;

  const run = (args: string[]) => ferry(args, { env });
  const crane = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await runCrane(args, { dockerConfig: craneConfig })).toString('utf8')) as T;

  before(async () => {
    [dst, basic, token] = await Promise.all([
      startRegistry('anonymous'),
      startRegistry('basic'),
      startRegistry('token'),
    ]);
    craneConfig = await makeTempDir('index-docker-config');
    const auth = (r: Registry) => ({ auth: Buffer.from(r.creds()).toString('base64') });
    await writeFile(
      join(craneConfig, 'config.json'),
      JSON.stringify({ auths: { [basic.host]: auth(basic), [token.host]: auth(token) } }),
    );
    env = baseEnv({ DOCKER_CONFIG: craneConfig });
    [amd, arm, armv7, multi] = await Promise.all([
      generateImage({ tag: 'v1', seed: 'ix-amd', layers: [600, 300] }),
      generateImage({ tag: 'v1', seed: 'ix-arm', layers: [500], platforms: ['linux/arm64/v8'] }),
      generateImage({ tag: 'v1', seed: 'ix-armv7', layers: [400], platforms: ['linux/arm/v7'] }),
      generateImage({
        tag: 'v1',
        seed: 'ix-multi',
        layers: [200],
        platforms: ['linux/s390x', 'linux/ppc64le'],
      }),
    ]);
    attested = await withAttestation(multi.dir, 'v1', 'v1-att');
    win = await writeImage({
      tag: 'v1',
      layers: [gzipLayer(await tarOf([{ name: 'Files/x.txt', content: 'windows' }]))],
      config: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1234' },
    });
    await Promise.all([
      pushImage(dst, 'src/amd:v1', amd),
      pushImage(dst, 'src/arm:v1', arm),
      cranePush(win.dir, `${dst.host}/src/win:v1`),
      pushImage(basic, 'other/armv7:v1', armv7),
      skopeoCopy(`oci:${multi.dir}:v1-att`, dockerRef(token, 'other/multi:v1-att'), {
        all: true,
        dest: registryAccess(token),
      }),
    ]);
  });
  after(() => Promise.all([dst, basic, token].map((r) => r?.stop())));

  const layerDigests = (): string[] =>
    [amd, arm].flatMap((i) => i.platforms.flatMap((p) => p.layers.map((l) => l.digest)));

  test('create: children from two repositories and two registries, platforms from their configs', async () => {
    const { value: r, requests } = await requestsDuring(dst, () =>
      run([
        'index',
        'create',
        '--tag',
        'latest',
        '--annotation',
        'org.opencontainers.image.source=https://example.com/app',
        `${dst.host}/app/multi:v1`,
        `${dst.host}/src/amd:v1`,
        `${dst.host}/src/arm:v1`,
        `${basic.host}/other/armv7:v1`,
        `${token.host}/other/multi:v1-att`,
        `${dst.host}/src/win:v1`,
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    const digest = r.stdout.trim();
    assert.equal(digest, await craneDigest(`${dst.host}/app/multi:v1`));
    assert.equal(digest, await craneDigest(`${dst.host}/app/multi:latest`), '--tag latest names it too');

    const index = await crane<Index>(['manifest', `${dst.host}/app/multi:v1`]);
    assert.equal(index.mediaType, OCI_INDEX);
    assert.deepEqual(index.annotations, { 'org.opencontainers.image.source': 'https://example.com/app' });
    const [s390x, ppc64le] = multi.platforms;
    assert.deepEqual(
      index.manifests.map((m) => [m.digest, m.platform]),
      [
        [amd.digest, { architecture: 'amd64', os: 'linux' }],
        [arm.digest, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
        [armv7.digest, { architecture: 'arm', os: 'linux', variant: 'v7' }],
        [s390x!.manifestDigest, { architecture: 's390x', os: 'linux' }],
        [ppc64le!.manifestDigest, { architecture: 'ppc64le', os: 'linux' }],
        [attested.attestation, { architecture: 'unknown', os: 'unknown' }],
        [win.digest, { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1234' }],
      ],
      'every image kept its digest; platforms as the configs say',
    );
    assert.equal(index.manifests[5]!.annotations?.['vnd.docker.reference.digest'], attested.subject);

    // The referee: each child's config, as crane reads it from the new repository.
    for (const m of index.manifests) {
      const config = await crane<Record<string, unknown>>(['config', `${dst.host}/app/multi@${m.digest}`]);
      assert.equal(config['os'], m.platform!.os, m.digest);
      assert.equal(config['architecture'], m.platform!.architecture, m.digest);
      assert.equal(config['variant'], m.platform!.variant, m.digest);
      assert.equal(config['os.version'], m.platform!['os.version'], m.digest);
    }

    // Same registry: mounted, never fetched. Other registries: their bytes had to travel.
    const mounts = requests.filter((q) => q.method === 'POST' && q.uri.includes('mount='));
    assert.ok(
      mounts.length >= 2 + 3 + 2,
      `configs and layers of amd, arm and win mounted (${mounts.length})`,
    );
    for (const m of mounts) assert.equal(m.status, 201, m.uri);
    const layerGets = requests.filter(
      (q) => q.method === 'GET' && layerDigests().some((d) => q.path.endsWith(`/blobs/${d}`)),
    );
    assert.deepEqual(layerGets, [], 'no layer of a same-registry source was downloaded');
  });

  test('create with Docker-typed sources makes a Docker manifest list, unless --media-type oci', async () => {
    await pushImage(dst, 'src/amd:docker', amd, { docker: true });
    await pushImage(dst, 'src/arm:docker', arm, { docker: true });
    const sources = [`${dst.host}/src/amd:docker`, `${dst.host}/src/arm:docker`];
    const docker = await run(['index', 'create', `${dst.host}/app/docker:v1`, ...sources]);
    assert.equal(docker.code, 0, docker.stderr);
    const list = await crane<Index>(['manifest', `${dst.host}/app/docker:v1`]);
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    const oci = await run([
      'index',
      'create',
      '--media-type',
      'oci',
      `${dst.host}/app/docker:oci`,
      ...sources,
    ]);
    assert.equal(oci.code, 0, oci.stderr);
    assert.equal((await crane<Index>(['manifest', `${dst.host}/app/docker:oci`])).mediaType, OCI_INDEX);

    const annotated = await run([
      'index',
      'create',
      '--annotation',
      'a=b',
      `${dst.host}/app/docker:x`,
      ...sources,
    ]);
    assert.equal(annotated.code, 2);
    assert.match(errorLine(annotated), /Docker manifest list has no annotations/);
  });

  test('--json prints the summary shape', async () => {
    const r = await run(['index', 'create', '--json', `${dst.host}/app/json:v1`, `${dst.host}/src/amd:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      digest: string;
      tags: string[];
      manifests: { platform: string }[];
    };
    assert.equal(json.digest, await craneDigest(`${dst.host}/app/json:v1`));
    assert.deepEqual(json.tags, ['v1']);
    assert.deepEqual(
      json.manifests.map((m) => m.platform),
      ['linux/amd64'],
    );
  });

  test('add: a new platform joins, one the index has is replaced; remove takes an image with its attestation', async () => {
    const base = `${dst.host}/app/edit:v1`;
    const created = await run([
      'index',
      'create',
      base,
      `${dst.host}/src/amd:v1`,
      `${token.host}/other/multi:v1-att`,
    ]);
    assert.equal(created.code, 0, created.stderr);

    const amd2 = await generateImage({ tag: 'v2', seed: 'ix-amd-2', layers: [100] });
    await pushImage(dst, 'src/amd:v2', amd2);
    const added = await run(['index', 'add', base, `${dst.host}/src/arm:v1`, `${dst.host}/src/amd:v2`]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /1 entry left the index/);
    let index = await crane<Index>(['manifest', base]);
    assert.equal(added.stdout.trim(), await craneDigest(base), 'pushed back to its tag');
    const [s390x, ppc64le] = multi.platforms;
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [s390x!.manifestDigest, ppc64le!.manifestDigest, attested.attestation, arm.digest, amd2.digest],
    );

    const removed = await run(['index', 'remove', '--platform', 'linux/s390x', base]);
    assert.equal(removed.code, 0, removed.stderr);
    index = await crane<Index>(['manifest', base]);
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [ppc64le!.manifestDigest, arm.digest, amd2.digest],
      'the s390x image left with its attestation',
    );

    const byDigest = await run(['index', 'rm', '--digest', arm.digest, base]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    index = await crane<Index>(['manifest', base]);
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [ppc64le!.manifestDigest, amd2.digest],
    );
  });

  test('remove: a platform the index lacks is not found (exit 1); the last image cannot go (exit 2)', async () => {
    const base = `${dst.host}/app/small:v1`;
    assert.equal((await run(['index', 'create', base, `${dst.host}/src/amd:v1`])).code, 0);
    const before = await craneDigest(base);
    const missing = await run(['index', 'remove', '--platform', 'linux/riscv64', base]);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /no image for platform linux\/riscv64 \(available: linux\/amd64\)$/);
    const last = await run(['index', 'remove', '--platform', 'linux/amd64', base]);
    assert.equal(last.code, 2);
    assert.match(errorLine(last), /without an image/);
    assert.equal(await craneDigest(base), before, 'the index is as it was');
  });

  test('bad input: an artifact source, two images for one platform, an image given as the index; nothing pushed', async () => {
    const artifact = await writeImage({
      tag: 'v1',
      layers: [
        {
          bytes: pseudoRandomBytes('ix-artifact', 64),
          mediaType: 'application/vnd.example.data',
          diffId: '',
        },
      ],
      config: { kind: 'chart' },
      configMediaType: 'application/vnd.example.config.v1+json',
    });
    await cranePush(artifact.dir, `${dst.host}/src/artifact:v1`);
    const cases: [string[], number, RegExp][] = [
      [['index', 'create', `${dst.host}/bad/a:v1`, `${dst.host}/src/artifact:v1`], 2, /is an artifact/],
      [
        ['index', 'create', `${dst.host}/bad/b:v1`, `${dst.host}/src/amd:v1`, `${dst.host}/src/amd:docker`],
        2,
        /two images for linux\/amd64/,
      ],
      [['index', 'add', `${dst.host}/src/amd:v1`, `${dst.host}/src/arm:v1`], 2, /is an image, not an index/],
      [['index', 'create', `${dst.host}/bad/c:v1`, `${dst.host}/src/none:v1`], 1, /not found|unknown/i],
      [['index', 'create', '--tag', 'bad tag', `${dst.host}/bad/d:v1`, `${dst.host}/src/amd:v1`], 2, /tag/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
    }
    const tags = await runCrane(['ls', `${dst.host}/bad/a`]).then(
      (out) => out.toString(),
      () => '',
    );
    assert.equal(tags, '', 'nothing was pushed');
  });
});
