/**
 * stdout is data, stderr is chatter (architecture.md principle 10). Commands print results
 * through `Output` only; status, warnings and errors go through `Status`.
 */
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import type { Template } from './template.js';

export class Output {
  constructor(private readonly stream: Writable & { isTTY?: boolean }) {}

  line(text: string): void {
    this.stream.write(`${text}\n`);
  }

  lines(items: readonly string[]): void {
    if (items.length > 0) this.stream.write(`${items.join('\n')}\n`);
  }

  /** Pretty-printed JSON, one document per call. */
  json(value: unknown): void {
    this.stream.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** --format: one rendered template per item, each on its own line. */
  template(template: Template, items: readonly unknown[]): void {
    this.lines(items.map((item) => template.render(item)));
  }

  /** Exact bytes (a manifest as served): no newline added, nothing re-encoded. */
  raw(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  /**
   * A JSON document held as exact bytes (a manifest, a config): to a pipe or a file the bytes as
   * they are, since their digest is over them; to a terminal, for a person, indented and ending
   * with a newline (a registry's compact one-line manifest is unreadable there, and without the
   * newline the shell prompt lands on its last line).
   */
  document(bytes: Uint8Array): void {
    if (this.stream.isTTY !== true) {
      this.raw(bytes);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      this.raw(bytes);
      if (bytes.at(-1) !== 0x0a) this.stream.write('\n');
      return;
    }
    this.json(parsed);
  }
}

export class Status {
  constructor(
    private readonly stream: Writable,
    private readonly quiet: boolean,
    /** stderr's colour (color.ts): only the "warning:" label is coloured, never the text. */
    private readonly color?: ChalkInstance,
  ) {}

  /** An informational line on stderr; silent under --quiet. */
  info(text: string): void {
    if (!this.quiet) this.stream.write(`${text}\n`);
  }

  /** A warning on stderr; shown even under --quiet, since it says something may be wrong. */
  warn(text: string): void {
    const label = this.color ? this.color.yellow('warning:') : 'warning:';
    this.stream.write(`ferry: ${label} ${text}\n`);
  }

  /** The --debug trace. */
  debug(text: string): void {
    this.stream.write(`${text}\n`);
  }
}
