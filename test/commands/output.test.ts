// Scripting output against the real registry: every command that prints data has --json with the
// shape docs/output.md documents (checked here key by key and type by type, written out
// independently of src/ui/shapes/) and --format rendering one line per item; a bad template is
// exit 2 before any request; progress and status stay on stderr.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import {
  MULTI,
  MULTI_PLATFORMS,
  REPOSITORIES,
  requestsDuring,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  skopeoRaw,
  startSeededRegistries,
  stopAll,
  TAGS_REPO,
  TAGS_VERSION_ORDER,
} from '../harness/fixtures.js';
import { generateImage, type ImageSummary, OCI_INDEX, OCI_MANIFEST, sha256 } from '../harness/images.js';
import { freePort } from '../harness/ports.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

/** A tiny schema: each key's type; the object must have exactly these keys. */
type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'string|null'
  | 'number|null'
  | 'object'
  | 'object[]';

function assertShape(value: unknown, schema: Record<string, Kind>, what = 'value'): void {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is an object`);
  const record = value as Record<string, unknown>;
  assert.deepEqual(Object.keys(record).sort(), Object.keys(schema).sort(), `${what}: its keys`);
  for (const [key, kind] of Object.entries(schema)) {
    const v = record[key];
    const ok =
      kind === 'string[]'
        ? Array.isArray(v) && v.every((x) => typeof x === 'string')
        : kind === 'string|null' || kind === 'number|null'
          ? v === null || typeof v === kind.split('|')[0]
          : kind === 'object'
            ? v !== null && typeof v === 'object'
            : kind === 'object[]'
              ? Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object')
              : typeof v === kind;
    assert.ok(ok, `${what}.${key} is a ${kind}, got ${JSON.stringify(v)}`);
  }
}

const CATALOG = { registry: 'string', repositories: 'string[]', next: 'string|null' } as const;
const TAGS = { repository: 'string', tags: 'string[]', next: 'string|null' } as const;
const TAG_ROW = {
  tag: 'string',
  digest: 'string',
  mediaType: 'string',
  platforms: 'string[]',
  size: 'number',
  created: 'string|null',
} as const;
const DIGEST = { reference: 'string', digest: 'string', platform: 'string|null' } as const;
const MANIFEST = {
  reference: 'string',
  digest: 'string',
  mediaType: 'string',
  size: 'number',
  platform: 'string|null',
  manifest: 'object',
} as const;
const EXISTS = { reference: 'string', exists: 'boolean', digest: 'string|null' } as const;
const DELETE = {
  reference: 'string',
  kind: 'string',
  digest: 'string',
  dryRun: 'boolean',
  namedBy: 'string[]',
} as const;
const TRANSFER = {
  source: 'string',
  destination: 'string',
  outcome: 'string',
  digest: 'string|null',
  mediaType: 'string|null',
  size: 'number|null',
  sourceDigest: 'string|null',
  changes: 'object[]',
  error: 'string|null',
  referrers: 'number',
  referrersLeft: 'number|null',
  copied: 'number',
  skipped: 'number',
  mounted: 'number',
  bytes: 'number',
  manifests: 'number',
  existing: 'boolean',
} as const;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** Runs the CLI in-process with stdout and stderr that say whether they are terminals. */
async function ferryTty(
  args: string[],
  env: NodeJS.ProcessEnv,
  tty: { stdout: boolean; stderr: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const capture = (isTTY: boolean) => {
    const chunks: Buffer[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          chunks.push(Buffer.from(chunk));
          done();
        },
      }),
      { isTTY },
    );
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const out = capture(tty.stdout);
  const err = capture(tty.stderr);
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    stdin: new PassThrough().end(),
    env,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const ESC = '\u001b[';

/** stdout as lines (the trailing newline dropped). */
const lines = (stdout: string): string[] => stdout.replace(/\n$/, '').split('\n');

describe('scripting output', () => {
  let s: SeededRegistry;
  let host: string;
  let seeded: Awaited<ReturnType<typeof startSeededRegistries<'anonymous'>>>;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
  });
  after(() => stopAll(seeded));

  describe('catalog', () => {
    test('--json: {registry, repositories, next}, with or without --limit', async () => {
      const [all, page, last] = await Promise.all([
        run(s, ['catalog', '--json', host]),
        run(s, ['catalog', '--json', '--limit', '1', host]),
        run(s, ['catalog', '--json', '--limit', '1', '--last', 'lab/single', host]),
      ]);
      for (const r of [all, page, last]) {
        assert.equal(r.code, 0, r.stderr);
        assertShape(JSON.parse(r.stdout), CATALOG, 'catalog --json');
      }
      assert.deepEqual(JSON.parse(all.stdout), {
        registry: host,
        repositories: [...REPOSITORIES],
        next: null,
      });
      assert.deepEqual(JSON.parse(page.stdout), { registry: host, repositories: [MULTI], next: MULTI });
      assert.deepEqual(JSON.parse(last.stdout), { registry: host, repositories: [TAGS_REPO], next: null });
    });

    test('--format: one line per repository', async () => {
      const r = await run(s, ['catalog', '--format', '{{.Registry}}/{{.Repository}}', host]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        lines(r.stdout),
        REPOSITORIES.map((name) => `${host}/${name}`),
      );
      const json = await run(s, ['catalog', '--format', '{{json .}}', host]);
      for (const line of lines(json.stdout))
        assertShape(JSON.parse(line), { repository: 'string', registry: 'string' });
    });
  });

  describe('ls', () => {
    test('--json: {repository, tags, next}', async () => {
      const [r, page] = await Promise.all([
        run(s, ['ls', '--json', `${host}/${TAGS_REPO}`]),
        run(s, ['ls', '--json', '--limit', '2', `${host}/${TAGS_REPO}`]),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assertShape(JSON.parse(r.stdout), TAGS, 'ls --json');
      assert.deepEqual(JSON.parse(r.stdout), {
        repository: `${host}/${TAGS_REPO}`,
        tags: [...TAGS_VERSION_ORDER],
        next: null,
      });
      assert.deepEqual(JSON.parse(page.stdout), {
        repository: `${host}/${TAGS_REPO}`,
        tags: ['1.2', '1.10'],
        next: '1.2',
      });
    });

    test('-l --json: {repository, tags: [{tag, digest, mediaType, platforms, size, created}], next}', async () => {
      const r = await run(s, ['ls', '-l', '--json', `${host}/${MULTI}`]);
      assert.equal(r.code, 0, r.stderr);
      const listed = JSON.parse(r.stdout) as { repository: string; tags: unknown[]; next: null };
      assertShape(listed, { repository: 'string', tags: 'object', next: 'string|null' }, 'ls -l --json');
      const rows = listed.tags;
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assertShape(row, TAG_ROW, 'ls -l --json row');
        assert.match((row as { digest: string }).digest, DIGEST_RE);
      }
    });

    test('--format {{.Tag}}: one line per tag, and no manifest requests', async () => {
      const { value: r, requests } = await requestsDuring(s.registry, () =>
        run(s, ['ls', '--format', 'tag={{.Tag}} repo={{.Repository}}', `${host}/${TAGS_REPO}`]),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        lines(r.stdout),
        TAGS_VERSION_ORDER.map((tag) => `tag=${tag} repo=${host}/${TAGS_REPO}`),
      );
      assert.deepEqual(
        requests.filter((q) => q.path.includes('/manifests/') || q.path.includes('/blobs/')),
        [],
        'the template reads nothing that needs a manifest',
      );
    });

    test("--format '{{.Tag}} {{.Digest}}': the tags are described for it", async () => {
      const r = await run(s, [
        'ls',
        '--format',
        '{{.Tag}} {{.Digest}} {{join .Platforms ","}}',
        `${host}/${MULTI}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout), [
        `v1 ${s.images.multi.digest} ${MULTI_PLATFORMS.join(',')}`,
        `v1-docker ${s.multiDockerDigest} ${MULTI_PLATFORMS.join(',')}`,
      ]);
    });

    test('--format {{json .}}: the -l row plus the repository; -l with --format prints no table', async () => {
      const [r, long] = await Promise.all([
        run(s, ['ls', '--format', '{{json .}}', `${host}/${SINGLE}`]),
        run(s, ['ls', '-l', '--format', '{{.Tag}}\\t{{.MediaType}}\\t{{.Size}}', `${host}/${SINGLE}`]),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const item = JSON.parse(r.stdout) as Record<string, unknown>;
      assertShape(item, { repository: 'string', ...TAG_ROW }, 'ls --format item');
      assert.equal(item['created'], '2024-01-01T00:00:00Z');
      assert.deepEqual(item['platforms'], ['linux/amd64']);
      assert.equal(long.stdout, `v1\t${OCI_MANIFEST}\t${item['size']}\n`);
    });
  });

  describe('digest', () => {
    test('--json and --format, with and without --platform', async () => {
      const arm = s.images.multi.platforms.find((p) => p.platform === 'linux/arm64/v8');
      assert.ok(arm);
      const [plain, json, platform, format] = await Promise.all([
        run(s, ['digest', `${host}/${MULTI}:v1`]),
        run(s, ['digest', '--json', `${host}/${MULTI}:v1`]),
        run(s, ['digest', '--json', '--platform', 'linux/arm64', `${host}/${MULTI}:v1`]),
        run(s, ['digest', '--format', '{{.Reference}}@{{.Digest}} {{.Platform}}', `${host}/${MULTI}:v1`]),
      ]);
      assert.equal(plain.stdout, `${s.images.multi.digest}\n`);
      assertShape(JSON.parse(json.stdout), DIGEST, 'digest --json');
      assert.deepEqual(JSON.parse(json.stdout), {
        reference: `${host}/${MULTI}:v1`,
        digest: s.images.multi.digest,
        platform: null,
      });
      assert.deepEqual(JSON.parse(platform.stdout), {
        reference: `${host}/${MULTI}:v1`,
        digest: arm.manifestDigest,
        platform: 'linux/arm64',
      });
      assert.equal(format.stdout, `${host}/${MULTI}:v1@${s.images.multi.digest} \n`);
    });
  });

  describe('manifest', () => {
    test('prints the bytes as served, with --json too', async () => {
      const [plain, json, skopeo] = await Promise.all([
        run(s, ['manifest', `${host}/${MULTI}:v1-docker`]),
        run(s, ['manifest', '--json', `${host}/${MULTI}:v1-docker`]),
        skopeoRaw(s, `${MULTI}:v1-docker`),
      ]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.ok(plain.stdoutBytes.equals(skopeo), 'byte for byte');
      assert.ok(json.stdoutBytes.equals(skopeo), '--json: the same bytes');
      assert.equal(sha256(json.stdoutBytes), s.multiDockerDigest);
    });

    test('--format: the descriptor view and the parsed manifest', async () => {
      const arm = s.images.multi.platforms.find((p) => p.platform === 'linux/arm/v7');
      assert.ok(arm);
      const [index, child, all] = await Promise.all([
        run(s, [
          'manifest',
          '--format',
          '{{.MediaType}} {{.Digest}} {{.Size}} {{len .Manifest.manifests}}',
          `${host}/${MULTI}:v1`,
        ]),
        run(s, [
          'manifest',
          '--platform',
          'linux/arm/v7',
          '--format',
          '{{.Platform}} {{.Digest}} {{range .Manifest.layers}}{{.size}} {{end}}',
          `${host}/${MULTI}:v1`,
        ]),
        run(s, ['manifest', '--format', '{{json .}}', `${host}/${SINGLE}:v1`]),
      ]);
      assert.equal(index.code, 0, index.stderr);
      assert.equal(index.stdout, `${OCI_INDEX} ${s.images.multi.digest} ${s.images.multi.size} 3\n`);
      assert.equal(
        child.stdout,
        `linux/arm/v7 ${arm.manifestDigest} ${arm.layers.map((l) => `${l.size} `).join('')}\n`,
      );
      const view = JSON.parse(all.stdout) as Record<string, unknown>;
      assertShape(view, MANIFEST, 'manifest --format {{json .}}');
      assert.deepEqual(view['manifest'], JSON.parse((await skopeoRaw(s, `${SINGLE}:v1`)).toString('utf8')));
    });
  });

  describe('config and ratelimit', () => {
    test('config --format: the descriptor and the parsed config; the default stays byte for byte', async () => {
      const platform = s.images.multi.platforms.find((p) => p.platform === 'linux/arm/v7');
      assert.ok(platform);
      const [format, raw] = await Promise.all([
        run(s, [
          'config',
          '--platform',
          'linux/arm/v7',
          '--format',
          '{{.Digest}} {{.Platform}} {{.Config.os}}/{{.Config.architecture}}/{{.Config.variant}} {{.Size}}',
          `${host}/${MULTI}:v1`,
        ]),
        run(s, ['config', '--platform', 'linux/arm/v7', `${host}/${MULTI}:v1`]),
      ]);
      assert.equal(format.code, 0, format.stderr);
      assert.equal(
        format.stdout,
        `${platform.configDigest} linux/arm/v7 linux/arm/v7 ${platform.configSize}\n`,
      );
      assert.equal(sha256(raw.stdoutBytes), platform.configDigest);
    });

    test('ratelimit --json and --format: nulls from a registry that states no limit', async () => {
      const [json, format] = await Promise.all([
        run(s, ['ratelimit', '--json', `${host}/${SINGLE}:v1`]),
        run(s, [
          '-q',
          'ratelimit',
          '--format',
          '[{{.Limit}}|{{.Remaining}}|{{json .Source}}]',
          `${host}/${SINGLE}:v1`,
        ]),
      ]);
      assert.equal(json.code, 0, json.stderr);
      assertShape(JSON.parse(json.stdout), {
        limit: 'number|null',
        remaining: 'number|null',
        windowSeconds: 'number|null',
        resetSeconds: 'number|null',
        source: 'string|null',
      });
      assert.equal(format.stdout, '[||null]\n');
      assert.equal(format.stderr, '');
    });
  });

  describe('exists', () => {
    test('--json and --format answer for present and absent; the exit code is 0 or 1 either way', async () => {
      const [present, absent, format, quiet] = await Promise.all([
        run(s, ['exists', '--json', `${host}/${SINGLE}:v1`]),
        run(s, ['exists', '--json', `${host}/${SINGLE}:nope`]),
        run(s, ['exists', '--format', '{{.Exists}} {{.Digest}}', `${host}/${SINGLE}:nope`]),
        run(s, ['-q', 'exists', '--format', '{{.Exists}}', `${host}/${SINGLE}:v1`]),
      ]);
      assert.equal(present.code, 0, present.stderr);
      assertShape(JSON.parse(present.stdout), EXISTS);
      assert.deepEqual(JSON.parse(present.stdout), {
        reference: `${host}/${SINGLE}:v1`,
        exists: true,
        digest: s.images.single.digest,
      });
      assert.equal(absent.code, 1);
      assert.deepEqual(JSON.parse(absent.stdout), {
        reference: `${host}/${SINGLE}:nope`,
        exists: false,
        digest: null,
      });
      assert.equal(format.code, 1);
      assert.equal(format.stdout, 'false \n');
      assert.equal(quiet.stdout, 'true\n', 'data asked for prints under -q');
    });
  });

  describe('delete', () => {
    let image: ImageSummary;
    before(async () => {
      image = await generateImage({ tag: 'v1', seed: 'output-delete', layers: [100] });
      for (const tag of ['a', 'b', 'c']) await pushImage(s.registry, `out/del:${tag}`, image);
    });

    test('--json --dry-run, then --json, then --format by digest', async () => {
      const dry = await run(s, ['delete', '--dry-run', '--json', `${host}/out/del:a`]);
      assert.equal(dry.code, 0, dry.stderr);
      assertShape(JSON.parse(dry.stdout), DELETE);
      assert.deepEqual(JSON.parse(dry.stdout), {
        reference: `${host}/out/del:a`,
        kind: 'tag',
        digest: image.digest,
        dryRun: true,
        namedBy: [],
      });
      assert.equal((await run(s, ['exists', '-q', `${host}/out/del:a`])).code, 0, 'dry run: still there');

      const real = await run(s, ['delete', '--json', `${host}/out/del:a`]);
      assert.equal(real.code, 0, real.stderr);
      assert.deepEqual(JSON.parse(real.stdout), { ...JSON.parse(dry.stdout), dryRun: false });
      assert.match(real.stderr, /^deleted tag /, 'the news stays on stderr');
      assert.equal((await run(s, ['exists', '-q', `${host}/out/del:a`])).code, 1);

      const byDigest = await run(s, [
        '-q',
        'delete',
        '--format',
        '{{.Kind}} {{.Digest}} {{.DryRun}}',
        `${host}/out/del@${image.digest}`,
      ]);
      assert.equal(byDigest.code, 0, byDigest.stderr);
      assert.equal(byDigest.stdout, `manifest ${image.digest} false\n`);
      assert.equal(byDigest.stderr, '', '-q: no status line');
    });
  });

  describe('pull, push, copy', () => {
    let work: string;
    before(async () => {
      work = await makeTempDir('output-transfer');
    });

    test('pull --json: the summary on stdout, the tarball in the file', async () => {
      const file = join(work, 'single.tar');
      const r = await run(s, ['pull', '--json', `${host}/${SINGLE}:v1`, file]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as Record<string, unknown>;
      assertShape(summary, TRANSFER, 'pull --json');
      assert.equal(summary['source'], `docker://${host}/${SINGLE}:v1`);
      assert.equal(summary['destination'], `docker-archive:${file}`);
      assert.equal(summary['copied'], 3, 'a config and two layers');
      assert.equal(summary['existing'], false);
      assert.ok((await readFile(file)).length > 0);
      assert.match(r.stderr, /blobs copied/, 'the closing line stays on stderr');
    });

    test('pull --template (its --format is the archive format); pull to stdout refuses --json', async () => {
      const dir = join(work, 'multi-oci');
      const r = await run(s, [
        '-q',
        'pull',
        '--format',
        'oci-dir',
        '--template',
        '{{.Digest}} {{.Destination}}',
        `${host}/${MULTI}:v1`,
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${s.images.multi.digest} oci:${dir}:v1\n`);
      assert.equal(r.stderr, '');
      const port = await freePort();
      const toStdout = await ferry(['pull', '--json', `127.0.0.1:${port}/x:v1`, '-']);
      assert.equal(toStdout.code, 2, 'a usage error, before any request (the port is dead)');
      assert.match(toStdout.stderr, /stdout/);
    });

    test('push --json and --format', async () => {
      const layout = await generateImage({ tag: 'v1', seed: 'output-push', layers: [300] });
      const json = await run(s, ['push', '--json', layout.ref, `${host}/out/push:v1`]);
      assert.equal(json.code, 0, json.stderr);
      const summary = JSON.parse(json.stdout) as Record<string, unknown>;
      assertShape(summary, TRANSFER, 'push --json');
      assert.equal(summary['digest'], layout.digest);
      assert.equal(summary['destination'], `docker://${host}/out/push:v1`);
      const again = await run(s, [
        'push',
        '--format',
        '{{.Copied}} {{.Skipped}} {{.Manifests}}',
        layout.ref,
        `${host}/out/push:v2`,
      ]);
      assert.equal(again.stdout, '0 2 1\n', 'the blobs were there: skipped');
    });

    test('copy --json; copy -a --json is an array; -n marks what it left alone', async () => {
      const one = await run(s, ['copy', '--json', `${host}/${MULTI}:v1`, `${host}/out/copy:v1`]);
      assert.equal(one.code, 0, one.stderr);
      assertShape(JSON.parse(one.stdout), TRANSFER, 'copy --json');
      assert.equal((JSON.parse(one.stdout) as { digest: string }).digest, s.images.multi.digest);

      const all = await run(s, ['copy', '-a', '-n', '--json', `${host}/${MULTI}`, `${host}/out/copy`]);
      assert.equal(all.code, 0, all.stderr);
      const results = JSON.parse(all.stdout) as Record<string, unknown>[];
      assert.ok(Array.isArray(results));
      for (const result of results) assertShape(result, TRANSFER, 'copy -a --json item');
      assert.deepEqual(results.map((x) => [x['destination'], x['existing'], x['digest']]).sort(), [
        [`docker://${host}/out/copy:v1`, true, s.images.multi.digest],
        [`docker://${host}/out/copy:v1-docker`, false, s.multiDockerDigest],
      ]);
      const format = await run(s, [
        '-q',
        'copy',
        '-n',
        '--format',
        '{{.Existing}} {{.Copied}}',
        `${host}/${MULTI}:v1`,
        `${host}/out/copy:v1`,
      ]);
      assert.equal(format.stdout, 'true 0\n');
      assert.equal(format.stderr, '');
    });
  });

  describe('usage errors come before any request', () => {
    const dead = async () => `127.0.0.1:${await freePort()}`;
    const cases: Array<[name: string, args: (h: string) => string[], message: RegExp]> = [
      [
        'ls: unknown field',
        (h) => ['ls', '--format', '{{.Nope}}', `${h}/a`],
        /--format: unknown field \.Nope; valid fields: \.Repository, \.Tag, \.Digest/,
      ],
      ['ls: bad syntax', (h) => ['ls', '--format', '{{.Tag', `${h}/a`], /unclosed action/],
      [
        'catalog: unknown field',
        (h) => ['catalog', '--format', '{{.Tag}}', h],
        /valid fields: \.Repository, \.Registry/,
      ],
      [
        'digest: unknown field',
        (h) => ['digest', '--format', '{{.Size}}', `${h}/a:v1`],
        /unknown field \.Size/,
      ],
      [
        'manifest: unknown field',
        (h) => ['manifest', '--format', '{{.Layers}}', `${h}/a:v1`],
        /unknown field \.Layers/,
      ],
      [
        'exists: unknown field',
        (h) => ['exists', '--format', '{{.Present}}', `${h}/a:v1`],
        /unknown field \.Present/,
      ],
      [
        'delete: unknown field',
        (h) => ['delete', '--format', '{{.Tag}}', `${h}/a:v1`],
        /unknown field \.Tag/,
      ],
      [
        'copy: unknown field',
        (h) => ['copy', '--format', '{{.Blobs}}', `${h}/a:v1`, `${h}/b:v1`],
        /unknown field \.Blobs/,
      ],
      ['config: unknown field', (h) => ['config', '--format', '{{.Os}}', `${h}/a:v1`], /unknown field \.Os/],
      [
        'ratelimit: unknown field',
        (h) => ['ratelimit', '--format', '{{.Reset}}', `${h}/a:v1`],
        /unknown field \.Reset/,
      ],
      [
        'push: unknown field',
        (h) => ['push', '--format', '{{.Blobs}}', 'oci:/nonexistent:v1', `${h}/b:v1`],
        /unknown field \.Blobs/,
      ],
      [
        'pull --template: unknown field',
        (h) => ['pull', '--template', '{{.Blobs}}', `${h}/a:v1`, '/tmp/x.tar'],
        /--template: unknown field \.Blobs/,
      ],
      [
        '--json with --format',
        (h) => ['ls', '--json', '--format', '{{.Tag}}', `${h}/a`],
        /--json and --format cannot be used together/,
      ],
      [
        'digest --json with --format',
        (h) => ['digest', '--json', '--format', '{{.Digest}}', `${h}/a:v1`],
        /cannot be used together/,
      ],
    ];
    for (const [name, args, message] of cases) {
      test(`${name}: exit 2 (not 4: the registry port is dead)`, async () => {
        const r = await ferry(args(await dead()));
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^ferry: [^\n]+\n$/, 'one line');
        assert.match(r.stderr, message);
      });
    }
  });

  describe('colour: only on a terminal, never with NO_COLOR, TERM=dumb or --no-color', () => {
    const table = (env: NodeJS.ProcessEnv, stdout: boolean, ...flags: string[]) =>
      ferryTty([...flags, 'ls', '-l', `${host}/${SINGLE}`], baseEnv(env), { stdout, stderr: stdout });
    const cases: Array<
      [what: string, env: NodeJS.ProcessEnv, tty: boolean, flags: string[], coloured: boolean]
    > = [
      ['a terminal', { TERM: 'xterm' }, true, [], true],
      ['a pipe', { TERM: 'xterm' }, false, [], false],
      ['a terminal with TERM=dumb', { TERM: 'dumb' }, true, [], false],
      ['a terminal with NO_COLOR=1', { TERM: 'xterm', NO_COLOR: '1' }, true, [], false],
      ['a terminal with --no-color', { TERM: 'xterm' }, true, ['--no-color'], false],
      ['a pipe with FORCE_COLOR=1', { FORCE_COLOR: '1' }, false, [], true],
      ['FORCE_COLOR=1 and NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }, false, [], false],
    ];
    for (const [what, env, tty, flags, coloured] of cases) {
      test(`ls -l on ${what}: ${coloured ? 'a bold header' : 'no escape codes'}`, async () => {
        const r = await table(env, tty, ...flags);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.includes(ESC), coloured, JSON.stringify(r.stdout.split('\n')[0]));
        if (coloured) assert.ok(r.stdout.startsWith(`${ESC}1mTAG`));
        assert.equal(r.stdout.replace(/\u001b\[\d+m/g, ''), (await table({}, false)).stdout, 'the same text');
      });
    }

    test('data is never coloured: --json, --format and plain lists stay clean with FORCE_COLOR', async () => {
      for (const args of [
        ['ls', '-l', '--json', `${host}/${SINGLE}`],
        ['ls', '--format', '{{.Tag}} {{.Digest}}', `${host}/${SINGLE}`],
        ['ls', `${host}/${SINGLE}`],
        ['digest', `${host}/${SINGLE}:v1`],
      ]) {
        const r = await ferryTty(args, baseEnv({ FORCE_COLOR: '1' }), { stdout: true, stderr: true });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes(ESC), `${args.join(' ')}: ${JSON.stringify(r.stdout)}`);
      }
    });
  });

  describe('--quiet everywhere: status lines go, data and errors stay', () => {
    test('ls and catalog page hints', async () => {
      const [ls, catalog] = await Promise.all([
        run(s, ['-q', 'ls', '--limit', '1', `${host}/${TAGS_REPO}`]),
        run(s, ['--quiet', 'catalog', '--limit', '1', host]),
      ]);
      assert.deepEqual([ls.code, ls.stdout, ls.stderr], [0, '1.10\n', '']);
      assert.deepEqual([catalog.code, catalog.stdout, catalog.stderr], [0, `${MULTI}\n`, '']);
    });

    test('pull, push and copy: no progress and no closing line', async () => {
      const work = await makeTempDir('output-quiet');
      const layout = await generateImage({ tag: 'v1', seed: 'output-quiet', layers: [200] });
      const results = [
        await run(s, ['-q', 'pull', `${host}/${SINGLE}:v1`, join(work, 'a.tar')]),
        await run(s, ['-q', 'push', layout.ref, `${host}/out/quiet:v1`]),
        await run(s, ['-q', 'copy', `${host}/out/quiet:v1`, `${host}/out/quiet:v2`]),
        await run(s, ['-q', 'copy', '-n', `${host}/out/quiet:v1`, `${host}/out/quiet:v2`]),
      ];
      for (const r of results) assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    });

    test('delete: the "deleted" line goes; exists -q: nothing at all', async () => {
      const image = await generateImage({ tag: 'v1', seed: 'output-quiet-del', layers: [100] });
      await pushImage(s.registry, 'out/quiet-del:v1', image);
      const del = await run(s, ['-q', 'delete', `${host}/out/quiet-del:v1`]);
      assert.deepEqual([del.code, del.stdout, del.stderr], [0, '', '']);
      const exists = await run(s, ['-q', 'exists', `${host}/out/quiet-del:v1`]);
      assert.deepEqual([exists.code, exists.stdout, exists.stderr], [1, '', '']);
    });

    test('errors still print under -q', async () => {
      const r = await run(s, ['-q', 'manifest', `${host}/${SINGLE}:nope`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ferry: manifest .* not found\n$/);
    });
  });
});
