import { UsageError } from '../errors.js';
import { parseRegistryHost } from '../ref/index.js';
import { login as loginTo } from '../registry/login.js';
import { ask, canPrompt } from '../ui/prompt.js';
import { defineCommand } from './spec.js';

/**
 * The username and password come from the global -u/--password-stdin, which every command takes
 * with the same meaning: the Context reads stdin once and checks the pair, and the client then
 * verifies exactly the credentials that are stored. Without --password-stdin, on a terminal, login
 * asks for what is missing (the password without echo), as docker, crane, regctl and oras do; off
 * a terminal it refuses, since a script must not hang on a question. A password on the command
 * line is not offered (it would show in `ps` and the shell history).
 */
export const login = defineCommand({
  name: 'login',
  summary:
    'Check credentials (-u USER --password-stdin, or asked on the terminal) against a registry, then store them (credential helper or config.json)',
  args: ['<host>'],
  options: [],
  examples: [
    'ferry login registry.example.com   # asks for the username and password',
    'echo "$PASSWORD" | ferry login -u alice --password-stdin registry.example.com',
    'echo "$GITHUB_TOKEN" | ferry login -u USERNAME --password-stdin ghcr.io   # a token as the password',
    'ferry login -u "$USER" --password-stdin docker.io < ~/.hub-token',
  ],
  async ask(io, globals, [host]) {
    if (globals.passwordStdin || !canPrompt(io.stdin, io.stderr)) return globals;
    parseRegistryHost(host ?? ''); // a bad host is said before any question
    const username = globals.username ?? (await ask(io.stdin, io.stderr, 'Username: ', false)).trim();
    if (username === '') throw new UsageError('login needs a username');
    const password = await ask(io.stdin, io.stderr, 'Password: ', true);
    if (password === '') throw new UsageError('login needs a password or token');
    return { ...globals, username, password };
  },
  async run(ctx, [host]) {
    const registry = parseRegistryHost(host ?? '');
    if (!ctx.globals.username) {
      throw new UsageError(
        'login needs -u USER and the password or token on stdin with --password-stdin (or a terminal to ask on)',
        { hint: `echo "$PASSWORD" | ferry login -u USER --password-stdin ${registry}` },
      );
    }
    const result = await loginTo(ctx.client(registry), ctx.env);
    if (!result.verified)
      ctx.status.warn(`${registry} asked for no credentials at /v2/, so they were stored without a check`);
    const { stored } = result;
    if (stored.kind === 'file') {
      // docker's warning: the password is only base64-encoded on disk.
      ctx.status.warn(
        `the password is stored unencrypted in ${stored.path}; configure a credential helper (credsStore) to avoid this`,
      );
    }
    if (result.shadowed)
      ctx.status.warn(
        `DOCKER_AUTH_CONFIG has credentials for ${registry}, and they are used before the stored ones`,
      );
    const where = stored.kind === 'helper' ? `credential helper ${stored.program}` : stored.path;
    ctx.status.info(`logged in to ${registry} as ${result.username} (stored in ${where})`);
    return undefined;
  },
});
