// `ferry login` / `ferry logout` against the real registry (htpasswd Basic and Bearer token modes)
// and the real helper protocol (test/fixtures/docker-credential-ferrytest on PATH).
//
// What "config.json's other fields survive byte for byte" means here: the file after login is the
// file before with exactly one span changed, the `auths` member for the registry (inserted,
// replaced or removed), laid out like its neighbours. Every other byte stays, including what a
// JSON.parse/JSON.stringify round trip would have changed: key order with integer-like keys,
// `1.50`, a 20-digit integer, `\u00e9` escapes, the file's own indentation, a trailing newline.
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { DEFAULT_USERS } from '../harness/users.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const REPO = 'login/app';
/** A token used as a password: ':' '/' '+' '=' must survive base64 and the split at the first ':'. */
const TOKEN_USER = { username: 'ci-bot', password: 'glpat-T0k3n:with/slash+plus==', actions: ['*'] };
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let basic: Registry;
let token: Registry;

before(async () => {
  [basic, token] = await Promise.all([
    startRegistry({ auth: 'basic', users: [...DEFAULT_USERS, TOKEN_USER] }),
    startRegistry('token'),
  ]);
  const image = await generateImage({ tag: 'v1', seed: 'login', layers: [256] });
  await Promise.all([pushImage(basic, `${REPO}:v1`, image), pushImage(token, `${REPO}:v1`, image)]);
});
after(() => Promise.all([basic?.stop(), token?.stop()]));

