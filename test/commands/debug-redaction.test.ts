// --debug traces every request and response on stderr; none of it may carry a secret. Runs real,
// authenticated commands against the real registry (basic and token modes, every way ferry gets
// credentials) and checks that the trace is there and that no password, no base64 user:password,
// no issued token (JWTs start "eyJ") and no identity token appears in stdout or stderr.
//
// The harness token server does not expose the tokens it issued, so tokens are caught by shape:
// no "eyJ" anywhere, and every "Bearer " is followed by "[redacted]" or a challenge's "realm=".
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { DEFAULT_USERS, type HarnessUser } from '../harness/users.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const REPO = 'dbg/app';
const IDENTITY_TOKEN = 'ferry-idtok-Vb71kQ9pLm';
const HELPER_SECRET = 'helper-secret-Xy4Rt8';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** alice's password is made unique for this file so a leak cannot hide behind a common word. */
const ALICE_PASSWORD = 's3cret-Dbg7uW';
const USERS: HarnessUser[] = DEFAULT_USERS.map((u) =>
  u.username === 'alice'
    ? { ...u, password: ALICE_PASSWORD, actions: [...u.actions], identityToken: IDENTITY_TOKEN }
    : { ...u, actions: [...u.actions] },
);
/** alice with the helper's secret as password, so the helper-answer path authenticates too. */
const HELPER_USER: HarnessUser = { username: 'helperuser', password: HELPER_SECRET, actions: ['*'] };
const ALL_USERS = [...USERS, HELPER_USER];

/** Every string that must never be printed, whichever run produced the output. */
const SECRETS = [
  ALICE_PASSWORD,
  b64(`alice:${ALICE_PASSWORD}`),
  'r3ad',
  b64('reader:r3ad'),
  IDENTITY_TOKEN,
  HELPER_SECRET,
  b64(`helperuser:${HELPER_SECRET}`),
  'wrong-pass-Qz0',
  b64('alice:wrong-pass-Qz0'),
];

let basic: Registry;
let token: Registry;

before(async () => {
  [basic, token] = await Promise.all([
    startRegistry({ auth: 'basic', users: ALL_USERS }),
    startRegistry({ auth: 'token', users: ALL_USERS }),
  ]);
  const dir = await makeTempDir('dbg-images');
  for (const tag of ['v1', 'v2']) {
    const image = await generateImage({ dir, tag, layers: [256] });
    await Promise.all([pushImage(basic, `${REPO}:${tag}`, image), pushImage(token, `${REPO}:${tag}`, image)]);
  }
});

after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
});

