/**
 * Docker's config.json (and the same format from DOCKER_AUTH_CONFIG or Podman's auth.json): where
 * it lives, how it parses, and which of its keys belong to a registry. No helpers run here and
 * nothing here knows about HTTP; keychain.ts puts the pieces in order.
 *
 * Lookup rules follow docker/cli (`GetAuthConfig`, `getConfiguredCredentialStore`,
 * `credentials/file_store.go`, `decodeAuth`) and go-containerregistry's default keychain for the
 * file locations.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalError } from '../errors.js';
import { DOCKER_HUB_CONFIG_KEY, DOCKER_HUB_HOSTS, isDockerHub } from '../ref/index.js';
import { isObject } from '../util/is-object.js';
import { ANONYMOUS, type Credential } from './credential.js';

/** The name of the environment variable holding an inline config (recent docker/cli). */
export const DOCKER_AUTH_CONFIG = 'DOCKER_AUTH_CONFIG';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfig {
  /** Where this config came from: a file path, or `DOCKER_AUTH_CONFIG`. Used in messages. */
  origin: string;
  /** Maps keep insertion order ("the first matching key") and never hit Object.prototype. */
  auths: Map<string, AuthEntry>;
  credHelpers: Map<string, string>;
  credsStore: string | undefined;
}

/**
 * Keys tried for an exact match, best first. For Docker Hub docker only writes the v1 URL, but
 * Podman writes `docker.io` and people write the others by hand.
 */
export function candidateKeys(registry: string): string[] {
  return isDockerHub(registry) ? [DOCKER_HUB_CONFIG_KEY, ...DOCKER_HUB_HOSTS] : [registry];
}

/**
 * docker/cli `ConvertToHostname`: a legacy key such as `https://registry.example.com:5000/v1/`
 * names the host `registry.example.com:5000`. Any scheme is stripped, then any path.
 */
export function keyHostname(key: string): string {
  const noScheme = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = noScheme.indexOf('/');
  return (slash === -1 ? noScheme : noScheme.slice(0, slash)).toLowerCase();
}

function hostnamesFor(registry: string): string[] {
  return isDockerHub(registry) ? [...DOCKER_HUB_HOSTS] : [registry.toLowerCase()];
}

/** `auths[key]` for the registry, else the first key whose host name is the registry's. */
export function findAuthEntry(
  auths: Map<string, AuthEntry>,
  registry: string,
): { key: string; entry: AuthEntry } | undefined {
  for (const key of candidateKeys(registry)) {
    const entry = auths.get(key);
    if (entry !== undefined) return { key, entry };
  }
  const hosts = hostnamesFor(registry);
  for (const [key, entry] of auths) {
    if (hosts.includes(keyHostname(key))) return { key, entry };
  }
  return undefined;
}

/**
 * The helper that owns the registry's credentials: `credHelpers[key]`, else `credsStore`. As in
 * docker/cli, a `credHelpers` entry that is present but empty turns `credsStore` off for that
 * registry (its `auths` entry is then read instead).
 */
export function helperFor(
  config: DockerConfig,
  registry: string,
): { helper: string; via: string } | undefined {
  for (const key of candidateKeys(registry)) {
    const helper = config.credHelpers.get(key);
    if (helper !== undefined) return helper === '' ? undefined : { helper, via: `credHelpers["${key}"]` };
  }
  return config.credsStore ? { helper: config.credsStore, via: 'credsStore' } : undefined;
}

/**
 * Every key of `auths` that findAuthEntry could pick for `registry`: what logout must remove so
 * that no spelling of the registry's key is left for the keychain to find.
 */
export function authKeysFor(auths: Map<string, AuthEntry>, registry: string): string[] {
  const exact = candidateKeys(registry);
  const hosts = hostnamesFor(registry);
  return [...auths.keys()].filter((k) => exact.includes(k) || hosts.includes(keyHostname(k)));
}

/**
 * An `auths` entry as a Credential. `auth` (base64 of "user:password", split at the first ':')
 * overrides clear `username`/`password`; `registrytoken` beats `identitytoken` beats basic.
 * Messages name the origin and key, never a value.
 */
