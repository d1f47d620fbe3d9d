import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { digestOf, isDigest, parseDigest, VerifyingStream, verifyBytes } from '../../../src/digest/index.js';

const data = Buffer.from('hello, registry');
const good = `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function run(chunks: Buffer[], options: ConstructorParameters<typeof VerifyingStream>[0]) {
  const v = new VerifyingStream(options);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), v, async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  return { v, out: Buffer.concat(out) };
}

describe('digest', () => {
  test('digestOf / isDigest / parseDigest', () => {
    assert.equal(digestOf(data), good);
    assert.ok(isDigest(good));
    assert.ok(!isDigest('sha256:ABC'));
    assert.ok(!isDigest(`md5:${'a'.repeat(32)}`));
    assert.ok(isDigest(`sha512:${'a'.repeat(128)}`));
    assert.throws(() => parseDigest('sha256:12'), { code: 'E_INVALID_CONTENT' });
  });

  test('passes bytes through and computes the digest', async () => {
    const { v, out } = await run([data.subarray(0, 5), data.subarray(5)], {
      digest: good,
      size: data.length,
      what: 'blob',
    });
    assert.deepEqual(out, data);
    assert.equal(v.digest, good);
    assert.equal(v.bytes, data.length);
  });

  test('wrong digest fails with both digests named', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(run([data], { digest: wrong, what: 'blob x' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'E_DIGEST_MISMATCH');
      assert.match(err.message, new RegExp(`expected ${wrong}, got ${good}`));
      return true;
    });
  });

  test('short and long bodies fail', async () => {
    await assert.rejects(run([data], { digest: good, size: data.length + 1, what: 'blob' }), /truncated/);
    await assert.rejects(run([data], { digest: good, size: data.length - 1, what: 'blob' }), /longer than/);
  });

  test('hash: false counts and checks the size, and trusts the expected digest', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const v = new VerifyingStream({ digest: wrong, size: data.length, what: 'blob', hash: false });
    await pipeline(Readable.from([data]), v, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source);
    });
    assert.equal(v.digest, wrong, 'the upstream stream vouches for the digest');
    await assert.rejects(
      run([data], { digest: good, size: data.length + 1, what: 'blob', hash: false }),
      /truncated/,
    );
    // Without an expected digest there is nothing to trust: it hashes.
    const computed = new VerifyingStream({ what: 'blob', hash: false });
    await pipeline(Readable.from([data]), computed, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source);
    });
    assert.equal(computed.digest, good);
  });

  test('verifyBytes', () => {
    verifyBytes(data, { digest: good, size: data.length }, 'config');
    assert.throws(() => verifyBytes(Buffer.from('x'), { digest: good }, 'config'), {
      code: 'E_DIGEST_MISMATCH',
    });
    assert.throws(() => verifyBytes(data, { digest: good, size: 3 }, 'config'), {
      code: 'E_INVALID_CONTENT',
    });
  });
});
