/**
 * Registry name → Credential from the environment and config files, in docker's order (what
 * the command line gives is bound to its registry before any of this: context.ts bind()):
 *   1. DOCKER_AUTH_CONFIG's `auths` (docker/cli uses it first and falls back to the store);
 *   2. the config file: if a helper applies (`credHelpers[key]`, else `credsStore`) the helper is
 *      asked, and its answer (credentials, or "not found": anonymous) is final, since docker keeps
 *      placeholder `auths` entries for helper-stored registries; a helper that FAILS (cannot run,
 *      errors, times out) is warned about once and `auths` is read instead, as docker/cli does;
 *      without a helper, `auths`;
 *   3. anonymous.
 * Each registry is resolved once per process, so a helper runs at most once per registry.
 */
import { basename } from 'node:path';
import { CredentialHelperError } from '../errors.js';
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
  helperTimeoutMs?: number | undefined;
  /** Told once per helper when one fails and ferry falls back to the file's entry (stderr). */
  warn?: ((message: string) => void) | undefined;
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
  const { env } = options;
  const timeoutMs = options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const memo = new Map<string, Promise<Resolution>>();
  /** Helpers already warned about: one warning per helper per run, however many registries. */
  const warned = new Set<string>();
  let fileConfig: Promise<DockerConfig | undefined> | undefined;

  async function lookup(registry: string): Promise<Resolution> {
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
    let helperFailed = '';
    if (helper) {
      const program = helperProgram(helper.helper);
      const serverUrl = dockerConfigKey(registry);
      const from = `${helper.via} in ${config.origin}`;
      try {
        const credential = await getFromHelper(helper.helper, serverUrl, {
          env,
          timeoutMs,
          configOrigin: config.origin,
        });
        return credential.kind === 'anonymous'
          ? {
              credential,
              source: `anonymous (credential helper ${program} has none for ${serverUrl}; ${from})`,
            }
          : { credential, source: `credential helper ${program} (${from})` };
      } catch (err) {
        if (!(err instanceof CredentialHelperError)) throw err;
        // docker/cli's ResolveAuthConfig ignores the store's error and uses what the file holds
        // (native_store.go returns the file's entry with the error): one broken helper, e.g. a
        // cloud helper answering only for its own cloud's hosts, must not block every registry.
        if (!warned.has(program)) {
          warned.add(program);
          options.warn?.(
            `${err.message} (asked for ${serverUrl}); using the auths entries of ${config.origin} instead, else no credentials`,
          );
        }
        helperFailed = ` after credential helper ${program} failed`;
      }
    }

    const hit = findAuthEntry(config.auths, registry);
    if (!hit)
      return { credential: ANONYMOUS, source: `anonymous (no entry in ${config.origin}${helperFailed})` };
    const credential = credentialFromEntry(hit.entry, config.origin, hit.key);
    return credential.kind === 'anonymous'
      ? {
          credential,
          source: `anonymous (${fileLabel(config, hit.key)} has no credentials${helperFailed})`,
        }
      : { credential, source: `${fileLabel(config, hit.key)}${helperFailed}` };
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