/** The helper fixture on PATH and DOCKER_CONFIG=dir. */
const envFor = (dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
  baseEnv({ PATH: `${FIXTURES}:${process.env['PATH'] ?? ''}`, DOCKER_CONFIG: dir, ...extra });

async function configDir(text?: string): Promise<string> {
  const dir = await makeTempDir('login');
  if (text !== undefined) await writeFile(join(dir, 'config.json'), text);
  return dir;
}

const configText = (dir: string): Promise<string> => readFile(join(dir, 'config.json'), 'utf8');

function loginAs(
  reg: Registry,
  dir: string,
  user = 'alice',
  password = 's3cret',
  extra: NodeJS.ProcessEnv = {},
): Promise<FerryResult> {
  return ferry(['login', '-u', user, '--password-stdin', reg.host], {
    env: envFor(dir, extra),
    stdin: `${password}\n`,
  });
}

const lsWith = (reg: Registry, dir: string, extra: NodeJS.ProcessEnv = {}): Promise<FerryResult> =>
  ferry(['ls', `${reg.host}/${REPO}`], { env: envFor(dir, extra) });

async function helperCalls(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

/** The bytes and mtime of config.json (undefined when absent): a failed run must leave both. */
async function snapshot(dir: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  const file = join(dir, 'config.json');
  try {
    return { text: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs };
  } catch {
    return undefined;
  }
}

for (const mode of ['basic', 'token'] as const) {
  describe(`login, ${mode} registry`, () => {
    const reg = (): Registry => (mode === 'basic' ? basic : token);

    test('stores auths[HOST].auth in a new config.json (0600, dir 0700), then ls works with no flags', async () => {
      const dir = join(await configDir(), 'nested', 'docker');
      const r = await loginAs(reg(), dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`logged in to ${reg().host} as alice`));
      assert.match(r.stderr, /warning: the password is stored unencrypted in .*config\.json/);
      assert.ok(!r.stderr.includes('s3cret'), 'the password is never printed');
      const config = JSON.parse(await configText(dir));
      assert.deepEqual(config, { auths: { [reg().host]: { auth: b64('alice:s3cret') } } });
      assert.equal((await stat(join(dir, 'config.json'))).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.deepEqual(await readdir(dir), ['config.json'], 'no temp file left behind');

      const ls = await lsWith(reg(), dir);
      assert.equal(ls.code, 0, ls.stderr);
      assert.equal(ls.stdout, 'v1\n');
    });

    test('a wrong password: exit 3, one line, and config.json is not touched (bytes, mtime)', async () => {
      const original = `{\n\t"auths": {\n\t\t"${reg().host}": {\n\t\t\t"auth": "${b64('alice:s3cret')}"\n\t\t}\n\t}\n}`;
      const dir = await configDir(original);
      const before = await snapshot(dir);
      await new Promise((r) => setTimeout(r, 20)); // an mtime change would be visible
      const r = await loginAs(reg(), dir, 'alice', 'wrong-password');
      assert.equal(r.code, 3, r.stderr);
      assert.match(errorLine(r), /password|credentials|authenticat/i);
      assert.ok(!r.stderr.includes('wrong-password'));
      assert.deepEqual(await snapshot(dir), before);
      assert.deepEqual(await readdir(dir), ['config.json']);
      // The credentials that were there still work.
      assert.equal((await lsWith(reg(), dir)).code, 0);

      // With no config.json at all, none is created.
      const empty = await configDir();
      assert.equal((await loginAs(reg(), empty, 'nobody', 'x')).code, 3);
      assert.deepEqual(await readdir(empty), []);
    });

    test('with credHelpers[HOST] the helper receives store, config.json is not touched, ls works', async () => {
      const original = JSON.stringify({ credHelpers: { [reg().host]: 'ferrytest' } }, null, 2);
      const dir = await configDir(original);
      const log = join(dir, 'helper.log');
      const r = await loginAs(reg(), dir, 'alice', 's3cret', { FERRYTEST_LOG: log });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stored in credential helper docker-credential-ferrytest/);
      assert.doesNotMatch(r.stderr, /unencrypted/);
      const calls = await helperCalls(log);
      assert.equal(calls.length, 1, calls.join('\n'));
      const [action, input] = calls[0]!.split('\t');
      assert.equal(action, 'store');
      assert.deepEqual(JSON.parse(input!), { ServerURL: reg().host, Username: 'alice', Secret: 's3cret' });
      assert.equal(await configText(dir), original);

      const ls = await lsWith(reg(), dir, { FERRYTEST_USER: 'alice', FERRYTEST_SECRET: 's3cret' });
      assert.equal(ls.stdout, 'v1\n', ls.stderr);
    });
  });
}

describe('login, config.json handling', () => {
  test('other fields survive byte for byte: insert, then replace, then logout removes', async () => {
    const host = basic.host;
    // Four-space indentation, CRLF-free, odd key order, values a round trip would rewrite.
    const original = [
      '{',
      '    "1": "an integer-like key, stays where it is",',
      '    "auths": {',
      '        "other.example:5000": {',
      '            "auth": "b3RoZXI6cHc=",',
      '            "email": "caf\\u00e9@example.com"',
      '        }',
      '    },',
      '    "HttpHeaders": { "User-Agent": "kept as written" },',
      '    "big": 12345678901234567890,',
      '    "price": 1.50,',
      '    "psFormat": "table {{.ID}}"',
      '}',
      '',
    ].join('\n');
    const dir = await configDir(original);
    await chmod(join(dir, 'config.json'), 0o640);

    assert.equal((await loginAs(basic, dir)).code, 0);
    const afterLogin = await configText(dir);
    const entry = (auth: string): string =>
      `,\n        "${host}": {\n            "auth": "${auth}"\n        }`;
    const cut = original.indexOf('\n    },');
    assert.equal(afterLogin, original.slice(0, cut) + entry(b64('alice:s3cret')) + original.slice(cut));
    assert.equal((await stat(join(dir, 'config.json'))).mode & 0o777, 0o640, 'the mode is kept');

    // Logging in again (another user) replaces the value only.
    assert.equal((await loginAs(basic, dir, 'reader', 'r3ad')).code, 0);
    assert.equal(
      await configText(dir),
      original.slice(0, cut) + entry(b64('reader:r3ad')) + original.slice(cut),
    );

    const out = await ferry(['logout', host], { env: envFor(dir) });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /removed the credentials of/);
    assert.equal(await configText(dir), original, 'logout gives back the original bytes');
    assert.deepEqual(await readdir(dir), ['config.json']);
  });

  test('a config.json that is not valid JSON is refused (exit 8) and not overwritten', async () => {
    const broken = '{"auths": {"a": {"auth": "eA=="}},,}\n';
    const dir = await configDir(broken);
    const before = await snapshot(dir);
    for (const args of [
      ['login', '-u', 'alice', '--password-stdin', basic.host],
      ['logout', basic.host],
    ]) {
      const r = await ferry(args, { env: envFor(dir), stdin: 's3cret\n' });
      assert.equal(r.code, 8, r.stderr);
      assert.match(r.stderr, /not valid JSON/);
      assert.match(r.stderr, /refusing to change/);
    }
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await readdir(dir), ['config.json']);
  });

  test('a token as the password (":" "/" "+" "=" in it) is stored and works', async () => {
    const dir = await configDir();
    const r = await loginAs(basic, dir, TOKEN_USER.username, TOKEN_USER.password);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes(TOKEN_USER.password));
    const config = JSON.parse(await configText(dir));
    assert.equal(config.auths[basic.host].auth, b64(`${TOKEN_USER.username}:${TOKEN_USER.password}`));
    assert.equal((await lsWith(basic, dir)).stdout, 'v1\n');
  });

  test('a symlinked config.json is written through; the link stays', async () => {
    const dir = await configDir();
    const real = join(await configDir(), 'dotfiles-config.json');
    await writeFile(real, '{\n\t"psFormat": "x"\n}\n');
    await symlink(real, join(dir, 'config.json'));
    assert.equal((await loginAs(basic, dir)).code, 0);
    assert.ok((await lstat(join(dir, 'config.json'))).isSymbolicLink());
    assert.equal(await readlink(join(dir, 'config.json')), real);
    assert.deepEqual(JSON.parse(await readFile(real, 'utf8')), {
      psFormat: 'x',
      auths: { [basic.host]: { auth: b64('alice:s3cret') } },
    });
  });

  test('credsStore: store goes to the helper, and a stale plaintext password is blanked', async () => {
    const original = `{\n\t"auths": {\n\t\t"${basic.host}": {\n\t\t\t"auth": "${b64('alice:old')}"\n\t\t},\n\t\t"keep.example": {\n\t\t\t"auth": "a2VlcDpt"\n\t\t}\n\t},\n\t"credsStore": "ferrytest"\n}`;
    const dir = await configDir(original);
    const log = join(dir, 'helper.log');
    const r = await loginAs(basic, dir, 'alice', 's3cret', { FERRYTEST_LOG: log });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (await helperCalls(log)).map((l) => l.split('\t')[0]),
      ['store'],
    );
    assert.equal(
      await configText(dir),
      original.replace(`{\n\t\t\t"auth": "${b64('alice:old')}"\n\t\t}`, '{}'),
    );
  });

  test('a helper that fails to store: exit 3 with its message, nothing written', async () => {
    const original = JSON.stringify({ credsStore: 'ferrytest' });
    const dir = await configDir(original);
    const r = await loginAs(basic, dir, 'alice', 's3cret', {
      FERRYTEST_MODE: 'fail',
      FERRYTEST_STDERR: 'keyring locked',
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(errorLine(r), /docker-credential-ferrytest store failed.*keyring locked/);
    assert.equal(await configText(dir), original);
  });

  test('DOCKER_AUTH_CONFIG with an entry for the registry: stored, with a warning that it wins', async () => {
    const dir = await configDir();
    const inline = JSON.stringify({ auths: { [basic.host]: { auth: b64('alice:s3cret') } } });
    const r = await loginAs(basic, dir, 'alice', 's3cret', { DOCKER_AUTH_CONFIG: inline });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: DOCKER_AUTH_CONFIG has credentials for .* used before the stored ones/);
    const plain = await loginAs(basic, await configDir());
    assert.doesNotMatch(plain.stderr, /DOCKER_AUTH_CONFIG/);
  });

  test('usage: login needs -u and --password-stdin (exit 2)', async () => {
    const dir = await configDir();
    const bare = await ferry(['login', basic.host], { env: envFor(dir) });
    assert.equal(bare.code, 2);
    assert.match(errorLine(bare), /-u USER/);
    const noStdin = await ferry(['login', '-u', 'alice', basic.host], { env: envFor(dir) });
    assert.equal(noStdin.code, 2);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a registry that asks for no credentials: stored, with a warning that they were not checked', async () => {
    const anonymous = await startRegistry('anonymous');
    try {
      const dir = await configDir();
      const r = await loginAs(anonymous, dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /asked for no credentials/);
    } finally {
      await anonymous.stop();
    }
  });
});

