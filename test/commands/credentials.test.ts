// Credential lookup end to end: docker config.json (auths, legacy keys, credHelpers, credsStore),
// DOCKER_AUTH_CONFIG, the real helper protocol (test/fixtures/docker-credential-ferrytest on PATH),
// -u/--password-stdin, and token reuse, against the real registry in basic and token modes.
//
// Token caching contract: tokens live in the per-run Context (one RegistryAuth per registry per
// run). A run fetches one token per scope set however many requests it makes; a new run
// (a new process) fetches again. Nothing is persisted between runs.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { DEFAULT_USERS, type HarnessUser } from '../harness/users.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const HELPER = 'ferrytest';
const IDENTITY_TOKEN = 'ferry-identity-token-Zq8xW3';
const REPO = 'cred/app';
const TAGS = ['v1', 'v2', 'v3'];
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** alice additionally holds an identity token the token server accepts as a refresh token. */
const USERS: HarnessUser[] = DEFAULT_USERS.map((u) =>
  u.username === 'alice'
    ? { ...u, actions: [...u.actions], identityToken: IDENTITY_TOKEN }
    : { ...u, actions: [...u.actions] },
);

/** A fresh DOCKER_CONFIG dir holding `config` as config.json (or no file when config is undefined). */
async function configDir(config?: unknown): Promise<string> {
  const dir = await makeTempDir('dockercfg');
  if (config !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** The helper fixture on PATH, DOCKER_CONFIG=dir, plus extra variables (FERRYTEST_*, DOCKER_AUTH_CONFIG). */
function envFor(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return baseEnv({ PATH: `${FIXTURES}:${process.env['PATH'] ?? ''}`, DOCKER_CONFIG: dir, ...extra });
}

/** A failed run: the exit code, nothing on stdout, exactly one `ferry: ` line on stderr, no stack. */
function assertOneLineError(r: FerryResult, exitCode: number, pattern?: RegExp): void {
  assert.equal(r.code, exitCode, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', 'stdout must be empty on failure');
  assert.match(
    r.stderr,
    /^ferry: [^\n]+\n$/,
    `one stderr line starting "ferry: ", got: ${JSON.stringify(r.stderr)}`,
  );
  assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/, 'no stack trace without --debug');
  if (pattern) assert.match(r.stderr, pattern);
}

function assertTags(r: FerryResult): void {
  assert.equal(r.code, 0, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, `${TAGS.join('\n')}\n`);
}

async function helperCalls(logFile: string): Promise<string[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

let basic: Registry;
let token: Registry;

before(async () => {
  [basic, token] = await Promise.all([
    startRegistry('basic'),
    startRegistry({ auth: 'token', users: USERS }),
  ]);
  const dir = await makeTempDir('cred-images');
  for (const tag of TAGS) {
    const image = await generateImage({ dir, tag, layers: [512] });
    await Promise.all([pushImage(basic, `${REPO}:${tag}`, image), pushImage(token, `${REPO}:${tag}`, image)]);
  }
});

after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
});

for (const mode of ['basic', 'token'] as const) {
  describe(`credentials, ${mode} registry`, () => {
    const reg = (): Registry => (mode === 'basic' ? basic : token);
    const repo = (): string => `${reg().host}/${REPO}`;

    test('config.json auths with auth = base64(user:password)', async () => {
      const dir = await configDir({ auths: { [reg().host]: { auth: b64('alice:s3cret') } } });
      assertTags(await ferry(['ls', repo()], { env: envFor(dir) }));
    });

    test('config.json auths with clear username/password', async () => {
      const dir = await configDir({ auths: { [reg().host]: { username: 'alice', password: 's3cret' } } });
      assertTags(await ferry(['ls', repo()], { env: envFor(dir) }));
    });

    test('config.json legacy key http://HOST:PORT/v1/', async () => {
      const dir = await configDir({ auths: { [`http://${reg().host}/v1/`]: { auth: b64('alice:s3cret') } } });
      assertTags(await ferry(['ls', repo()], { env: envFor(dir) }));
    });

    test('no config and no credentials: exit 3 with an auth message', async () => {
      const dir = await configDir();
      assertOneLineError(await ferry(['ls', repo()], { env: envFor(dir) }), 3, /auth|log in|denied|refused/i);
    });

    test('credHelpers runs the helper once per run (get + host on stdin), even for ls -l', async () => {
      const dir = await configDir({ credHelpers: { [reg().host]: HELPER } });
      const log = join(dir, 'helper.log');
      const env = envFor(dir, { FERRYTEST_USER: 'alice', FERRYTEST_SECRET: 's3cret', FERRYTEST_LOG: log });
      assertTags(await ferry(['ls', repo()], { env }));
      assert.deepEqual(await helperCalls(log), [`get\t${reg().host}`]);

      const before = reg().requests().length;
      const r = await ferry(['ls', '-l', '--no-trunc', repo()], { env });
      assert.equal(r.code, 0, r.stderr);
      for (const tag of TAGS) assert.match(r.stdout, new RegExp(`^${tag}\\s+sha256:`, 'm'));
      // ls -l made many authenticated requests (tags, 3 manifests, 3 configs) …
      assert.ok(reg().requests().length - before >= 7, 'ls -l should make several requests');
      // … and asked the helper exactly once more.
      assert.deepEqual(await helperCalls(log), [`get\t${reg().host}`, `get\t${reg().host}`]);
    });

    test('credsStore runs the helper once per run', async () => {
      const dir = await configDir({ credsStore: HELPER, auths: { [reg().host]: {} } });
      const log = join(dir, 'helper.log');
      const env = envFor(dir, { FERRYTEST_USER: 'alice', FERRYTEST_SECRET: 's3cret', FERRYTEST_LOG: log });
      const r = await ferry(['ls', '-l', '--no-trunc', repo()], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await helperCalls(log), [`get\t${reg().host}`]);
    });

    test('credHelpers wins over credsStore (and over auths)', async () => {
      const dir = await configDir({
        credsStore: 'ferry-no-such-store',
        credHelpers: { [reg().host]: HELPER },
        auths: { [reg().host]: { auth: b64('alice:wrong-password') } },
      });
      const log = join(dir, 'helper.log');
      const env = envFor(dir, { FERRYTEST_USER: 'alice', FERRYTEST_SECRET: 's3cret', FERRYTEST_LOG: log });
      assertTags(await ferry(['ls', repo()], { env }));
      assert.deepEqual(await helperCalls(log), [`get\t${reg().host}`]);
    });

    test('a helper that is not on PATH: exit 3, one line naming docker-credential-<name>', async () => {
      const dir = await configDir({ credsStore: 'ferry-no-such-store' });
      const r = await ferry(['ls', repo()], { env: envFor(dir) });
      assertOneLineError(r, 3, /docker-credential-ferry-no-such-store/);
    });

    test('a failing helper: exit 3, its stderr text in the one-line error', async () => {
      const dir = await configDir({ credHelpers: { [reg().host]: HELPER } });
      const r = await ferry(['ls', repo()], {
        env: envFor(dir, { FERRYTEST_MODE: 'fail', FERRYTEST_STDERR: 'some helper message' }),
      });
      assertOneLineError(r, 3, /some helper message/);
      assert.match(r.stderr, /docker-credential-ferrytest/);
    });

    test('DOCKER_AUTH_CONFIG takes precedence over config.json', async () => {
      const good = JSON.stringify({ auths: { [reg().host]: { auth: b64('alice:s3cret') } } });
      const bad = { auths: { [reg().host]: { auth: b64('alice:wrong-password') } } };
      const dir = await configDir({ ...bad, credsStore: HELPER });
      const log = join(dir, 'helper.log');
      assertTags(
        await ferry(['ls', repo()], { env: envFor(dir, { DOCKER_AUTH_CONFIG: good, FERRYTEST_LOG: log }) }),
      );
      assert.deepEqual(await helperCalls(log), [], "the file's helper is not asked");

      // And the other way round: a wrong DOCKER_AUTH_CONFIG is used even though the file is right.
      const dir2 = await configDir(JSON.parse(good));
      const r = await ferry(['ls', repo()], {
        env: envFor(dir2, { DOCKER_AUTH_CONFIG: JSON.stringify(bad) }),
      });
      assertOneLineError(r, 3);
    });

    test('-u/--password-stdin works and beats config.json', async () => {
      const dir = await configDir({ auths: { [reg().host]: { auth: b64('alice:wrong-password') } } });
      assertTags(
        await ferry(['-u', 'alice', '--password-stdin', 'ls', repo()], {
          env: envFor(dir),
          stdin: 's3cret\n',
        }),
      );
    });

    test('wrong password via -u/--password-stdin: exit 3, one clear line', async () => {
      const r = await ferry(['-u', 'alice', '--password-stdin', 'ls', repo()], {
        env: envFor(await configDir()),
        stdin: 'wrong-password\n',
      });
      assertOneLineError(r, 3, /authenticat|password|credentials/i);
      assert.ok(!r.stderr.includes('wrong-password'));
    });

    test('wrong password via config.json: exit 3, one clear line', async () => {
      const dir = await configDir({ auths: { [reg().host]: { auth: b64('alice:wrong-password') } } });
      for (const args of [
        ['ls', repo()],
        ['manifest', `${repo()}:v1`],
      ]) {
        const r = await ferry(args, { env: envFor(dir) });
        assertOneLineError(r, 3, /authenticat|password|credentials/i);
        assert.ok(!r.stderr.includes('wrong-password'));
      }
    });

    // BUG (basic mode): HEAD answers have no body, so the line is only "manifest …: HTTP 401".
    test('wrong password, HEAD-based commands (digest, exists): exit 3, line mentions authentication', async () => {
      const dir = await configDir({ auths: { [reg().host]: { auth: b64('alice:wrong-password') } } });
      for (const command of ['digest', 'exists']) {
        const r = await ferry([command, `${repo()}:v1`], { env: envFor(dir) });
        assertOneLineError(r, 3, /authenticat|password|credentials/i);
      }
    });
  });
}

describe('credentials, helper "credentials not found" means anonymous', () => {
  test('basic registry: anonymous is refused, exit 3 with an auth message', async () => {
    const dir = await configDir({ credHelpers: { [basic.host]: HELPER } });
    const log = join(dir, 'helper.log');
    const r = await ferry(['ls', `${basic.host}/${REPO}`], {
      env: envFor(dir, { FERRYTEST_MODE: 'notfound', FERRYTEST_LOG: log }),
    });
    assertOneLineError(r, 3, /auth/i);
    assert.doesNotMatch(r.stderr, /credential helper/, 'not-found is not a helper failure');
    assert.deepEqual(await helperCalls(log), [`get\t${basic.host}`]);
  });

  test('token registry with anonymous pull: works, with an anonymous token', async () => {
    const dir = await configDir({ credsStore: HELPER });
    const env = envFor(dir, { FERRYTEST_MODE: 'notfound' });
    const server = token.tokenServer!;
    server.setAnonymousActions(['pull']);
    try {
      server.reset();
      assertTags(await ferry(['ls', `${token.host}/${REPO}`], { env }));
      const records = server.requests();
      assert.equal(records.length, 1);
      assert.equal(records[0]?.hasAuthorization, false);
      assert.equal(records[0]?.user, '(anonymous)');
    } finally {
      server.setAnonymousActions([]);
    }
    // Without anonymous access the same setup is refused.
    const r = await ferry(['ls', `${token.host}/${REPO}`], { env });
    assertOneLineError(r, 3, /anonymous|auth|log in/i);
  });
});

describe('credentials, token registry specifics', () => {
  const repo = (): string => `${token.host}/${REPO}`;

  test('helper Username "<token>": identity token exchanged with grant_type=refresh_token', async () => {
    const dir = await configDir({ credHelpers: { [token.host]: HELPER } });
    const server = token.tokenServer!;
    server.reset();
    const r = await ferry(['ls', repo()], {
      env: envFor(dir, { FERRYTEST_MODE: 'token', FERRYTEST_SECRET: IDENTITY_TOKEN }),
    });
    assertTags(r);
    const records = server.requests();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.method, 'POST');
    assert.equal(records[0]?.grantType, 'refresh_token');
    assert.deepEqual(records[0]?.params['refresh_token'], [IDENTITY_TOKEN]);
    assert.equal(records[0]?.user, 'alice');
    assert.deepEqual(records[0]?.scopes, [`repository:${REPO}:pull`]);
    assert.equal(server.stats().byGrant['refresh_token'], 1);
  });

  test('config.json identitytoken: exchanged with grant_type=refresh_token', async () => {
    const dir = await configDir({
      auths: { [token.host]: { auth: b64('alice:ignored'), identitytoken: IDENTITY_TOKEN } },
    });
    const server = token.tokenServer!;
    server.reset();
    assertTags(await ferry(['ls', repo()], { env: envFor(dir) }));
    assert.deepEqual(
      server.requests().map((t) => [t.method, t.grantType, t.user]),
      [['POST', 'refresh_token', 'alice']],
    );
  });

  test('config.json registrytoken: sent as Bearer as-is, the token server is not asked', async () => {
    const server = token.tokenServer!;
    const minted = server.mint({
      subject: 'alice',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
    });
    const dir = await configDir({ auths: { [token.host]: { registrytoken: minted } } });
    server.reset();
    assertTags(await ferry(['ls', repo()], { env: envFor(dir) }));
    assert.equal(server.stats().requests, 0);
  });

  test('an unknown identity token: exit 3, one line', async () => {
    const dir = await configDir({ credHelpers: { [token.host]: HELPER } });
    const r = await ferry(['ls', repo()], {
      env: envFor(dir, { FERRYTEST_MODE: 'token', FERRYTEST_SECRET: 'not-a-known-token' }),
    });
    assertOneLineError(r, 3);
    assert.ok(!r.stderr.includes('not-a-known-token'));
  });

  test('one token per run: ls -l over several tags fetches exactly one token', async () => {
    const server = token.tokenServer!;
    server.reset();
    const before = token.requests().length;
    const r = await ferry(['-u', 'alice', '--password-stdin', 'ls', '-l', '--no-trunc', repo()], {
      env: envFor(await configDir()),
      stdin: 's3cret',
    });
    assert.equal(r.code, 0, r.stderr);
    for (const tag of TAGS) assert.match(r.stdout, new RegExp(`^${tag}\\s+sha256:`, 'm'));
    const made = token
      .requests()
      .slice(before)
      .filter((q) => q.path !== '/v2/');
    // tags/list + one manifest and one config per tag, all authorised.
    assert.ok(made.length >= 1 + 2 * TAGS.length, `requests: ${made.map((q) => q.uri).join(' ')}`);
    assert.ok(
      made.every((q) => q.status === 200),
      'every request after the ping succeeds first time',
    );
    const stats = server.stats();
    assert.equal(stats.issued, 1, JSON.stringify(stats));
    assert.equal(stats.requests, 1);
    assert.deepEqual(stats.byUser, { alice: 1 });
  });

  test('tokens are cached per run, not across runs: manifest then digest fetch one each', async () => {
    const server = token.tokenServer!;
    server.reset();
    const env = envFor(await configDir({ auths: { [token.host]: { auth: b64('alice:s3cret') } } }));
    const m = await ferry(['manifest', `${repo()}:v1`], { env });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(JSON.parse(m.stdout).schemaVersion, 2);
    assert.equal(server.stats().issued, 1);
    const d = await ferry(['digest', `${repo()}:v1`], { env });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(server.stats().issued, 2);
    assert.equal(server.stats().byGrant['basic'], 2);
  });

  test('pull-only user: ls and manifest work, catalog is refused (exit 3)', async () => {
    const env = envFor(await configDir());
    const opts = { env, stdin: 'r3ad\n' };
    assertTags(await ferry(['-u', 'reader', '--password-stdin', 'ls', repo()], opts));
    const m = await ferry(['-u', 'reader', '--password-stdin', 'manifest', `${repo()}:v2`], opts);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(JSON.parse(m.stdout).schemaVersion, 2);
    const c = await ferry(['-u', 'reader', '--password-stdin', 'catalog', token.host], opts);
    assertOneLineError(c, 3, /catalog|repositories/i);
    // The same catalog works for a user who has registry:catalog:*.
    const ok = await ferry(['-u', 'alice', '--password-stdin', 'catalog', token.host], {
      env,
      stdin: 's3cret\n',
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${REPO}\n`);
  });
});

describe('credentials, usage errors', () => {
  test('-u without --password-stdin: exit 2', async () => {
    const r = await ferry(['-u', 'alice', 'ls', `${basic.host}/${REPO}`], { env: envFor(await configDir()) });
    assertOneLineError(r, 2, /password-stdin/);
  });

  test('--password-stdin with an empty stdin: exit 2', async () => {
    const r = await ferry(['-u', 'alice', '--password-stdin', 'ls', `${basic.host}/${REPO}`], {
      env: envFor(await configDir()),
      stdin: '',
    });
    assertOneLineError(r, 2, /empty password/);
  });

  test('--password-stdin drops one trailing CRLF', async () => {
    const r = await ferry(['-u', 'alice', '--password-stdin', 'ls', `${basic.host}/${REPO}`], {
      env: envFor(await configDir()),
      stdin: 's3cret\r\n',
    });
    assertTags(r);
  });

  test('--password-stdin without -u: exit 2', async () => {
    const r = await ferry(['--password-stdin', 'ls', `${basic.host}/${REPO}`], {
      env: envFor(await configDir()),
      stdin: 's3cret',
    });
    assertOneLineError(r, 2, /username/);
  });
});
