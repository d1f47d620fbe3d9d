// config.json edits for login/logout: the contract is that every byte outside the edited `auths`
// member is unchanged, so each case states the exact text expected, including what
// JSON.parse + JSON.stringify would have changed (integer-like keys moving first, 1.50, big
// integers, \u escapes, duplicate keys, the user's own indentation).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withAuthEntry, withoutAuthEntries } from '../../../src/auth/config-edit.js';

const T = '\t';

describe('withAuthEntry', () => {
  test('no file: the docker layout (tabs, no trailing newline)', () => {
    const expected = `{\n${T}"auths": {\n${T}${T}"h:5000": {\n${T}${T}${T}"auth": "YTpi"\n${T}${T}}\n${T}}\n}`;
    assert.equal(withAuthEntry(undefined, 'h:5000', { auth: 'YTpi' }), expected);
    assert.equal(withAuthEntry('  \n', 'h:5000', { auth: 'YTpi' }), expected);
    assert.equal(withAuthEntry('{}', 'h:5000', { auth: 'YTpi' }), expected);
    assert.deepEqual(JSON.parse(expected), { auths: { 'h:5000': { auth: 'YTpi' } } });
  });

  test('appends after the last entry, indented like it; every other byte kept', () => {
    const before = [
      '{',
      '    "zeta": 12345678901234567890,',
      '    "1": "integer-like key, stays second",',
      '    "auths": {',
      '        "other.example": {',
      '            "auth": "b3RoZXI6cHc=",',
      '            "email": "caf\\u00e9@example"',
      '        }',
      '    },',
      '    "price": 1.50,',
      '    "HttpHeaders": {"X-Meta": "kept as written"}',
      '}',
      '',
    ].join('\n');
    const after = withAuthEntry(before, 'h:5000', { auth: 'YTpi' });
    const inserted = ',\n        "h:5000": {\n            "auth": "YTpi"\n        }';
    const at = before.indexOf('\n    },');
    assert.equal(after, before.slice(0, at) + inserted + before.slice(at));
  });

  test('replaces an existing entry in place (its other fields go, as with docker)', () => {
    const before =
      '{\n  "auths": {\n    "h:5000": {\n      "auth": "b2xk",\n      "identitytoken": "old"\n    },\n    "x": {}\n  },\n  "credsStore": ""\n}\n';
    const after = withAuthEntry(before, 'h:5000', { auth: 'bmV3' });
    assert.equal(
      after,
      '{\n  "auths": {\n    "h:5000": {\n      "auth": "bmV3"\n    },\n    "x": {}\n  },\n  "credsStore": ""\n}\n',
    );
  });

  test("adds `auths` when missing, and fills an empty one, at the file's indentation", () => {
    assert.equal(
      withAuthEntry('{\n  "credHelpers": {"gcr.io": "gcloud"}\n}\n', 'h', { auth: 'YQ==' }),
      '{\n  "credHelpers": {"gcr.io": "gcloud"},\n  "auths": {\n    "h": {\n      "auth": "YQ=="\n    }\n  }\n}\n',
    );
    assert.equal(
      withAuthEntry('{\n\t"auths": {},\n\t"psFormat": "table"\n}', 'h', { auth: 'YQ==' }),
      '{\n\t"auths": {\n\t\t"h": {\n\t\t\t"auth": "YQ=="\n\t\t}\n\t},\n\t"psFormat": "table"\n}',
    );
    assert.equal(
      withAuthEntry('{"auths": null, "a": 1}', 'h', { auth: 'YQ==' }),
      '{"auths": {"h":{"auth":"YQ=="}}, "a": 1}',
    );
  });

  test('a minified file stays minified', () => {
    assert.equal(
      withAuthEntry('{"auths":{"a":{"auth":"eA=="}},"b":[1,{"c":"}"}]}', 'h', { auth: 'YQ==' }),
      '{"auths":{"a":{"auth":"eA=="},"h":{"auth":"YQ=="}},"b":[1,{"c":"}"}]}',
    );
  });

  test('a byte order mark and duplicate keys: the last duplicate is the one replaced, the others go', () => {
    const before = '\uFEFF{"auths": {"h": {"auth": "MQ=="}, "k": {}, "h": {"auth": "Mg=="}}}';
    assert.equal(
      withAuthEntry(before, 'h', { auth: 'Mw==' }),
      '\uFEFF{"auths": {"k": {}, "h": {"auth":"Mw=="}}}',
    );
  });

  test('keys and values with characters JSON must escape', () => {
    const after = withAuthEntry('{}', 'h"\\x', { auth: 'a"b' });
    assert.deepEqual(JSON.parse(after), { auths: { 'h"\\x': { auth: 'a"b' } } });
  });
});

describe('withoutAuthEntries', () => {
  const file =
    '{\n\t"auths": {\n\t\t"a": {\n\t\t\t"auth": "YQ=="\n\t\t},\n\t\t"b": {},\n\t\t"c": {\n\t\t\t"auth": "Yw=="\n\t\t}\n\t},\n\t"x": 1\n}';

  test('the first, a middle and the last entry', () => {
    assert.equal(
      withoutAuthEntries(file, ['a']),
      '{\n\t"auths": {\n\t\t"b": {},\n\t\t"c": {\n\t\t\t"auth": "Yw=="\n\t\t}\n\t},\n\t"x": 1\n}',
    );
    assert.equal(
      withoutAuthEntries(file, ['b']),
      '{\n\t"auths": {\n\t\t"a": {\n\t\t\t"auth": "YQ=="\n\t\t},\n\t\t"c": {\n\t\t\t"auth": "Yw=="\n\t\t}\n\t},\n\t"x": 1\n}',
    );
    assert.equal(
      withoutAuthEntries(file, ['c']),
      '{\n\t"auths": {\n\t\t"a": {\n\t\t\t"auth": "YQ=="\n\t\t},\n\t\t"b": {}\n\t},\n\t"x": 1\n}',
    );
  });

  test('all of them leaves an empty object; unknown keys change nothing', () => {
    assert.equal(withoutAuthEntries(file, ['a', 'b', 'c']), '{\n\t"auths": {},\n\t"x": 1\n}');
    assert.equal(withoutAuthEntries(file, ['zz']), file);
    assert.equal(withoutAuthEntries('{"x": 1}', ['a']), '{"x": 1}');
  });
});
