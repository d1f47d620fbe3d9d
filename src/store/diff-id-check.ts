/**
 * Checks a compressed layer (gzip or zstd, util/decompress.ts) against its diff_id while it streams. An image config names each layer
 * by the digest of its uncompressed tar (image-spec config.md `rootfs.diff_ids`; the docker-archive
 * format ties manifest.json's Layers to them in order), and `docker load` refuses a layer whose
 * content does not match. A docker-archive's gzip'd layer is pushed as stored, so its own digest
 * says nothing about what it unpacks to: without this, an archive whose config claims other
 * layers than it carries would be pushed as a good image.
 *
 * A pass-through Transform: the compressed bytes flow on unchanged, and a decompressor on the side
 * hashes what they unpack to. The verdict comes at the end: DigestMismatchError when the
 * uncompressed digest is not the diff_id, InvalidContentError when the bytes do not decompress. Placed
 * after the VerifyingStream that checks the blob's own digest, so a blob that lies about that is
 * reported as such (a damaged gzip would otherwise surface first, as a decompression error).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { parseDigest } from '../digest/index.js';
import { DigestMismatchError } from '../errors.js';
import { Decompressor } from '../util/decompress.js';

export class DiffIdCheck extends Transform {
  private readonly unpack: Decompressor;
  private readonly hash: Hash;
  private readonly algorithm: string;
  private failure: Error | undefined;
  private readonly unpacked: Promise<void>;

  constructor(
    private readonly diffId: string,
    private readonly what: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.unpack = new Decompressor(what);
    this.algorithm = parseDigest(diffId).algorithm;
    this.hash = createHash(this.algorithm);
    this.unpack.on('data', (chunk: Buffer) => this.hash.update(chunk));
    this.unpacked = new Promise((resolve) => {
      this.unpack.once('end', resolve);
      this.unpack.on('error', (err) => {
        this.failure ??= err;
        resolve();
      });
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // After a decompression error the bytes still flow: the verdict waits for the end (see above).
    if (this.failure !== undefined || this.unpack.write(chunk)) {
      done(null, chunk);
      return;
    }
    const resume = (): void => {
      this.unpack.off('drain', resume);
      this.unpack.off('error', resume);
      done(null, chunk);
    };
    this.unpack.on('drain', resume);
    this.unpack.on('error', resume);
  }

  override _flush(done: TransformCallback): void {
    if (this.failure === undefined) this.unpack.end();
    void this.unpacked.then(() => {
      if (this.failure !== undefined) {
        done(this.failure);
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
    this.unpack.destroy();
    callback(err);
  }
}
