import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, TlsError } from '../../../src/errors.js';
import { PlainHttpServerError, parseDiagnostics, transportError } from '../../../src/http/errors.js';

describe('parseDiagnostics', () => {
  test('distribution JSON envelope', () => {
    const body =
      '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nosuchtag"}}]}';
    assert.deepEqual(parseDiagnostics(body), [
      { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nosuchtag' } },
    ]);
  });
  test('several errors', () => {
    const d = parseDiagnostics('{"errors":[{"code":"A","message":"a"},{"code":"B"}]}');
    assert.deepEqual(
      d.map((x) => x.code),
      ['A', 'B'],
    );
  });
  test('plain text (Distribution router 404)', () => {
    assert.deepEqual(parseDiagnostics('404 page not found\n'), [
      { code: 'UNKNOWN', message: '404 page not found' },
    ]);
  });
  test('empty body (HEAD)', () => assert.deepEqual(parseDiagnostics(''), []));
  test('JSON without errors[] is treated as text', () => {
    assert.equal(parseDiagnostics('{"message":"x"}')[0]?.code, 'UNKNOWN');
  });
});

describe('transportError', () => {
  const url = new URL('https://reg.example:5000/v2/');
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  const cases: [Error, new (...a: never[]) => Error, RegExp][] = [
    [err('ECONNREFUSED'), NetworkError, /connection refused/],
    [err('ENOTFOUND'), NetworkError, /cannot resolve reg\.example/],
    [err('UND_ERR_BODY_TIMEOUT'), NetworkError, /idle timeout/],
    [err('ECONNRESET'), NetworkError, /reset/],
    [
      err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      TlsError,
      /TLS verification/,
    ],
    [
      err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      TlsError,
      /TLS verification/,
    ],
    [err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), PlainHttpServerError, /plain HTTP/],
  ];
  for (const [input, cls, message] of cases) {
    test(`${(input as { code?: string }).code}`, () => {
      const mapped = transportError(input, url);
      assert.ok(mapped instanceof cls, `${mapped.constructor.name} is not ${cls.name}`);
      assert.match(mapped.message, message);
    });
  }
  test('plain-HTTP hint names the registry', () => {
    const mapped = transportError(err('ERR_SSL_WRONG_VERSION_NUMBER'), url) as PlainHttpServerError;
    assert.equal(mapped.hint, 'if the registry really serves plain HTTP, use --plain-http reg.example:5000');
  });
});
