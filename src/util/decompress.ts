/**
 * A layer's tar out of its blob, whatever the compression: gzip, zstd or none, told by the first
 * bytes (the media type can lie, and Docker-typed zstd layers exist: next-features.md E2), so
 * whoever reads a layer's contents (export; a diff_id check) reads every kind the same way.
 *
 * zstd: always `fzstd`, on every Node. Node 20's zlib has no zstd, and the one that came
 * (experimental) in 22.15 / 23.8 was tried and dropped: on 22.23 it refuses a skippable frame
 * between frames ("Unknown frame descriptor", which zstd:chunked writes) and ends a truncated
 * stream without an error, so a cut layer would read as a short tar. One decoder also means one
 * behaviour on 20, 22 and 24. fzstd was chosen by measurement (see the commit that added it):
 * pure JavaScript, no install-time compile (zstd-napi builds with node-gyp; @mongodb-js/zstd fails
 * to install offline), streaming (zstddec's streaming decoder takes a
 * synchronous iterable only), reads multi-frame streams and skippable frames (zstd:chunked's table
 * of contents), and decodes at about 60-70 % of node:zlib's gunzip speed here.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { InvalidContentError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The compression `head` (a stream's first bytes, four or more) starts with. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (Buffer.from(head.subarray(0, 4)).equals(ZSTD_MAGIC)) return 'zstd';
  // A zstd stream may open with a skippable frame (magic 0x184D2A5?, little-endian).
  if (head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18 && ((head[0] ?? 0) & 0xf0) === 0x50)
    return 'zstd';
  return 'none';
}

/**
 * How much compressed input fzstd gets per call. fzstd decodes every whole block of a call at once
 * and hands them all over before it returns, and a block can grow a thousandfold: an RLE block is
 * 4 bytes for up to 128 KiB out (RFC 8878 §3.1.1.2), so one 64 KiB network chunk of them would be
 * 2 GiB in memory. Small slices with a pause when the reader is behind keep memory flat; a slice
 * that is not yet a whole block is only queued by fzstd, so the slicing costs little.
 */
const ZSTD_SLICE = 256;

/** A chunk being decoded slice by slice, and the callback that releases it. */
interface ZstdWork {
  chunk: Uint8Array;
  offset: number;
  final: boolean;
  done: TransformCallback;
}

/** zstd through fzstd, as a Transform that waits for its reader (see ZSTD_SLICE). */
class ZstdDecompress extends Transform {
  private work: ZstdWork | undefined;
  /** The readable side is over its high-water mark: decoding resumes in _read. */
  private full = false;
  private readonly decoder = new Decompress((chunk) => {
    if (!this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.full = true;
  });

  constructor(private readonly what: string) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.work = { chunk, offset: 0, final: false, done };
    this.decode();
  }

  override _flush(done: TransformCallback): void {
    this.work = { chunk: new Uint8Array(0), offset: 0, final: true, done };
    this.decode();
  }

  override _read(size: number): void {
    this.full = false;
    if (this.work) this.decode();
    else super._read(size);
  }

  private decode(): void {
    const work = this.work;
    if (!work) return;
    try {
      do {
        if (this.full) return;
        const end = Math.min(work.offset + ZSTD_SLICE, work.chunk.length);
        this.decoder.push(work.chunk.subarray(work.offset, end), work.final && end === work.chunk.length);
        work.offset = end;
      } while (work.offset < work.chunk.length);
    } catch (err) {
      this.work = undefined;
      work.done(
        new InvalidContentError(`${this.what} is not a valid zstd stream: ${(err as Error).message}`),
      );
      return;
    }
    this.work = undefined;
    work.done();
  }
}

function decompressor(kind: Compression, what: string): Transform {
  switch (kind) {
    case 'gzip':
      return zlib.createGunzip();
    case 'zstd':
      return new ZstdDecompress(what);
    case 'none':
      return new Transform({ transform: (chunk, _enc, done) => done(null, chunk) });
  }
}

/**
 * A Transform from a compressed (or plain) tar to the plain tar: waits for the first bytes, picks
 * the decoder, and feeds everything through it. A damaged stream fails with InvalidContentError
 * naming `what`.
 */
export class Decompressor extends Transform {
  private inner: Transform | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  /** The compression found, once the first bytes arrived. */
  kind: Compression | undefined;

  constructor(private readonly what: string) {
    super({ highWaterMark: 1024 * 1024 });
  }

  private start(): Transform {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.kind = sniffCompression(head);
    const inner = decompressor(this.kind, this.what);
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('error', (err: Error) => {
      this.destroy(
        err instanceof InvalidContentError
          ? err
          : new InvalidContentError(`${this.what} is not a valid ${this.kind} stream: ${err.message}`),
      );
    });
    this.inner = inner;
    if (head.length > 0) inner.write(head);
    return inner;
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.inner === undefined) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes < 4) {
        done();
        return;
      }
      this.start();
      done();
      return;
    }
    if (this.inner.write(chunk)) done();
    else this.inner.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    const inner = this.inner ?? this.start();
    inner.once('end', () => done());
    inner.end();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    callback(err);
  }
}
