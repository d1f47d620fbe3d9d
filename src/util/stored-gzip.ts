/**
 * A gzip stream (RFC 1952) of stored deflate blocks (RFC 1951 §3.2.4, BTYPE 00): data that does
 * not compress, framed as gzip, written here rather than by zlib at level 0.
 *
 * zlib's stored output depends on how its input arrives and how its output is drained: it cuts
 * blocks where `avail_in`/`avail_out` run out, so the same layer written in other pieces, or read
 * out through another buffer size, is another blob with another digest. Here every block holds
 * exactly BLOCK bytes (the last one fewer), so the bytes depend on the data alone. It is also the
 * cheaper path: a copy and a CRC-32 per byte, no deflate call per 16 KiB.
 *
 * The header is the one zlib writes at level 0, with the OS byte pinned as in gzip-os.ts:
 * 1f 8b 08, no flags, MTIME 0, XFL 4 (fastest), OS 3.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { OS_UNIX } from './gzip-os.js';

/** The largest stored block: LEN is 16 bits. */
const BLOCK = 65_535;
const BLOCK_HEADER = 5;
const HEADER = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x04, OS_UNIX];

class StoredGzip extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private crc = 0;
  /** The input's length modulo 2^32 (ISIZE). */
  private size = 0;
  private started = false;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  private header(): void {
    if (this.started) return;
    this.started = true;
    this.push(Buffer.from(HEADER));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.header();
    this.crc = crc32(chunk, this.crc);
    this.size = (this.size + chunk.length) % 2 ** 32;
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= BLOCK) this.push(this.blocks(false));
    done();
  }

  override _flush(done: TransformCallback): void {
    this.header();
    const last = this.blocks(true);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size, 4);
    this.push(Buffer.concat([last, trailer]));
    done();
  }

  /**
   * The held data as whole blocks, the rest kept; with `final`, everything, the last block marked
   * final (an empty one when the data ended on a block's edge, or there was none).
   */
  private blocks(final: boolean): Buffer {
    const data = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    const whole = Math.floor(data.length / BLOCK);
    const rest = data.length - whole * BLOCK;
    const count = final ? whole + 1 : whole;
    const out = Buffer.allocUnsafe(count * BLOCK_HEADER + (final ? data.length : whole * BLOCK));
    let at = 0;
    for (let i = 0; i < count; i++) {
      const start = i * BLOCK;
      const length = Math.min(BLOCK, data.length - start);
      // BFINAL in bit 0, BTYPE 00, then padding to the byte's end; LEN and its complement NLEN.
      out[at] = final && i === count - 1 ? 1 : 0;
      out.writeUInt16LE(length, at + 1);
      out.writeUInt16LE(~length & 0xffff, at + 3);
      at += BLOCK_HEADER;
      at += data.copy(out, at, start, start + length);
    }
    this.held = !final && rest > 0 ? [data.subarray(whole * BLOCK)] : [];
    this.heldBytes = final ? 0 : rest;
    return out;
  }
}

export function storedGzip(): Transform {
  return new StoredGzip();
}
