/**
 * One failure, one line: "ferry: <message> (hint: …)". Everything printed is redacted; a stack
 * trace appears only under --debug.
 */
import { FerryError } from '../errors.js';
import { redactText } from '../http/redact.js';

export function formatError(err: unknown, debug: boolean): string {
  if (err instanceof FerryError) {
    const hint = err.hint ? ` (hint: ${err.hint})` : '';
    const line = `ferry: ${oneLine(err.message)}${hint}`;
    return redactText(debug ? `${line}\n${causeChain(err)}` : line);
  }
  const message = err instanceof Error ? err.message : String(err);
  const line = `ferry: internal error: ${oneLine(message)}`;
  return redactText(debug && err instanceof Error && err.stack ? `${line}\n${err.stack}` : line);
}

/**
 * A failure as formatError gives it, without "ferry: ": for a line that starts with the item that
 * failed (`REF: failed: …`, the cause chain below it with --debug).
 */
export function itemFailure(err: unknown, debug: boolean): string {
  return formatError(err, debug).replace(/^ferry: /, '');
}

/** A failure's one-line message, redacted, without "ferry: " (--json's `error`). */
export function errorMessage(err: unknown): string {
  return itemFailure(err, false);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function causeChain(err: Error): string {
  const parts: string[] = [err.stack ?? err.message];
  let cause = err.cause;
  while (cause instanceof Error) {
    parts.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return parts.join('\n');
}
