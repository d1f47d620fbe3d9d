// Client certificates (mutual TLS) against the real registry configured with http.tls.clientcas
// (Go then requires and verifies a client certificate): docker's certs.d layout found on its own
// ($FERRY_CERTS_D in place of /etc/docker/certs.d), --cert-dir for a single-registry command, and
// --src-cert-dir/--dest-cert-dir for copy, each bound to its registry. A registry that wants a
// certificate, or refuses the one sent, says so (exit 5), in both transports (node:http for light
// commands, undici for transfers).
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

/** A docker-style certificate directory holding `files` (name → source file). */
async function certDir(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('certdir');
  for (const [name, from] of Object.entries(files)) await copyFile(from, join(dir, name));
  return dir;
}

describe('client certificates (mTLS)', () => {
  let a: Registry;
  let b: Registry;
  let pki: Pki;
  let stranger: Pki; // another CA: its client certificate is not trusted by the registries
  let image: ImageSummary;
  let good: string; // ca.crt + client.cert/.key
  let clientOnly: string; // client.cert/.key, no CA
  let bad: string; // ca.crt + a client certificate from the other CA
  let work: string;

  before(async () => {
    [a, b, pki, stranger, image, work] = await Promise.all([
      startRegistry({ tls: true, clientCa: true }),
      startRegistry({ tls: true, clientCa: true }),
      getPki(),
      createPki(),
      generateImage({ tag: 'v1', layers: [512, 256] }),
      makeTempDir('mtls-work'),
    ]);
    await pushImage(a, 'mtls/app:v1', image); // skopeo, with the harness cert dir (client pair inside)
    [good, clientOnly, bad] = await Promise.all([
      certDir({ 'ca.crt': pki.caCert, 'client.cert': pki.clientCert, 'client.key': pki.clientKey }),
      certDir({ 'client.cert': pki.clientCert, 'client.key': pki.clientKey }),
      certDir({ 'ca.crt': pki.caCert, 'client.cert': stranger.clientCert, 'client.key': stranger.clientKey }),
    ]);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  const ref = (r: Registry, tag = 'v1'): string => `${r.host}/mtls/app:${tag}`;

  test('no client certificate: exit 5, saying the registry asks for one (digest and pull)', async () => {
    for (const args of [
      ['digest', ref(a)],
      ['pull', ref(a), join(work, 'none.tar')],
    ]) {
      const r = await ferry(['--ca-file', a.caFile!, ...args], { env: baseEnv() });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(
        errorLine(r),
        `ferry: ${a.host} asks for a TLS client certificate, and none is set for it (bad certificate) ` +
          `(hint: give it one: --cert-dir DIR holding client.cert and client.key, client-cert/client-key in the settings file, or certs.d/${a.host}/)`,
      );
    }
  });

  test('certs.d: HOST:PORT/ca.crt, client.cert and client.key are read on their own', async () => {
    const root = await makeTempDir('certs.d');
    await mkdir(join(root, a.host));
    for (const [name, from] of [
      ['ca.crt', pki.caCert],
      ['client.cert', pki.clientCert],
      ['client.key', pki.clientKey],
    ] as const) {
      await copyFile(from, join(root, a.host, name));
    }
    const env = baseEnv({ FERRY_CERTS_D: root });
    const digest = await ferry(['digest', ref(a)], { env }); // no --ca-file: ca.crt is trusted
    assert.equal(digest.code, 0, digest.stderr);
    assert.equal(digest.stdout, `${image.digest}\n`);
    const pull = await ferry(['pull', '-q', ref(a), join(work, 'certs-d.tar')], { env });
    assert.equal(pull.code, 0, pull.stderr);
    // The directory of one host:port is not used for another: b has none.
    const other = await ferry(['--ca-file', b.caFile!, 'digest', ref(b, 'nope')], { env });
    assert.equal(other.code, 5);
    assert.match(errorLine(other), /asks for a TLS client certificate, and none is set for it/);
  });

  test('--cert-dir DIR: used for the registry, and instead of certs.d', async () => {
    const wrongCertsD = await makeTempDir('certs.d-wrong');
    await mkdir(join(wrongCertsD, a.host));
    await copyFile(stranger.clientCert, join(wrongCertsD, a.host, 'client.cert'));
    await copyFile(stranger.clientKey, join(wrongCertsD, a.host, 'client.key'));
    const env = baseEnv({ FERRY_CERTS_D: wrongCertsD });
    for (const args of [
      ['digest', ref(a)],
      ['pull', '-q', ref(a), join(work, 'cert-dir.tar')],
    ]) {
      const r = await ferry(['--cert-dir', good, ...args], { env });
      assert.equal(r.code, 0, r.stderr);
    }
    // Without the flag, the certs.d certificate (from another CA) is sent, and refused.
    const refused = await ferry(['--ca-file', a.caFile!, 'digest', ref(a)], { env });
    assert.equal(refused.code, 5);
    assert.match(
      errorLine(refused),
      new RegExp(
        `^ferry: ${a.host} refused the TLS client certificate from .*/client\\.cert \\(bad certificate\\)`,
      ),
    );
  });

  test('a certificate the registry does not trust: exit 5, naming where it came from (both transports)', async () => {
    for (const args of [
      ['digest', ref(a)],
      ['pull', ref(a), join(work, 'bad.tar')],
    ]) {
      const r = await ferry(['--cert-dir', bad, ...args], { env: baseEnv() });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(
        errorLine(r),
        `ferry: ${a.host} refused the TLS client certificate from --cert-dir ${join(bad, 'client.cert')} (bad certificate) ` +
          `(hint: is it the certificate ${a.host} expects, signed by a CA it trusts, and still valid?)`,
      );
    }
  });

  test('copy: --src-cert-dir and --dest-cert-dir, each bound to its own registry', async () => {
    const ok = await ferry(
      ['-q', 'copy', '--src-cert-dir', good, '--dest-cert-dir', good, ref(a), ref(b, 'copied')],
      { env: baseEnv() },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const check = await ferry(['--cert-dir', good, 'digest', ref(b, 'copied')], { env: baseEnv() });
    assert.equal(check.stdout, `${image.digest}\n`);
    // The source's directory is not offered to the destination: b gets no certificate.
    const one = await ferry(
      ['--ca-file', b.caFile!, 'copy', '--src-cert-dir', good, ref(a), ref(b, 'half')],
      { env: baseEnv() },
    );
    assert.equal(one.code, 5, one.stderr);
    assert.match(
      errorLine(one),
      new RegExp(`^ferry: ${b.host} asks for a TLS client certificate, and none is set for it`),
    );
    // A directory with only the client pair: the CA comes from --ca-file.
    const split = await ferry(
      [
        '--ca-file',
        a.caFile!,
        '-q',
        'copy',
        '--src-cert-dir',
        clientOnly,
        '--dest-cert-dir',
        clientOnly,
        ref(a),
        ref(b, 'split'),
      ],
      { env: baseEnv() },
    );
    assert.equal(split.code, 0, split.stderr);
  });

  test('copy refuses the global --cert-dir (exit 2, naming the per-side flags)', async () => {
    const r = await ferry(['--cert-dir', good, 'copy', ref(a), ref(b, 'x')], { env: baseEnv() });
    assert.equal(r.code, 2);
    assert.equal(
      errorLine(r),
      `ferry: --cert-dir would not say which registry it is for: this command talks to ${a.host} and ${b.host} (hint: give each side its own: --src-cert-dir DIR / --dest-cert-dir DIR)`,
    );
  });

  test('a broken certificate directory: one line naming the file (exit 8)', async () => {
    const lonely = await makeTempDir('certdir-lonely');
    await copyFile(pki.clientCert, join(lonely, 'client.cert'));
    const r = await ferry(['--cert-dir', lonely, 'digest', ref(a)], { env: baseEnv() });
    assert.equal(r.code, 8, r.stderr);
    assert.equal(errorLine(r), `ferry: ${join(lonely, 'client.cert')} has no key: client.key is missing`);
    const missing = await ferry(['--cert-dir', join(lonely, 'nope'), 'digest', ref(a)], { env: baseEnv() });
    assert.equal(missing.code, 8);
    assert.match(errorLine(missing), /^ferry: cannot read the certificate directory .*nope: ENOENT$/);
    await writeFile(join(lonely, 'client.key'), 'not a key');
    const garbage = await ferry(['--cert-dir', lonely, 'digest', ref(a)], { env: baseEnv() });
    assert.equal(garbage.code, 8);
    assert.equal(
      errorLine(garbage),
      `ferry: the client certificate --cert-dir ${join(lonely, 'client.cert')} or its key is not a usable PEM certificate and private key`,
    );
    await copyFile(stranger.clientKey, join(lonely, 'client.key'));
    const mismatch = await ferry(['--cert-dir', lonely, 'pull', ref(a), join(work, 'mismatch.tar')], {
      env: baseEnv(),
    });
    assert.equal(mismatch.code, 8);
    assert.match(errorLine(mismatch), /client\.cert and its key do not match$/);
    await writeFile(join(lonely, 'ca.crt'), 'not a certificate');
    const ca = await ferry(['--cert-dir', lonely, 'digest', ref(a)], { env: baseEnv() });
    assert.equal(ca.code, 8);
    assert.equal(errorLine(ca), `ferry: ${join(lonely, 'ca.crt')}: no usable CA certificate in it (PEM)`);
  });
});
