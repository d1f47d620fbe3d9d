/**
 * The shape of a command. commands/index.ts lists them; cli.ts builds commander from that list,
 * and the completion scripts and README reference are generated from it too, so none can drift.
 *
 * A command is written with defineCommand: the type of each option's value (what its `parse`
 * returns, else what commander stores for its flags) flows from the option list into the options
 * object `run` receives, under the attribute name commander gives it ('--dry-run' → dryRun,
 * '--no-clobber' → clobber). The flags are written once, and a command reads its options
 * without casting; the one cast from commander's untyped values is in optionValues below.
 */

import type { Context, GlobalOptions, Io, PerRegistryFlags, RegistriesNamed } from '../context.js';
import { UsageError } from '../errors.js';

/**
 * One option. `V` is its value as the command reads it; `F` its flags, kept as a literal type so
 * that the attribute name can be read from it (OptionKey).
 */
export interface OptionSpec<F extends string = string, V = unknown> {
  /** Commander flag syntax: '-l, --long', '--limit <n>', '--platform <os/arch[/variant]>'. */
  readonly flags: F;
  readonly description: string;
  /**
   * Parses and validates the raw value (throwing UsageError). A parser that declares the second
   * parameter makes the option repeatable: it receives the value so far (undefined the first time).
   */
  parse?(value: string, previous: V | undefined): V;
  /** Set before parsing (commander's default); its type is the parser's, not inferred from it. */
  readonly defaultValue?: NoInfer<V>;
  /** Values offered by shell completion. */
  readonly choices?: readonly string[];
}

/** The long flag's name without its dashes: '-j, --jobs <n>' → 'jobs'. */
type LongName<F extends string> = F extends `${string}--${infer Rest}`
  ? Rest extends `${infer Name} ${string}`
    ? Name
    : Rest
  : never;

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;

/** The attribute commander stores an option under: '--dry-run' → 'dryRun', '--no-trunc' → 'trunc'. */
export type OptionKey<F extends string> = Camel<LongName<F> extends `no-${infer Name}` ? Name : LongName<F>>;

/** What commander stores for flags without a parser: a value, or true for a switch (a negated one: a boolean). */
type FlagValue<F extends string> = F extends `${string}<${string}>${string}`
  ? string
  : F extends `${string}[${string}]${string}`
    ? string | true
    : LongName<F> extends `no-${string}`
      ? boolean
      : true;

/** The value of option `S`: its parser's, else its flags'. */
export type OptionValue<S> =
  S extends OptionSpec<infer F, infer V> ? (unknown extends V ? FlagValue<F> : V) : never;

/** Always present in commander's values: a negated switch (default true) and an option with a default. */
type Always<S> = S extends { readonly defaultValue: unknown }
  ? true
  : S extends OptionSpec<infer F>
    ? LongName<F> extends `no-${string}`
      ? true
      : false
    : false;

/**
 * The options object of a command with options `O`: each attribute typed, optional unless always
 * set. When the list's type could not be inferred (it is no tuple), every read is a type error
 * that says how to fix it, rather than a value typed wrongly.
 */
export type OptionsOf<O extends readonly OptionSpec[]> = number extends O['length']
  ? { readonly 'options not typed: write the options made by generic helpers with option()': never }
  : KnownOptions<O>;

type KnownOptions<O extends readonly OptionSpec[]> = {
  [S in O[number] as Always<S> extends true ? OptionKey<S['flags']> : never]: OptionValue<S>;
} & {
  [S in O[number] as Always<S> extends true ? never : OptionKey<S['flags']>]?: OptionValue<S>;
};

/**
 * An option, its value type inferred from its parser. A plain object literal in a command's list
 * is typed as well; an option whose parser is made by a generic helper (oneOf, repeatable) is
 * written with this, since TypeScript does not infer through a generic call nested in the list.
 */
export function option<const F extends string, V = unknown>(
  spec: OptionSpec<F, V> & { readonly defaultValue: NoInfer<V> },
): OptionSpec<F, V> & { readonly defaultValue: V };
export function option<const F extends string, V = unknown>(spec: OptionSpec<F, V>): OptionSpec<F, V>;
export function option(spec: OptionSpec): OptionSpec {
  return spec;
}

/** Commander's values (`command.opts()`) as the options object of `list`: the one place they are typed. */
export const optionValues = <O extends readonly OptionSpec[]>(
  _list: O,
  values: Readonly<Record<string, unknown>>,
): OptionsOf<O> => values as OptionsOf<O>;

/** A repeatable option's parser from the parser of one value: the values in the order given. */
export function repeatable<T>(
  parseOne: (value: string) => T,
): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parseOne(value)];
}

