/**
 * Checks a gzip'd layer against its diff_id while it streams. An image config names each layer
 * by the digest of its uncompressed tar (image-spec config.md `rootfs.diff_ids`; the docker-archive
 * format ties manifest.json's Layers to them in order), and `docker load` refuses a layer whose
 * content does not match. A docker-archive's gzip'd layer is pushed as stored, so its own digest
 * says nothing about what it unpacks to: without this, an archive whose config claims other
 * layers than it carries would be pushed as a good image.
 *
 * A pass-through Transform: the compressed bytes flow on unchanged, and a gunzip on the side
 * hashes what they unpack to. The verdict comes at the end: DigestMismatchError when the
 * uncompressed digest is not the diff_id, InvalidContentError when the bytes are not gzip. Placed
 * after the VerifyingStream that checks the blob's own digest, so a blob that lies about that is
 * reported as such (a damaged gzip would otherwise surface first, as a decompression error).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { parseDigest } from '../digest/index.js';
import { DigestMismatchError, InvalidContentError } from '../errors.js';

export class DiffIdCheck extends Transform {
  private readonly gunzip: Gunzip = createGunzip();
  private readonly hash: Hash;
  private readonly algorithm: string;
  private failure: Error | undefined;
  private readonly unpacked: Promise<void>;

  constructor(
    private readonly diffId: string,
    private readonly what: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.algorithm = parseDigest(diffId).algorithm;
    this.hash = createHash(this.algorithm);
    this.gunzip.on('data', (chunk: Buffer) => this.hash.update(chunk));
    this.unpacked = new Promise((resolve) => {
      this.gunzip.once('end', resolve);
      this.gunzip.on('error', (err) => {
        this.failure ??= err;
        resolve();
      });
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // After a gunzip error the bytes still flow: the verdict waits for the end (see above).
    if (this.failure !== undefined || this.gunzip.write(chunk)) {
      done(null, chunk);
      return;
    }
    const resume = (): void => {
      this.gunzip.off('drain', resume);
      this.gunzip.off('error', resume);
      done(null, chunk);
    };
    this.gunzip.on('drain', resume);
    this.gunzip.on('error', resume);
  }

  override _flush(done: TransformCallback): void {
    if (this.failure === undefined) this.gunzip.end();
    void this.unpacked.then(() => {
      if (this.failure !== undefined) {
        done(new InvalidContentError(`${this.what} is not a valid gzip stream: ${this.failure.message}`));
        return;
      }
      const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
      if (actual !== this.diffId) {
        done(new DigestMismatchError(`the uncompressed ${this.what} (its diff_id)`, this.diffId, actual));
        return;
      }
      done();
    });
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.gunzip.destroy();
    callback(err);
  }
}
