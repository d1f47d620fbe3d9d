// What only a terminal shows, in a real pseudo-terminal (tmux, test/harness/tmux.ts): binary
// output refused before any request (pull IMAGE -, blob), and the same commands writing to a pipe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestsDuring, type SeededRegistry, startSeededRegistries, stopAll } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { pushImage } from '../harness/skopeo.js';
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
