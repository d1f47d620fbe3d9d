/**
 * `source → sink` for a stream stage that the caller keeps reading from. Unlike `.pipe()`, a
 * failure or an early close at either end destroys both: an abandoned upload must also end the
 * download feeding it, or that response stays open and its connection is never given back
 * (undici's Agent then waits for it forever on close).
 */
import { pipeline, type Readable, type Transform } from 'node:stream';

export function chain<T extends Transform>(source: Readable, sink: T): T {
  // The error reaches whoever reads `sink` (pipeline destroys it with the error); nothing to do here.
  pipeline(source, sink, () => {});
  return sink;
}