async function envWith(config: unknown, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const dir = await makeTempDir('dbg-cfg');
  if (config !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return baseEnv({ PATH: `${FIXTURES}:${process.env['PATH'] ?? ''}`, DOCKER_CONFIG: dir, ...extra });
}

function assertNoSecrets(r: FerryResult): void {
  for (const [name, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    for (const secret of SECRETS)
      assert.ok(!text.includes(secret), `${name} leaks ${JSON.stringify(secret)}`);
    assert.ok(!text.includes('eyJ'), `${name} contains a JWT ("eyJ…")`);
    const bearer = [...text.matchAll(/Bearer\s+(\S{0,12})/g)].map((m) => m[1] ?? '');
    for (const after of bearer) {
      assert.match(after, /^(\[redacted\]|realm=)/, `${name} has an unredacted Bearer credential`);
    }
    assert.doesNotMatch(
      text,
      /Basic\s+(?!\[redacted\]|realm=)[A-Za-z0-9+/=]{4,}/,
      `${name} has a Basic credential`,
    );
  }
}

/** A successful --debug run: a trace with requests, 200s and a redacted Authorization header. */
function assertTraced(r: FerryResult): void {
  assert.equal(r.code, 0, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^> GET /m);
  assert.match(r.stderr, /^< 200 GET /m);
  assert.match(r.stderr, /^ authorization: \[redacted\]$/m);
  assertNoSecrets(r);
}

describe('--debug redaction, basic registry', () => {
  const repo = (): string => `${basic.host}/${REPO}`;

  test('-u/--password-stdin, ls -l', async () => {
    const r = await ferry(['--debug', '-u', 'alice', '--password-stdin', 'ls', '-l', '--no-trunc', repo()], {
      env: await envWith(undefined),
      stdin: `${ALICE_PASSWORD}\n`,
    });
    assertTraced(r);
    assert.match(r.stderr, /credentials for .*: command line \(-u\/--password-stdin\)/);
    assert.match(r.stdout, /^v1\s+sha256:/m);
  });

  test('config.json auth, manifest', async () => {
    const env = await envWith({ auths: { [basic.host]: { auth: b64(`alice:${ALICE_PASSWORD}`) } } });
    const r = await ferry(['--debug', 'manifest', `${repo()}:v1`], { env });
    assertTraced(r);
    assert.match(r.stderr, /credentials for .*config\.json auths/);
  });

  test('credential helper answer, catalog', async () => {
    const env = await envWith(
      { credHelpers: { [basic.host]: 'ferrytest' } },
      { FERRYTEST_USER: 'helperuser', FERRYTEST_SECRET: HELPER_SECRET },
    );
    const r = await ferry(['--debug', 'catalog', basic.host], { env });
    assertTraced(r);
    assert.match(r.stderr, /credential helper docker-credential-ferrytest/);
  });

  test('wrong password: error with a stack trace, still no secrets', async () => {
    const r = await ferry(['--debug', '-u', 'alice', '--password-stdin', 'ls', repo()], {
      env: await envWith(undefined),
      stdin: 'wrong-pass-Qz0',
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^< 401 GET /m);
    assert.match(r.stderr, /^\s+at /m);
    assertNoSecrets(r);
  });
});

describe('--debug redaction, token registry', () => {
  const repo = (): string => `${token.host}/${REPO}`;

  test('-u/--password-stdin, ls -l (token fetched with Basic)', async () => {
    token.tokenServer!.reset();
    const r = await ferry(['--debug', '-u', 'alice', '--password-stdin', 'ls', '-l', repo()], {
      env: await envWith(undefined),
      stdin: ALICE_PASSWORD,
    });
    assertTraced(r);
    assert.ok(token.tokenServer!.stats().issued >= 1);
    assert.match(
      r.stderr,
      new RegExp(`^> GET ${token.tokenServer!.realm}\\?`, 'm'),
      'the token request is traced',
    );
  });

  test('identity token from a helper (POST refresh_token)', async () => {
    token.tokenServer!.reset();
    const env = await envWith(
      { credsStore: 'ferrytest' },
      { FERRYTEST_MODE: 'token', FERRYTEST_SECRET: IDENTITY_TOKEN },
    );
    const r = await ferry(['--debug', 'ls', '-l', repo()], { env });
    assertTraced(r);
    assert.deepEqual(
      token.tokenServer!.requests().map((q) => q.grantType),
      ['refresh_token'],
    );
    assert.match(r.stderr, /^> POST /m, 'the token POST is traced');
  });

  test('identity token from config.json, digest', async () => {
    token.tokenServer!.reset();
    const env = await envWith({ auths: { [token.host]: { identitytoken: IDENTITY_TOKEN } } });
    const r = await ferry(['--debug', 'digest', `${repo()}:v2`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^< 200 HEAD /m);
    assertNoSecrets(r);
    assert.equal(token.tokenServer!.stats().byGrant['refresh_token'], 1);
  });

  test('config.json registrytoken (a known token value) is never printed', async () => {
    const minted = token.tokenServer!.mint({
      subject: 'alice',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
    });
    const env = await envWith({ auths: { [token.host]: { registrytoken: minted } } });
    const r = await ferry(['--debug', 'ls', '-l', repo()], { env });
    assertTraced(r);
    for (const part of minted.split('.')) {
      assert.ok(
        !r.stderr.includes(part) && !r.stdout.includes(part),
        'a part of the registry token is printed',
      );
    }
  });

  test('insufficient scope replay (reader on catalog): 401s traced, no secrets', async () => {
    const r = await ferry(['--debug', '-u', 'reader', '--password-stdin', 'catalog', token.host], {
      env: await envWith(undefined),
      stdin: 'r3ad\n',
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^< 401 GET /m);
    assert.match(r.stderr, /insufficient_scope/);
    assertNoSecrets(r);
  });

  test('wrong password: error with a stack trace, still no secrets', async () => {
    const env = await envWith({ auths: { [token.host]: { auth: b64('alice:wrong-pass-Qz0') } } });
    const r = await ferry(['--debug', 'manifest', `${repo()}:v1`], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^\s+at /m);
    assertNoSecrets(r);
  });

  test('a helper printing its secret in broken JSON: error names no secret', async () => {
    const env = await envWith(
      { credHelpers: { [token.host]: 'ferrytest' } },
      { FERRYTEST_MODE: 'badjson', FERRYTEST_SECRET: HELPER_SECRET },
    );
    const r = await ferry(['--debug', 'ls', repo()], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /docker-credential-ferrytest/);
    assertNoSecrets(r);
  });

  test('a failing helper that echoes a secret on stdout: blanked in the error', async () => {
    const env = await envWith(
      { credHelpers: { [token.host]: 'ferrytest' } },
      {
        FERRYTEST_MODE: 'fail',
        FERRYTEST_STDOUT: `{"Secret":"${HELPER_SECRET}"}`,
        FERRYTEST_STDERR: 'backend down',
      },
    );
    const r = await ferry(['--debug', 'ls', repo()], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /backend down/);
    assertNoSecrets(r);
  });
});
