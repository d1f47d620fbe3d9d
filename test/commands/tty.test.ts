// What only a terminal shows, in a real pseudo-terminal (tmux, test/harness/tmux.ts): binary
// output refused before any request (pull IMAGE -, blob), manifests and configs indented for
// reading; and the same commands writing exact bytes to a pipe (skopeo as the referee).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requestsDuring, type SeededRegistry, startSeededRegistries, stopAll } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry, ferryBin } from '../harness/run-ferry.js';
import {
  dockerRef,
  pushImage,
  registryAccess,
  skopeoInspectConfig,
  skopeoInspectRaw,
} from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
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

describe('completion of subcommands, local files and namespaces, in bash, zsh and fish', () => {
  const ROOT = new URL('../..', import.meta.url).pathname;
  const hasShell = (shell: string): boolean => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
  const SHELLS = [
    {
      shell: 'bash',
      command: 'bash --norc --noprofile -i',
      load: `PS1='$ '; source ${ROOT}completions/ferry.bash`,
    },
    {
      shell: 'zsh',
      command: 'zsh -f -i',
      load: `PS1='$ '; autoload -Uz compinit && compinit -u -D; source ${ROOT}completions/ferry.zsh`,
    },
    {
      shell: 'fish',
      command: 'fish --no-config -i',
      load: `function fish_prompt; echo -n '$ '; end; source ${ROOT}completions/ferry.fish`,
    },
  ];
  let dir: string;
  before(async () => {
    dir = await makeTempDir('tty-complete');
    await writeFile(join(dir, 'layer.tar.gz'), '');
    await mkdir(join(dir, 'deep-dir'));
    for (const repo of ['lab/ns/one', 'lab/ns/two']) {
      const r = await ferry(['copy', '-q', `${host}/lab/tty:v1`, `${host}/${repo}:v1`]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  for (const { shell, command, load } of SHELLS) {
    test(shell, { skip: !hasShell(shell) && `${shell} is not installed` }, async () => {
      const pane = term.start(`complete-${shell}`, `cd ${dir} && ${command}`);
      await term.waitFor(pane, (t) => t.length > 0, `${shell} to start`);
      term.type(pane, load, 'Enter');
      term.type(pane, 'clear', 'Enter');
      await term.waitFor(pane, (t) => /\$$/.test(t), `${shell} prompt`);
      const line = async (keys: string, want: RegExp, what: string): Promise<void> => {
        term.type(pane, keys, 'Tab');
        await term.waitFor(pane, (t) => want.test(t), `${shell}: ${what}`);
        term.type(pane, '', 'C-u');
        if (shell === 'fish') term.type(pane, '', 'C-k');
        await term.waitFor(pane, (t) => /\$\s*$/.test(t.split('\n').at(-1) ?? ''), `${shell}: line cleared`);
      };
      // A group's subcommand, by its prefix.
      await line('ferry blob pu', /ferry blob put\s*$/m, 'blob pu<TAB> → blob put');
      // A local argument: push's SOURCE and blob put's FILE complete file names.
      await line('ferry push lay', /ferry push layer\.tar\.gz\s*$/m, 'push lay<TAB> → layer.tar.gz');
      await line(
        `ferry blob put ${host}/lab/x dee`,
        /ferry blob put \S+ deep-dir\/?\s*$/m,
        'blob put REPO dee<TAB>',
      );
      // An image typed as a path.
      await line('ferry manifest ./lay', /ferry manifest \.\/layer\.tar\.gz\s*$/m, 'manifest ./lay<TAB>');
      // A namespace: HOST/lab/ns/ lists lab/ns/one and lab/ns/two.
      term.type(pane, `ferry ls ${host}/lab/ns/`, 'Tab', 'Tab');
      await term.waitFor(
        pane,
        (t) => t.includes('lab/ns/one') && t.includes('lab/ns/two'),
        `${shell}: namespace`,
      );
      term.type(pane, '', 'C-c');
    });
  }
});

describe('login asks on a terminal', () => {
  let basic: Registry;
  before(async () => {
    basic = await startRegistry('basic');
  });
  after(() => basic?.stop());

  const loginPane = async (name: string, flags: string): Promise<{ pane: string; config: string }> => {
    const config = await makeTempDir(`login-${name}`);
    const pane = term.start(
      name,
      `DOCKER_CONFIG=${config} ferry login ${flags} ${basic.host}; echo EXIT=$?; sleep 60`,
    );
    return { pane, config };
  };

  test('username, then the password without echo; stored once the registry accepted them', async () => {
    const { pane, config } = await loginPane('login', '');
    await term.waitFor(pane, (t) => t.endsWith('Username:'), 'the username question');
    term.type(pane, 'alice', 'Enter');
    await term.waitFor(pane, (t) => t.endsWith('Password:'), 'the password question');
    term.type(pane, 's3cret', 'Enter');
    const shown = await term.waitFor(pane, (t) => /EXIT=\d+/.test(t), 'login to finish');
    assert.match(shown, /EXIT=0/);
    assert.match(shown, /^Username: alice$/m);
    assert.match(shown, /^Password: ?$/m, 'the password line shows nothing typed');
    assert.doesNotMatch(shown, /s3cret/);
    assert.match(shown, new RegExp(`logged in to ${basic.host.replace(/\./g, '\\.')} as alice`));
    const stored = JSON.parse(await readFile(join(config, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    assert.equal(Buffer.from(stored.auths[basic.host]!.auth, 'base64').toString(), 'alice:s3cret');
  });

  test('-u given: only the password is asked; a wrong one is exit 3 and nothing is stored', async () => {
    const { pane, config } = await loginPane('login-u', '-u alice');
    await term.waitFor(pane, (t) => t.endsWith('Password:'), 'the password question');
    assert.doesNotMatch(term.screen(pane), /Username:/);
    term.type(pane, 'wrong', 'Enter');
    const shown = await term.waitFor(pane, (t) => /EXIT=\d+/.test(t), 'login to finish');
    assert.match(shown, /EXIT=3/);
    assert.match(shown, /^ferry: .*refused the credentials of 'alice'/m);
    assert.deepEqual(await readdir(config), []);
  });

  test('Ctrl-C at the question: exit 130, nothing stored', async () => {
    const { pane, config } = await loginPane('login-c', '-u alice');
    await term.waitFor(pane, (t) => t.endsWith('Password:'), 'the password question');
    term.type(pane, 'half', 'C-c');
    const shown = await term.waitFor(pane, (t) => /EXIT=\d+/.test(t), 'login to end');
    assert.match(shown, /EXIT=130/);
    assert.deepEqual(await readdir(config), []);
  });
});
