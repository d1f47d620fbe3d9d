// `--platform` on a single-platform image, for manifest, digest and config: the image's config
// states its platform, and asking for another is exit 1 with what is there listed, never the
// amd64 image printed for linux/arm64. An artifact (oras push: a config that is no image config)
// states none. `ls --platform` already filtered by the same facts; it agrees.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  errorLine,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  skopeoRaw,
  startSeededRegistries,
  stopAll,
  TAGS_REPO,
} from '../harness/fixtures.js';
import { runCommand } from '../harness/proc.js';
import { makeTempDir } from '../harness/tmp.js';

const READERS = ['manifest', 'digest', 'config'] as const;

describe('--platform on a single-platform image', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let host: string;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    host = seeded.anonymous.registry.host;
    // An OCI artifact: oras writes a config of its own media type, which states no platform.
    const dir = await makeTempDir('artifact');
    await writeFile(join(dir, 'notes.txt'), 'not an image\n');
    await runCommand(
      'oras',
      [
        'push',
        '--plain-http',
        '--artifact-type',
        'application/vnd.ferry.test',
        `${host}/lab/artifact:v1`,
        'notes.txt',
      ],
      { cwd: dir },
    );
  });
  after(() => stopAll(seeded));

  for (const command of READERS) {
    test(`${command} --platform linux/arm64 of an amd64 image: exit 1, the available platform named`, async () => {
      const s = seeded.anonymous;
      const result = await run(s, [command, '--platform', 'linux/arm64', `${host}/${SINGLE}:v1`]);
      assert.equal(result.code, 1);
      assert.equal(
        errorLine(result),
        `ferry: ${host}/${SINGLE}:v1 has no image for platform linux/arm64 (available: linux/amd64)`,
      );
    });

    test(`${command} --platform linux/amd64 of an amd64 image: the same answer as without`, async () => {
      const s = seeded.anonymous;
      const [plain, asked] = await Promise.all([
        run(s, [command, `${host}/${SINGLE}:v1`]),
        run(s, [command, '--platform', 'linux/amd64', `${host}/${SINGLE}:v1`]),
      ]);
      assert.equal(asked.code, 0, asked.stderr);
      assert.equal(asked.stderr, '');
      assert.deepEqual(asked.stdoutBytes, plain.stdoutBytes);
    });

    test(`${command} --platform of an artifact: its config states no platform`, async () => {
      const s = seeded.anonymous;
      const result = await run(s, [command, '--platform', 'linux/amd64', `${host}/lab/artifact:v1`]);
      assert.equal(result.code, 1);
      assert.equal(
        errorLine(result),
        `ferry: ${host}/lab/artifact:v1 has no image for platform linux/amd64 (available: none: its config states no platform)`,
      );
    });
  }

  test('manifest --platform of a matching single image prints the bytes skopeo reads, and names the platform', async () => {
    const s = seeded.anonymous;
    const ref = `${host}/${SINGLE}:v1`;
    const [bytes, expected, template] = await Promise.all([
      run(s, ['manifest', '--platform', 'linux/amd64', ref]),
      skopeoRaw(s, `${SINGLE}:v1`),
      run(s, ['manifest', '--platform', 'linux/amd64', '--format', '{{.Platform}} {{.Digest}}', ref]),
    ]);
    assert.deepEqual(bytes.stdoutBytes, expected);
    assert.equal(template.stdout, `linux/amd64 ${s.images.single.digest}\n`);
  });

  test('ls --platform agrees: the amd64 tags for linux/amd64, none for linux/arm64', async () => {
    const s = seeded.anonymous;
    const [amd64, arm64] = await Promise.all([
      run(s, ['ls', '--platform', 'linux/amd64', `${host}/${TAGS_REPO}`]),
      run(s, ['ls', '--platform', 'linux/arm64', `${host}/${TAGS_REPO}`]),
    ]);
    assert.equal(amd64.code, 0, amd64.stderr);
    assert.ok(amd64.stdout.split('\n').filter(Boolean).length > 0);
    assert.equal(arm64.code, 0, arm64.stderr);
    assert.equal(arm64.stdout, '');
  });
});
