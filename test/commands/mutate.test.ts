// `ferry mutate` against a real registry, with crane as the referee: every platform's config shows
// the changes, layers keep their digests and are neither downloaded nor uploaded (the registry's
// log), the same mutate gives the same digest on every run, and bad input pushes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { craneDigest, runCrane } from '../harness/crane.js';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { withAttestation } from '../harness/layouts.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { dockerRef, registryAccess, skopeoCopy } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const PLATFORMS = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'];

interface Index {
  manifests: {
    digest: string;
    platform?: { architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }[];
  annotations?: Record<string, string>;
}
interface Manifest {
  layers: { digest: string }[];
  annotations?: Record<string, string>;
}
interface Config {
  created?: string;
  architecture: string;
  config: {
    Labels?: Record<string, string>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    User?: string;
    WorkingDir?: string;
  };
}

describe('ferry mutate', () => {
  let reg: Registry;
  let multi: ImageSummary;
  let attestation: string;
  const crane = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await runCrane(args)).toString('utf8')) as T;
  const layers = (): string[] => multi.platforms.flatMap((p) => p.layers.map((l) => l.digest));

  before(async () => {
    reg = await startRegistry('anonymous');
    multi = await generateImage({ tag: 'v1', seed: 'mutate', layers: [900, 400], platforms: PLATFORMS });
    ({ attestation } = await withAttestation(multi.dir, 'v1', 'v1-att'));
    await skopeoCopy(`oci:${multi.dir}:v1-att`, dockerRef(reg, 'app/multi:v1'), {
      all: true,
      dest: registryAccess(reg),
    });
  });
  after(() => reg?.stop());

  const CHANGES = [
    '--label',
    'org.opencontainers.image.version=1.2.0',
    '--label',
    'team=build',
    '--env',
    'MODE=prod',
    '--env',
    'PATH=/app/bin:/usr/bin',
    '--entrypoint',
    '["/app/bin/server", "--port", "8080"]',
    '--cmd',
    '--verbose',
    '--user',
    '1000:1000',
    '--workdir',
    '/app',
    '--annotation',
    'org.opencontainers.image.revision=abc123',
  ];

  test('every platform gets the changes; layers are neither downloaded nor uploaded', async () => {
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['mutate', ...CHANGES, `${reg.host}/app/multi:v1`, `${reg.host}/app/multi:v1-prod`]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), await craneDigest(`${reg.host}/app/multi:v1-prod`));
    assert.match(r.stderr, /left out 1 attestation/);

    const index = await crane<Index>(['manifest', `${reg.host}/app/multi:v1-prod`]);
    assert.equal(index.manifests.length, PLATFORMS.length, 'the attestation of the changed image left');
    assert.ok(!index.manifests.some((m) => m.digest === attestation));
    assert.equal(index.annotations?.['org.opencontainers.image.revision'], 'abc123');
    for (const [i, entry] of index.manifests.entries()) {
      const ref = `${reg.host}/app/multi@${entry.digest}`;
      const config = await crane<Config>(['config', ref]);
      assert.equal(config.architecture, PLATFORMS[i]!.split('/')[1]);
      assert.deepEqual(config.config.Labels, {
        'org.ferry.test.seed': 'mutate',
        'org.opencontainers.image.version': '1.2.0',
        team: 'build',
      });
      assert.deepEqual(config.config.Env, ['PATH=/app/bin:/usr/bin', 'MODE=prod']);
      assert.deepEqual(config.config.Entrypoint, ['/app/bin/server', '--port', '8080']);
      assert.deepEqual(config.config.Cmd, ['--verbose']);
      assert.equal(config.config.User, '1000:1000');
      assert.equal(config.config.WorkingDir, '/app');
      assert.equal(config.created, '2024-01-01T00:00:00Z', 'created kept without SOURCE_DATE_EPOCH');
      const manifest = await crane<Manifest>(['manifest', ref]);
      assert.deepEqual(
        manifest.layers.map((l) => l.digest),
        multi.platforms[i]!.layers.map((l) => l.digest),
      );
      assert.equal(manifest.annotations?.['org.opencontainers.image.revision'], 'abc123');
    }

