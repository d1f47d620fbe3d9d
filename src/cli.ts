/**
 * ferry's entry point: builds the commander program from the command table, resolves the
 * global options once into a Context, runs one command, and maps any failure to one stderr line
 * and a stable exit code (errors.ts). `main` takes its streams and environment as arguments, so
 * tests run the real CLI in-process.
 */
import { setMaxListeners } from 'node:events';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { GLOBAL_OPTIONS } from './commands/globals.js';
import { COMMANDS, type CommandSpec, type OptionSpec } from './commands/index.js';
import { argSyntax, isRepeatable, type OptionsOf, optionValues } from './commands/spec.js';
import { suggestCommands } from './commands/suggest.js';
import { Context, DEFAULT_GLOBALS, type GlobalOptions, type Io } from './context.js';
import { ExitCode, localErrorFrom, UsageError } from './errors.js';
import { formatError } from './ui/format-error.js';
import { VERSION } from './util/version.js';

type GivenGlobals = Partial<OptionsOf<typeof GLOBAL_OPTIONS>>;

function globalsOf(opts: GivenGlobals): GlobalOptions {
  return {
    debug: opts.debug === true,
    quiet: opts.quiet === true,
    color: opts.color === false ? false : undefined,
    plainHttp: opts.plainHttp ?? [],
    insecure: opts.insecure ?? [],
    caFile: opts.caFile,
    certDir: opts.certDir,
    username: opts.username,
    passwordStdin: opts.passwordStdin === true,
    retries: opts.retries ?? DEFAULT_GLOBALS.retries,
    idleTimeoutSeconds: opts.idleTimeout ?? DEFAULT_GLOBALS.idleTimeoutSeconds,
  };
}

/**
 * The global options as given anywhere on the line: before the command (the program's), after it
 * (the command's copy), or between a group and its subcommand. Only values the user typed count,
 * so a default at one level never hides a value at another; a repeatable option's values add up.
 */
function givenGlobals(chain: readonly Command[]): GivenGlobals {
  const merged: Record<string, unknown> = {};
  for (const spec of GLOBAL_OPTIONS) {
    const key = new Option(spec.flags).attributeName();
    for (const cmd of chain) {
      if (cmd.getOptionValueSource(key) !== 'cli') continue;
      const value: unknown = cmd.getOptionValue(key);
      const before = merged[key];
      merged[key] =
        isRepeatable(spec) && Array.isArray(before) && Array.isArray(value) ? [...before, ...value] : value;
    }
  }
  return optionValues(GLOBAL_OPTIONS, merged);
}

/** The command and its parents up to the program, the program first. */
function chainOf(command: Command): Command[] {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  return chain;
}

function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
  return option;
}

interface Invocation {
  spec: CommandSpec;
  args: string[];
  /** commander's values, typed by the command's own list (commands/spec.ts defineCommand). */
  options: Readonly<Record<string, unknown>>;
  globals: GlobalOptions;
}

/**
 * The command tree for commander. With `only`, that command alone is built in full and every
 * other one is a shell (its name and summary, for the program's help): commander spends some
 * milliseconds per option, and a run needs the options of one command. A shell that is run after
 * all (the command word was misread) throws OTHER_COMMAND, and the caller builds everything.
 */
export function buildProgram(
  io: Pick<Io, 'stdout' | 'stderr'>,
  onInvoke: (invocation: Invocation) => void,
  only?: CommandSpec,
): Command {
  const program = new Command('ferry')
    .description('A daemonless client for container registries: list, inspect, copy, pull and push images.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // ferry's own, stricter suggestions (commands/suggest.ts) replace commander's in outputError.
    .showSuggestionAfterError(false)
    .exitOverride();
  const names = ['help', ...COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])])];
  const flags = GLOBAL_OPTIONS.flatMap((o) => o.flags.match(/--[\w-]+/g) ?? []);
  program.configureOutput(outputFor(io, 'ferry', flags, names));

  for (const o of GLOBAL_OPTIONS) program.addOption(toOption(o));
  // Options belong to the command they follow: the program's before the command name, the
  // command's after it. Every command carries its own copy of the global options (listed in its
  // --help), so they still work anywhere; a group's options stop at its subcommand's name.
  program.enablePositionalOptions();
  for (const spec of COMMANDS) {
    if (only === undefined || spec === only) addCommand(program, spec, io, onInvoke);
    else addShell(program, spec);
  }
  return program;
}

