// Test users shared by the htpasswd and token modes.

export interface HarnessUser {
  username: string;
  password: string;
  /**
   * Token mode only (htpasswd has no per-user permissions): the actions granted on repository
   * scopes, e.g. ['pull'] or ['pull', 'push']; ['*'] grants everything requested, including
   * `registry:catalog:*`.
   */
  actions: string[];
  /** Token mode: an identity token the token server accepts as an OAuth2 refresh_token for this user. */
  identityToken?: string;
}

/** alice:s3cret may do everything; reader:r3ad may only pull (token mode). */
export const DEFAULT_USERS: readonly HarnessUser[] = Object.freeze([
  Object.freeze({ username: 'alice', password: 's3cret', actions: ['*'] }),
  Object.freeze({ username: 'reader', password: 'r3ad', actions: ['pull'] }),
]) as readonly HarnessUser[];

/** Deep copy, so callers may mutate what they get. */
export function copyUsers(users: readonly HarnessUser[]): HarnessUser[] {
  return users.map((u) => ({ ...u, actions: [...u.actions] }));
}
