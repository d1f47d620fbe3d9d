/**
 * Per-side options of a command that talks to two registries (copy, sync): each side's
 * credentials and certificate directory, bound to that side's registry and never
 * offered to the other or to the other's token realm. The names are skopeo's (`--src-creds USER[:PASSWORD]`,
 * `--dest-creds`, `--src-no-creds`), plus `--src-password-stdin`/`--dest-password-stdin` so a
 * secret need not be on the command line. skopeo takes a password in the flag and so does
 * ferry, with a warning: other users of the machine can read it (ps, /proc, shell history).
 *
 * The global -u/--password-stdin and --cert-dir mean "the registry of this command"; with two
 * registries that says nothing, so such a command refuses them (Context.scopeGlobals, from the
 * registries the command declares) and names these flags instead (SIDE_GLOBALS_INSTEAD).
 */
import { Option } from 'commander';
import type { Context, PerRegistryFlags } from '../context.js';
import { UsageError } from '../errors.js';
import type { BoundCredential, RegistryBinding } from '../settings/bindings.js';
import { type OptionsOf, option } from './spec.js';

export type Side = 'src' | 'dest';

const SIDE_NAME: Record<Side, string> = { src: 'source', dest: 'destination' };

function sideOptions<const S extends Side>(side: S) {
  const name = SIDE_NAME[side];
  return [
    option({
      flags: `--${side}-creds <user[:password]>`,
      description: `credentials for the ${name} registry only (password here is visible to other users: prefer --${side}-password-stdin)`,
    }),
    option({
      flags: `--${side}-password-stdin`,
      description: `read the ${name} registry's password or token from standard input (with --${side}-creds USER)`,
    }),
    option({
      flags: `--${side}-no-creds`,
      description: `access the ${name} registry anonymously, whatever the config files hold`,
    }),
    option({
      flags: `--${side}-cert-dir <dir>`,
      description: `the ${name} registry's certificate directory (*.crt CAs, NAME.cert + NAME.key client certificate), instead of certs.d`,
    }),
  ] as const;
}

const SRC_OPTIONS = sideOptions('src');
const DEST_OPTIONS = sideOptions('dest');

/** The options copy (and sync) add for both sides. */
export const SIDE_OPTIONS = [...SRC_OPTIONS, ...DEST_OPTIONS] as const;

/** What a command with these options offers when it refuses the global -u or --cert-dir. */
export const SIDE_GLOBALS_INSTEAD: PerRegistryFlags = {
  credentials:
    'give each side its own: --src-creds USER[:PASSWORD] / --dest-creds USER[:PASSWORD], or their --src-password-stdin / --dest-password-stdin forms',
  certDir: 'give each side its own: --src-cert-dir DIR / --dest-cert-dir DIR',
};

/** What bindSides reads of a command's options. */
export type SideOptions = Partial<OptionsOf<typeof SIDE_OPTIONS>>;

/** What the command line says for one side; undefined when it says nothing. */
function sideCredential(
  side: Side,
  options: SideOptions,
  command: string,
  warn: (message: string) => void,
): BoundCredential | undefined {
  const creds = options[`${side}Creds`];
  const stdin = options[`${side}PasswordStdin`] === true;
  const none = options[`${side}NoCreds`] === true;
  const flag = `--${side}-creds`;
  if (none) {
    if (creds !== undefined || stdin) {
      throw new UsageError(`--${side}-no-creds cannot be used with ${flag} or --${side}-password-stdin`);
    }
    return { kind: 'anonymous', flag: `--${side}-no-creds` };
  }
  if (creds === undefined) {
    if (stdin) throw new UsageError(`--${side}-password-stdin needs ${flag} USER`);
    return undefined;
  }
  const colon = creds.indexOf(':');
  const username = colon === -1 ? creds : creds.slice(0, colon);
  if (username === '') throw new UsageError(`${flag} needs a username: ${flag} USER[:PASSWORD]`);
  if (colon === -1) {
    if (!stdin) {
      throw new UsageError(`${flag} ${username} has no password`, {
        hint: `echo "$PASSWORD" | ferry ${command} ${flag} ${username} --${side}-password-stdin …`,
      });
    }
    return { kind: 'stdin', username, flag: `--${side}-password-stdin` };
  }
  if (stdin) {
    throw new UsageError(
      `${flag} gives a password and --${side}-password-stdin reads one: use one or the other`,
    );
  }
  const password = creds.slice(colon + 1);
  if (password === '') throw new UsageError(`${flag} ${username}: has an empty password`);
  warn(
    `${flag}: a password on the command line can be read by other users of this machine; prefer --${side}-password-stdin`,
  );
  return { kind: 'password', username, password, flag };
}

