/**
 * Blob bytes pass through in Buffers of 16 KiB to 1 MiB that die young, but V8 paces its young
 * generation by the JavaScript objects in it, not by the memory they hold outside the heap: a
 * Buffer's wrapper is some 100 bytes for up to 1 MiB of external memory. With the semi-space kept
 * at its starting size (bin/ferry.js), dead Buffers of tens of MiB wait for the next scavenge, and
 * they were 20-40 MiB of a big copy's peak RSS (bench/PROFILE.md, "Memory"). A scavenge every few
 * MiB of blob bytes frees them as they go; each costs well under a millisecond here. The bytes
 * are counted by every verifying stream they pass (digest/verify.ts), so a copy, whose bytes pass
 * the source's check and the upload's count, collects every 2 MiB of its data; that is what the
 * figures in bench/PROFILE.md measured.
 *
 * The collector is reached through `--expose-gc` set at run time, which exposes `gc` in contexts
 * made after it (a vm context here) and changes nothing else. Where that fails, nothing is done.
 */
const EVERY_BYTES = 4 * 1024 * 1024;

/**
 * The chunk size for reading blobs from files. A chunk still in flight at a collection survives
 * it, and one that survives two is moved to the old generation, which only a full collection
 * frees: read in 1 MiB chunks, a push of a 256 MiB layer from an OCI archive peaked at 131 MiB;
 * in 64 KiB chunks (Node's default, and what a socket gives), at 62 MiB, with the same CPU.
 */
export const BLOB_FILE_CHUNK = 64 * 1024;

type Collect = (options: { type: 'minor' }) => void;

let pending = 0;
let collect: Collect | null | undefined;
let collections = 0;

/** How many collections blobBytesPassed has asked for in this process (for the tests). */
export function youngCollections(): number {
  return collections;
}

function exposeCollector(): Collect | null {
  try {
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
    const gc: unknown = process.getBuiltinModule('node:vm').runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  }
}

/** Counts blob bytes that have passed; every few MiB, a young-generation collection. */
export function blobBytesPassed(bytes: number): void {
  pending += bytes;
  if (pending < EVERY_BYTES) return;
  pending = 0;
  collect ??= exposeCollector();
  if (!collect) return;
  collect({ type: 'minor' });
  collections++;
}
