// Blob bytes that have passed are collected as they go: every blob's path (a VerifyingStream)
// asks for a young-generation collection every 4 MiB, so dead Buffers do not wait for V8's young
// generation to fill with their small wrappers. What that does to peak RSS is the benchmark's to
// show (bench/PROFILE.md, "Memory": a 256 MiB copy peaks at 67 MiB instead of 97); here, that the
// collections happen, and that they are real collections (gc is reachable).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { VerifyingStream } from '../../../src/digest/verify.js';
import { youngCollections } from '../../../src/util/young-gc.js';

test('256 MiB through a verifying stream asks for a young collection every 4 MiB', async () => {
  const chunk = 64 * 1024;
  const count = 4096;
  const pattern = Buffer.alloc(chunk, 7);
  const expected = createHash('sha256');
  for (let i = 0; i < count; i++) expected.update(pattern);
  const digest = `sha256:${expected.digest('hex')}`;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < count; i++) yield Buffer.from(pattern); // a fresh Buffer, as a socket gives
    })(),
  );
  const verify = new VerifyingStream({ digest, size: chunk * count, what: 'test blob' });
  const before = youngCollections();
  let bytes = 0;
  for await (const piece of source.pipe(verify)) bytes += (piece as Buffer).length;
  assert.equal(bytes, chunk * count);
  assert.equal(verify.digest, digest);
  const made = youngCollections() - before;
  assert.ok(made >= 63 && made <= 64, `${made} collections for 256 MiB`);
});
