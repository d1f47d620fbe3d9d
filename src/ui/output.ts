/**
 * stdout is data, stderr is chatter (architecture.md principle 10). Commands print results
 * through `Output` only; status, warnings and errors go through `Status`.
 */
import type { Writable } from 'node:stream';

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

  /** Exact bytes (a manifest as served): no newline added, nothing re-encoded. */
  raw(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }
}

export class Status {
  constructor(
    private readonly stream: Writable,
    private readonly quiet: boolean,
  ) {}

  /** An informational line on stderr; silent under --quiet. */
  info(text: string): void {
    if (!this.quiet) this.stream.write(`${text}\n`);
  }

  /** A warning on stderr; shown even under --quiet, since it says something may be wrong. */
  warn(text: string): void {
    this.stream.write(`ferry: warning: ${text}\n`);
  }

  /** The --debug trace. */
  debug(text: string): void {
    this.stream.write(`${text}\n`);
  }
}
