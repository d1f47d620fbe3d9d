/**
 * A layer's tar, gzip'd into a temp file, with the two digests an image needs: the blob's (the
 * manifest's layer descriptor) and the uncompressed tar's (the config's diff_id). Both are
 * computed in the one pass that writes the file.
 *
 * The gzip level is fixed (zlib's default, 6), never chosen from the data or the machine's speed
 * (unlike copy/adaptive-gzip.ts), Node's gzip header carries no time or name, and its OS byte is
 * pinned (util/gzip-os.ts), so the same tar gives the same blob on every run and every system with
 * the same zlib.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { FerryError, LocalError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { GzipOsPin } from '../util/gzip-os.js';

export interface LayerFile {
  descriptor: Descriptor;
  diffId: string;
  file: string;
}

const GZIP_LEVEL = 6;

/** Hashes and counts what flows through, unchanged. */
class Hashing extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err: null, chunk: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Writes `tar` gzip'd to `dir/name` and returns the layer's descriptor (of `mediaType`) and diff_id. */
export async function writeLayerFile(
  tar: Readable,
  dir: string,
  name: string,
  mediaType: string,
): Promise<LayerFile> {
  const file = join(dir, name);
  const uncompressed = new Hashing();
  const compressed = new Hashing();
  try {
    const osPin = new GzipOsPin();
    const pinned = new Transform({ transform: (chunk: Buffer, _enc, next) => next(null, osPin.pin(chunk)) });
    await pipeline(
      tar,
      uncompressed,
      createGzip({ level: GZIP_LEVEL }),
      pinned,
      compressed,
      createWriteStream(file),
    );
  } catch (err) {
    if (err instanceof FerryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new LocalError(`cannot build a layer in ${file}: ${code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  return {
    descriptor: { mediaType, digest: compressed.digest(), size: compressed.bytes },
    diffId: uncompressed.digest(),
    file,
  };
}
