/**
 * stdout is data, stderr is chatter (architecture.md principle 10). Commands print results
 * through `Output` only; status, warnings and errors go through `Status`.
 */
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import type { Template } from './template.js';

export class Output {
  constructor(private readonly stream: Writable) {}

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
