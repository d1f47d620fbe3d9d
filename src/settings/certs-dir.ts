/**
 * A certificate directory in docker's layout (docker/cli and containerd read
 * /etc/docker/certs.d/HOST[:PORT]/; skopeo's --cert-dir takes one such directory):
 *
 *   *.crt            CA certificates to trust for that registry (added to the system's)
 *   NAME.cert        a client certificate, with its key in NAME.key (and the other way round)
 *
 * Docker refuses a .cert without its .key (and a .key without its .cert); so does ferry, naming the
 * file. With several pairs, the first by name is used (Go would try them in order too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalError } from '../errors.js';

export const CERTS_D_ENV = 'FERRY_CERTS_D';
/** docker's and containerd's directory of per-registry certificates. */
export const DEFAULT_CERTS_D = '/etc/docker/certs.d';

export interface CertsDir {
  dir: string;
  /** Each *.crt (its path and PEM text), by file name order. */
  cas: Array<{ file: string; pem: string }>;
  /** The client certificate pair, if the directory has one. */
  client?: { cert: string; key: string; certFile: string } | undefined;
}

/** Where the per-registry directories are: $FERRY_CERTS_D, else /etc/docker/certs.d. */
export function certsDRoot(env: NodeJS.ProcessEnv): string {
  return env[CERTS_D_ENV] || DEFAULT_CERTS_D;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Reads `dir`. Undefined when it does not exist and `optional` (a certs.d entry nobody made); a
 * directory given by a flag must exist.
 */
export function readCertsDir(dir: string, optional: boolean): CertsDir | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    throw new LocalError(`cannot read the certificate directory ${dir}: ${code ?? String(err)}`);
  }
  const has = new Set(names);
  const cas = names
    .filter((n) => n.endsWith('.crt'))
    .map((n) => ({ file: join(dir, n), pem: read(join(dir, n)) }));
  let client: CertsDir['client'];
  for (const name of names) {
    if (name.endsWith('.cert')) {
      const key = `${name.slice(0, -'.cert'.length)}.key`;
      if (!has.has(key)) throw new LocalError(`${join(dir, name)} has no key: ${key} is missing`);
      client ??= { cert: read(join(dir, name)), key: read(join(dir, key)), certFile: join(dir, name) };
    } else if (name.endsWith('.key')) {
      const cert = `${name.slice(0, -'.key'.length)}.cert`;
      if (!has.has(cert)) throw new LocalError(`${join(dir, name)} has no certificate: ${cert} is missing`);
    }
  }
  return { dir, cas, client };
}
