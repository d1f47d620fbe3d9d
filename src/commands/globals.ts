/** Options every command accepts. cli.ts registers them on the program; completions list them. */
import { DEFAULT_GLOBALS } from '../context.js';
import { UsageError } from '../errors.js';
import { option, repeatable } from './spec.js';

const collect = repeatable((value) => value);

function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not '${value}'`);
    }
    return Number(value);
  };
}

const { retries: DEFAULT_RETRIES, idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS } = DEFAULT_GLOBALS;

export const GLOBAL_OPTIONS = [
  option({
    flags: '--debug',
    description: 'trace HTTP requests on stderr (secrets redacted) and show stack traces',
  }),
  option({ flags: '-q, --quiet', description: 'print no progress or informational messages' }),
  option({ flags: '--no-color', description: 'never colour output (NO_COLOR is honoured too)' }),
  option({
    flags: '--plain-http <host>',
    description: 'talk plain HTTP to this registry (repeatable)',
    parse: collect,
  }),
  option({
    flags: '--insecure <host>',
    description: 'skip TLS certificate verification for this registry only (repeatable)',
    parse: collect,
  }),
  option({ flags: '--ca-file <file>', description: 'also trust the CA certificates in this PEM file' }),
  option({
    flags: '--cert-dir <dir>',
    description:
      "the certificate directory of the command's registry (*.crt CAs, NAME.cert + NAME.key client certificate), instead of certs.d; refused where the command names two registries (copy: --src-cert-dir/--dest-cert-dir)",
  }),
  option({
    flags: '-u, --username <user>',
    description:
      "username for the command's registry, password from --password-stdin; refused where the command names two registries (copy: --src-creds/--dest-creds)",
  }),
  option({ flags: '--password-stdin', description: 'read the password or token from standard input' }),
  option({
    flags: '--retries <n>',
    description: `retry a request or blob transfer that failed on the way (resets, 429, 5xx) up to n times (default ${DEFAULT_RETRIES})`,
    parse: wholeNumber('--retries', 0, 100),
  }),
  option({
    flags: '--idle-timeout <seconds>',
    description: `fail a connection that sends or receives nothing for this long (default ${DEFAULT_IDLE_TIMEOUT_SECONDS}); there is no total time limit`,
    parse: wholeNumber('--idle-timeout', 1, 86_400),
  }),
] as const;
