/**
 * How a command prints its result on stdout: plain text, --json, or a --format template (never
 * two of them), chosen once from the options and applied in one place, so every command prints
 * the same way. Status lines (what was done) go to stderr through ctx.status, not here.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Template } from '../ui/template.js';

export type OutputChoice = { kind: 'text' } | { kind: 'json' } | { kind: 'template'; template: Template };

/** The output asked for: --json, the template of `flag`, or plain text; both at once is a usage error. */
export function outputChoice(
  json: boolean | undefined,
  template: Template | undefined,
  flag = '--format',
): OutputChoice {
  if (json && template) throw new UsageError(`--json and ${flag} cannot be used together`);
  if (template) return { kind: 'template', template };
  return json ? { kind: 'json' } : { kind: 'text' };
}

/** A command's result, in each of the forms it can be printed in. */
export interface Result {
  /**
   * The --json document. Absent when the plain output is JSON already (a manifest, a config):
   * --json is accepted and prints it as it is.
   */
  json?: unknown;
  /** What a template runs over, one line each: the --json document unless said. */
  records?: readonly unknown[];
  /**
   * The plain output: a line, lines, or a JSON document held as exact bytes (Output.document:
   * the bytes when piped, indented on a terminal). Absent: nothing, the status line says it all.
   */
  text?: string | readonly string[] | Uint8Array | undefined;
}

export function printResult(ctx: Context, output: OutputChoice, result: Result): void {
  if (output.kind === 'template') {
    ctx.out.template(output.template, result.records ?? [result.json]);
  } else if (output.kind === 'json' && 'json' in result) {
    ctx.out.json(result.json);
  } else if (typeof result.text === 'string') {
    ctx.out.line(result.text);
  } else if (result.text instanceof Uint8Array) {
    ctx.out.document(result.text);
  } else if (result.text !== undefined) {
    ctx.out.lines(result.text);
  }
}
