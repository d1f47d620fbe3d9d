// The gzip header's OS byte (RFC 1952 §2.3) is pinned to 3 whatever zlib wrote, in whatever
// chunking the stream arrives, and the stream still inflates to the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GzipOsPin } from '../../../src/util/gzip-os.js';

test('a gzip stream written on macOS (OS 19) or Windows (OS 10) comes out as Unix (3)', () => {
  const data = Buffer.from('the same layer on every system\n'.repeat(100));
  for (const os of [19, 10, 3, 255]) {
    const written = gzipSync(data);
    written[9] = os; // what zlib built for that system writes
    for (const size of [1, 3, 9, 10, 11, 64, written.length]) {
      const pin = new GzipOsPin();
      const chunks: Buffer[] = [];
      for (let i = 0; i < written.length; i += size)
        chunks.push(pin.pin(Buffer.from(written.subarray(i, i + size))));
      const out = Buffer.concat(chunks);
      assert.equal(out[9], 3, `OS ${os}, chunks of ${size}`);
      assert.ok(out.subarray(10).equals(written.subarray(10)), 'nothing else changes');
      assert.ok(gunzipSync(out).equals(data));
    }
  }
});
