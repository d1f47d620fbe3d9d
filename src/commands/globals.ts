/** Options every command accepts. cli.ts registers them on the program; completions list them. */
import { DEFAULT_GLOBALS } from '../context.js';
import { UsageError } from '../errors.js';
import type { OptionSpec } from './spec.js';

const collect = (value: string, previous: unknown): string[] => [
  ...((previous as string[] | undefined) ?? []),
  value,
];

function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not '${value}'`);
    }
    return Number(value);
  };
}

const { retries: DEFAULT_RETRIES, idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS } = DEFAULT_GLOBALS;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--debug', description: 'trace HTTP requests on stderr (secrets redacted) and show stack traces' },
  { flags: '-q, --quiet', description: 'print no progress or informational messages' },
  { flags: '--no-color', description: 'never colour output (NO_COLOR is honoured too)' },
  {
    flags: '--plain-http <host>',
    description: 'talk plain HTTP to this registry (repeatable)',
    parse: collect,
  },
  {
    flags: '--insecure <host>',
    description: 'skip TLS certificate verification for this registry only (repeatable)',
    parse: collect,
  },
  { flags: '--ca-file <file>', description: 'also trust the CA certificates in this PEM file' },
  {
    flags: '--cert-dir <dir>',
    description:
      "the registry's certificate directory (*.crt CAs, NAME.cert + NAME.key client certificate), instead of certs.d",
  },
  {
    flags: '-u, --username <user>',
    description:
      "username for the command's registry, password from --password-stdin (copy: --src-creds/--dest-creds)",
  },
  { flags: '--password-stdin', description: 'read the password or token from standard input' },
  {
    flags: '--retries <n>',
    description: `retry a request or blob transfer that failed on the way (resets, 429, 5xx) up to n times (default ${DEFAULT_RETRIES})`,
    parse: wholeNumber('--retries', 0, 100),
  },
  {
    flags: '--idle-timeout <seconds>',
    description: `fail a connection that sends or receives nothing for this long (default ${DEFAULT_IDLE_TIMEOUT_SECONDS}); there is no total time limit`,
    parse: wholeNumber('--idle-timeout', 1, 86_400),
  },
];
