/**
 * Per-registry connection settings, put together once per run from three places, in this order
 * of precedence:
 *
 *   1. flags: --plain-http HOST, --insecure HOST, --ca-file FILE (every registry), and a
 *      certificate directory bound to one registry (--cert-dir, or copy's --src-cert-dir and
 *      --dest-cert-dir);
 *   2. the settings file (registries-file.ts): plain-http, insecure, ca-file, client-cert/-key;
 *   3. the certs.d directory of the host (certs-dir.ts): $FERRY_CERTS_D/HOST[:PORT]/, default
 *      /etc/docker/certs.d/HOST[:PORT]/, as docker and containerd read it.
 *
 * plain-http and insecure are on when a flag or the file says so. CA certificates add up
 * (Node's roots, NODE_EXTRA_CA_CERTS, --ca-file, the file's ca-file, the directory's *.crt). The
 * client certificate is the first found: the flag's directory, else the file's client-cert,
 * else certs.d. A directory given by flag replaces certs.d for that registry, as skopeo's
 * --cert-dir does.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { LocalError, UsageError } from '../errors.js';
import type { TlsSettings } from '../http/transport-options.js';
import { isInsecure, registryListed, type SchemeOptions } from '../ref/index.js';
import { type CertsDir, certsDRoot, readCertsDir } from './certs-dir.js';
import { entryFor, loadRegistriesFile, type RegistriesFile } from './registries-file.js';

/** node:tls when a host has CA files or a client certificate; a plain-HTTP run never loads it. */
const tls = () => process.getBuiltinModule('node:tls');

export interface SettingsFlags {
  plainHttp: readonly string[];
  insecure: readonly string[];
  caFile?: string | undefined;
  /** The certificate directory the command line binds to this host:port, and the flag that did. */
  certDirFor: (hostPort: string) => { dir: string; flag: string } | undefined;
}

export class RegistrySettings {
  private readonly tls = new Map<string, TlsSettings>();

  constructor(
    private readonly flags: SettingsFlags,
    readonly file: RegistriesFile | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async load(env: NodeJS.ProcessEnv, flags: SettingsFlags): Promise<RegistrySettings> {
    return new RegistrySettings(flags, await loadRegistriesFile(env), env);
  }

  /** --plain-http and --insecure with the file's entry for `registry` added, as ref/scheme.ts reads them. */
  schemeOptions(registry: string): SchemeOptions {
    const entry = entryFor(this.file, registry)?.entry;
    return {
      plainHttp: entry?.plainHttp ? [...this.flags.plainHttp, registry] : this.flags.plainHttp,
      insecure: entry?.insecure ? [...this.flags.insecure, registry] : this.flags.insecure,
    };
  }

  /** The user accepted plain HTTP for this host:port (a flag or the file). */
  plainHttpAllowed(hostPort: string): boolean {
    return (
      registryListed(hostPort, this.flags.plainHttp) ||
      entryFor(this.file, hostPort)?.entry.plainHttp === true
    );
  }

  /** How to speak TLS to `hostPort` (URL.host of an https: URL); files are read once per host. */
  tlsFor(hostPort: string): TlsSettings {
    let settings = this.tls.get(hostPort);
    if (!settings) {
      settings = this.resolveTls(hostPort);
      this.tls.set(hostPort, settings);
    }
    return settings;
  }

  private resolveTls(hostPort: string): TlsSettings {
    const hit = entryFor(this.file, hostPort);
    const entry = hit?.entry;
    const inFile = (field: string): string => `${this.file?.path}: registries["${hit?.key}"].${field}`;
    const bound = this.flags.certDirFor(hostPort);
    const dir: CertsDir | undefined = bound
      ? readCertsDir(bound.dir, false)
      : readCertsDir(join(certsDRoot(this.env), hostPort), true);

    // Each CA source, with the error to raise when it is unusable: a flag's or a directory's file
    // is a local file problem (exit 8), the settings file's a mistake in that file (exit 2).
    const extra: Array<{ source: string; pem: string; bad: (what: string) => Error }> = [];
    const caFlag = this.flags.caFile;
    if (caFlag) {
      const bad = (what: string) => new LocalError(`--ca-file ${caFlag}: ${what}`);
      extra.push({
        source: caFlag,
        pem: readOr(caFlag, (why) => new LocalError(`cannot read --ca-file ${caFlag}: ${why}`)),
        bad,
      });
    }
    if (entry?.caFile) {
      const file = entry.caFile;
      const bad = (what: string) => new UsageError(`${inFile('ca-file')}: ${file}: ${what}`);
      extra.push({ source: file, pem: readOr(file, (why) => bad(`cannot read it (${why})`)), bad });
    }
    for (const { file, pem } of dir?.cas ?? []) {
      extra.push({ source: file, pem, bad: (what: string) => new LocalError(`${file}: ${what}`) });
    }

    let client: TlsSettings['client'];
    if (bound && dir?.client) {
      client = { cert: dir.client.cert, key: dir.client.key, source: `${bound.flag} ${dir.client.certFile}` };
    } else if (entry?.clientCert && entry.clientKey) {
      const { clientCert, clientKey } = entry;
      client = {
        cert: readOr(
          clientCert,
          (why) => new UsageError(`${inFile('client-cert')}: cannot read ${clientCert}: ${why}`),
        ),
        key: readOr(
          clientKey,
          (why) => new UsageError(`${inFile('client-key')}: cannot read ${clientKey}: ${why}`),
        ),
        source: clientCert,
      };
    } else if (dir?.client) {
      client = { cert: dir.client.cert, key: dir.client.key, source: dir.client.certFile };
    }

    // Checked here, once per host: a PEM Node cannot use would otherwise fail deep in the TLS stack.
    for (const e of extra) {
      if (!holdsCertificates(e.pem)) throw e.bad('no usable CA certificate in it (PEM)');
    }
    if (client) {
      const { source } = client;
      const fromFile = source === entry?.clientCert;
      usable({ cert: client.cert, key: client.key }, (why) => {
        const what = /mismatch/i.test(why)
          ? `the client certificate ${source} and its key do not match`
          : `the client certificate ${source} or its key is not a usable PEM certificate and private key`;
        return fromFile ? new UsageError(`${inFile('client-cert')}: ${what}`) : new LocalError(what);
      });
    }

    const insecure = isInsecure(hostPort, this.schemeOptions(hostPort));
    const ca =
      extra.length > 0
        ? [...tls().rootCertificates, ...nodeExtraCas(this.env), ...extra.map((e) => e.pem)]
        : undefined;
    return {
      id: JSON.stringify([insecure, extra.map((e) => e.source), client?.source ?? '']),
      insecure,
      ...(ca ? { ca } : {}),
      ...(client ? { client } : {}),
    };
  }
}

/** At least one PEM certificate, and every one of them parses (Node's `ca` skips garbage silently). */
function holdsCertificates(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch {
    return false;
  }
  return blocks.length > 0;
}

/** Throws error(why) when Node cannot build a TLS context from these PEMs. */
function usable(options: SecureContextOptions, error: (why: string) => Error): void {
  try {
    tls().createSecureContext(options);
  } catch (err) {
    throw error(err instanceof Error ? err.message : String(err));
  }
}

function readOr(file: string, error: (why: string) => Error): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw error((err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/**
 * NODE_EXTRA_CA_CERTS: Node adds them to its default store, but a `ca` list given to a connection
 * replaces that store, so they are added here too (an unreadable file Node already warned about).
 */
function nodeExtraCas(env: NodeJS.ProcessEnv): string[] {
  const file = env['NODE_EXTRA_CA_CERTS'];
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}
