// What only a terminal shows, in a real pseudo-terminal (tmux, test/harness/tmux.ts): binary
// output refused before any request (pull IMAGE -, blob), manifests and configs indented for
// reading; and the same commands writing exact bytes to a pipe (skopeo as the referee).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestsDuring, type SeededRegistry, startSeededRegistries, stopAll } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { ferryBin } from '../harness/run-ferry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  skopeoInspectConfig,
  skopeoInspectRaw,
} from '../harness/skopeo.js';
import { openTerminal, type Terminal } from '../harness/tmux.js';

let seeded: Record<'anonymous', SeededRegistry> | undefined;
let term: Terminal;
let host: string;
let image: ImageSummary;

before(async () => {
  seeded = await startSeededRegistries(['anonymous']);
  host = seeded.anonymous.registry.host;
  image = await generateImage({ tag: 'v1', seed: 'tty', layers: [2048] });
  await pushImage(seeded.anonymous.registry, 'lab/tty:v1', image);
  term = await openTerminal('tty');
});

after(async () => {
  term?.close();
  await stopAll(seeded);
});

/** Runs `command` in a pane and returns the screen once it printed its exit status. */
async function runInPane(name: string, command: string): Promise<string> {
  const pane = term.start(name, `${command}; echo EXIT=$?; sleep 60`);
  return term.waitFor(pane, (t) => /EXIT=\d+/.test(t), `${name} to finish`);
}

describe('binary output and a terminal', () => {
  test('pull IMAGE - to a terminal: exit 2, one line and a hint, and not one request to the repository', async () => {
    const registry = seeded!.anonymous.registry;
    const { value: shown, requests } = await requestsDuring(registry, () =>
      runInPane('pull', `ferry pull ${host}/lab/tty:v1 -`),
    );
    assert.match(shown, /EXIT=2/);
    assert.match(
      shown,
      /^ferry: refusing to write a tarball to a terminal \(hint: redirect stdout: ferry pull IMAGE - \| docker load\)$/m,
    );
    assert.deepEqual(
      requests.filter((r) => r.path.startsWith('/v2/lab/tty/')),
      [],
      'the guard runs before the first request',
    );
  });

  test('the same pull into a pipe writes the tarball', async () => {
    const shown = await runInPane(
      'pipe',
      `ferry pull -q ${host}/lab/tty:v1 - | tar -tf - | grep -c . ; true`,
    );
    assert.match(shown, /EXIT=0/);
    assert.match(shown, /^[1-9]\d*$/m, 'tar listed the members');
  });

  test('blob REPO@DIGEST to a terminal is refused by the same guard; - writes it anyway', async () => {
    const digest = image.platforms[0]!.configDigest;
    const refused = await runInPane('blob', `ferry blob ${host}/lab/tty@${digest}`);
    assert.match(refused, /EXIT=2/);
    assert.match(refused, /^ferry: refusing to write a blob to a terminal \(hint: /m);
    const forced = await runInPane('blob-', `ferry blob ${host}/lab/tty@${digest} -`);
    assert.match(forced, /EXIT=0/);
    assert.match(forced, /"architecture":"amd64"/);
  });
});

describe('manifest and config: indented on a terminal, exact bytes in a pipe', () => {
  for (const command of ['manifest', 'config']) {
    test(`${command} on a terminal: indented JSON, ending with a newline`, async () => {
      const shown = await runInPane(command, `ferry ${command} ${host}/lab/tty:v1`);
      assert.match(shown, /EXIT=0/);
      const lines = shown.split('\n');
      const exit = lines.findIndex((l) => l.startsWith('EXIT='));
      assert.equal(lines[0], '{', 'the document starts on its own line');
      assert.equal(lines[exit - 1], '}', 'the newline after the document puts EXIT= on a line of its own');
      assert.ok(
        lines.some((l) => /^ {2}"schemaVersion": 2,$|^ {2}"architecture": "amd64",$/.test(l)),
        shown,
      );
    });
  }

  test('manifest and config into a pipe (the built CLI): the bytes skopeo reads, nothing added', async () => {
    const registry = seeded!.anonymous.registry;
    const ref = `${host}/lab/tty:v1`;
    const [manifest, config, expectedManifest, expectedConfig] = await Promise.all([
      ferryBin(['manifest', ref]),
      ferryBin(['config', ref]),
      skopeoInspectRaw(dockerRef(registry, 'lab/tty:v1'), registryAccess(registry)),
      skopeoInspectConfig(dockerRef(registry, 'lab/tty:v1'), registryAccess(registry)),
    ]);
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.deepEqual(manifest.stdoutBytes, expectedManifest);
    assert.equal(config.code, 0, config.stderr);
    assert.deepEqual(config.stdoutBytes, expectedConfig);
  });
});