    const layerRequests = requests.filter((q) => layers().some((d) => q.path.endsWith(d)));
    assert.ok(
      layerRequests.every((q) => q.method === 'HEAD'),
      'layers only HEAD-checked',
    );
    assert.ok(layerRequests.length > 0);
    const uploads = requests.filter((q) => q.method === 'POST' && q.path.endsWith('/blobs/uploads/'));
    assert.equal(uploads.length, PLATFORMS.length, 'one upload per platform: its new config');
  });

  test('into another repository the layers are mounted', async () => {
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['mutate', '--label', 'a=b', `${reg.host}/app/multi:v1`, `${reg.host}/other/multi:v1`]),
    );
    assert.equal(r.code, 0, r.stderr);
    const mounts = requests.filter((q) => q.method === 'POST' && q.uri.includes('mount='));
    for (const d of layers())
      assert.ok(
        mounts.some((m) => m.uri.includes(d.slice(7)) && m.status === 201),
        `${d} mounted`,
      );
    assert.deepEqual(
      requests.filter((q) => q.method === 'GET' && layers().some((d) => q.path.endsWith(d))),
      [],
    );
  });

  test('reproducible: the same mutate twice, and under another TMPDIR and umask, gives one digest; SOURCE_DATE_EPOCH sets created', async () => {
    const spawned = (tmp: string, umask: string, tag: string) =>
      spawnSync(
        'sh',
        [
          '-c',
          `umask ${umask} && exec "$0" "$@"`,
          process.execPath,
          BIN,
          'mutate',
          '--label',
          'release=yes',
          `${reg.host}/app/multi:v1`,
          `${reg.host}/app/multi:${tag}`,
        ],
        { env: baseEnv({ TMPDIR: tmp, SOURCE_DATE_EPOCH: '1714564800' }), encoding: 'utf8' },
      );
    const a = spawned(await makeTempDir('mutate-a'), '022', 'r1');
    const b = spawned(await makeTempDir('mutate-b'), '077', 'r2');
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    assert.match(a.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(a.stdout, b.stdout);
    const index = await crane<Index>(['manifest', `${reg.host}/app/multi:r1`]);
    for (const m of index.manifests) {
      const config = await crane<Config>(['config', `${reg.host}/app/multi@${m.digest}`]);
      assert.equal(config.created, '2024-05-01T12:00:00Z');
    }
  });

  test('a mutate that changes nothing keeps every digest; --platform changes one platform only', async () => {
    const first = await ferry([
      'mutate',
      '--label',
      'x=1',
      `${reg.host}/app/multi:v1`,
      `${reg.host}/app/multi:x1`,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const again = await ferry([
      'mutate',
      '--label',
      'x=1',
      `${reg.host}/app/multi:x1`,
      `${reg.host}/app/multi:x2`,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first.stdout, 'the label was there: nothing changed');

    const arm = await ferry([
      'mutate',
      '--platform',
      'linux/arm64',
      '--label',
      'arm=yes',
      `${reg.host}/app/multi:v1`,
      `${reg.host}/app/multi:arm`,
    ]);
    assert.equal(arm.code, 0, arm.stderr);
    const index = await crane<Index>(['manifest', `${reg.host}/app/multi:arm`]);
    const digests = index.manifests.map((m) => m.digest);
    assert.equal(digests[0], multi.platforms[0]!.manifestDigest);
    assert.notEqual(digests[1], multi.platforms[1]!.manifestDigest);
    assert.equal(digests[2], multi.platforms[2]!.manifestDigest);
    assert.equal(digests[3], attestation, 'the amd64 image is as it was: its attestation stays');
  });

  test('--json lists what changed, per platform', async () => {
    const r = await ferry([
      'mutate',
      '--json',
      '--user',
      'nobody',
      `${reg.host}/app/multi:v1`,
      `${reg.host}/app/multi:j`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      changed: { platform: string; from: string; to: string }[];
      removed: string[];
    };
    assert.deepEqual(
      json.changed.map((c) => [c.platform, c.from]),
      multi.platforms.map((p) => [p.platform, p.manifestDigest]),
    );
    assert.deepEqual(json.removed, [attestation]);
  });

  test('bad input: one line, exit 2, nothing pushed', async () => {
    const src = `${reg.host}/app/multi:v1`;
    const dst = `${reg.host}/bad/multi:v1`;
    const cases: [string[], RegExp][] = [
      [['--label', 'novalue', src, dst], /--label must be KEY=VALUE/],
      [['--env', '=x', src, dst], /--env must be KEY=VALUE/],
      [[src, dst], /needs something to change/],
      [['--created', 'yesterday', '--label', 'a=b', src, dst], /--created must be/],
      [['--entrypoint', '[1]', src, dst], /JSON array of strings/],
    ];
    for (const [args, message] of cases) {
      const r = await ferry(['mutate', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
    }
    const tags = await runCrane(['ls', `${reg.host}/bad/multi`]).then(
      (out) => out.toString(),
      () => '',
    );
    assert.equal(tags, '', 'nothing was pushed');
  });
});
