import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED, redactHeaderValue, redactText, redactUrl } from '../../../src/http/redact.js';

const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';

describe('redact', () => {
  const headerCases: [string, string, string][] = [
    ['Authorization', 'Bearer abc.def', REDACTED],
    ['authorization', 'Basic YWxpY2U6czNjcmV0', REDACTED],
    ['Proxy-Authorization', 'Basic eA==', REDACTED],
    ['Cookie', 'session=1', REDACTED],
    ['Set-Cookie', 'session=1', REDACTED],
    ['accept', 'application/json', 'application/json'],
    [
      'www-authenticate',
      'Bearer realm="https://a/token",service="x"',
      'Bearer realm="https://a/token",service="x"',
    ],
  ];
  for (const [name, value, want] of headerCases) {
    test(`header ${name}: ${value}`, () => assert.equal(redactHeaderValue(name, value), want));
  }

  test('secrets in URLs', () => {
    assert.equal(redactUrl('https://u:p@h/x'), `https://${REDACTED}@h/x`);
    assert.equal(
      redactUrl('https://s3/blob?X-Amz-Signature=abc&x=1'),
      `https://s3/blob?X-Amz-Signature=${REDACTED}&x=1`,
    );
    assert.equal(redactUrl('https://h/token?access_token=zzz'), `https://h/token?access_token=${REDACTED}`);
  });

  test('secrets in text', () => {
    assert.equal(redactText(`got ${jwt} back`), `got ${REDACTED} back`);
    assert.equal(redactText('Authorization: Basic YWxpY2U6czNjcmV0'), `Authorization: Basic ${REDACTED}`);
    assert.equal(redactText('{"token":"abc","expires_in":300}'), `{"token":"${REDACTED}","expires_in":300}`);
    assert.equal(redactText('{"auth":"YWxpY2U6czNjcmV0"}'), `{"auth":"${REDACTED}"}`);
    assert.equal(redactText('nothing secret here'), 'nothing secret here');
  });
});
