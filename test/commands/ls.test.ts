// `ferry ls` against the real registry in every auth mode, with skopeo as the referee: the tags
// are skopeo's list-tags as a set, printed in version order; `-l` shows what skopeo reads from the
// manifests and configs (digest, media type, platforms, size, created); `--limit`/`--last` page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { humanSize } from '../../src/ui/table.js';
import {
  describeSeeded,
  errorLine,
  MODES,
  MULTI,
  MULTI_PLATFORMS,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  TAGS,
  TAGS_REPO,
  TAGS_VERSION_ORDER,
} from '../harness/fixtures.js';
import { OCI_INDEX, OCI_MANIFEST, sha256 } from '../harness/images.js';
import {
  dockerRef,
  registryAccess,
  skopeoInspectConfig,
  skopeoInspectRaw,
  skopeoListTags,
} from '../harness/skopeo.js';

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** One `ls -l --json` entry. */
interface Row {
  tag: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  size: number;
  created: string | null;
}

interface RawManifest {
  mediaType: string;
  config?: { size: number };
  layers?: { size: number }[];
  manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[];
}

/**
 * What `ls -l` should say about `repo:tag`, read with skopeo: the digest of the served bytes, their
 * media type, the platforms (the index's entries, or the config's for one image), the compressed
 * size of every config and layer referenced, and the newest config `created`.
 */