describe('logout', () => {
  test('removes the entry, then ls is refused; a second logout has nothing to remove (exit 0)', async () => {
    const dir = await configDir();
    assert.equal((await loginAs(token, dir)).code, 0);
    assert.equal((await lsWith(token, dir)).code, 0);
    const r = await ferry(['logout', token.host], { env: envFor(dir) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(JSON.parse(await configText(dir)), { auths: {} });
    assert.equal((await lsWith(token, dir)).code, 3);
    const again = await ferry(['logout', token.host], { env: envFor(dir) });
    assert.equal(again.code, 0);
    assert.match(again.stderr, /nothing to remove/);
    const none = await ferry(['logout', token.host], { env: envFor(await configDir()) });
    assert.equal(none.code, 0);
    assert.match(none.stderr, /nothing to remove/);
  });

  test('every spelling of the key goes (legacy URL keys, Docker Hub aliases); others stay', async () => {
    const config = {
      auths: {
        [`http://${basic.host}/v1/`]: { auth: 'eDp5' },
        [basic.host]: { auth: 'eDp5' },
        'https://index.docker.io/v1/': { auth: 'eDp5' },
        'docker.io': { auth: 'eDp5' },
        'other.example': { auth: 'eDp5' },
      },
    };
    const dir = await configDir(JSON.stringify(config, null, '\t'));
    assert.equal((await ferry(['logout', basic.host], { env: envFor(dir) })).code, 0);
    assert.deepEqual(Object.keys(JSON.parse(await configText(dir)).auths), [
      'https://index.docker.io/v1/',
      'docker.io',
      'other.example',
    ]);
    assert.equal((await ferry(['logout', 'docker.io'], { env: envFor(dir) })).code, 0);
    assert.deepEqual(Object.keys(JSON.parse(await configText(dir)).auths), ['other.example']);
  });

  test('with a helper: erase goes to it with the server URL (Docker Hub: the v1 URL)', async () => {
    const dir = await configDir(JSON.stringify({ credsStore: 'ferrytest' }));
    const log = join(dir, 'helper.log');
    const r = await ferry(['logout', basic.host], { env: envFor(dir, { FERRYTEST_LOG: log }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /removed the credentials of .* from credential helper docker-credential-ferrytest/,
    );
    const hub = await ferry(['logout', 'index.docker.io'], { env: envFor(dir, { FERRYTEST_LOG: log }) });
    assert.equal(hub.code, 0, hub.stderr);
    assert.deepEqual(await helperCalls(log), [`erase\t${basic.host}`, 'erase\thttps://index.docker.io/v1/']);
    assert.equal(await configText(dir), JSON.stringify({ credsStore: 'ferrytest' }));
  });

  test('a DOCKER_CONFIG directory that does not exist: nothing to remove, nothing created', async () => {
    const dir = join(await configDir(), 'missing');
    const r = await ferry(['logout', basic.host], { env: envFor(dir) });
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(stat(dir));
    await mkdir(dir);
  });
});
