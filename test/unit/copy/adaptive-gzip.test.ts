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
