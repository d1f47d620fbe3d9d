/**
 * Deterministic, incompressible image layers, generated as a stream so a 4 GiB layer never sits
 * in memory (test/harness/images.ts builds layers in a Buffer, fine for tests, not for this).
 *
 * A layer is a real ustar tar (a directory `ferry/` and one file `ferry/layer-<i>.bin`, mtime
 * 2024-01-01, uid/gid 0) whose file holds AES-256-CTR keystream bytes keyed by a label, gzip'd
 * at level 0 (stored deflate blocks: still valid gzip, but no CPU spent compressing random data,
 * as shared/lab/LAB.md's make-image did). Same label and size → same bytes → same digests.
 */
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';

const CHUNK = 1024 * 1024;
const MTIME = Date.UTC(2024, 0, 1) / 1000;

export interface LayerDigests {
  /** sha256 of the gzip'd blob (the manifest's layer digest). */
  digest: string;
  /** Blob size in bytes. */
  size: number;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
}

/** A 512-byte ustar header; sizes up to 8 GiB − 1 fit its 11 octal digits. */
function tarHeader(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const h = Buffer.alloc(512);
  const octal = (value: number, offset: number, length: number): void => {
    h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
  };
  h.write(name, 0, 100, 'utf8');
  octal(mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(MTIME, 136, 12);
  h.fill(' ', 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** The uncompressed tar, chunk by chunk: headers, keystream payload, padding, end blocks. */
async function* tarBytes(label: string, index: number, payloadSize: number): AsyncGenerator<Buffer> {
  yield tarHeader('ferry/', 0, '5', 0o755);
  yield tarHeader(`ferry/layer-${index}.bin`, payloadSize, '0', 0o644);
  const key = createHash('sha256').update(`ferry-bench/${label}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = payloadSize; left > 0; left -= CHUNK) {
    yield cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left));
  }
  const padding = (512 - (payloadSize % 512)) % 512;
  yield Buffer.alloc(padding + 1024);
}

/** Hashes and counts what passes through. */
class Tap extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor() {
    super({ highWaterMark: CHUNK });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

export interface LayerStream {
  /** The gzip'd blob bytes; read it to the end. */
  stream: Readable;
  /** Settles once `stream` has ended. */
  digests: Promise<LayerDigests>;
}

/** One layer: `payloadSize` keystream bytes under `label`, as a gzip'd tar stream. */
export function layerStream(label: string, index: number, payloadSize: number): LayerStream {
  const raw = new Tap();
  const blob = new Tap();
  const gzip = createGzip({ level: 0 });
  // Errors travel down to `blob`, which the consumer reads.
  Readable.from(tarBytes(label, index, payloadSize), { highWaterMark: CHUNK, objectMode: false })
    .on('error', (err) => raw.destroy(err))
    .pipe(raw)
    .on('error', (err) => gzip.destroy(err))
    .pipe(gzip)
    .on('error', (err) => blob.destroy(err))
    .pipe(blob);
  const digests = new Promise<LayerDigests>((resolve, reject) => {
    blob.once('end', () =>
      resolve({
        digest: `sha256:${blob.hash.digest('hex')}`,
        size: blob.bytes,
        diffId: `sha256:${raw.hash.digest('hex')}`,
      }),
    );
    blob.once('error', reject);
  });
  // A rejection nobody awaited yet must not crash the process; the stream error reaches the reader.
  digests.catch(() => {});
  return { stream: blob, digests };
}
