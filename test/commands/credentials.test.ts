// Credential lookup end to end: docker config.json (auths, legacy keys, credHelpers, credsStore),
// DOCKER_AUTH_CONFIG, the real helper protocol (test/fixtures/docker-credential-ferrytest on PATH),
// -u/--password-stdin, and token reuse, against the real registry in basic and token modes. What a
// missing or wrong credential does to every command is in auth-failures.test.ts.
//
// Token caching contract: tokens live in the per-run Context (one RegistryAuth per registry per
// run). A run fetches one token per scope set however many requests it makes; a new run
// (a new process) fetches again. Nothing is persisted between runs.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertFailure } from '../harness/fixtures.js';
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

    test('a helper that is not on PATH and no auths entry: a warning naming it, then anonymous (exit 3)', async () => {
      const dir = await configDir({ credsStore: 'ferry-no-such-store' });
      const r = await ferry(['ls', repo()], { env: envFor(dir) });
      const [warning, ...rest] = r.stderr.split('\n');
      assert.match(
        warning ?? '',
        /^ferry: warning: credential helper docker-credential-ferry-no-such-store not found in PATH/,
      );
      assertFailure({ ...r, stderr: rest.join('\n') }, 3, /authentication required/);
    });

    test('a failing helper and no auths entry: a warning with its stderr, then anonymous (exit 3)', async () => {
      const dir = await configDir({ credHelpers: { [reg().host]: HELPER } });
      const r = await ferry(['ls', repo()], {
        env: envFor(dir, { FERRYTEST_MODE: 'fail', FERRYTEST_STDERR: 'some helper message' }),
      });
      const [warning, ...rest] = r.stderr.split('\n');
      assert.match(
        warning ?? '',
        /^ferry: warning: credential helper docker-credential-ferrytest get failed \(exit status 1\): some helper message/,
      );
      assertFailure({ ...r, stderr: rest.join('\n') }, 3, /authentication required/);
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
      assertFailure(r, 3);
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
  });
}

describe('credentials, helper "credentials not found" means anonymous', () => {
  test('basic registry: anonymous is refused, exit 3 with an auth message', async () => {
    const dir = await configDir({ credHelpers: { [basic.host]: HELPER } });
    const log = join(dir, 'helper.log');
    const r = await ferry(['ls', `${basic.host}/${REPO}`], {
      env: envFor(dir, { FERRYTEST_MODE: 'notfound', FERRYTEST_LOG: log }),
    });
    assertFailure(r, 3, /auth/i);
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
    assertFailure(r, 3, /anonymous|auth|log in/i);
  });
});

