// `ferry append` against a real registry, with umoci (through an OCI layout skopeo pulls) and crane
// as referees: the layers land where they should on every platform, base layers are mounted or
// skipped (never downloaded), the same inputs give the same digest whatever TMPDIR and umask,
// SOURCE_DATE_EPOCH dates everything, and bad input pushes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { runCrane } from '../harness/crane.js';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary, OCI_INDEX, sha256 } from '../harness/images.js';
import { tarOf, writeImage } from '../harness/layouts.js';
import { runCommand } from '../harness/proc.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');

interface Manifest {
  mediaType: string;
  config: { digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[];
}
interface Config {
  created?: string;
  architecture: string;
  os: string;
  rootfs: { diff_ids: string[] };
  history?: { created?: string; created_by?: string }[];
}

/** An app directory: nested dirs, an executable, a symlink, a hard link. Modes from `mode`. */
async function makeApp(dir: string, exec = 0o755, plain = 0o644): Promise<string> {
  await mkdir(join(dir, 'app', 'bin'), { recursive: true });
  await writeFile(join(dir, 'app', 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  await chmod(join(dir, 'app', 'bin', 'hello'), exec);
  await writeFile(join(dir, 'app', 'config.txt'), 'greeting=hello\n');
  await chmod(join(dir, 'app', 'config.txt'), plain);
  await runCommand('ln', ['-s', 'bin/hello', join(dir, 'app', 'run')]);
  await runCommand('ln', [join(dir, 'app', 'config.txt'), join(dir, 'app', 'config.link')]);
  return join(dir, 'app');
}

/** The entries of a gzip'd layer tar: name → header. */
function entriesOf(layer: Buffer): Promise<Map<string, tar.Headers>> {
  const out = new Map<string, tar.Headers>();
  const extract = tar.extract();
  return new Promise((done, fail) => {
    extract.on('entry', (header, stream, next) => {
      out.set(header.name, header);
      stream.on('end', () => next());
      stream.resume();
    });
    extract.on('finish', () => done(out));
    extract.on('error', fail);
    extract.end(gunzipSync(layer));
  });
}

describe('ferry append', () => {
  let reg: Registry;
  let multi: ImageSummary;
  let app: string;
  const crane = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await runCrane(args)).toString('utf8')) as T;

  before(async () => {
    reg = await startRegistry('anonymous');
    multi = await generateImage({
      tag: 'v1',
      seed: 'append-base',
      layers: [700, 300],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    await pushImage(reg, 'base/multi:v1', multi);
    app = await makeApp(await makeTempDir('append-app'));
  });
  after(() => reg?.stop());

  const baseLayers = (): string[] => multi.platforms.flatMap((p) => p.layers.map((l) => l.digest));

  test('a directory goes on top of every platform; base layers are mounted, never downloaded', async () => {
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['append', `${reg.host}/base/multi:v1`, `${reg.host}/app/multi:v1`, app]),
    );
    assert.equal(r.code, 0, r.stderr);
    const index = await crane<Manifest>(['manifest', `${reg.host}/app/multi:v1`]);
    assert.equal(index.mediaType, OCI_INDEX);
    assert.equal(r.stdout.trim(), sha256(await runCrane(['manifest', `${reg.host}/app/multi:v1`])));
    const added = new Set<string>();
    for (const [i, entry] of index.manifests!.entries()) {
      const base = multi.platforms[i]!;
      assert.equal(`${entry.platform!.os}/${entry.platform!.architecture}`, base.platform);
      const manifest = await crane<Manifest>(['manifest', `${reg.host}/app/multi@${entry.digest}`]);
      assert.deepEqual(
        manifest.layers.slice(0, -1).map((l) => l.digest),
        base.layers.map((l) => l.digest),
        'the base layers, unchanged',
      );
      const layer = manifest.layers.at(-1)!;
      added.add(layer.digest);
      assert.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      const config = await crane<Config>(['config', `${reg.host}/app/multi@${entry.digest}`]);
      const blob = await runCrane(['blob', `${reg.host}/app/multi@${layer.digest}`]);
      assert.equal(config.rootfs.diff_ids.at(-1), sha256(gunzipSync(blob)), 'diff_id of the new layer');
      assert.equal(config.rootfs.diff_ids.length, base.layers.length + 1);
      assert.equal(config.history?.at(-1)?.created_by, 'ferry append app');
      assert.equal(config.history?.length, base.layers.length + 1);
    }
    assert.equal(added.size, 1, 'one layer blob for every platform');

    const mounts = requests.filter((q) => q.method === 'POST' && q.uri.includes('mount='));
    for (const d of baseLayers())
      assert.ok(
        mounts.some((m) => m.uri.includes(d.slice('sha256:'.length)) && m.status === 201),
        `mounted ${d}: ${mounts.map((m) => `${m.uri} ${m.status}`).join(', ')}`,
      );
    const fetched = requests.filter(
      (q) => q.method === 'GET' && baseLayers().some((d) => q.path.endsWith(d)),
    );
    assert.deepEqual(fetched, [], 'no base layer was downloaded');
  });

  test('umoci unpacks the result (an OCI layout skopeo pulled) with the added files in place', async () => {
    const layout = join(await makeTempDir('append-umoci'), 'layout');
    await skopeoCopy(dockerRef(reg, 'app/multi:v1'), `oci:${layout}:v1`, {
      src: registryAccess(reg),
      extraArgs: ['--override-os', 'linux', '--override-arch', 'arm64'],
    });
    const bundle = join(await makeTempDir('append-bundle'), 'bundle');
    await runCommand('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    assert.equal(await readFile(join(rootfs, 'bin', 'hello'), 'utf8'), '#!/bin/sh\necho hello\n');
    assert.equal(await readFile(join(rootfs, 'config.txt'), 'utf8'), 'greeting=hello\n');
    assert.equal(await readFile(join(rootfs, 'run'), 'utf8'), '#!/bin/sh\necho hello\n', 'the symlink');
    const link = await stat(join(rootfs, 'config.link'));
    assert.equal(link.ino, (await stat(join(rootfs, 'config.txt'))).ino, 'the hard link');
    assert.equal((await stat(join(rootfs, 'bin', 'hello'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(rootfs, 'config.txt'))).mode & 0o777, 0o644);
    assert.equal((await readFile(join(rootfs, 'ferry', 'layer-0.bin'))).length, 700, 'the base is under it');
  });

  test('reproducible by default: the same append with another TMPDIR and umask, and a copy of the input made under another umask, gives one digest', async () => {
    const other = await makeApp(await makeTempDir('append-app-2'), 0o700, 0o600);
    const ferryIn = (tmp: string, umask: string, path: string) =>
      spawnSync(
        'sh',
        [
          '-c',
          `umask ${umask} && exec "$0" "$@"`,
          process.execPath,
          BIN,
          'append',
          `${reg.host}/base/multi:v1`,
          `${reg.host}/app/repro:v1`,
          path,
        ],
        { env: baseEnv({ TMPDIR: tmp }), encoding: 'utf8' },
      );
    const first = ferryIn(await makeTempDir('append-tmp-a'), '022', app);
    assert.equal(first.status, 0, first.stderr);
    const second = ferryIn(await makeTempDir('append-tmp-b'), '077', other);
    assert.equal(second.status, 0, second.stderr);
    assert.match(first.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(second.stdout, first.stdout);
    const again = await ferry(['append', `${reg.host}/base/multi:v1`, `${reg.host}/app/repro:v2`, app], {
      env: baseEnv(),
    });
    assert.equal(again.stdout, first.stdout, 'in-process too');
  });

  test('SOURCE_DATE_EPOCH dates the config, the history entry and the files; --created wins', async () => {
    const r = await ferry(['append', `${reg.host}/base/multi:v1`, `${reg.host}/app/dated:v1`, app], {
      env: baseEnv({ SOURCE_DATE_EPOCH: '1714564800' }),
    });
    assert.equal(r.code, 0, r.stderr);
    const index = await crane<Manifest>(['manifest', `${reg.host}/app/dated:v1`]);
    const child = `${reg.host}/app/dated@${index.manifests![0]!.digest}`;
    const config = await crane<Config>(['config', child]);
    assert.equal(config.created, '2024-05-01T12:00:00Z');
    assert.equal(config.history?.at(-1)?.created, '2024-05-01T12:00:00Z');
    const manifest = await crane<Manifest>(['manifest', child]);
    const entries = await entriesOf(
      await runCrane(['blob', `${reg.host}/app/dated@${manifest.layers.at(-1)!.digest}`]),
    );
    assert.deepEqual(
      [...entries.keys()],
      ['bin/', 'bin/hello', 'config.link', 'config.txt', 'run'],
      'sorted',
    );
    for (const [name, header] of entries) {
      assert.equal(header.mtime?.toISOString(), '2024-05-01T12:00:00.000Z', name);
      assert.equal(header.uid, 0);
      assert.equal(header.gid, 0);
    }
    assert.equal(entries.get('config.txt')?.type, 'link', 'the second name of the file is a hard link');

    const created = await ferry(
      [
        'append',
        '--created',
        '2020-01-01T00:00:00Z',
        `${reg.host}/base/multi:v1`,
        `${reg.host}/app/dated:v2`,
        app,
      ],
      { env: baseEnv({ SOURCE_DATE_EPOCH: '1714564800' }) },
    );
    assert.equal(created.code, 0, created.stderr);
    const v2 = await crane<Manifest>(['manifest', `${reg.host}/app/dated:v2`]);
    const config2 = await crane<Config>(['config', `${reg.host}/app/dated@${v2.manifests![0]!.digest}`]);
    assert.equal(config2.created, '2020-01-01T00:00:00Z');
  });

  test('a tar file is the layer as it is; --platform changes one platform and keeps the other', async () => {
    const tarBytes = await tarOf([{ name: 'etc/motd', content: 'arm64 only\n' }]);
    const file = join(await makeTempDir('append-tar'), 'motd.tar');
    await writeFile(file, tarBytes);
    const r = await ferry([
      'append',
      '--platform',
      'linux/arm64',
      `${reg.host}/base/multi:v1`,
      `${reg.host}/app/arm-only:v1`,
      file,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const index = await crane<Manifest>(['manifest', `${reg.host}/app/arm-only:v1`]);
    const [amd64, arm64] = index.manifests!;
    assert.equal(amd64!.digest, multi.platforms[0]!.manifestDigest, 'amd64 untouched');
    assert.notEqual(arm64!.digest, multi.platforms[1]!.manifestDigest);
    const config = await crane<Config>(['config', `${reg.host}/app/arm-only@${arm64!.digest}`]);
    assert.equal(config.rootfs.diff_ids.at(-1), sha256(tarBytes), "the tar's own bytes");
  });

  test('scratch with two platforms: an index of two images sharing one layer; a Docker base gets a Docker layer', async () => {
    const r = await ferry([
      'append',
      '--platform',
      'linux/amd64',
      '--platform',
      'linux/arm64',
      'scratch',
      `${reg.host}/app/scratch:v1`,
      app,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const index = await crane<Manifest>(['manifest', `${reg.host}/app/scratch:v1`]);
    assert.deepEqual(
      index.manifests!.map((m) => m.platform),
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
    );
    const layers = new Set<string>();
    for (const m of index.manifests!) {
      const manifest = await crane<Manifest>(['manifest', `${reg.host}/app/scratch@${m.digest}`]);
      assert.equal(manifest.layers.length, 1);
      layers.add(manifest.layers[0]!.digest);
    }
    assert.equal(layers.size, 1);

    await pushImage(reg, 'base/docker:v1', multi, { docker: true });
    const docker = await ferry([
      'append',
      '--platform',
      'linux/amd64',
      `${reg.host}/base/docker:v1`,
      `${reg.host}/app/docker:v1`,
      app,
    ]);
    assert.equal(docker.code, 0, docker.stderr);
    const list = await crane<Manifest>(['manifest', `${reg.host}/app/docker:v1`]);
    const manifest = await crane<Manifest>([
      'manifest',
      `${reg.host}/app/docker@${list.manifests![0]!.digest}`,
    ]);
    assert.equal(manifest.layers.at(-1)!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  });

  test('bad input: one line, a documented exit code, nothing pushed', async () => {
    const dir = await makeTempDir('append-bad');
    const escaping = join(dir, 'escape.tar');
    await writeFile(
      escaping,
      await tarOf([
        { name: 'ok.txt', content: 'x' },
        { name: '../../etc/passwd', content: 'x' },
      ]),
    );
    const absolute = join(dir, 'absolute.tar');
    await writeFile(absolute, await tarOf([{ name: '/etc/passwd', content: 'x' }]));
    const notTar = join(dir, 'notes.txt');
    await writeFile(notTar, 'just some text, not a tar archive at all\n'.repeat(20));
    const artifact = await writeImage({
      tag: 'v1',
      layers: [{ bytes: Buffer.from('{}'), mediaType: 'application/vnd.example.data', diffId: '' }],
      config: {},
      configMediaType: 'application/vnd.example.config.v1+json',
    });
    const { cranePush } = await import('../harness/crane.js');
    await cranePush(artifact.dir, `${reg.host}/base/artifact:v1`);
    const base = `${reg.host}/base/multi:v1`;
    const cases: [string[], number, RegExp][] = [
      [[base, `${reg.host}/bad/a:v1`, join(dir, 'missing')], 8, /does not exist/],
      [[base, `${reg.host}/bad/a:v1`, escaping], 7, /'\.\.' component/],
      [[base, `${reg.host}/bad/a:v1`, absolute], 7, /absolute name/],
      [[base, `${reg.host}/bad/a:v1`, notTar], 7, /not a tar file/],
      [[`${reg.host}/base/artifact:v1`, `${reg.host}/bad/a:v1`, app], 2, /is an artifact/],
      [
        ['--platform', 'linux/s390x', base, `${reg.host}/bad/a:v1`, app],
        1,
        /no image for platform linux\/s390x/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await ferry(['append', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
    }
    const tags = await runCrane(['ls', `${reg.host}/bad/a`]).then(
      (out) => out.toString(),
      () => '',
    );
    assert.equal(tags, '', 'nothing was pushed');
  });
});
