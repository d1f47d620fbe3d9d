// The per-registry settings file (registries.yaml): plain-http, insecure, ca-file, client-cert and
// client-key per registry, so the flags need not be repeated. Found at $FERRY_REGISTRIES_CONFIG, else
// $XDG_CONFIG_HOME/ferry/registries.yaml, else ~/.config/ferry/registries.yaml. Precedence: flags,
// then the file, then certs.d (booleans and CA certificates add up; the first client certificate
// found wins). Every mistake in the file is one line naming the file, the registry and the key,
// exit 2, before any request.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPki, getPki, type Pki } from '../harness/ca.js';
import { errorLine } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

describe('the settings file (registries.yaml)', () => {
  let tls: Registry;
  let mtls: Registry;
  let plain: Registry;
  let pki: Pki;
  let stranger: Pki;
  let image: ImageSummary;

  before(async () => {
    [tls, mtls, plain, pki, stranger, image] = await Promise.all([
      startRegistry('tls'),
      startRegistry({ tls: true, clientCa: true }),
      startRegistry(),
      getPki(),
      createPki(),
      generateImage({ tag: 'v1', layers: [300] }),
    ]);
    await Promise.all([tls, mtls, plain].map((r) => pushImage(r, 'conf/app:v1', image)));
  });
  after(() => Promise.all([tls?.stop(), mtls?.stop(), plain?.stop()]));

  /** A settings file with this YAML text, and the environment that points ferry at it. */
  const settings = async (yaml: string, extra: NodeJS.ProcessEnv = {}) => {
    const dir = await makeTempDir('settings');
    const file = join(dir, 'registries.yaml');
    await writeFile(file, yaml);
    return { dir, file, env: baseEnv({ FERRY_REGISTRIES_CONFIG: file, ...extra }) };
  };
  const digest = (r: Registry, env: NodeJS.ProcessEnv, flags: string[] = []) =>
    ferry([...flags, 'digest', `${r.host}/conf/app:v1`], { env });

  test('ca-file: a TLS registry is verified with it, no --ca-file needed (light and transfer commands)', async () => {
    const without = await digest(tls, baseEnv());
    assert.equal(without.code, 5, 'the CA is not trusted by default');
    const { env } = await settings(`registries:\n  ${tls.host}:\n    ca-file: ${tls.caFile}\n`);
    const r = await digest(tls, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${image.digest}\n`);
    const copy = await ferry(['-q', 'copy', `${tls.host}/conf/app:v1`, `${tls.host}/conf/app:copied`], {
      env,
    });
    assert.equal(copy.code, 0, copy.stderr);
  });

  test('insecure: no verification for that registry; an entry with the port wins over the host alone', async () => {
    const { env } = await settings(`registries:\n  ${tls.host}:\n    insecure: true\n`);
    assert.equal((await digest(tls, env)).code, 0);
    // Host-only key: any port of that host.
    const host = await settings(`registries:\n  127.0.0.1:\n    insecure: true\n`);
    assert.equal((await digest(tls, host.env)).code, 0);
    // host:port entry (empty) beats the host-only one: verification is back on.
    const both = await settings(`registries:\n  127.0.0.1:\n    insecure: true\n  ${tls.host}: {}\n`);
    assert.equal((await digest(tls, both.env)).code, 5);
    // An entry for another port does not apply.
    const other = await settings(`registries:\n  127.0.0.1:1:\n    insecure: true\n`);
    assert.equal((await digest(tls, other.env)).code, 5);
  });

  test('plain-http: a loopback registry is asked over HTTP at once, without trying HTTPS first', async () => {
    const trace = async (env: NodeJS.ProcessEnv) => {
      const r = await ferry(['--debug', 'digest', `${plain.host}/conf/app:v1`], { env });
      assert.equal(r.code, 0, r.stderr);
      return r.stderr.split('\n').filter((l) => l.startsWith('> '));
    };
    // Without the file a loopback registry is asked in plain HTTP first too (ref/scheme.ts),
    // and a TLS one is then asked in HTTPS, after its plain-HTTP refusal.
    const tried = await trace(baseEnv());
    assert.deepEqual(
      tried
        .filter((l) => l.includes('/v2/ ') || l.endsWith('/v2/'))
        .map((l) => l.split(' ').slice(0, 3).join(' ')),
      [`> GET http://${plain.host}/v2/`],
    );
    const tlsTried = await ferry(['--debug', '--ca-file', tls.caFile!, 'digest', `${tls.host}/conf/app:v1`], {
      env: baseEnv(),
    });
    assert.equal(tlsTried.code, 0, tlsTried.stderr);
    const pings = tlsTried.stderr.split('\n').filter((l) => l.startsWith('> GET') && l.endsWith('/v2/'));
    assert.deepEqual(
      pings.map((l) => l.split(' ')[2]),
      [`http://${tls.host}/v2/`, `https://${tls.host}/v2/`],
    );
    const { env } = await settings(`registries:\n  ${plain.host}:\n    plain-http: true\n`);
    const direct = await trace(env);
    assert.deepEqual(
      direct.filter((l) => l.includes('https://')),
      [],
    );
    assert.ok(direct.some((l) => l.startsWith(`> GET http://${plain.host}/v2/`)));
    // plain-http for a registry that speaks HTTPS says so, naming the file's setting too.
    const wrong = await settings(`registries:\n  ${tls.host}:\n    plain-http: true\n`);
    const r = await digest(tls, wrong.env);
    assert.equal(r.code, 5);
    assert.match(
      errorLine(r),
      /speaks HTTPS, not plain HTTP \(hint: .*plain-http: true from the settings file\)$/,
    );
  });

  test('client-cert and client-key (paths relative to the file), with ca-file: an mTLS registry answers', async () => {
    const { dir, env } = await settings(
      `registries:\n  ${mtls.host}:\n    ca-file: ca.pem\n    client-cert: me/client.cert\n    client-key: me/client.key\n`,
    );
    await mkdir(join(dir, 'me'));
    await Promise.all([
      copyFile(pki.caCert, join(dir, 'ca.pem')),
      copyFile(pki.clientCert, join(dir, 'me/client.cert')),
      copyFile(pki.clientKey, join(dir, 'me/client.key')),
    ]);
    const r = await digest(mtls, env);
    assert.equal(r.code, 0, r.stderr);
    const pull = await ferry(['-q', 'pull', `${mtls.host}/conf/app:v1`, join(dir, 'out.tar')], { env });
    assert.equal(pull.code, 0, pull.stderr);
  });

  test('precedence for the client certificate: --cert-dir, then the file, then certs.d', async () => {
    const certsD = await makeTempDir('settings-certs.d');
    await mkdir(join(certsD, mtls.host));
    await copyFile(stranger.clientCert, join(certsD, mtls.host, 'client.cert'));
    await copyFile(stranger.clientKey, join(certsD, mtls.host, 'client.key'));
    // certs.d alone: the stranger's certificate is sent and refused.
    const alone = await digest(mtls, baseEnv({ FERRY_CERTS_D: certsD }), ['--ca-file', mtls.caFile!]);
    assert.equal(alone.code, 5);
    assert.match(errorLine(alone), /refused the TLS client certificate from /);
    // The file's (good) certificate beats certs.d.
    const { env } = await settings(
      `registries:\n  ${mtls.host}:\n    ca-file: ${pki.caCert}\n    client-cert: ${pki.clientCert}\n    client-key: ${pki.clientKey}\n`,
      { FERRY_CERTS_D: certsD },
    );
    assert.equal((await digest(mtls, env)).code, 0);
    // --cert-dir (the stranger's) beats the file: refused, and the message names the flag.
    const strangerDir = join(certsD, mtls.host);
    const flag = await digest(mtls, env, ['--cert-dir', strangerDir]);
    assert.equal(flag.code, 5);
    assert.match(errorLine(flag), /refused the TLS client certificate from --cert-dir /);
  });

  test('found at $XDG_CONFIG_HOME/ferry/registries.yaml, else ~/.config/ferry/registries.yaml', async () => {
    const yaml = `registries:\n  ${tls.host}:\n    ca-file: ${tls.caFile}\n`;
    const xdg = await makeTempDir('xdg');
    await mkdir(join(xdg, 'ferry'));
    await writeFile(join(xdg, 'ferry', 'registries.yaml'), yaml);
    assert.equal((await digest(tls, baseEnv({ XDG_CONFIG_HOME: xdg }))).code, 0);
    const home = await makeTempDir('home');
    await mkdir(join(home, '.config', 'ferry'), { recursive: true });
    await writeFile(join(home, '.config', 'ferry', 'registries.yaml'), yaml);
    assert.equal((await digest(tls, baseEnv({ HOME: home }))).code, 0);
    // FERRY_REGISTRIES_CONFIG set to empty: no file at all.
    assert.equal((await digest(tls, baseEnv({ HOME: home, FERRY_REGISTRIES_CONFIG: '' }))).code, 5);
  });

  test('every mistake: exit 2, one line naming the file, the registry and the key, before any request', async () => {
    const h = tls.host;
    const cases: Array<[string, (file: string) => string]> = [
      [
        `registries:\n  ${h}:\n    insecure: yes\n`,
        (f) => `${f}: registries["${h}"].insecure must be true or false, not "yes"`,
      ],
      [
        `registries:\n  ${h}:\n    ca_file: /x\n`,
        (f) =>
          `${f}: registries["${h}"].ca_file: unknown setting (known: plain-http, insecure, ca-file, client-cert, client-key)`,
      ],
      [
        `registries:\n  ${h}:\n    client-cert: a.cert\n`,
        (f) => `${f}: registries["${h}"].client-cert needs client-key too`,
      ],
      [
        `registries:\n  ${h}:\n    ca-file: ""\n`,
        (f) => `${f}: registries["${h}"].ca-file must be a file path`,
      ],
      [`registries:\n  ${h}: [1, 2]\n`, (f) => `${f}: registries["${h}"] must be a mapping of settings`],
      [
        `registries:\n  "https://${h}":\n    insecure: true\n`,
        (f) =>
          `${f}: registries["https://${h}"]: "https://${h}" is not a registry host (host or host:port, no scheme or path)`,
      ],
      [`mirrors:\n  a: b\n`, (f) => `${f}: unknown key "mirrors" (the file holds "registries:")`],
      [`- a\n- b\n`, (f) => `${f}: expected a mapping with a "registries" key`],
      [
        `registries:\n  ${h}:\n    insecure: true\n  ${h}:\n    insecure: false\n`,
        (f) => `${f}: line 4, column 3: not valid YAML`,
      ],
      [
        `registries:\n  ${h}:\n   insecure: true\n    plain-http: true\n`,
        (f) =>
          `${f}: line 3, column 14: not valid YAML (Nested mappings are not allowed in compact mappings)`,
      ],
    ];
    for (const [yaml, expected] of cases) {
      const { file, env } = await settings(yaml);
      const before = tls.requests().length;
      const r = await digest(tls, env);
      assert.equal(r.code, 2, `${yaml}: ${r.stderr}`);
      assert.ok(
        errorLine(r).startsWith(`ferry: ${expected(file)}`),
        `${JSON.stringify(yaml)}\n  got: ${r.stderr}`,
      );
      assert.equal(tls.requests().length, before, 'no request was sent');
    }
    // A ca-file that cannot be read is a mistake in the file too.
    const { file, env } = await settings(`registries:\n  ${h}:\n    ca-file: missing.pem\n`);
    const r = await digest(tls, env);
    assert.equal(r.code, 2);
    assert.equal(
      errorLine(r),
      `ferry: ${file}: registries["${h}"].ca-file: ${join(file, '..', 'missing.pem')}: cannot read it (ENOENT)`,
    );
    // A file named by FERRY_REGISTRIES_CONFIG must exist.
    const gone = await digest(
      tls,
      baseEnv({ FERRY_REGISTRIES_CONFIG: '/nonexistent-ferry/registries.yaml' }),
    );
    assert.equal(gone.code, 2);
    assert.equal(
      errorLine(gone),
      'ferry: cannot read the settings file /nonexistent-ferry/registries.yaml (FERRY_REGISTRIES_CONFIG): ENOENT',
    );
  });

  test('a command that talks to no registry does not read the file', async () => {
    const { env } = await settings('registries: [this is not: valid\n');
    const r = await ferry(['completion', 'bash'], { env });
    assert.equal(r.code, 0, r.stderr);
  });
});