/** Thrown by a shell command (buildProgram `only`): the line is for a command not built in full. */
const OTHER_COMMAND = Symbol('another command');

function addShell(parent: Command, spec: CommandSpec): void {
  const cmd = parent.command(spec.name).description(spec.summary);
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  cmd
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(() => {
      throw OTHER_COMMAND;
    });
}

/** Global options that take a value: the word after them is that value, not the command. */
const GLOBAL_VALUE_FLAGS = new Set(
  GLOBAL_OPTIONS.filter((o) => /[<[]/.test(o.flags)).flatMap((o) => o.flags.match(/--?[\w-]+/g) ?? []),
);

/** The command the line names (its first word that is neither an option nor a global's value). */
function addressedCommand(argv: readonly string[]): CommandSpec | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') return undefined;
    if (word.startsWith('-')) {
      if (!word.includes('=') && GLOBAL_VALUE_FLAGS.has(word)) i++;
      continue;
    }
    return COMMANDS.find((c) => c.name === word || (c.aliases ?? []).includes(word));
  }
  return undefined;
}

/** Parses the line: with the addressed command alone built when there is one, else everything. */
async function parseCommandLine(argv: readonly string[], io: Io): Promise<Invocation | undefined> {
  let invocation: Invocation | undefined;
  const record = (i: Invocation): void => {
    invocation = i;
  };
  const addressed = addressedCommand(argv);
  if (addressed) {
    try {
      await buildProgram(io, record, addressed).parseAsync([...argv], { from: 'user' });
      return invocation;
    } catch (err) {
      if (err !== OTHER_COMMAND) throw err;
    }
  }
  await buildProgram(io, record).parseAsync([...argv], { from: 'user' });
  return invocation;
}

const GLOBAL_HEADING = 'Global options (also before the command):';

function addCommand(
  parent: Command,
  spec: CommandSpec,
  io: Pick<Io, 'stdout' | 'stderr'>,
  onInvoke: (invocation: Invocation) => void,
): void {
  const cmd = parent.command(spec.name).description(spec.summary);
  const name = `${parent.parent ? `ferry ${parent.name()}` : 'ferry'} ${spec.name}`;
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  for (const arg of spec.args) cmd.argument(argSyntax(arg));
  for (const o of spec.options) cmd.addOption(toOption(o));
  // The globals it does not define itself (exists has its own -q, --quiet).
  const own = new Set(spec.options.flatMap((o) => o.flags.match(/--?[\w-]+/g) ?? []));
  const globals = GLOBAL_OPTIONS.filter((g) => !(g.flags.match(/--?[\w-]+/g) ?? []).some((f) => own.has(f)));
  for (const g of globals) cmd.addOption(toOption(g).helpGroup(GLOBAL_HEADING));
  const flags = [...spec.options, ...globals].flatMap((o) => o.flags.match(/--[\w-]+/g) ?? []);
  const subcommands = spec.subcommands ?? [];
  const names = subcommands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  cmd.configureOutput(outputFor(io, name, flags, names));
  if (spec.examples.length > 0)
    cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  if (subcommands.length > 0) {
    // `ferry manifest help` is the image docker.io/library/help, not a help command.
    cmd.helpCommand(false).enablePositionalOptions();
    for (const sub of subcommands) addCommand(cmd, sub, io, onInvoke);
    // A group that is only its subcommands (ferry index) hears an unknown one as its argument, and
    // says which it takes (spec.ts commandGroup). Set after the subcommands are added: commander
    // copies a parent's settings into the subcommands made after them.
    if (spec.args.length === 0) cmd.allowExcessArguments(true);
  }
  cmd.action((...actionArgs: unknown[]) => {
    const command = actionArgs.at(-1) as Command;
    onInvoke({
      spec,
      args: command.args,
      options: command.opts(),
      globals: globalsOf(givenGlobals(chainOf(command))),
    });
  });
}

