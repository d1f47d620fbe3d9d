// Output forms added for scripts and narrow terminals: `ls -l` within 120 columns (--no-trunc for
// whole values), `ls -l --json` with `next`, `tag --json`/`--format`, `config --json`, and the
// `index` and `printf` template functions on a real registry's images.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  errorLine,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  skopeoRaw,
  startSeededRegistries,
  stopAll,
} from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { dockerRef, pushImage, registryAccess, skopeoInspectConfig } from '../harness/skopeo.js';

const LONG_TAG = `release-${'x'.repeat(110)}-final`;
const EIGHT = [
  'linux/amd64',
  'linux/arm64/v8',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
];

describe('output forms', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let host: string;
  let wide: ImageSummary;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
    wide = await generateImage({
      tag: 'v1',
      seed: 'wide',
      layers: [64],
      platforms: EIGHT,
      labels: { 'org.opencontainers.image.source': 'https://example.com/wide' },
    });
    await pushImage(s.registry, `lab/wide:${LONG_TAG}`, wide);
    await pushImage(s.registry, 'lab/wide:1.0', wide);
  });
  after(() => stopAll(seeded));

  test('ls -l fits 120 columns: short digests and media types, long tags and platform lists cut', async () => {
    const r = await run(s, ['ls', '-l', `${host}/lab/wide`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(line.length <= 120, `${line.length} columns: ${line}`);
    const hex = wide.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    assert.match(
      lines[1]!,
      new RegExp(
        `^1\\.0 +${hex} +oci index +linux/amd64,linux/arm64/v8 \\+6 +[\\d.]+ (B|KiB) +2024-01-01 00:00$`,
      ),
    );
    assert.match(lines[2]!, new RegExp(`^release-x{15}… +${hex} `));
  });

  test('ls -l --no-trunc: every value whole', async () => {
    const r = await run(s, ['ls', '-l', '--no-trunc', `${host}/lab/wide`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(LONG_TAG));
    assert.ok(r.stdout.includes(wide.digest));
    assert.ok(r.stdout.includes('application/vnd.oci.image.index.v1+json'));
    assert.ok(r.stdout.includes(EIGHT.join(',')));
  });

  test('ls -l --json --limit 1: the rows and next, as ls --json --limit 1 has it', async () => {
    const [long, short] = await Promise.all([
      run(s, ['ls', '-l', '--json', '--limit', '1', `${host}/lab/wide`]),
      run(s, ['ls', '--json', '--limit', '1', `${host}/lab/wide`]),
    ]);
    const rows = JSON.parse(long.stdout) as { repository: string; tags: { tag: string }[]; next: string };
    const tags = JSON.parse(short.stdout) as { repository: string; tags: string[]; next: string };
    assert.equal(rows.next, '1.0');
    assert.equal(rows.next, tags.next);
    assert.deepEqual(
      rows.tags.map((t) => t.tag),
      tags.tags,
    );
    assert.equal(rows.repository, tags.repository);
  });

  test('tag --json and --format: the new tag, its source and the digest both name', async () => {
    const [json, format] = await Promise.all([
      run(s, ['tag', '--json', `${host}/${SINGLE}:v1`, 'json']),
      run(s, ['tag', '-q', '--format', '{{.Reference}} {{.Digest}}', `${host}/${SINGLE}:v1`, 'format']),
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      reference: `${host}/${SINGLE}:json`,
      source: `${host}/${SINGLE}:v1`,
      digest: s.images.single.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.match(json.stderr, /^tagged /, 'the news stays on stderr');
    assert.equal(format.stdout, `${host}/${SINGLE}:format ${s.images.single.digest}\n`);
    assert.equal(format.stderr, '');
    assert.deepEqual(await skopeoRaw(s, `${SINGLE}:format`), await skopeoRaw(s, `${SINGLE}:v1`));
  });

  test('tag --json with --format: exit 2', async () => {
    const r = await run(s, ['tag', '--json', '--format', '{{.Digest}}', `${host}/${SINGLE}:v1`, 'x']);
    assert.equal(r.code, 2);
    assert.equal(errorLine(r), 'ferry: --json and --format cannot be used together');
  });

  test('config --json: the config bytes, as skopeo reads them', async () => {
    const [r, expected] = await Promise.all([
      run(s, ['config', '--json', `${host}/${SINGLE}:v1`]),
      skopeoInspectConfig(dockerRef(s.registry, `${SINGLE}:v1`), registryAccess(s.registry)),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdoutBytes, expected);
  });

  test('templates: index reads a dotted label key, printf lays out columns', async () => {
    const [label, columns] = await Promise.all([
      run(s, [
        'config',
        '--platform',
        'linux/s390x',
        '--format',
        '{{index .Config.config.Labels "org.opencontainers.image.source"}}',
        `${host}/lab/wide:1.0`,
      ]),
      run(s, [
        'ls',
        '--format',
        '{{printf "%-6s|%.19s|%5d" .Tag .Digest (len .Platforms)}}',
        `${host}/lab/wide`,
      ]),
    ]);
    assert.equal(label.code, 0, label.stderr);
    assert.equal(label.stdout, 'https://example.com/wide\n');
    assert.equal(columns.code, 0, columns.stderr);
    assert.equal(columns.stdout.split('\n')[0], `1.0   |${wide.digest.slice(0, 19)}|    8`);
  });

  test('ls lists 1.0.0-rc1 before 1.0.0 (semver pre-releases), rc2 before rc10, variants after', async () => {
    const tags = ['1.0.0', '1.0.0-alpine', '1.0.0-rc10', '0.9', '1.0.0-rc2', 'v1', '1.0.0-rc1', '1.0.1'];
    const first = await run(s, ['copy', '-q', `${host}/${SINGLE}:v1`, `${host}/lab/semver:${tags[0]}`]);
    assert.equal(first.code, 0, first.stderr);
    for (const tag of tags.slice(1)) {
      const r = await run(s, ['tag', `${host}/lab/semver:${tags[0]}`, tag]);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await run(s, ['ls', `${host}/lab/semver`]);
    assert.equal(
      r.stdout,
      ['0.9', '1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc10', '1.0.0', '1.0.0-alpine', '1.0.1', 'v1', ''].join('\n'),
    );
  });
});
