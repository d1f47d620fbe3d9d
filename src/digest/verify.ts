/**
 * A pass-through stream that hashes and counts what flows through it and fails at the end when
 * the bytes do not match the expected digest or size. Every blob ferry fetches or stores passes
 * through one, so nothing unverified is ever published (architecture.md, principle 6).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, InvalidContentError } from '../errors.js';
import { blobBytesPassed } from '../util/young-gc.js';
import { parseDigest } from './digest.js';

export interface VerifyOptions {
  /** Expected digest; when absent the stream only computes one (see `digest`). */
  digest?: string | undefined;
  /** Expected size in bytes, when known (a descriptor's size). */
  size?: number | undefined;
  /** What is being read, for error messages ("blob sha256:… of repo"). */
  what: string;
  /**
   * false: count and check the size, but do not hash again, because the bytes come from a stream
   * that already verifies them against `digest` (a store's blob stream): one hash per byte.
   */
  hash?: boolean | undefined;
}

export class VerifyingStream extends Transform {
  private readonly hash: Hash | undefined;
  private readonly options: VerifyOptions;
  private readonly algorithm: string;
  bytes = 0;
  /** The digest of what passed through, available once the stream has ended. */
  digest: string | undefined;

  constructor(options: VerifyOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.options = options;
    this.algorithm = options.digest ? parseDigest(options.digest).algorithm : 'sha256';
    this.hash = options.hash === false && options.digest ? undefined : createHash(this.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const { size } = this.options;
    if (size !== undefined && this.bytes > size) {
      done(
        new InvalidContentError(`${this.options.what} is longer than its descriptor says (${size} bytes)`),
      );
      return;
    }
    this.hash?.update(chunk);
    blobBytesPassed(chunk.length);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { size, digest, what } = this.options;
    if (size !== undefined && this.bytes !== size) {
      done(new InvalidContentError(`${what} is truncated: got ${this.bytes} of ${size} bytes`));
      return;
    }
    // Unhashed, the digest is the expected one: the stream feeding this one checked it.
    this.digest = this.hash ? `${this.algorithm}:${this.hash.digest('hex')}` : digest;
    if (digest !== undefined && this.digest !== digest) {
      done(new DigestMismatchError(what, digest, this.digest));
      return;
    }
    done();
  }
}

/** The same checks as VerifyingStream, for bytes already in memory (manifests, configs). */
export function verifyBytes(
  bytes: Uint8Array,
  expected: { digest: string; size?: number | undefined },
  what: string,
): void {
  if (expected.size !== undefined && bytes.length !== expected.size) {
    throw new InvalidContentError(`${what} is ${bytes.length} bytes, its descriptor says ${expected.size}`);
  }
  const { algorithm } = parseDigest(expected.digest);
  const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
  if (actual !== expected.digest) throw new DigestMismatchError(what, expected.digest, actual);
}
