/**
 * The per-registry settings file, so `--plain-http`, `--insecure`, `--ca-file` and a client
 * certificate need not be repeated on every command. Settings only: no mirrors, no rewrites.
 *
 *   registries:
 *     registry.example.com:          # host: any port; host:port: that port only (and it wins)
 *       ca-file: /etc/ssl/example-ca.pem
 *       client-cert: certs/me.cert   # relative paths start at the file's directory; ~/ is $HOME
 *       client-key: certs/me.key
 *     lab.internal:5000:
 *       plain-http: true
 *     10.0.0.7:5443:
 *       insecure: true               # TLS without certificate verification
 *
 * Where it is: $FERRY_REGISTRIES_CONFIG when set (empty: no file), else
 * $XDG_CONFIG_HOME/ferry/registries.yaml, else ~/.config/ferry/registries.yaml (XDG Base
 * Directory spec). A mistake anywhere in it is one line naming the file, the registry and the key,
 * exit 2: a settings file that is silently half-read is worse than none.
 *
 * The YAML parser is loaded only when the file exists, so a start without one pays nothing.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { registryListed, splitHostPort } from '../ref/index.js';

export const REGISTRIES_CONFIG_ENV = 'FERRY_REGISTRIES_CONFIG';

export interface RegistryEntry {
  plainHttp?: boolean;
  insecure?: boolean;
  /** Absolute paths (resolved against the file's directory). */
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface RegistriesFile {
  path: string;
  entries: ReadonlyArray<{ key: string; entry: RegistryEntry }>;
}

/** The settings file's path, or undefined when there is none to look for. */
export function registriesFilePath(env: NodeJS.ProcessEnv): { path: string; named: boolean } | undefined {
  const named = env[REGISTRIES_CONFIG_ENV];
  if (named !== undefined) return named === '' ? undefined : { path: resolve(named), named: true };
  const base = env['XDG_CONFIG_HOME'] || (env['HOME'] ? join(env['HOME'], '.config') : undefined);
  return base ? { path: join(base, 'ferry', 'registries.yaml'), named: false } : undefined;
}

/** Reads and checks the file; undefined when there is none (a file named by the env var must exist). */
export async function loadRegistriesFile(env: NodeJS.ProcessEnv): Promise<RegistriesFile | undefined> {
  const where = registriesFilePath(env);
  if (!where) return undefined;
  let text: string;
  try {
    text = await readFile(where.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !where.named) return undefined;
    throw new UsageError(
      `cannot read the settings file ${where.path}${where.named ? ` (${REGISTRIES_CONFIG_ENV})` : ''}: ${code ?? String(err)}`,
    );
  }
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    const before = text.slice(0, problem.pos[0]).split('\n');
    const place = `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: `;
    throw new UsageError(`${where.path}: ${place}not valid YAML (${problem.message.split('\n')[0]})`);
  }
  return parseRegistriesFile(doc.toJS() as unknown, where.path, env);
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's parsed YAML, checked: top level `registries:` only, known keys, right types. */
export function parseRegistriesFile(data: unknown, path: string, env: NodeJS.ProcessEnv): RegistriesFile {
  const fail = (what: string): never => {
    throw new UsageError(`${path}: ${what}`);
  };
  if (data === null || data === undefined) return { path, entries: [] };
  if (!isMap(data)) fail('expected a mapping with a "registries" key');
  const top = data as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (key !== 'registries') fail(`unknown key "${key}" (the file holds "registries:")`);
  }
  const registries = top['registries'] ?? {};
  if (!isMap(registries)) fail('"registries" must be a mapping of registry host to settings');
  const entries: Array<{ key: string; entry: RegistryEntry }> = [];
  for (const [key, value] of Object.entries(registries as Record<string, unknown>)) {
    const at = (field?: string): string => `registries["${key}"]${field ? `.${field}` : ''}`;
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/i.test(key)) {
      fail(`${at()}: "${key}" is not a registry host (host or host:port, no scheme or path)`);
    }
    const settings = value ?? {};
    if (!isMap(settings)) fail(`${at()} must be a mapping of settings`);
    const entry: RegistryEntry = {};
    for (const [field, v] of Object.entries(settings as Record<string, unknown>)) {
      switch (field) {
        case 'plain-http':
        case 'insecure':
          if (typeof v !== 'boolean') fail(`${at(field)} must be true or false, not ${JSON.stringify(v)}`);
          entry[field === 'plain-http' ? 'plainHttp' : 'insecure'] = v as boolean;
          break;
        case 'ca-file':
        case 'client-cert':
        case 'client-key': {
          if (typeof v !== 'string' || v === '') fail(`${at(field)} must be a file path`);
          const file = expandPath(v as string, path, env);
          if (field === 'ca-file') entry.caFile = file;
          else if (field === 'client-cert') entry.clientCert = file;
          else entry.clientKey = file;
          break;
        }
        default:
          fail(
            `${at(field)}: unknown setting (known: plain-http, insecure, ca-file, client-cert, client-key)`,
          );
      }
    }
    if ((entry.clientCert === undefined) !== (entry.clientKey === undefined)) {
      fail(
        `${at(entry.clientCert ? 'client-cert' : 'client-key')} needs ${entry.clientCert ? 'client-key' : 'client-cert'} too`,
      );
    }
    entries.push({ key, entry });
  }
  return { path, entries };
}

/** `~/x` under $HOME; a relative path against the settings file's directory. */
function expandPath(value: string, file: string, env: NodeJS.ProcessEnv): string {
  if (value === '~' || value.startsWith('~/')) return join(env['HOME'] ?? '~', value.slice(1));
  return isAbsolute(value) ? value : resolve(dirname(file), value);
}

/**
 * The entry for a registry or host:port: an entry naming the port wins over one naming the host
 * alone (which applies on any port). Names compare as ferry compares registries (case, Docker
 * Hub's aliases).
 */
export function entryFor(
  file: RegistriesFile | undefined,
  hostPort: string,
): { key: string; entry: RegistryEntry } | undefined {
  if (!file) return undefined;
  const matches = file.entries.filter((e) => registryListed(hostPort, [e.key]));
  return matches.find((e) => splitHostPort(e.key).port !== undefined) ?? matches[0];
}