/** Whether an option may be given more than once: its parser takes the value so far (OptionSpec.parse). */
export const isRepeatable = (spec: OptionSpec): boolean => spec.parse !== undefined && spec.parse.length >= 2;

/** A parser that accepts one of `choices` (`flag` names the option in the message). */
export function oneOf<const C extends string>(
  flag: string,
  choices: readonly C[],
  hint?: (value: string) => string | undefined,
): (value: string) => C {
  return (value) => {
    const choice = choices.find((c) => c === value);
    if (choice === undefined) {
      const list = choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`;
      throw new UsageError(`${flag} must be ${list}, not '${value}'`, { hint: hint?.(value) });
    }
    return choice;
  };
}

/**
 * An argument: commander's syntax ('<image>', '[file]'), or that syntax with `local`: it names a
 * local file or directory although its placeholder does not say `file`, `path` or `dir` (what push
 * reads, where pull writes), so shell completion offers file names for it.
 */
export type ArgSpec = string | { readonly syntax: string; readonly local: true };

/** An argument that names a local file or directory (ArgSpec). */
export const localArg = (syntax: string): ArgSpec => ({ syntax, local: true });

/** An argument's commander syntax. */
export const argSyntax = (arg: ArgSpec): string => (typeof arg === 'string' ? arg : arg.syntax);

/** A command as the table holds it: what cli.ts, the completion scripts and the README read. */
export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  summary: string;
  /** Commander argument syntax: '<image>', '<host>', '[file]' (ArgSpec). */
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  examples: readonly string[];
  /**
   * Commands under this one (`blob put`, `blob rm`): a first argument that names one runs it;
   * anything else runs this command itself (`ferry blob REPO@DIGEST` as before).
   */
  subcommands?: readonly CommandSpec[];
  /**
   * Runs before the Context is made, with the terminal at hand: `login` asks for the username and
   * password here when the command line brought none, so the Context holds them as it holds
   * -u/--password-stdin ones. Returns the global options to run with.
   */
  ask?(io: Io, globals: GlobalOptions, args: readonly string[]): Promise<GlobalOptions>;
  /**
   * Declares a command that may talk to more than one registry (copy, push from docker://,
   * append, mutate, index create/add, sync): the registries its command line names. The global
   * -u/--password-stdin and --cert-dir are then bound to the one registry named, or refused when
   * several are, before any request (Context.scopeGlobals). A command without it talks to one
   * registry, and they go to the first it opens. Called only when one of them is given.
   */
  registries?(args: readonly string[], options: Readonly<Record<string, unknown>>): RegistriesNamed;
  /** With `registries`: the command's own per-registry flags, named when the global ones are refused. */
  perRegistryFlags?: PerRegistryFlags;
  /** Returns the exit code when it is not simply 0 (exists: 1 for absent). */
  run(ctx: Context, args: string[], options: Readonly<Record<string, unknown>>): Promise<number | undefined>;
}

/** A command as it is written: `run` receives the options typed from the option list. */
export interface CommandDefinition<O extends readonly OptionSpec[]>
  extends Omit<CommandSpec, 'options' | 'run' | 'registries'> {
  options: O;
  registries?(args: readonly string[], options: OptionsOf<O>): RegistriesNamed;
  run(ctx: Context, args: string[], options: OptionsOf<O>): Promise<number | undefined>;
}

export function defineCommand<const O extends readonly OptionSpec[]>(
  definition: CommandDefinition<O>,
): CommandSpec {
  const { registries, ...rest } = definition;
  return {
    ...rest,
    ...(registries && {
      registries: (args: readonly string[], values: Readonly<Record<string, unknown>>) =>
        registries(args, optionValues(definition.options, values)),
    }),
    run: (ctx, args, values) => definition.run(ctx, args, optionValues(definition.options, values)),
  };
}

/**
 * A command that is only a group of subcommands (`ferry index create`): `ferry index` alone is a
 * usage error naming them; `ferry index --help` lists them.
 */
export function commandGroup(
  name: string,
  summary: string,
  subcommands: readonly CommandSpec[],
): CommandSpec {
  return {
    name,
    summary,
    args: [],
    options: [],
    examples: [],
    subcommands,
    run: async (_ctx, [word]) => {
      const names = subcommands.map((c) => c.name);
      const choice = `${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}`;
      throw new UsageError(
        word === undefined
          ? `ferry ${name} needs a subcommand: ${choice}`
          : `ferry ${name} takes ${choice}, not '${word}'`,
        { hint: `ferry ${name} --help` },
      );
    },
  };
}