/** Two bindings that log in the same way (the flag that said so aside). */
const same = (a: BoundCredential, b: BoundCredential): boolean =>
  JSON.stringify({ ...a, flag: '' }) === JSON.stringify({ ...b, flag: '' });

/**
 * Binds each side's credentials to its registry (undefined: that side is not a registry).
 * Checks everything before any request: one stdin for two sides, flags for a side that is a local
 * file, two different logins for one registry (a run has one client per registry, so both sides
 * of a copy within one registry share a login), a side's flags with the global ones.
 *
 * The global -u/--password-stdin and --cert-dir were checked already, from the registries the
 * command declares (Context.scopeGlobals): given for two registries they were refused; for a copy
 * that talks to one registry only (both sides on it, or the other side a file) they are bound to
 * it, as for any single-registry command.
 */
export function bindSides(
  ctx: Context,
  options: SideOptions,
  registries: { [S in Side]?: string | undefined },
  command = 'copy',
): void {
  const { username, passwordStdin, certDir } = ctx.globals;
  // Given, they name this copy's one registry (scopeGlobals refused them for two): a side's own
  // flag would name it a second time.
  if (username || passwordStdin || certDir) {
    const given = givenFlag(options, SIDE_OPTIONS);
    if (given)
      throw new UsageError(
        `${given} cannot be used with -u/--password-stdin or --cert-dir, which already name this copy's one registry`,
      );
    return;
  }
  if (options.srcPasswordStdin === true && options.destPasswordStdin === true) {
    throw new UsageError('--src-password-stdin and --dest-password-stdin cannot both read standard input', {
      hint: 'give one side its password in --src-creds/--dest-creds USER:PASSWORD, or in a config file',
    });
  }
  const pending: Array<{ side: Side; registry: string; binding: RegistryBinding }> = [];
  for (const side of ['src', 'dest'] as const) {
    const credential = sideCredential(side, options, command, (message) => ctx.status.warn(message));
    const certDir = options[`${side}CertDir`];
    const registry = registries[side];
    if (registry === undefined) {
      if (credential) throw new UsageError(`${credential.flag}: the ${SIDE_NAME[side]} is not a registry`);
      if (certDir) throw new UsageError(`--${side}-cert-dir: the ${SIDE_NAME[side]} is not a registry`);
      continue;
    }
    pending.push({
      side,
      registry,
      binding: {
        credential,
        hint: `--${side}-creds USER --${side}-password-stdin`,
        ...(certDir ? { certDir: { dir: certDir, flag: `--${side}-cert-dir` } } : {}),
      },
    });
  }
  const [a, b] = pending;
  if (a && b && a.registry === b.registry) {
    const ca = a.binding.credential;
    const cb = b.binding.credential;
    if (ca && cb && !same(ca, cb)) {
      throw new UsageError(
        `both sides are on ${a.registry}: ferry uses one login per registry, give it once (--src-creds or --dest-creds)`,
      );
    }
    const da = a.binding.certDir;
    const db = b.binding.certDir;
    if (da && db && da.dir !== db.dir) {
      throw new UsageError(
        `both sides are on ${a.registry}: give its certificate directory once (--src-cert-dir or --dest-cert-dir)`,
      );
    }
    ctx.bind(a.registry, { credential: ca ?? cb, hint: a.binding.hint, certDir: da ?? db });
    return;
  }
  for (const { registry, binding } of pending) ctx.bind(registry, binding);
}

/** The first of `among` given on the command line, by its long name ('--src-creds'). */
function givenFlag(options: SideOptions, among: readonly { flags: string }[]): string | undefined {
  const values: Readonly<Record<string, unknown>> = options;
  const given = among.find((o) => values[new Option(o.flags).attributeName()] !== undefined);
  return given && new Option(given.flags).long;
}

/**
 * bindSides for sync, whose file names the registries: a side's flags bind to that side's one
 * registry, and are refused (before any request) when the file's entries put that side on more
 * than one, since they would not say which (skopeo sync takes one source registry per run too).
 */
export function bindSyncSides(
  ctx: Context,
  options: SideOptions,
  registries: { [S in Side]: readonly string[] },
): void {
  const one: { [S in Side]?: string } = {};
  for (const side of ['src', 'dest'] as const) {
    const names = [...new Set(registries[side])];
    const flag = givenFlag(options, side === 'src' ? SRC_OPTIONS : DEST_OPTIONS);
    if (flag !== undefined && names.length > 1)
      throw new UsageError(
        `${flag} would not say which registry it is for: the file's ${side === 'src' ? 'sources' : 'targets'} are on ${names.join(', ')}`,
        {
          hint: 'log in to each registry once (ferry login), or mirror each registry from a file of its own',
        },
      );
    const [only] = names;
    if (only !== undefined && names.length === 1) one[side] = only;
  }
  bindSides(ctx, options, one, 'sync');
}
