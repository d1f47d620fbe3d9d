/**
 * The one guard for commands that write binary data to stdout (`pull IMAGE -`, `blob`): a tarball
 * or a layer on a terminal garbles it and is of no use there, so it is refused before any request
 * is made, as `docker save` does ("cowardly refusing to save to a terminal"). A pipe or a file
 * passes.
 */
import { UsageError } from '../errors.js';

export function refuseBinaryOnTerminal(stdout: { isTTY?: boolean }, what: string, hint: string): void {
  if (stdout.isTTY === true) throw new UsageError(`refusing to write ${what} to a terminal`, { hint });
}
