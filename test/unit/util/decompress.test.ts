// Layer decompression by sniffing: gzip, zstd (multi-frame, skippable frames as zstd:chunked
// writes them) and plain tars read alike; damaged streams fail with E_INVALID_CONTENT. The zstd
// streams are made by the real `zstd` CLI, so the decoder is checked against the reference encoder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Decompressor, sniffCompression } from '../../../src/util/decompress.js';
import { pseudoRandomBytes } from '../../harness/images.js';

const zstd = (data: Buffer, ...args: string[]): Buffer =>
  execFileSync('zstd', ['-q', '-c', ...args], { input: data });

/** A zstd skippable frame (magic 0x184D2A50..5F) holding `payload`. */
function skippable(payload: Buffer, nibble = 0): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50 + nibble, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Feeds `data` in chunks of `size` bytes through a Decompressor. */
function decompress(data: Buffer, size = 997): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return buffer(Readable.from(chunks).pipe(new Decompressor('test layer')));
}

describe('Decompressor', () => {
  const text = Buffer.from('a layer tar would be here; '.repeat(2000));
  const random = pseudoRandomBytes('decompress', 300_000);

  test('sniffs gzip, zstd (and a leading skippable frame) and plain data', () => {
    assert.equal(sniffCompression(gzipSync(text)), 'gzip');
    assert.equal(sniffCompression(zstd(text)), 'zstd');
    assert.equal(sniffCompression(skippable(Buffer.from('x'), 0xe)), 'zstd');
    assert.equal(sniffCompression(text), 'none');
  });

  for (const [name, data] of [
    ['text', text],
    ['random', random],
  ] as const) {
    test(`${name}: gzip, zstd and plain give back the bytes, in any chunking`, async () => {
      assert.ok((await decompress(gzipSync(data))).equals(data));
      assert.ok((await decompress(zstd(data, '-19'))).equals(data));
      assert.ok((await decompress(zstd(data), 65536)).equals(data));
      assert.ok((await decompress(data)).equals(data));
      const head = data.subarray(0, 3000);
      assert.ok((await decompress(head, 3)).equals(head));
    });
  }

  test('zstd: several frames and skippable frames (zstd:chunked) decode as one stream', async () => {
    const a = random.subarray(0, 100_000);
    const b = random.subarray(100_000);
    const stream = Buffer.concat([
      zstd(a),
      skippable(Buffer.from('table of contents')),
      zstd(b),
      skippable(Buffer.alloc(64), 5),
    ]);
    assert.ok((await decompress(stream, 1000)).equals(random));
  });

  test('zstd: a stream that expands a thousandfold decodes with flat memory', async () => {
    // 256 MiB of zeros is a few KiB of RLE blocks: fed whole to the decoder it would be in memory
    // at once (256 MiB of buffers). Read through a consumer slower than the decoder, what is held
    // stays near the streams' high-water marks plus what the collector has not yet freed.
    const out = 256 * 1024 * 1024;
    const bomb = execFileSync('sh', ['-c', `head -c ${out} /dev/zero | zstd -q -c`]);
    assert.ok(bomb.length < 64 * 1024, `the zstd CLI wrote ${bomb.length} bytes`);
    const decompressor = new Decompressor('test layer');
    let total = 0;
    const before = process.memoryUsage().arrayBuffers;
    let peakArrayBuffers = 0;
    Readable.from([bomb]).pipe(decompressor);
    for await (const chunk of decompressor) {
      total += (chunk as Buffer).length;
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - before);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(total, out);
    assert.ok(peakArrayBuffers < 128 * 1024 * 1024, `${peakArrayBuffers} bytes of buffers at the peak`);
  });

  test('an empty stream is an empty tar', async () => {
    assert.equal((await decompress(Buffer.alloc(0))).length, 0);
  });

  for (const [name, damaged] of [
    ['truncated gzip', gzipSync(random).subarray(0, 5000)],
    ['truncated zstd', zstd(random).subarray(0, 5000)],
    ['corrupt zstd', Buffer.concat([zstd(text).subarray(0, 20), Buffer.alloc(200, 0xff)])],
  ] as const) {
    test(`${name}: fails with E_INVALID_CONTENT`, async () => {
      await assert.rejects(decompress(damaged), (err: { code?: string }) => {
        assert.equal(err.code, 'E_INVALID_CONTENT');
        return true;
      });
    });
  }
});
