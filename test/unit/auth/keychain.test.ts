import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import type { Credential } from '../../../src/auth/credential.js';
import { createKeychain, type KeychainOptions } from '../../../src/auth/keychain.js';
import { isFerryError } from '../../../src/errors.js';
import { waitFor } from '../../harness/wait.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const SECRET = 'S3CRET-must-not-leak';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

const tmpRoots: string[] = [];
after(async () => {
  for (const dir of tmpRoots) await rm(dir, { recursive: true, force: true });
});

interface Setup {
  /** Written to $HOME/.docker/config.json (a string as-is, else JSON). */
  config?: unknown;
  /** Written to $XDG_RUNTIME_DIR/containers/auth.json. */
  podman?: unknown;
  /** Extra environment, e.g. FERRYTEST_MODE or DOCKER_AUTH_CONFIG. */
  env?: Record<string, string>;
}

/** A private HOME/XDG_RUNTIME_DIR, the fixture helper on PATH, and a log of its calls. */
async function setup(
  s: Setup = {},
): Promise<{ env: NodeJS.ProcessEnv; root: string; calls(): Promise<string[]> }> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-keychain-'));
  tmpRoots.push(root);
  const home = join(root, 'home');
  const run = join(root, 'run');
  const write = async (path: string, body: unknown): Promise<void> => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (s.config !== undefined) await write(join(home, '.docker/config.json'), s.config);
  if (s.podman !== undefined) await write(join(run, 'containers/auth.json'), s.podman);
  const log = join(root, 'helper.log');
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_RUNTIME_DIR: run,
    PATH: [FIXTURES, process.env['PATH'] ?? '/usr/bin:/bin'].join(delimiter),
    FERRYTEST_LOG: log,
    FERRYTEST_SECRET: SECRET,
    ...s.env,
  };
  const calls = async (): Promise<string[]> => {
    const text = await readFile(log, 'utf8').catch(() => '');
    return text.split('\n').filter((l) => l !== '');
  };
  return { env, root, calls };
}

async function keychainFor(s: Setup, extra: Partial<KeychainOptions> = {}) {
  const ctx = await setup(s);
  return { ...ctx, keychain: createKeychain({ env: ctx.env, ...extra }) };
}

/** A keychain whose warnings are collected. */
async function warnedKeychainFor(s: Setup, extra: Partial<KeychainOptions> = {}) {
  const warnings: string[] = [];
  const made = await keychainFor(s, { ...extra, warn: (message) => warnings.push(message) });
  return { ...made, warnings };
}

/** One warning, one line, no secret, matching every pattern. */
function oneWarning(warnings: readonly string[], ...mustMatch: RegExp[]): void {
  assert.equal(warnings.length, 1, `one warning, got ${JSON.stringify(warnings)}`);
  const [text = ''] = warnings;
  assert.ok(!text.includes('\n'), `not one line: ${text}`);
  assert.ok(!text.includes(SECRET) && !text.includes('hunter2'), `secret leaked: ${text}`);
  for (const re of mustMatch) assert.match(text, re);
}

