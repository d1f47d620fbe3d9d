// The header reader's lexical pieces (RFC 9110 §5.6) and its step count, which the property tests
// of both header parsers use as their measure of linear time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeaderReader } from '../../../src/util/header-reader.js';

describe('HeaderReader', () => {
  test('token, whitespace, quoted-string with quoted-pairs, bare values', () => {
    const r = new HeaderReader('Bearer \t realm="a\\"b\\\\c" , type=text/html;x');
    assert.equal(r.token(), 'Bearer');
    assert.equal(r.skipSpace(), 3);
    assert.equal(r.token(), 'realm');
    r.pos++;
    assert.equal(r.quoted(), 'a"b\\c');
    r.skipSeparators();
    assert.equal(r.token(), 'type');
    r.pos++;
    assert.equal(r.bare(';'), 'text/html');
    assert.equal(r.peek(), ';');
  });

  test('an unterminated quoted-string runs to the end; skipToComma passes commas inside quotes', () => {
    assert.equal(new HeaderReader('"abc').quoted(), 'abc');
    const r = new HeaderReader('x"a,b",next');
    r.skipToComma();
    assert.equal(r.text.slice(r.pos), ',next');
  });

  test('steps: one per character looked at', () => {
    const r = new HeaderReader('abc def');
    r.token();
    // a, b, c, then the space that ends the token.
    assert.equal(r.steps, 4);
  });

  test('find() counts the characters it passes, and never scans the same stretch twice', () => {
    const text = `${'<,'.repeat(1000)}>`;
    const r = new HeaderReader(text);
    assert.equal(r.find('>'), text.length - 1);
    assert.equal(r.steps, text.length);
    r.pos = 500;
    assert.equal(r.find('>'), text.length - 1);
    assert.equal(r.steps, text.length, 'answered from the memo');
    const none = new HeaderReader('<'.repeat(1000));
    for (let i = 0; i < 1000; i++) assert.equal(none.find('>', i), -1);
    assert.equal(none.steps, 1000);
  });

  test('the count exposes a quadratic parser: rescanning the rest once per element', () => {
    // What a header parser must not do, written on purpose: look for '>' from every '<' afresh.
    const text = '<,'.repeat(2000);
    const r = new HeaderReader(text);
    for (let i = 0; i < text.length; i += 2) {
      r.pos = i;
      while (!r.done && r.peek() !== '>') r.pos++;
    }
    assert.ok(r.steps > 500 * text.length, `${r.steps} steps for ${text.length} characters`);
  });
});
