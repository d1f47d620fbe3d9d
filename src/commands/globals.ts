/** Options every command accepts. cli.ts registers them on the program; completions list them. */
import type { OptionSpec } from './spec.js';

const collect = (value: string, previous: unknown): string[] => [
  ...((previous as string[] | undefined) ?? []),
  value,
];

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
    flags: '-u, --username <user>',
    description: 'username for the registry (password from --password-stdin)',
  },
  { flags: '--password-stdin', description: 'read the password or token from standard input' },
];