/** A FerryError with `code`, one line, and no secret in its message or hint. */
function isErr(code: string, ...mustMatch: RegExp[]) {
  return (err: unknown): true => {
    assert.ok(isFerryError(err), `expected a FerryError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    for (const text of [err.message, err.hint ?? '']) {
      assert.ok(!text.includes(SECRET), `secret leaked: ${text}`);
      assert.ok(!text.includes('hunter2'), `secret leaked: ${text}`);
    }
    for (const re of mustMatch) assert.match(err.message, re);
    return true;
  };
}

test('config.json auths: every form of entry', async () => {
  const { keychain, env } = await keychainFor({
    config: {
      auths: {
        'https://index.docker.io/v1/': { auth: b64(`hubuser:${SECRET}`) },
        'localhost:5000': { username: 'u', password: 'p' },
        'acr.example.io': {
          auth: b64('00000000-0000-0000-0000-000000000000:'),
          identitytoken: 'refresh-tok',
        },
        'ghcr.io': { registrytoken: 'bearer-tok' },
        'https://legacy.example.com:5000/v1/': { auth: b64('old:timer') },
        'placeholder.example': { email: 'someone@example.com' },
      },
    },
  });
  const table: [string, Credential][] = [
    ['docker.io', { kind: 'basic', username: 'hubuser', password: SECRET }],
    ['index.docker.io', { kind: 'basic', username: 'hubuser', password: SECRET }],
    ['localhost:5000', { kind: 'basic', username: 'u', password: 'p' }],
    [
      'acr.example.io',
      { kind: 'identityToken', token: 'refresh-tok', username: '00000000-0000-0000-0000-000000000000' },
    ],
    ['ghcr.io', { kind: 'registryToken', token: 'bearer-tok' }],
    ['legacy.example.com:5000', { kind: 'basic', username: 'old', password: 'timer' }],
    ['legacy.example.com', { kind: 'anonymous' }],
    ['placeholder.example', { kind: 'anonymous' }],
    ['quay.io', { kind: 'anonymous' }],
  ];
  for (const [registry, want] of table) assert.deepEqual(await keychain.resolve(registry), want, registry);

  const file = join(env['HOME'] ?? '', '.docker/config.json');
  assert.equal(
    await keychain.describeSource('docker.io'),
    `config.json auths["https://index.docker.io/v1/"] (${file})`,
  );
  assert.equal(
    await keychain.describeSource('legacy.example.com:5000'),
    `config.json auths["https://legacy.example.com:5000/v1/"] (${file})`,
  );
  assert.equal(await keychain.describeSource('quay.io'), `anonymous (no entry in ${file})`);
  assert.match(await keychain.describeSource('placeholder.example'), /^anonymous \(.*has no credentials\)$/);
  for (const r of ['docker.io', 'localhost:5000', 'acr.example.io', 'ghcr.io']) {
    const source = await keychain.describeSource(r);
    for (const secret of [SECRET, 'refresh-tok', 'bearer-tok', 'p"'])
      assert.ok(!source.includes(secret), source);
  }
});

test('no config anywhere → anonymous', async () => {
  const { keychain } = await keychainFor({});
  assert.deepEqual(await keychain.resolve('docker.io'), { kind: 'anonymous' });
  assert.equal(await keychain.describeSource('docker.io'), 'anonymous (no config.json found)');
});

test('DOCKER_CONFIG is read before HOME', async () => {
  const ctx = await setup({ config: { auths: { h: { username: 'home', password: 'x' } } } });
  const dc = join(ctx.root, 'dc');
  await mkdir(dc);
  await writeFile(
    join(dc, 'config.json'),
    JSON.stringify({ auths: { h: { username: 'dc', password: 'y' } } }),
  );
  const keychain = createKeychain({ env: { ...ctx.env, DOCKER_CONFIG: dc } });
  assert.deepEqual(await keychain.resolve('h'), { kind: 'basic', username: 'dc', password: 'y' });
});

test('DOCKER_AUTH_CONFIG is used first and falls back to the file', async () => {
  const { keychain, env } = await keychainFor({
    config: {
      auths: {
        'both.example': { username: 'file', password: 'f' },
        'fileonly.example': { username: 'file', password: 'f' },
        'empty-in-env.example': { username: 'file', password: 'f' },
      },
    },
    env: {
      DOCKER_AUTH_CONFIG: JSON.stringify({
        auths: {
          'both.example': { auth: b64('env:e') },
          'empty-in-env.example': {},
          'https://index.docker.io/v1/': { identitytoken: 'env-refresh' },
        },
      }),
    },
  });
  assert.deepEqual(await keychain.resolve('both.example'), { kind: 'basic', username: 'env', password: 'e' });
  assert.equal(await keychain.describeSource('both.example'), 'DOCKER_AUTH_CONFIG auths["both.example"]');
  assert.deepEqual(await keychain.resolve('fileonly.example'), {
    kind: 'basic',
    username: 'file',
    password: 'f',
  });
  assert.deepEqual(await keychain.resolve('empty-in-env.example'), {
    kind: 'basic',
    username: 'file',
    password: 'f',
  });
  assert.deepEqual(await keychain.resolve('docker.io'), { kind: 'identityToken', token: 'env-refresh' });

  // Without any config file, DOCKER_AUTH_CONFIG alone still works.
  const alone = createKeychain({ env: { ...env, HOME: '/nonexistent', XDG_RUNTIME_DIR: '' } });
  assert.deepEqual(await alone.resolve('both.example'), { kind: 'basic', username: 'env', password: 'e' });
  assert.deepEqual(await alone.resolve('fileonly.example'), { kind: 'anonymous' });
});

test("Podman's auth.json is used only when there is no Docker config", async () => {
  const podman = { auths: { 'docker.io': { auth: b64('pod:man') }, 'quay.io/ns': { auth: b64('q:uay') } } };
  const { keychain, env } = await keychainFor({ podman });
  assert.deepEqual(await keychain.resolve('docker.io'), { kind: 'basic', username: 'pod', password: 'man' });
  assert.deepEqual(await keychain.resolve('quay.io'), { kind: 'basic', username: 'q', password: 'uay' });
  assert.match(
    await keychain.describeSource('docker.io'),
    /^auth\.json auths\["docker\.io"\] \(.*containers\/auth\.json\)$/,
  );
  assert.ok(env['XDG_RUNTIME_DIR']);

  const both = await keychainFor({ podman, config: { auths: {} } });
  assert.deepEqual(await both.keychain.resolve('docker.io'), { kind: 'anonymous' });
});

test('malformed config.json or DOCKER_AUTH_CONFIG → E_LOCAL naming it, no secret', async () => {
  const { keychain, env } = await keychainFor({ config: `{"auths": {"h": {"password": ${SECRET}}}}` });
  await assert.rejects(keychain.resolve('h'), isErr('E_LOCAL', /config\.json is not valid JSON/));
  assert.ok(env['HOME']);

  const inline = await keychainFor({ env: { DOCKER_AUTH_CONFIG: `{"auths": ${SECRET}` } });
  await assert.rejects(
    inline.keychain.resolve('h'),
    isErr('E_LOCAL', /^DOCKER_AUTH_CONFIG is not valid JSON/),
  );

  const emptyUser = await keychainFor({ config: { auths: { h: { auth: b64(`:${SECRET}`) } } } });
  await assert.rejects(
    emptyUser.keychain.resolve('h'),
    isErr('E_LOCAL', /config\.json: auths\["h"\]\.auth has an empty username/),
  );
});

test('credsStore helper: asked with host[:port], or the v1 URL for Docker Hub', async () => {
  const { keychain, calls } = await keychainFor({
    config: { credsStore: 'ferrytest' },
    env: { FERRYTEST_USER: 'helper-user' },
  });
  assert.deepEqual(await keychain.resolve('127.0.0.1:5000'), {
    kind: 'basic',
    username: 'helper-user',
    password: SECRET,
  });
  assert.deepEqual(await keychain.resolve('docker.io'), {
    kind: 'basic',
    username: 'helper-user',
    password: SECRET,
  });
  assert.deepEqual(await calls(), ['get\t127.0.0.1:5000', 'get\thttps://index.docker.io/v1/']);
  const source = await keychain.describeSource('docker.io');
  assert.match(source, /^credential helper docker-credential-ferrytest \(credsStore in .*config\.json\)$/);
  assert.ok(!source.includes(SECRET));
});

test('credHelpers beats credsStore, and only the helper is asked (auths is a placeholder)', async () => {
  const { keychain, calls, warnings } = await warnedKeychainFor({
    config: {
      credsStore: 'ferry-no-such-store',
      credHelpers: { 'reg.example:5000': 'ferrytest' },
      auths: { 'reg.example:5000': { auth: b64('stale:entry') }, 'other.example': { auth: b64('a:b') } },
    },
    env: { FERRYTEST_MODE: 'notfound' },
  });
  assert.deepEqual(await keychain.resolve('reg.example:5000'), { kind: 'anonymous' });
  assert.match(
    await keychain.describeSource('reg.example:5000'),
    /^anonymous \(credential helper docker-credential-ferrytest has none for reg\.example:5000; credHelpers\["reg\.example:5000"\] in /,
  );
  assert.deepEqual(warnings, [], '"not found" is an answer, not a failure');
  // credsStore applies to the other registry; it cannot run, so (as docker/cli) its auths entry is read.
  assert.deepEqual(await keychain.resolve('other.example'), { kind: 'basic', username: 'a', password: 'b' });
  oneWarning(
    warnings,
    /^credential helper docker-credential-ferry-no-such-store not found in PATH \(asked for other\.example\); using the auths entries of .*config\.json instead, else no credentials$/,
  );
  assert.match(
    await keychain.describeSource('other.example'),
    /^config\.json auths\["other\.example"\] \(.*\) after credential helper docker-credential-ferry-no-such-store failed$/,
  );
  assert.deepEqual(await calls(), ['get\treg.example:5000']);
});

test('helper answering Username "<token>" gives an identity token', async () => {
  const { keychain } = await keychainFor({
    config: { credsStore: 'ferrytest' },
    env: { FERRYTEST_MODE: 'token' },
  });
  assert.deepEqual(await keychain.resolve('ghcr.io'), { kind: 'identityToken', token: SECRET });
});

test('helper with no credentials (exit 1, "credentials not found") → anonymous, not an error', async () => {
  const { keychain, calls } = await keychainFor({
    config: { credHelpers: { 'docker.io': 'ferrytest' } },
    env: { FERRYTEST_MODE: 'notfound' },
  });
  assert.deepEqual(await keychain.resolve('docker.io'), { kind: 'anonymous' });
  assert.deepEqual(await calls(), ['get\thttps://index.docker.io/v1/']);
});

test('failing helper → one warning naming it and showing what it printed, then anonymous', async () => {
  const { keychain, warnings } = await warnedKeychainFor({
    config: { credsStore: 'ferrytest' },
    env: {
      FERRYTEST_MODE: 'fail',
      FERRYTEST_STDERR: 'keyring is locked\nplease unlock it',
      FERRYTEST_STDOUT: `error getting creds {"Secret":"${SECRET}"}`,
    },
  });
  assert.deepEqual(await keychain.resolve('127.0.0.1:5000'), { kind: 'anonymous' });
  // A second registry through the same broken helper: no second warning.
  assert.deepEqual(await keychain.resolve('127.0.0.1:5001'), { kind: 'anonymous' });
  oneWarning(
    warnings,
    /^credential helper docker-credential-ferrytest get failed \(exit status 1\): /,
    /keyring is locked please unlock it/,
    /error getting creds/,
    /\(asked for 127\.0\.0\.1:5000\); using the auths entries of .*config\.json instead, else no credentials$/,
  );
  assert.match(
    await keychain.describeSource('127.0.0.1:5001'),
    /^anonymous \(no entry in .*config\.json after credential helper docker-credential-ferrytest failed\)$/,
  );
});

test('helper printing bad JSON or nothing → a warning without quoting the output, then the auths entry', async () => {
  for (const mode of ['badjson', 'empty']) {
    const { keychain, warnings } = await warnedKeychainFor({
      config: { credsStore: 'ferrytest', auths: { 'h.example': { auth: b64('file-user:file-pw') } } },
      env: { FERRYTEST_MODE: mode },
    });
    assert.deepEqual(await keychain.resolve('h.example'), {
      kind: 'basic',
      username: 'file-user',
      password: 'file-pw',
    });
    oneWarning(
      warnings,
      /^credential helper docker-credential-ferrytest get returned (invalid JSON \(\d+ bytes\)|no output) for h\.example \(asked for h\.example\); using the auths entries of /,
    );
  }
});

test('missing helper → a warning naming the program, then anonymous', async () => {
  const { keychain, warnings } = await warnedKeychainFor({
    config: { credHelpers: { 'h.example': 'ferry-missing-helper' } },
  });
  assert.deepEqual(await keychain.resolve('h.example'), { kind: 'anonymous' });
  oneWarning(
    warnings,
    /^credential helper docker-credential-ferry-missing-helper not found in PATH \(asked for h\.example\)/,
  );
});

/** Whether `pid` is a live process (not gone, not a zombie waiting to be reaped). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The state is the field after the command name, which is in parentheses.
  return stat !== undefined && !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

test('a helper that hangs is killed after helperTimeoutMs, without waiting for its pipes to close; ferry goes on', async () => {
  // The helper's child holds the pipes open for 120 s, then leaves a file. The proof that ferry
  // gave up on time, without timing it: the timeout's own error, given before that file exists (had
  // ferry waited for the pipes to close, or for the helper to end by itself, it would), and the
  // helper itself killed.
  const dir = await mkdtemp(join(tmpdir(), 'ferry-keychain-slow-'));
  tmpRoots.push(dir);
  const done = join(dir, 'done');
  const pids = join(dir, 'pids');
  const { keychain, warnings } = await warnedKeychainFor(
    {
      config: { credsStore: 'ferrytest' },
      env: { FERRYTEST_MODE: 'slow', FERRYTEST_SLEEP: '120', FERRYTEST_DONE: done, FERRYTEST_PIDS: pids },
    },
    { helperTimeoutMs: 1000 },
  );
  // ferry goes on without the helper (a warning, then anonymous).
  assert.deepEqual(await keychain.resolve('h.example'), { kind: 'anonymous' });
  oneWarning(warnings, /did not answer within 1s/);
  assert.equal(await readFile(done).catch(() => 'absent'), 'absent', 'the helper had not finished');
  const [helper, child] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number) as [number, number];
  try {
    await waitFor('the helper to be killed', async () => ((await isRunning(helper)) ? undefined : true));
  } finally {
    // The child and its sleep outlive the helper (ferry kills the helper only).
    const grandchildren = await readFile(`/proc/${child}/task/${child}/children`, 'utf8').catch(() => '');
    for (const pid of [child, ...grandchildren.split(' ').filter(Boolean).map(Number)]) {
      if (await isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
  }
});

test('a failing helper never hides the error of a broken config file', async () => {
  const { keychain } = await warnedKeychainFor({
    config: { credsStore: 'ferrytest', auths: { 'h.example': { auth: 'not base64!' } } },
    env: { FERRYTEST_MODE: 'fail' },
  });
  await assert.rejects(
    keychain.resolve('h.example'),
    isErr('E_LOCAL', /auths\["h\.example"\]\.auth is not valid base64/),
  );
});

test('each registry is resolved once per keychain: one helper call per registry', async () => {
  const { keychain, calls } = await keychainFor({ config: { credsStore: 'ferrytest' } });
  await Promise.all([
    keychain.resolve('a.example'),
    keychain.resolve('a.example'),
    keychain.describeSource('a.example'),
    keychain.resolve('docker.io'),
    keychain.resolve('index.docker.io'),
  ]);
  await keychain.resolve('a.example');
  await keychain.resolve('b.example:5000');
  // The first two helpers run concurrently, so their order in the log is not fixed.
  assert.deepEqual((await calls()).sort(), [
    'get\ta.example',
    'get\tb.example:5000',
    'get\thttps://index.docker.io/v1/',
  ]);

  // A failure is remembered too: the broken helper is not run again for the same registry.
  const broken = await keychainFor({ config: { credsStore: 'ferrytest' }, env: { FERRYTEST_MODE: 'fail' } });
  assert.deepEqual(await broken.keychain.resolve('a.example'), { kind: 'anonymous' });
  assert.match(await broken.keychain.describeSource('a.example'), /after credential helper .* failed/);
  assert.deepEqual(await broken.calls(), ['get\ta.example']);
});
