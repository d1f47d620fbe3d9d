/**
 * Registry name → Credential, in docker's order:
 *   1. explicit credentials from the command line (-u/--password-stdin), for every registry;
 *   2. DOCKER_AUTH_CONFIG's `auths` (docker/cli uses it first and falls back to the store);
 *   3. the config file: if a helper applies (`credHelpers[key]`, else `credsStore`) ONLY the helper
 *      is asked, since docker keeps placeholder `auths` entries for helper-stored registries;
 *      otherwise `auths`;
 *   4. anonymous.
 * Each registry is resolved once per process, so a helper runs at most once per registry.
 */
import { basename } from 'node:path';
import { dockerConfigKey } from '../ref/index.js';
import { ANONYMOUS, type Credential } from './credential.js';
import {
  credentialFromEntry,
  type DockerConfig,
  envDockerConfig,
  findAuthEntry,
  helperFor,
  loadDockerConfig,
} from './docker-config.js';
import { DEFAULT_HELPER_TIMEOUT_MS, getFromHelper, helperProgram } from './helper.js';

export interface KeychainOptions {
  /** Read for DOCKER_CONFIG, DOCKER_AUTH_CONFIG, HOME, XDG_RUNTIME_DIR and the helpers' PATH. */
  env: NodeJS.ProcessEnv;
  /** From -u/--password-stdin: wins for every registry. */
  explicit?: Credential | undefined;
  helperTimeoutMs?: number | undefined;
}

export interface Keychain {
  resolve(registry: string): Promise<Credential>;
  /** Where resolve()'s answer comes from, for --debug; names files, keys and helpers, never secrets. */
  describeSource(registry: string): Promise<string>;
}

interface Resolution {
  credential: Credential;
  source: string;
}

/** `config.json auths["host"] (/path/to/config.json)`; Podman's file reads `auth.json auths[...]`. */
function fileLabel(config: DockerConfig, key: string): string {
  return `${basename(config.origin)} auths["${key}"] (${config.origin})`;
}

export function createKeychain(options: KeychainOptions): Keychain {
  const { env, explicit } = options;
  const timeoutMs = options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const memo = new Map<string, Promise<Resolution>>();
  let fileConfig: Promise<DockerConfig | undefined> | undefined;

  async function lookup(registry: string): Promise<Resolution> {
    if (explicit) return { credential: explicit, source: 'explicit credentials (command line)' };

    const inline = envDockerConfig(env);
    const inlineHit = inline && findAuthEntry(inline.auths, registry);
    if (inline && inlineHit) {
      const credential = credentialFromEntry(inlineHit.entry, inline.origin, inlineHit.key);
      // An entry without credentials falls through to the file, like docker's fallback store.
      if (credential.kind !== 'anonymous') {
        return { credential, source: `${inline.origin} auths["${inlineHit.key}"]` };
      }
    }

    fileConfig ??= loadDockerConfig(env);
    const config = await fileConfig;
    if (!config) return { credential: ANONYMOUS, source: 'anonymous (no config.json found)' };

    const helper = helperFor(config, registry);
    if (helper) {
      const program = helperProgram(helper.helper);
      const serverUrl = dockerConfigKey(registry);
      const credential = await getFromHelper(helper.helper, serverUrl, {
        env,
        timeoutMs,
        configOrigin: config.origin,
      });
      const from = `${helper.via} in ${config.origin}`;
      return credential.kind === 'anonymous'
        ? {
            credential,
            source: `anonymous (credential helper ${program} has none for ${serverUrl}; ${from})`,
          }
        : { credential, source: `credential helper ${program} (${from})` };
    }

    const hit = findAuthEntry(config.auths, registry);
    if (!hit) return { credential: ANONYMOUS, source: `anonymous (no entry in ${config.origin})` };
    const credential = credentialFromEntry(hit.entry, config.origin, hit.key);
    return credential.kind === 'anonymous'
      ? { credential, source: `anonymous (${fileLabel(config, hit.key)} has no credentials)` }
      : { credential, source: fileLabel(config, hit.key) };
  }

  function resolution(registry: string): Promise<Resolution> {
    // Docker Hub's aliases share one key, hence one lookup.
    const key = dockerConfigKey(registry);
    let pending = memo.get(key);
    if (!pending) {
      pending = lookup(registry);
      memo.set(key, pending);
    }
    return pending;
  }

  return {
    resolve: async (registry) => (await resolution(registry)).credential,
    describeSource: async (registry) => (await resolution(registry)).source,
  };
}
