/**
 * The shape of a command. commands/index.ts lists them; cli.ts builds commander from that list,
 * and the completion scripts and README reference are generated from it too, so none can drift.
 */
import type { Context } from '../context.js';

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
   * A command made of subcommands (`ferry index create`): `ferry index` alone shows its help, and
   * its own run is never called. Its args, options and examples are empty; each subcommand is an
   * ordinary command.
   */
  subcommands?: readonly CommandSpec[];
  /** Returns the exit code when it is not simply 0 (exists: 1 for absent). */
  run(ctx: Context, args: string[], options: Record<string, unknown>): Promise<number | undefined>;
}

/** A group of subcommands (see CommandSpec.subcommands). */
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
    run: async () => {
      throw new Error(`${name} is a group of commands: it has no run of its own`);
    },
  };
}
