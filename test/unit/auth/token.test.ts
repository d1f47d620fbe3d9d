// The token exchange reads the realm's answer bounded: the realm is whatever server the
// registry's challenge names, and one that streams without end must not fill memory.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { fetchToken, type TokenHttpRequest } from '../../../src/auth/token.js';

const challenge = { scheme: 'bearer', params: { realm: 'https://auth.example.test/token', service: 'reg' } };

function answer(body: Readable) {
  const sent: TokenHttpRequest[] = [];
  const send = async (request: TokenHttpRequest) => {
    sent.push(request);
    return { status: 200, body };
  };
  return { send, sent };
}

test('an endless token answer is cut at 1 MiB with E_INVALID_CONTENT', async () => {
  let produced = 0;
  const endless = new Readable({
    read() {
      produced += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, 0x20));
    },
  });
  const { send } = answer(endless);
  await assert.rejects(
    fetchToken(send, challenge, { kind: 'anonymous' }, ['repository:a:pull'], 'reg.example.test', 0),
    (err: { code?: string; message: string }) => {
      assert.equal(err.code, 'E_INVALID_CONTENT');
      assert.match(err.message, /token server response is over the 1048576-byte limit/);
      return true;
    },
  );
  assert.ok(produced < 4 * 1024 * 1024, `${produced} bytes were read`);
  assert.ok(endless.destroyed);
});

test('a token answer within the limit gives its token', async () => {
  const { send, sent } = answer(
    Readable.from([Buffer.from(JSON.stringify({ token: 'abc', expires_in: 300 }))]),
  );
  const token = await fetchToken(
    send,
    challenge,
    { kind: 'anonymous' },
    ['repository:a:pull'],
    'reg.example.test',
    0,
  );
  assert.equal(token.value, 'abc');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.url.searchParams.get('scope'), 'repository:a:pull');
});
