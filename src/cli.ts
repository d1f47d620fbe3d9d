/**
 * ferry's entry point: builds the commander program from the command table, resolves the
 * global options once into a Context, runs one command, and maps any failure to one stderr line
 * and a stable exit code (errors.ts). `main` takes its streams and environment as arguments, so
 * tests run the real CLI in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { COMMANDS, type CommandSpec } from './commands/index.js';
import { Context, type GlobalOptions, type Io } from './context.js';
import { ExitCode, UsageError } from './errors.js';
import { formatError } from './ui/format-error.js';
import { VERSION } from './util/version.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function globalsOf(opts: Record<string, unknown>): GlobalOptions {
  return {
    debug: opts['debug'] === true,
    quiet: opts['quiet'] === true,
    color: opts['color'] === false ? false : undefined,
    plainHttp: (opts['plainHttp'] as string[] | undefined) ?? [],
    insecure: (opts['insecure'] as string[] | undefined) ?? [],
    caFile: opts['caFile'] as string | undefined,
    username: opts['username'] as string | undefined,
    passwordStdin: opts['passwordStdin'] === true,
  };
}

interface Invocation {
  spec: CommandSpec;
  args: string[];
  options: Record<string, unknown>;
  globals: GlobalOptions;
}

export function buildProgram(io: Pick<Io, 'stdout' | 'stderr'>, onInvoke: (invocation: Invocation) => void): Command {
  const program = new Command('ferry')
    .description('A daemonless client for container registries: list, inspect, copy, pull and push images.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--debug', 'trace HTTP requests on stderr (secrets redacted) and show stack traces')
    .option('-q, --quiet', 'print no progress or informational messages')
    .option('--no-color', 'never colour output (NO_COLOR is honoured too)')
    .option('--plain-http <host>', 'talk plain HTTP to this registry (repeatable)', collect)
    .option('--insecure <host>', 'skip TLS certificate verification for this registry only (repeatable)', collect)
    .option('--ca-file <file>', 'also trust the CA certificates in this PEM file')
    .option('-u, --username <user>', 'username for the registry (password from --password-stdin)')
    .option('--password-stdin', 'read the password or token from standard input')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`ferry: ${s.replace(/^error: /, '').trimEnd()}\n`),
    });

  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.summary);
    for (const alias of spec.aliases ?? []) cmd.alias(alias);
    for (const arg of spec.args) cmd.argument(arg);
    for (const o of spec.options) {
      const option = new Option(o.flags, o.description);
      if (o.parse) option.argParser(o.parse);
      if (o.defaultValue !== undefined) option.default(o.defaultValue);
      cmd.addOption(option);
    }
    if (spec.examples.length > 0) cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
    cmd.action((...actionArgs: unknown[]) => {
      const command = actionArgs.at(-1) as Command;
      onInvoke({ spec, args: command.args, options: command.opts(), globals: globalsOf(command.optsWithGlobals()) });
    });
  }
  return program;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let invocation: Invocation | undefined;
  let debug = argv.includes('--debug');
  try {
    const program = buildProgram(io, (i) => {
      invocation = i;
    });
    if (argv.length === 0) {
      io.stderr.write(program.helpInformation());
      return ExitCode.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    io.stderr.write(`${formatError(err, debug)}\n`);
    return err instanceof UsageError || (err as { exitCode?: unknown }).exitCode === ExitCode.usage ? ExitCode.usage : exitCodeOf(err);
  }
  if (!invocation) return ExitCode.usage;

  const { spec, args, options, globals } = invocation;
  debug = globals.debug;
  if (debug) process.setSourceMapsEnabled(true);
  let ctx: Context | undefined;
  try {
    ctx = new Context(io, globals);
    return (await spec.run(ctx, args, options)) ?? ExitCode.ok;
  } catch (err) {
    io.stderr.write(`${formatError(err, debug)}\n`);
    return exitCodeOf(err);
  } finally {
    await ctx?.close();
  }
}

function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : ExitCode.internal;
}

function processIo(): Io {
  // `ferry ls … | head` closes the pipe early: that is the reader's choice, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