async function referee(s: SeededRegistry, repo: string, tag: string): Promise<Row> {
  const access = registryAccess(s.registry);
  const read = async (ref: string) => {
    const bytes = await skopeoInspectRaw(dockerRef(s.registry, `${repo}${ref}`), access);
    const config = JSON.parse(
      (await skopeoInspectConfig(dockerRef(s.registry, `${repo}${ref}`), access)).toString('utf8'),
    ) as {
      created: string;
      os: string;
      architecture: string;
      variant?: string;
    };
    return { bytes, manifest: JSON.parse(bytes.toString('utf8')) as RawManifest, config };
  };
  const imageSize = (m: RawManifest) =>
    (m.layers ?? []).reduce((sum, l) => sum + l.size, m.config?.size ?? 0);
  const top = await skopeoInspectRaw(dockerRef(s.registry, `${repo}:${tag}`), access);
  const manifest = JSON.parse(top.toString('utf8')) as RawManifest;
  if (!manifest.manifests) {
    const { config } = await read(`:${tag}`);
    return {
      tag,
      digest: sha256(top),
      mediaType: manifest.mediaType,
      platforms: [[config.os, config.architecture, config.variant].filter(Boolean).join('/')],
      size: imageSize(manifest),
      created: config.created,
    };
  }
  const children = await Promise.all(manifest.manifests.map((m) => read(`@${m.digest}`)));
  return {
    tag,
    digest: sha256(top),
    mediaType: manifest.mediaType,
    platforms: manifest.manifests.map((m) =>
      [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'),
    ),
    size: children.reduce((sum, c) => sum + imageSize(c.manifest), 0),
    created:
      children
        .map((c) => c.config.created)
        .sort()
        .at(-1) ?? null,
  };
}

/** The `ls -l` table as rows of cells (columns are separated by two or more spaces). */
function parseTable(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}

describeSeeded('ferry ls', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test("the tags are skopeo's, printed in version order", async () => {
        const s = seeded[mode];
        const [result, skopeoTags, alias] = await Promise.all([
          run(s, ['ls', `${s.registry.host}/${TAGS_REPO}`]),
          skopeoListTags(dockerRef(s.registry, TAGS_REPO), registryAccess(s.registry)),
          run(s, ['tags', `${s.registry.host}/${TAGS_REPO}`]),
        ]);
        assert.equal(result.stderr, '');
        assert.equal(result.code, 0);
        assert.deepEqual(new Set(result.stdout.trimEnd().split('\n')), new Set(skopeoTags));
        assert.equal(skopeoTags.length, TAGS.length);
        assert.equal(result.stdout, `${TAGS_VERSION_ORDER.join('\n')}\n`);
        assert.equal(alias.stdout, result.stdout, 'tags is an alias of ls');
      });

      test('--json: {repository, tags, next}', async () => {
        const s = seeded[mode];
        const [tags, multi] = await Promise.all([
          run(s, ['ls', '--json', `${s.registry.host}/${TAGS_REPO}`]),
          run(s, ['ls', '--json', `${s.registry.host}/${MULTI}`]),
        ]);
        assert.equal(tags.code, 0, tags.stderr);
        assert.deepEqual(JSON.parse(tags.stdout), {
          repository: `${s.registry.host}/${TAGS_REPO}`,
          tags: [...TAGS_VERSION_ORDER],
          next: null,
        });
        assert.deepEqual(JSON.parse(multi.stdout), {
          repository: `${s.registry.host}/${MULTI}`,
          tags: ['v1', 'v1-docker'],
          next: null,
        });
      });

      test('-l --no-trunc: a table of digest, media type, platforms, size and created per tag', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [multi, single, oci, docker, one] = await Promise.all([
          run(s, ['ls', '-l', '--no-trunc', `${host}/${MULTI}`]),
          run(s, ['ls', '-l', '--no-trunc', `${host}/${SINGLE}`]),
          referee(s, MULTI, 'v1'),
          referee(s, MULTI, 'v1-docker'),
          referee(s, SINGLE, 'v1'),
        ]);
        assert.equal(multi.code, 0, multi.stderr);
        assert.equal(single.code, 0, single.stderr);
        const header = ['TAG', 'DIGEST', 'MEDIA TYPE', 'PLATFORMS', 'SIZE', 'CREATED'];
        const multiTable = parseTable(multi.stdout);
        assert.deepEqual(multiTable[0], header);
        // The size of an index is checked on its own below (a known bug).
        assert.deepEqual(
          multiTable.slice(1).map((row) => [row[0], row[1], row[2], row[3], row[5]]),
          [
            ['v1', s.images.multi.digest, OCI_INDEX, MULTI_PLATFORMS.join(','), oci.created],
            ['v1-docker', s.multiDockerDigest, DOCKER_LIST, MULTI_PLATFORMS.join(','), docker.created],
          ],
        );
        assert.deepEqual(
          multiTable.slice(1).map((row) => [row[1], row[2], row[3]]),
          [oci, docker].map((r) => [r.digest, r.mediaType, r.platforms.join(',')]),
        );
        assert.deepEqual(parseTable(single.stdout), [
          header,
          [
            'v1',
            s.images.single.digest,
            OCI_MANIFEST,
            'linux/amd64',
            humanSize(one.size),
            '2024-01-01T00:00:00Z',
          ],
        ]);
        assert.deepEqual(parseTable(single.stdout)[1], [
          one.tag,
          one.digest,
          one.mediaType,
          one.platforms.join(','),
          humanSize(one.size),
          one.created,
        ]);
      });

      test('-l --json: objects with digest, mediaType, platforms, size and created', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [multi, tags, oci, docker, tagged] = await Promise.all([
          run(s, ['ls', '-l', '--json', `${host}/${MULTI}`]),
          run(s, ['ls', '-l', '--json', '--limit', '2', `${host}/${TAGS_REPO}`]),
          referee(s, MULTI, 'v1'),
          referee(s, MULTI, 'v1-docker'),
          referee(s, TAGS_REPO, '1.2'),
        ]);
        assert.equal(multi.code, 0, multi.stderr);
        const listed = JSON.parse(multi.stdout) as { repository: string; tags: Row[]; next: string | null };
        assert.equal(listed.repository, `${host}/${MULTI}`);
        assert.equal(listed.next, null);
        const rows = listed.tags;
        // The size of an index is checked on its own below (a known bug).
        assert.deepEqual(
          rows.map(({ size: _size, ...rest }) => rest),
          [oci, docker].map(({ size: _size, ...rest }) => rest),
        );
        assert.deepEqual(rows[0]?.platforms, [...MULTI_PLATFORMS]);
        assert.equal(rows[0]?.digest, s.images.multi.digest);
        assert.equal(rows[1]?.mediaType, DOCKER_LIST);
        assert.equal(tags.code, 0, tags.stderr);
        // --limit: the page's rows, and next as ls --json gives it (the registry pages lexically).
        assert.deepEqual(JSON.parse(tags.stdout), {
          repository: `${host}/${TAGS_REPO}`,
          tags: [tagged, { ...tagged, tag: '1.10' }],
          next: '1.2',
        });
        assert.equal(tagged.digest, s.images.tagged.digest);
        assert.equal(
          tagged.size,
          s.images.tagged.platforms[0]!.configSize +
            s.images.tagged.platforms[0]!.layers.reduce((n, l) => n + l.size, 0),
        );
      });

      test('--limit 2 gives two tags and a --last hint; --last continues to the end', async () => {
        const s = seeded[mode];
        const repo = `${s.registry.host}/${TAGS_REPO}`;
        // Pages follow the registry's lexical order; each page is printed in version order.
        const first = await run(s, ['ls', '--limit', '2', repo]);
        assert.equal(first.code, 0);
        assert.equal(first.stdout, '1.2\n1.10\n');
        assert.equal(first.stderr, 'more tags follow: --last 1.2\n');
        const second = await run(s, ['ls', '--limit', '2', '--last', '1.2', repo]);
        assert.equal(second.code, 0);
        assert.equal(second.stdout, '1.9\n10\n');
        assert.equal(second.stderr, 'more tags follow: --last 10\n');
        const third = await run(s, ['ls', '--limit', '2', '--last', '10', repo]);
        assert.equal(third.code, 0);
        assert.equal(third.stdout, '2.0-rc1\nlatest\n');
        assert.equal(third.stderr, '', 'no hint on the last page');
        const all = [first, second, third].flatMap((r) => r.stdout.trimEnd().split('\n'));
        assert.deepEqual(
          new Set(all),
          new Set(await skopeoListTags(dockerRef(s.registry, TAGS_REPO), registryAccess(s.registry))),
        );
        assert.equal(all.length, TAGS.length, 'no tag on two pages');
      });

      test('an unknown repository: exit 1 and one line', async () => {
        const s = seeded[mode];
        const result = await run(s, ['ls', `${s.registry.host}/lab/nothing-here`]);
        assert.equal(result.code, 1);
        assert.equal(errorLine(result), `ferry: repository ${s.registry.host}/lab/nothing-here not found`);
      });
    });
  }

  // BUG: describe.ts documents the size as "compressed bytes of every config and layer the tag
  // references", and a single image is sized that way, but for an index describeChild also adds
  // each child manifest's own size. So the OCI index and its Docker conversion (same configs, same
  // layers, only the manifests rewritten) show different sizes: 3796 vs 3862 bytes, not 2593.
  test('-l: the size of an index is its configs and layers, whatever the manifest format', async () => {
    const s = seeded.anonymous;
    const [multi, oci, docker] = await Promise.all([
      run(s, ['ls', '-l', '--json', `${s.registry.host}/${MULTI}`]),
      referee(s, MULTI, 'v1'),
      referee(s, MULTI, 'v1-docker'),
    ]);
    const expected = s.images.multi.platforms.reduce(
      (sum, p) => sum + p.configSize + p.layers.reduce((n, l) => n + l.size, 0),
      0,
    );
    assert.equal(oci.size, expected);
    assert.equal(docker.size, expected, 'skopeo kept every config and layer');
    assert.deepEqual(
      (JSON.parse(multi.stdout) as { tags: Row[] }).tags.map((r) => [r.tag, r.size]),
      [
        ['v1', expected],
        ['v1-docker', expected],
      ],
    );
  });
});