/**
 * Commander's messages as ferry's one line, with a suggestion only when the word is close (an
 * unknown command among `candidates`, the command names; an unknown option among the flags).
 */
function outputFor(
  io: Pick<Io, 'stdout' | 'stderr'>,
  command: string,
  flags: readonly string[],
  commands: readonly string[],
): OutputConfiguration {
  const suggesting = (message: string): string => {
    const unknown = /^error: unknown (command|option) '([^']*)'/.exec(message);
    if (!unknown) return message;
    const [, kind, word = ''] = unknown;
    const close = suggestCommands(word, kind === 'command' ? commands : flags);
    const hint =
      close.length > 0
        ? `did you mean ${close.join(' or ')}?`
        : `${command} --help lists the ${kind === 'command' ? 'commands' : 'options'}`;
    return `unknown ${kind} '${word}' (hint: ${hint})`;
  };
  return {
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    outputError: (s, write) =>
      write(
        `ferry: ${suggesting(s)
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')}\n`,
      ),
  };
}

function unlimitedListeners(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

/** How long a completion may take before the shell gets nothing: a TAB must not hang. */
const COMPLETE_TIMEOUT_MS = 2500;

/**
 * `ferry __complete COMMAND WHAT CURRENT`, the completion scripts' hook (commands/complete.ts):
 * candidates on stdout, one a line; silent on any failure, and bounded in time.
 */
async function complete(argv: readonly string[], io: Io): Promise<number> {
  const [command = '', what = '', current = ''] = argv;
  const ctx = new Context(
    { ...io, interrupt: unlimitedListeners(AbortSignal.timeout(COMPLETE_TIMEOUT_MS)) },
    {
      ...DEFAULT_GLOBALS,
      quiet: true,
      color: false,
      retries: 0,
      idleTimeoutSeconds: Math.ceil(COMPLETE_TIMEOUT_MS / 1000),
    },
  );
  try {
    const { completeWord } = await import('./commands/complete.js');
    ctx.out.lines(await completeWord(ctx, command, what, current));
  } catch {
    // No candidates: an error message would land in the middle of the user's command line.
  } finally {
    await ctx.close();
  }
  return ExitCode.ok;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  if (argv[0] === '__complete') return complete(argv.slice(1), io);
  let invocation: Invocation | undefined;
  let debug = argv.includes('--debug');
  try {
    if (argv.length === 0) {
      io.stderr.write(buildProgram(io, () => {}).helpInformation());
      return ExitCode.usage;
    }
    invocation = await parseCommandLine(argv, io);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    io.stderr.write(`${formatError(err, debug)}\n`);
    return err instanceof UsageError || (err as { exitCode?: unknown }).exitCode === ExitCode.usage
      ? ExitCode.usage
      : exitCodeOf(err);
  }
  if (!invocation) return ExitCode.usage;

  const { spec, args, options, globals } = invocation;
  debug = globals.debug;
  if (debug) process.setSourceMapsEnabled(true);
  let ctx: Context | undefined;
  try {
    const asked = spec.ask ? await spec.ask(io, globals, args) : globals;
    ctx = new Context(io, asked);
    const { registries } = spec;
    if (registries) ctx.scopeGlobals(() => registries(args, options), spec.perRegistryFlags);
    return (await spec.run(ctx, args, options)) ?? ExitCode.ok;
  } catch (err) {
    if (io.interrupt?.aborted) {
      // The failure is the interrupt itself: what was half-done has been cleaned up on the way out.
      io.stderr.write('ferry: interrupted\n');
      return ExitCode.interrupted;
    }
    // A file system error that no layer mapped is still the local disk's: exit 8 with its path.
    const failure = localErrorFrom(err) ?? err;
    io.stderr.write(`${formatError(failure, debug)}\n`);
    return exitCodeOf(failure);
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
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interrupt: interruptSignal(),
  };
}

/**
 * Ctrl-C (or SIGTERM from a CI runner) aborts the work in flight, so the usual failure paths
 * remove temp files and cancel upload sessions; a second one exits at once.
 */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  // Every request in flight listens to it (undici adds an abort listener per request): a copy
  // with many parallel transfers is not a listener leak.
  setMaxListeners(0, controller.signal);
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