describe('credentials, a broken credential helper does not block other registries', () => {
  // credsStore names a helper that answers only for the hosts in FERRYTEST_KNOWN and exits 1 with
  // a message for any other (as cloud helpers do), like docker/cli ferry then uses the file's
  // auths entry, else goes anonymous, with ONE warning naming the helper and what it said.
  const HELPER_SAYS = 'ferrytest: not a host of this cloud';
  // Registries of its own: the copies below must not show in the other tests' listings.
  let anon: Registry;
  let basic: Registry;
  let token: Registry;
  before(async () => {
    [anon, basic, token] = await Promise.all([
      startRegistry(),
      startRegistry('basic'),
      startRegistry('token'),
    ]);
    const image = await generateImage({ tag: 'v1', layers: [256] });
    await Promise.all([anon, basic, token].map((r) => pushImage(r, `${REPO}:v1`, image)));
  });
  after(() => Promise.all([anon?.stop(), basic?.stop(), token?.stop()]));

  const brokenStore = async (auths: Record<string, unknown>, known = 'nothing.example') => {
    const dir = await configDir({ credsStore: HELPER, auths });
    const log = join(dir, 'helper.log');
    return {
      log,
      env: envFor(dir, {
        FERRYTEST_KNOWN: known,
        FERRYTEST_STDERR: HELPER_SAYS,
        FERRYTEST_USER: 'alice',
        FERRYTEST_SECRET: 's3cret',
        FERRYTEST_LOG: log,
      }),
      config: join(dir, 'config.json'),
    };
  };
  /** The one warning line a run printed, with the helper's name and its stderr in it. */
  const oneWarning = (stderr: string, config: string): void => {
    const lines = stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one warning, got ${JSON.stringify(stderr)}`);
    assert.equal(
      lines[0],
      `ferry: warning: credential helper docker-credential-ferrytest get failed (exit status 1): ${HELPER_SAYS} ` +
        `(asked for ${lines[0]?.match(/asked for (\S+)\)/)?.[1]}); using the auths entries of ${config} instead, else no credentials`,
    );
  };

  test('a host with an auths entry in the same file: the entry is used', async () => {
    const { env, config, log } = await brokenStore({ [basic.host]: { auth: b64('alice:s3cret') } });
    const r = await ferry(['ls', `${basic.host}/${REPO}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'v1\n');
    oneWarning(r.stderr, config);
    assert.deepEqual(await helperCalls(log), [`get\t${basic.host}`], 'the helper was asked first');
  });

  test('a host with no credentials anywhere: anonymous', async () => {
    const { env, config, log } = await brokenStore({ [basic.host]: { auth: b64('alice:s3cret') } });
    // A registry open to all never challenges, so no credentials are looked up at all …
    const open = await ferry(['ls', `${anon.host}/${REPO}`], { env });
    assert.equal(open.code, 0, open.stderr);
    assert.equal(open.stdout, 'v1\n');
    assert.equal(open.stderr, '');
    assert.deepEqual(await helperCalls(log), []);
    // … a token registry that lets anyone pull does challenge: the helper fails, no entry, anonymous.
    const server = token.tokenServer!;
    server.setAnonymousActions(['pull']);
    try {
      server.reset();
      const r = await ferry(['ls', `${token.host}/${REPO}`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'v1\n');
      oneWarning(r.stderr, config);
      assert.deepEqual(server.stats().byUser, { '(anonymous)': 1 });
    } finally {
      server.setAnonymousActions([]);
    }
  });

  test('a copy touching two such hosts warns once; a host the helper knows still gets its answer', async () => {
    const { env, config, log } = await brokenStore({ [basic.host]: { auth: b64('alice:s3cret') } });
    const server = token.tokenServer!;
    server.setAnonymousActions(['pull']);
    try {
      // token (helper fails → no entry → anonymous pull) → basic (helper fails → auths), one run.
      const r = await ferry(['-q', 'copy', `${token.host}/${REPO}:v1`, `${basic.host}/cred/copies:v1`], {
        env,
      });
      assert.equal(r.code, 0, r.stderr);
      oneWarning(r.stderr, config);
      assert.deepEqual((await helperCalls(log)).sort(), [`get\t${basic.host}`, `get\t${token.host}`].sort());
    } finally {
      server.setAnonymousActions([]);
    }
    // With the helper knowing the token registry, it logs in there through the helper (alice),
    // while basic still falls back to its auths entry, with the one warning.
    const knows = await brokenStore({ [basic.host]: { auth: b64('alice:s3cret') } }, token.host);
    server.reset();
    const t = await ferry(['-q', 'copy', `${basic.host}/${REPO}:v1`, `${token.host}/cred/copies:v1`], {
      env: knows.env,
    });
    assert.equal(t.code, 0, t.stderr);
    oneWarning(t.stderr, knows.config);
    assert.ok((server.stats().byUser['alice'] ?? 0) > 0, 'tokens were issued to the helper user');
    assert.equal(server.stats().denied, 0);
  });

  test('a helper that is not on PATH: the auths entry is used, one warning naming it', async () => {
    const dir = await configDir({
      credsStore: 'ferry-no-such-store',
      auths: { [basic.host]: { auth: b64('alice:s3cret') } },
    });
    const r = await ferry(['ls', `${basic.host}/${REPO}`], { env: envFor(dir) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^ferry: warning: credential helper docker-credential-ferry-no-such-store not found in PATH \(asked for [^)]+\); using the auths entries of .*config\.json instead, else no credentials\n$/,
    );
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
    assertFailure(r, 3);
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
    assertFailure(c, 3, /catalog|repositories/i);
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
    assertFailure(r, 2, /password-stdin/);
  });

  test('--password-stdin with an empty stdin: exit 2', async () => {
    const r = await ferry(['-u', 'alice', '--password-stdin', 'ls', `${basic.host}/${REPO}`], {
      env: envFor(await configDir()),
      stdin: '',
    });
    assertFailure(r, 2, /empty password/);
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
    assertFailure(r, 2, /username/);
  });
});
