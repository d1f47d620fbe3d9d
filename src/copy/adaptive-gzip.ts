/**
 * gzip for layers compressed on the way (a docker-archive's uncompressed layers pushed to a
 * registry, as `docker push` does), at a level chosen from the data itself.
 *
 * Level 1 costs about 15 s of one core per GiB of data it cannot shrink (bench/RESULTS.md:
 * push of a 1 GiB incompressible layer took 5.7 times skopeo's time), while a layer of text and
 * binaries shrinks 2-3 times and is worth it. So the first MiB is deflated as a sample; if that
 * saves less than a tenth, the layer is stored (gzip framing around uncompressed blocks, a memory
 * copy: util/stored-gzip.ts, whose bytes depend on the data alone, where zlib's level 0 cut its
 * blocks where its buffers ran out), otherwise compressed at level 1. Either way the output is a
 * valid gzip stream whose digest is computed as it flows, with the header's OS byte pinned
 * (util/gzip-os.ts).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip, deflateRawSync } from 'node:zlib';
import { GzipOsPin } from '../util/gzip-os.js';
import { storedGzip } from '../util/stored-gzip.js';

const SAMPLE_BYTES = 1024 * 1024;
/**
 * zlib's output buffer at level 1. Its default, 16 KiB, hands the output over in many small pieces,
 * each hashed and written to the temp file on its own. Level 1's bytes are the same whatever the
 * buffer (checked: its output does not depend on how it is drained, unlike level 0's).
 */
const OUTPUT_CHUNK = 256 * 1024;
/** Compressed sample size over input size above which compression is not worth its CPU. */
const NOT_WORTH_IT = 0.9;

/** The gzip level for data that starts with `sample`: 1 when it compresses, 0 when it does not. */
export function levelFor(sample: Buffer): 0 | 1 {
  if (sample.length === 0) return 1;
  return deflateRawSync(sample, { level: 1 }).length / sample.length > NOT_WORTH_IT ? 0 : 1;
}

class AdaptiveGzip extends Transform {
  private gzip: Transform | undefined;
  /** Input held until the sample is complete and the level chosen. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  level: 0 | 1 | undefined;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  /** Chooses the level from what is held, starts the gzip stream, and returns the held bytes. */
  private start(): { gzip: Transform; held: Buffer } {
    const held = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.level = levelFor(held.subarray(0, SAMPLE_BYTES));
    const gzip = this.level === 0 ? storedGzip() : createGzip({ level: 1, chunkSize: OUTPUT_CHUNK });
    const osPin = new GzipOsPin();
    // Output follows the reader's pace: paused when push() says enough, resumed by _read.
    gzip.on('data', (chunk: Buffer) => {
      if (!this.push(osPin.pin(chunk))) gzip.pause();
    });
    gzip.on('error', (err) => this.destroy(err));
    this.gzip = gzip;
    return { gzip, held };
  }

  override _read(size: number): void {
    this.gzip?.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.gzip) {
      write(this.gzip, chunk, done);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < SAMPLE_BYTES) {
      done();
      return;
    }
    const { gzip, held } = this.start();
    write(gzip, held, done);
  }

  override _flush(done: TransformCallback): void {
    let gzip = this.gzip;
    if (!gzip) {
      const started = this.start();
      gzip = started.gzip;
      if (started.held.length > 0) gzip.write(started.held);
    }
    gzip.once('end', () => done());
    gzip.end();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.gzip?.destroy();
    callback(err);
  }
}

/** Writes into `gzip`, calling `done` once it can take more (its input backpressure). */
function write(gzip: Transform, bytes: Buffer, done: TransformCallback): void {
  if (gzip.write(bytes)) done();
  else gzip.once('drain', () => done());
}

export function adaptiveGzip(): Transform & { level: 0 | 1 | undefined } {
  return new AdaptiveGzip();
}
