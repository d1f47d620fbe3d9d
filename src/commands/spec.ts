/**
 * The shape of a command. commands/index.ts lists them; cli.ts builds commander from that list,
 * and the completion scripts and README reference are generated from it too, so none can drift.
 */

import type { Context, GlobalOptions, Io } from '../context.js';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  /** Commander flag syntax: '-l, --long', '--limit <n>', '--platform <os/arch>'. */
  flags: string;
  description: string;
  /** Parses and validates the raw value (throwing UsageError); receives the previous value for repeatable flags. */
  parse?: (value: string, previous: unknown) => unknown;
  defaultValue?: unknown;
  /** Values offered by shell completion. */
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  summary: string;
  /** Commander argument syntax: '<image>', '<host>', '[file]'. */
  args: readonly string[];
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
  /** Returns the exit code when it is not simply 0 (exists: 1 for absent). */
  run(ctx: Context, args: string[], options: Record<string, unknown>): Promise<number | undefined>;
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
