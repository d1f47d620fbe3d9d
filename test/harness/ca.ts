// Test PKI, made with the openssl CLI in a temp dir: a CA (RSA 2048, CA:TRUE), a server cert it
// signs (SAN DNS:localhost, DNS:registry.ferry.test, IP:127.0.0.1, IP:::1 — Go ignores the CN;
// the .test name is reached only through connect-proxy.ts, which maps it to 127.0.0.1), a client
// certificate it signs (for registries that require one: http.tls.clientcas), and a self-signed RSA
// key+cert the token server signs JWTs with (the registry's auth.token.rootcertbundle).
// getPki() makes one set per process; createPki() makes an independent one (e.g. an untrusted CA).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './proc.js';
import { makeTempDir } from './tmp.js';

export interface Pki {
  dir: string;
  /** CA certificate (PEM file) that signed serverCert. */
  caCert: string;
  caKey: string;
  /** The CA certificate's PEM text (for node:https `ca`, undici `connect.ca`). */
  caPem: string;
  serverCert: string;
  serverKey: string;
  /**
   * A client certificate the CA signed (extendedKeyUsage clientAuth, CN "ferry test client") and
   * its key, for registries that require one (startRegistry({ clientCa: true })): PEM files.
   */
  clientCert: string;
  clientKey: string;
  /**
   * A containers-style cert dir for skopeo `--cert-dir` / `--dest-cert-dir` (and ferry's):
   * `ca.crt`, and the client pair `client.cert` + `client.key`.
   */
  certDir: string;
  /** RSA key (PKCS#8 PEM file) the token server signs with, and its self-signed certificate. */
  tokenKey: string;
  tokenCert: string;
  tokenKeyPem: string;
  tokenCertPem: string;
}

const DAYS = '3650';

/**
 * A name that is not loopback (and resolves nowhere: .test is reserved, RFC 6761 §6.2), for a
 * registry reached through the test proxy (connect-proxy.ts sends *.ferry.test to 127.0.0.1).
 */
export const PROXIED_REGISTRY_NAME = 'registry.ferry.test';

/** Splits a fixed option string (no paths, no spaces inside values) into arguments. */
const words = (text: string): string[] => text.split(' ');

async function openssl(args: string[], cwd: string): Promise<void> {
  await runCommand('openssl', args, { cwd });
}

/** Makes a new, independent PKI in `dir` (a fresh temp dir if omitted). Takes ~0.1–0.3 s. */
export async function createPki(dir?: string): Promise<Pki> {
  const root = dir ?? (await makeTempDir('pki'));
  await mkdir(root, { recursive: true });
  const p = (name: string): string => join(root, name);
  const certDir = p('certs.d');
  await mkdir(certDir, { recursive: true });
  await writeFile(
    p('server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:localhost,DNS:${PROXIED_REGISTRY_NAME},IP:127.0.0.1,IP:::1`,
      '',
    ].join('\n'),
  );

  await writeFile(
    p('client.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );

  // The RSA key generations dominate (random prime search), so run them in parallel.
  const genKey = (name: string): Promise<void> =>
    openssl([...words('genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048'), '-out', p(name)], root);
  await Promise.all([genKey('ca.key'), genKey('server.key'), genKey('token.key'), genKey('client.key')]);

  const caAndServer = (async () => {
    await openssl(
      [
        ...words(`req -x509 -new -sha256 -days ${DAYS}`),
        ...['-key', p('ca.key'), '-out', p('ca.crt'), '-subj', '/CN=ferry test CA'],
        ...words('-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign'),
      ],
      root,
    );
    await openssl(
      [...words('req -new -sha256 -subj /CN=localhost'), '-key', p('server.key'), '-out', p('server.csr')],
      root,
    );
    await openssl(
      [
        ...words(`x509 -req -sha256 -days ${DAYS} -set_serial 0x${Date.now().toString(16)}`),
        ...['-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key')],
        ...['-extfile', p('server.ext'), '-out', p('server.crt')],
      ],
      root,
    );
    await openssl(
      [
        ...words('req -new -sha256'),
        '-subj',
        '/CN=ferry test client',
        '-key',
        p('client.key'),
        '-out',
        p('client.csr'),
      ],
      root,
    );
    await openssl(
      [
        ...words(`x509 -req -sha256 -days ${DAYS} -set_serial 0x${(Date.now() + 1).toString(16)}`),
        ...['-in', p('client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key')],
        ...['-extfile', p('client.ext'), '-out', p('client.cert')],
      ],
      root,
    );
  })();
  const token = openssl(
    [
      ...words(`req -x509 -new -sha256 -days ${DAYS}`),
      ...['-key', p('token.key'), '-out', p('token.crt'), '-subj', '/CN=ferry test token signer'],
    ],
    root,
  );
  await Promise.all([caAndServer, token]);

  const caPem = await readFile(p('ca.crt'), 'utf8');
  await writeFile(join(certDir, 'ca.crt'), caPem);
  // The client pair too (docker's certs.d layout), so skopeo --cert-dir can reach registries that
  // require a client certificate; a server that asks for none never gets it.
  await writeFile(join(certDir, 'client.cert'), await readFile(p('client.cert')));
  await writeFile(join(certDir, 'client.key'), await readFile(p('client.key')));
  return {
    dir: root,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    caPem,
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.cert'),
    clientKey: p('client.key'),
    certDir,
    tokenKey: p('token.key'),
    tokenCert: p('token.crt'),
    tokenKeyPem: await readFile(p('token.key'), 'utf8'),
    tokenCertPem: await readFile(p('token.crt'), 'utf8'),
  };
}

let shared: Promise<Pki> | undefined;

/** The process-wide PKI, made on first use and reused afterwards. */
export function getPki(): Promise<Pki> {
  if (!shared) {
    shared = createPki();
    // A failed attempt is not cached, so a later call can retry.
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}