export function credentialFromEntry(entry: AuthEntry, origin: string, key: string): Credential {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  const where = `${origin}: auths["${key}"]`;
  if (entry.auth) {
    const b64 = entry.auth.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new LocalError(`${where}.auth is not valid base64`);
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new LocalError(`${where}.auth is not base64 of "username:password"`);
    username = decoded.slice(0, colon);
    // docker's decodeAuth trims NUL padding some old tools wrote after the password.
    password = decoded.slice(colon + 1).replace(/\0+$/, '');
    if (username === '') throw new LocalError(`${where}.auth has an empty username`);
  }
  if (entry.registrytoken) return { kind: 'registryToken', token: entry.registrytoken };
  if (entry.identitytoken) {
    return username
      ? { kind: 'identityToken', token: entry.identitytoken, username }
      : { kind: 'identityToken', token: entry.identitytoken };
  }
  if (username === '' && password === '') return ANONYMOUS;
  if (username === '') throw new LocalError(`${where} has a password but an empty username`);
  return { kind: 'basic', username, password };
}

const ENTRY_FIELDS = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const;

/** "line 3, column 7" from V8's "... at position 41", if it says so. */
function jsonErrorPlace(text: string, err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const lines = before.split('\n');
  return ` (line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1})`;
}

/**
 * Parses config text. Throws a one-line LocalError naming `origin` on bad JSON or a wrong shape;
 * V8's own JSON message is not used because it quotes the input, which may hold a secret.
 */
export function parseDockerConfig(text: string, origin: string): DockerConfig {
  const body = text.replace(/^\uFEFF/, '');
  const config: DockerConfig = { origin, auths: new Map(), credHelpers: new Map(), credsStore: undefined };
  if (body.trim() === '') return config; // docker treats an empty file as an empty config
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new LocalError(`${origin} is not valid JSON${jsonErrorPlace(body, err)}`, {
      hint: 'fix or remove it; ferry reads it only for registry credentials',
    });
  }
  if (!isObject(raw)) throw new LocalError(`${origin}: expected a JSON object`);

  const auths = raw['auths'] ?? {};
  if (!isObject(auths)) throw new LocalError(`${origin}: "auths" must be an object`);
  for (const [key, value] of Object.entries(auths)) {
    const fields = value ?? {};
    if (!isObject(fields)) throw new LocalError(`${origin}: auths["${key}"] must be an object`);
    const entry: AuthEntry = {};
    for (const field of ENTRY_FIELDS) {
      const v = fields[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw new LocalError(`${origin}: auths["${key}"].${field} must be a string`);
      entry[field] = v;
    }
    config.auths.set(key, entry);
  }

  const helpers = raw['credHelpers'] ?? {};
  if (!isObject(helpers)) throw new LocalError(`${origin}: "credHelpers" must be an object`);
  for (const [key, value] of Object.entries(helpers)) {
    if (typeof value !== 'string') throw new LocalError(`${origin}: credHelpers["${key}"] must be a string`);
    config.credHelpers.set(key, value);
  }

  const store = raw['credsStore'];
  if (store !== undefined && store !== null && typeof store !== 'string') {
    throw new LocalError(`${origin}: "credsStore" must be a string`);
  }
  config.credsStore = store || undefined;
  return config;
}

/** `DOCKER_AUTH_CONFIG` parsed, or undefined when it is unset or empty. */
export function envDockerConfig(env: NodeJS.ProcessEnv): DockerConfig | undefined {
  const text = env[DOCKER_AUTH_CONFIG];
  return text ? parseDockerConfig(text, DOCKER_AUTH_CONFIG) : undefined;
}

/**
 * Files tried in order; the first that exists is the config. `$DOCKER_CONFIG/config.json`, then
 * `$HOME/.docker/config.json`, then Podman's `$XDG_RUNTIME_DIR/containers/auth.json` (ggcr's
 * fallback when there is no Docker config at all).
 */
export function configFileCandidates(env: NodeJS.ProcessEnv): string[] {
  const paths: string[] = [];
  if (env['DOCKER_CONFIG']) paths.push(join(env['DOCKER_CONFIG'], 'config.json'));
  if (env['HOME']) paths.push(join(env['HOME'], '.docker', 'config.json'));
  if (env['XDG_RUNTIME_DIR']) paths.push(join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  return paths;
}

/** The first config file that exists, parsed; undefined when there is none. */
export async function loadDockerConfig(env: NodeJS.ProcessEnv): Promise<DockerConfig | undefined> {
  for (const path of configFileCandidates(env)) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new LocalError(`cannot read ${path}: ${code ?? String(err)}`, { cause: err });
    }
    return parseDockerConfig(text, path);
  }
  return undefined;
}
