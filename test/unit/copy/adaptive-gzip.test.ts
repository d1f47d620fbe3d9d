// The layer gzip used when pushing uncompressed layers: whatever level it picks, the output must
// gunzip to exactly the input; incompressible data is stored (level 0), text is compressed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { adaptiveGzip, levelFor } from '../../../src/copy/adaptive-gzip.js';

async function gzipThrough(
  chunks: Buffer[],
  slowReader = false,
): Promise<{ out: Buffer; level: 0 | 1 | undefined }> {
  const gzip = adaptiveGzip();
  const parts: Buffer[] = [];
  await pipeline(Readable.from(chunks), gzip, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) {
      parts.push(part);
      if (slowReader) await new Promise((r) => setImmediate(r));
    }
  });
  return { out: Buffer.concat(parts), level: gzip.level };
}

const text = Buffer.from('FROM scratch\nCOPY ./app /usr/local/bin/app\n'.repeat(60_000));

test('incompressible data is stored, compressible data compressed, both round-trip', async () => {
  const random = randomBytes(3 * 1024 * 1024 + 17);
  const stored = await gzipThrough([random.subarray(0, 1000), random.subarray(1000)]);
  assert.equal(stored.level, 0);
  assert.ok(stored.out.length >= random.length, 'stored blocks do not shrink');
  assert.deepEqual(gunzipSync(stored.out), random);

  const compressed = await gzipThrough([text]);
  assert.equal(compressed.level, 1);
  assert.ok(compressed.out.length < text.length / 10);
  assert.deepEqual(gunzipSync(compressed.out), text);
});

test('inputs shorter than the sample, empty input, and a slow reader', async () => {
  const small = Buffer.from('a small layer');
  assert.deepEqual(gunzipSync((await gzipThrough([small])).out), small);
  assert.deepEqual(gunzipSync((await gzipThrough([])).out), Buffer.alloc(0));
  const many = Array.from({ length: 200 }, (_, i) => randomBytes(64 * 1024 + i));
  const slow = await gzipThrough(many, true);
  assert.deepEqual(gunzipSync(slow.out), Buffer.concat(many));
});

test('levelFor: the sample decides', () => {
  assert.equal(levelFor(randomBytes(1024 * 1024)), 0);
  assert.equal(levelFor(text.subarray(0, 1024 * 1024)), 1);
  assert.equal(levelFor(Buffer.alloc(0)), 1);
});

test('the same data gives the same bytes however it is cut into pieces, at either level', async () => {
  // zlib's level 0 cut its stored blocks where its buffers ran out: the same layer read in other
  // pieces was another blob. Stored gzip here depends on the data alone.
  const data = Buffer.concat([randomBytes(2 * 1024 * 1024), text, randomBytes(65_535 * 3)]);
  const cuts = [[data.length], [1000, 64 * 1024, 16_384], [12_345], [1024 * 1024, 65_535]];
  const split = (sizes: number[]): Buffer[] => {
    const parts: Buffer[] = [];
    for (let at = 0, i = 0; at < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      parts.push(data.subarray(at, at + size));
      at += size;
    }
    return parts;
  };
  for (const sample of [data, text]) {
    const outs = new Set<string>();
    let level: number | undefined;
    for (const sizes of cuts) {
      const chunks = sample === data ? split(sizes) : [sample];
      const got = await gzipThrough(chunks, sizes.length > 1);
      level = got.level;
      assert.deepEqual(gunzipSync(got.out), sample);
      outs.add(got.out.toString('base64'));
    }
    assert.equal(outs.size, 1, `level ${level}: one output`);
  }
});

test('stored gzip: blocks of 65,535 bytes, the last one final, even when empty; zlib reads it', async () => {
  for (const size of [0, 1, 65_535, 65_536, 2 * 65_535, 1024 * 1024 + 3]) {
    const data = randomBytes(size);
    const out = (await gzipThrough([data])).out;
    // Level 0 (the sample does not compress, or there is none beyond the header).
    if (size >= 65_535) {
      const blocks = Math.floor(size / 65_535) + 1;
      assert.equal(out.length, 10 + blocks * 5 + size + 8, `${size} bytes: header, blocks, trailer`);
      assert.deepEqual([...out.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);
    }
    assert.deepEqual(gunzipSync(out), data);
  }
});
