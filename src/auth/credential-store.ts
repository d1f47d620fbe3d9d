/**
 * Keeping and forgetting a registry's credentials where docker keeps them (docker/cli
 * `cli/config/credentials`: native_store.go, file_store.go):
 *
 * - a credential helper, when `credHelpers[key]` or `credsStore` names one: `store` gets
 *   `{"ServerURL","Username","Secret"}` on stdin, `erase` gets the server URL;
 * - otherwise `auths[key].auth`, base64 of `user:password`, in config.json. That is plain text on
 *   disk, which the caller warns about, as docker does.
 *
 * `key` is docker's: `https://index.docker.io/v1/` for Docker Hub, `host[:port]` otherwise.
 *
 * After a helper `store`, docker's native store overwrites the file's `auths` entry with an
 * empty placeholder; ferry does that only when the entry still holds a secret, so a password
 * from before the helper was configured does not linger on disk (and an untouched file stays
 * untouched). Logout removes every `auths` key that names the registry (legacy `https://host/v1/`
 * spellings too), since the keychain would otherwise still find one of them.
 */

import { dockerConfigKey } from '../ref/index.js';
import { withAuthEntry, withoutAuthEntries } from './config-edit.js';
import {
  type ConfigForUpdate,
  configPathForUpdate,
  readConfigForUpdate,
  writeConfig,
} from './config-file.js';
import { type AuthEntry, authKeysFor, helperFor } from './docker-config.js';
import {
  CREDENTIALS_NOT_FOUND,
  DEFAULT_HELPER_TIMEOUT_MS,
  helperFailure,
  helperProgram,
  runCredentialHelper,
} from './helper.js';

export interface Secret {
  username: string;
  /** A password, or a token the registry takes as one. */
  secret: string;
}

export type StoredIn =
  | { kind: 'helper'; program: string; via: string; path: string }
  | { kind: 'file'; path: string; created: boolean };

export interface EraseResult {
  /** The helper asked to erase, when one applies, and whether it had anything. */
  helper?: { program: string; erased: boolean } | undefined;
  /** The config file looked at, and the `auths` keys removed from it. */
  path: string;
  removedKeys: string[];
}

export interface StoreOptions {
  /** Environment: DOCKER_CONFIG, HOME, XDG_RUNTIME_DIR, and the helpers' PATH. */
  env: NodeJS.ProcessEnv;
  helperTimeoutMs?: number | undefined;
}

const SECRET_FIELDS: readonly (keyof AuthEntry)[] = ['auth', 'password', 'identitytoken', 'registrytoken'];

const keysNaming = (file: ConfigForUpdate, registry: string): string[] =>
  authKeysFor(file.config.auths, registry);

export async function storeCredentials(
  registry: string,
  secret: Secret,
  options: StoreOptions,
): Promise<StoredIn> {
  const file = await readConfigForUpdate(await configPathForUpdate(options.env));
  const key = dockerConfigKey(registry);
  const helper = helperFor(file.config, registry);
  if (helper) {
    const input = JSON.stringify({ ServerURL: key, Username: secret.username, Secret: secret.secret });
    const run = await runCredentialHelper(helper.helper, 'store', input, {
      env: options.env,
      timeoutMs: options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
      configOrigin: file.path,
    });
    if (run.exitCode !== 0) throw helperFailure(helper.helper, 'store', run);
    const stale = keysNaming(file, registry).filter((k) => {
      const entry = file.config.auths.get(k);
      return entry !== undefined && SECRET_FIELDS.some((f) => entry[f]);
    });
    if (stale.length > 0 && file.text !== undefined) {
      let text = withoutAuthEntries(
        file.text,
        stale.filter((k) => k !== key),
      );
      text = withAuthEntry(text, key, {});
      await writeConfig(file, text);
    }
    return { kind: 'helper', program: helperProgram(helper.helper), via: helper.via, path: file.path };
  }
  const auth = Buffer.from(`${secret.username}:${secret.secret}`, 'utf8').toString('base64');
  await writeConfig(file, withAuthEntry(file.text, key, { auth }));
  return { kind: 'file', path: file.path, created: file.text === undefined };
}

export async function eraseCredentials(registry: string, options: StoreOptions): Promise<EraseResult> {
  const file = await readConfigForUpdate(await configPathForUpdate(options.env));
  const key = dockerConfigKey(registry);
  const result: EraseResult = { path: file.path, removedKeys: [] };
  const helper = helperFor(file.config, registry);
  if (helper) {
    const run = await runCredentialHelper(helper.helper, 'erase', key, {
      env: options.env,
      timeoutMs: options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
      configOrigin: file.path,
    });
    const notFound = run.stdout.includes(CREDENTIALS_NOT_FOUND) || run.stderr.includes(CREDENTIALS_NOT_FOUND);
    if (run.exitCode !== 0 && !notFound) throw helperFailure(helper.helper, 'erase', run);
    result.helper = { program: helperProgram(helper.helper), erased: run.exitCode === 0 };
  }
  const keys = keysNaming(file, registry);
  if (keys.length > 0 && file.text !== undefined) {
    await writeConfig(file, withoutAuthEntries(file.text, keys));
    result.removedKeys = keys;
  }
  return result;
}
