/**
 * `ferry login`: prove the credentials work, then keep them. Nothing is written unless the
 * registry accepted them, so a typo never replaces working credentials.
 *
 * The proof is docker's (docker/cli `registry/auth.go` loginV2): GET /v2/ with the credentials.
 * The client's ping has already learnt the registry's challenge, so the auth middleware
 * (http/auth.ts) either sends Basic and the registry answers 200 or 401, or, for a Bearer
 * challenge, first asks the token server for a token with no scope: the token server checks the
 * password and refuses with 401 when it is wrong (Docker Hub and Distribution's token servers
 * both do), before the registry is asked anything.
 *
 * A registry whose /v2/ answers without any challenge never looks at credentials there; docker
 * logs in anyway, and so does ferry, saying the credentials were not checked.
 */
import type { Credential } from '../auth/credential.js';
import { type StoredIn, storeCredentials } from '../auth/credential-store.js';
import { envDockerConfig, findAuthEntry } from '../auth/docker-config.js';
import { AuthError, FerryError, UsageError } from '../errors.js';
import type { RegistryClient } from './client.js';

export interface LoginResult {
  username: string;
  /** false: the registry asked for no credentials, so they were stored unchecked. */
  verified: boolean;
  stored: StoredIn;
  /** DOCKER_AUTH_CONFIG holds credentials for the registry: they win over what was stored. */
  shadowed: boolean;
}

/**
 * GET /v2/ with the client's credentials; true when the registry challenged and accepted them.
 * A refusal reads the same whether the registry (Basic) or its token server (Bearer) said no.
 */
export async function verifyCredentials(client: RegistryClient, username: string): Promise<boolean> {
  const req = { method: 'GET' as const, path: '/v2/', scopes: [] };
  try {
    const res = await client.request(req);
    if (res.status !== 200) throw await client.error(req.method, res, `logging in to ${client.registry}`);
    await res.body.dump();
  } catch (err) {
    if (!(err instanceof FerryError) || err.code !== 'E_AUTH') throw err;
    throw new AuthError(
      `${client.registry} refused the credentials of '${username}': wrong username, password or token`,
      { cause: err },
    );
  }
  return client.auth.challenge !== undefined;
}

function inlineEntryFor(env: NodeJS.ProcessEnv, registry: string): boolean {
  try {
    const inline = envDockerConfig(env);
    return inline !== undefined && findAuthEntry(inline.auths, registry) !== undefined;
  } catch {
    return false; // an unreadable DOCKER_AUTH_CONFIG fails the next command that reads it, not this one
  }
}

/**
 * Verifies the client's credentials (those given with -u/--password-stdin) against the registry,
 * then stores them through the configured credential helper or in config.json.
 */
export async function login(client: RegistryClient, env: NodeJS.ProcessEnv): Promise<LoginResult> {
  const credential: Credential = await client.auth.credential();
  if (credential.kind !== 'basic') {
    throw new UsageError(`login needs a username and a password or token for ${client.registry}`, {
      hint: `echo "$PASSWORD" | ferry login -u USER --password-stdin ${client.registry}`,
    });
  }
  const verified = await verifyCredentials(client, credential.username);
  const stored = await storeCredentials(
    client.registry,
    { username: credential.username, secret: credential.password },
    { env },
  );
  return { username: credential.username, verified, stored, shadowed: inlineEntryFor(env, client.registry) };
}
