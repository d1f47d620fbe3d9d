/**
 * zlib writes the OS it was built for into byte 9 of every gzip header (RFC 1952 §2.3: 3 on Unix,
 * 19 on macOS, 10 on Windows), so the same tar at the same level gives a different blob, and so a
 * different digest, on each system. The gzip ferry writes has that byte pinned to 3, what Linux's
 * zlib writes, so a layer (and an image built with SOURCE_DATE_EPOCH) has one digest everywhere.
 * The header has no CRC of its own unless FHCRC is set, which zlib never sets: the change is safe.
 */
const OS_BYTE = 9;
/** The OS byte ferry writes: what Linux's zlib writes (also in util/stored-gzip.ts's header). */
export const OS_UNIX = 3;

/** Pins the OS byte in a gzip stream's output, given chunk by chunk in order. */
export class GzipOsPin {
  private seen = 0;

  /** `chunk`, with the OS byte set if it falls inside; the chunk is changed in place. */
  pin(chunk: Buffer): Buffer {
    const at = OS_BYTE - this.seen;
    if (at >= 0 && at < chunk.length) chunk[at] = OS_UNIX;
    this.seen += chunk.length;
    return chunk;
  }
}
