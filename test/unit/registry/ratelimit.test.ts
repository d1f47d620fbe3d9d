// Docker Hub's rate-limit headers, as captured from its answers, and the variants the IETF drafts
// allow. A parser table, no server: the command test covers the HEAD itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRateLimit } from '../../../src/registry/ratelimit.js';

test("Docker Hub's headers", () => {
  const r = parseRateLimit({
    'ratelimit-limit': '100;w=21600',
    'ratelimit-remaining': '76;w=21600',
    'docker-ratelimit-source': '203.0.113.7',
  });
  assert.deepEqual(r, {
    limit: 100,
    remaining: 76,
    windowSeconds: 21600,
    resetSeconds: null,
    source: '203.0.113.7',
    present: true,
    malformed: [],
  });
});

test('draft-00 policy lists, a reset, spaces', () => {
  const r = parseRateLimit({
    'ratelimit-limit': '200, 200;w=21600, 10;w=60',
    'ratelimit-remaining': ' 0 ',
    'ratelimit-reset': '3600',
  });
  assert.equal(r.limit, 200);
  assert.equal(r.remaining, 0);
  assert.equal(r.windowSeconds, 21600);
  assert.equal(r.resetSeconds, 3600);
  assert.equal(r.source, null);
});

test('no headers: all null, not present', () => {
  const r = parseRateLimit({ 'content-type': 'application/json' });
  assert.equal(r.present, false);
  assert.deepEqual(
    [r.limit, r.remaining, r.windowSeconds, r.resetSeconds, r.source],
    [null, null, null, null, null],
  );
});

test('unreadable values are null and named', () => {
  const r = parseRateLimit({ 'ratelimit-limit': 'lots', 'ratelimit-remaining': '-1' });
  assert.equal(r.present, true);
  assert.deepEqual(r.malformed, ['RateLimit-Limit', 'RateLimit-Remaining']);
});
