import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type AuthEntry,
  candidateKeys,
  configFileCandidates,
  credentialFromEntry,
  findAuthEntry,
  helperFor,
  keyHostname,
  loadDockerConfig,
  parseDockerConfig,
} from '../../../src/auth/docker-config.js';
import { isFerryError } from '../../../src/errors.js';
import { DOCKER_HUB_CONFIG_KEY, dockerConfigKey } from '../../../src/ref/index.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Asserts a FerryError with `code` whose message is one line and contains none of `secrets`. */
function assertFerryError(err: unknown, code: string, secrets: string[] = []): true {
  assert.ok(isFerryError(err), `expected a FerryError, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
  for (const s of secrets) assert.ok(!err.message.includes(s), `message leaks a secret: ${err.message}`);
  return true;
}

test('dockerConfigKey: Docker Hub uses the v1 index URL, everything else its host[:port]', () => {
  const table: [string, string][] = [
    ['docker.io', DOCKER_HUB_CONFIG_KEY],
    ['index.docker.io', DOCKER_HUB_CONFIG_KEY],
    ['registry-1.docker.io', DOCKER_HUB_CONFIG_KEY],
    ['DOCKER.IO', DOCKER_HUB_CONFIG_KEY],
    ['ghcr.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['docker.io.example.com', 'docker.io.example.com'],
  ];
  for (const [registry, key] of table) assert.equal(dockerConfigKey(registry), key, registry);
});

test('candidateKeys: Docker Hub tries the v1 URL first, then the host names others write', () => {
  assert.deepEqual(candidateKeys('docker.io'), [
    'https://index.docker.io/v1/',
    'docker.io',
    'index.docker.io',
    'registry-1.docker.io',
  ]);
  assert.deepEqual(candidateKeys('quay.io'), ['quay.io']);
});

test('keyHostname strips a scheme and any path (docker ConvertToHostname)', () => {
  const table: [string, string][] = [
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['http://registry.example.com/v2/', 'registry.example.com'],
    ['https://h:5000/v1/', 'h:5000'],
    ['h:5000', 'h:5000'],
    ['quay.io/namespace/repo', 'quay.io'],
    ['oci://Reg.Example.COM', 'reg.example.com'],
    ['[::1]:5000/v1/', '[::1]:5000'],
  ];
  for (const [key, host] of table) assert.equal(keyHostname(key), host, key);
});

test('findAuthEntry: exact key first, then the first key whose host name matches', () => {
  const auths = (...keys: string[]): Map<string, AuthEntry> =>
    new Map(keys.map((k) => [k, { username: `user-for-${k}` }]));
  const table: [string, Map<string, AuthEntry>, string | undefined][] = [
    ['localhost:5000', auths('localhost:5000'), 'localhost:5000'],
    ['localhost:5000', auths('https://localhost:5000/v1/'), 'https://localhost:5000/v1/'],
    ['localhost:5000', auths('https://localhost:5000/v1/', 'localhost:5000'), 'localhost:5000'],
    [
      'localhost:5000',
      auths('http://a/', 'https://localhost:5000/', 'localhost:5000/x'),
      'https://localhost:5000/',
    ],
    ['localhost:5000', auths('localhost', 'localhost:5001'), undefined],
    ['h.example.com', auths('H.Example.com'), 'H.Example.com'],
    ['127.0.0.1:5000', auths('https://127.0.0.1:5000/v2/'), 'https://127.0.0.1:5000/v2/'],
    ['ghcr.io', auths(), undefined],
    ['ghcr.io', auths('ghcr.io.evil.example'), undefined],
    ['docker.io', auths('https://index.docker.io/v1/'), DOCKER_HUB_CONFIG_KEY],
    ['docker.io', auths('docker.io'), 'docker.io'],
    ['docker.io', auths('index.docker.io'), 'index.docker.io'],
    ['docker.io', auths('registry-1.docker.io'), 'registry-1.docker.io'],
    ['docker.io', auths('https://registry-1.docker.io/v2/'), 'https://registry-1.docker.io/v2/'],
    ['docker.io', auths('docker.io', DOCKER_HUB_CONFIG_KEY), DOCKER_HUB_CONFIG_KEY],
    ['index.docker.io', auths('docker.io'), 'docker.io'],
    ['docker.io', auths('quay.io', 'ghcr.io'), undefined],
    ['constructor', auths('x'), undefined],
  ];
  for (const [registry, map, want] of table) {
    const hit = findAuthEntry(map, registry);
    assert.equal(hit?.key, want, `${registry} in [${[...map.keys()].join(', ')}]`);
    if (hit) assert.deepEqual(hit.entry, map.get(hit.key));
  }
});

test('helperFor: credHelpers[key] beats credsStore; an empty credHelpers entry turns the store off', () => {
  const config = parseDockerConfig(
    JSON.stringify({
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud', 'plain.example': '', 'https://index.docker.io/v1/': 'hub' },
    }),
    '/c/config.json',
  );
  const table: [string, { helper: string; via: string } | undefined][] = [
    ['gcr.io', { helper: 'gcloud', via: 'credHelpers["gcr.io"]' }],
    ['ghcr.io', { helper: 'desktop', via: 'credsStore' }],
    ['plain.example', undefined],
    ['docker.io', { helper: 'hub', via: 'credHelpers["https://index.docker.io/v1/"]' }],
  ];
  for (const [registry, want] of table) assert.deepEqual(helperFor(config, registry), want, registry);

  const noStore = parseDockerConfig('{"credsStore":"","credHelpers":{"docker.io":"x"}}', '/c/config.json');
  assert.equal(helperFor(noStore, 'quay.io'), undefined);
  assert.deepEqual(helperFor(noStore, 'index.docker.io'), { helper: 'x', via: 'credHelpers["docker.io"]' });
});

test('credentialFromEntry maps each field to the right kind of credential', () => {
  const table: [AuthEntry, unknown][] = [
    [{ auth: b64('alice:s3cret') }, { kind: 'basic', username: 'alice', password: 's3cret' }],
    [{ auth: b64('alice:pa:ss:wd') }, { kind: 'basic', username: 'alice', password: 'pa:ss:wd' }],
    [{ auth: b64('alice:') }, { kind: 'basic', username: 'alice', password: '' }],
    [{ auth: b64('alice:pw\0\0\0') }, { kind: 'basic', username: 'alice', password: 'pw' }],
    [{ auth: ` ${b64('ünï:cödé')}\n` }, { kind: 'basic', username: 'ünï', password: 'cödé' }],
    [
      { username: 'bob', password: 'pw' },
      { kind: 'basic', username: 'bob', password: 'pw' },
    ],
    [
      { auth: b64('alice:from-auth'), username: 'bob', password: 'clear' },
      { kind: 'basic', username: 'alice', password: 'from-auth' },
    ],
    [
      { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh' },
      { kind: 'identityToken', token: 'refresh', username: '00000000-0000-0000-0000-000000000000' },
    ],
    [{ identitytoken: 'refresh' }, { kind: 'identityToken', token: 'refresh' }],
    [
      { registrytoken: 'bearer', identitytoken: 'refresh' },
      { kind: 'registryToken', token: 'bearer' },
    ],
    [{}, { kind: 'anonymous' }],
    [{ auth: '' }, { kind: 'anonymous' }],
  ];
  for (const [entry, want] of table) {
    assert.deepEqual(credentialFromEntry(entry, '/c/config.json', 'h'), want, JSON.stringify(entry));
  }
});

test('credentialFromEntry rejects bad auth values without quoting them', () => {
  const table: [AuthEntry, RegExp][] = [
    [{ auth: b64(':s3cret-pw') }, /empty username/],
    [{ auth: b64('no-colon-s3cret-pw') }, /username:password/],
    [{ auth: 's3cret-pw!!' }, /base64/],
    [{ password: 's3cret-pw' }, /empty username/],
  ];
  for (const [entry, pattern] of table) {
    assert.throws(
      () => credentialFromEntry(entry, '/home/u/.docker/config.json', 'reg.example:5000'),
      (err: unknown) => {
        assertFerryError(err, 'E_LOCAL', ['s3cret-pw', entry.auth ?? 's3cret-pw']);
        assert.match((err as Error).message, pattern);
        assert.match((err as Error).message, /\/home\/u\/\.docker\/config\.json/);
        assert.match((err as Error).message, /auths\["reg\.example:5000"\]/);
        return true;
      },
    );
  }
});

test('parseDockerConfig: malformed JSON is a one-line E_LOCAL naming the file, never quoting it', () => {
  const texts = [
    '{"auths": {"h": {"auth": "c2VjcmV0LXZhbHVl"}',
    '{"auths": {"h": {"password": s3cret-value}}}',
    "{'auths': 's3cret-value'}",
    '{"auths": {}}\ns3cret-value',
  ];
  for (const text of texts) {
    assert.throws(
      () => parseDockerConfig(text, '/home/u/.docker/config.json'),
      (err: unknown) => {
        assertFerryError(err, 'E_LOCAL', ['s3cret-value', 'c2VjcmV0LXZhbHVl']);
        assert.match((err as Error).message, /^\/home\/u\/\.docker\/config\.json is not valid JSON/);
        return true;
      },
    );
  }
  // Where V8 gives a position, it becomes a line and column.
  assert.throws(() => parseDockerConfig('{\n  "auths": {}\n  "x": 1\n}', '/f.json'), /line 3, column 3\)$/);
});

test('parseDockerConfig: shapes, BOM, empty file, nulls', () => {
  const cfg = parseDockerConfig(
    '\uFEFF{"auths":{"a":{"auth":"eDp5","email":"e@x"},"b":null},"credsStore":"desktop","proxies":{}}',
    '/f.json',
  );
  assert.deepEqual(
    [...cfg.auths],
    [
      ['a', { auth: 'eDp5' }],
      ['b', {}],
    ],
  );
  assert.equal(cfg.credsStore, 'desktop');
  assert.equal(cfg.origin, '/f.json');

  const empty = parseDockerConfig('  \n', '/f.json');
  assert.equal(empty.auths.size, 0);
  assert.equal(empty.credsStore, undefined);

  const bad: [string, RegExp][] = [
    ['[]', /expected a JSON object/],
    ['{"auths":[]}', /"auths" must be an object/],
    ['{"auths":{"h":"x"}}', /auths\["h"\] must be an object/],
    ['{"auths":{"h":{"password":42}}}', /auths\["h"\]\.password must be a string/],
    ['{"credHelpers":{"h":1}}', /credHelpers\["h"\] must be a string/],
    ['{"credsStore":true}', /"credsStore" must be a string/],
  ];
  for (const [text, pattern] of bad) {
    assert.throws(
      () => parseDockerConfig(text, '/f.json'),
      (err: unknown) => assertFerryError(err, 'E_LOCAL') && pattern.test((err as Error).message),
      text,
    );
  }
});

const tmpRoots: string[] = [];
after(async () => {
  for (const dir of tmpRoots) await rm(dir, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-docker-config-'));
  tmpRoots.push(dir);
  return dir;
}
async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

test('configFileCandidates: DOCKER_CONFIG, then HOME/.docker, then Podman; unset or empty vars skipped', () => {
  assert.deepEqual(
    configFileCandidates({ DOCKER_CONFIG: '/d', HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' }),
    ['/d/config.json', '/h/.docker/config.json', '/run/user/1/containers/auth.json'],
  );
  assert.deepEqual(configFileCandidates({ DOCKER_CONFIG: '', HOME: '/h' }), ['/h/.docker/config.json']);
  assert.deepEqual(configFileCandidates({}), []);
});

test('loadDockerConfig reads the first file that exists', async () => {
  const root = await tmp();
  const env = {
    DOCKER_CONFIG: join(root, 'dc'),
    HOME: join(root, 'home'),
    XDG_RUNTIME_DIR: join(root, 'run'),
  };
  assert.equal(await loadDockerConfig(env), undefined);

  await put(join(root, 'run/containers/auth.json'), '{"auths":{"docker.io":{"auth":"cDp3"}}}');
  assert.equal((await loadDockerConfig(env))?.origin, join(root, 'run/containers/auth.json'));

  await put(join(root, 'home/.docker/config.json'), '{"auths":{"home":{}}}');
  const home = await loadDockerConfig(env);
  assert.equal(home?.origin, join(root, 'home/.docker/config.json'));
  assert.deepEqual([...(home?.auths.keys() ?? [])], ['home']);

  await put(join(root, 'dc/config.json'), '{"auths":{"dc":{}}}');
  assert.equal((await loadDockerConfig(env))?.origin, join(root, 'dc/config.json'));

  // A directory where the file should be is reported, not skipped.
  const weird = await tmp();
  await mkdir(join(weird, 'config.json'));
  await assert.rejects(loadDockerConfig({ DOCKER_CONFIG: weird }), (err: unknown) => {
    assertFerryError(err, 'E_LOCAL');
    assert.match((err as Error).message, /config\.json: EISDIR/);
    return true;
  });
});
