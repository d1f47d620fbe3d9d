import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Challenge, parseWwwAuthenticate, pickChallenge } from '../../../src/auth/challenge.js';

interface Case {
  name: string;
  input: string | readonly string[] | undefined;
  want: Challenge[];
}

const cases: Case[] = [
  {
    name: 'distribution 2.8 token mode, pull',
    input: 'Bearer realm="http://127.0.0.1:41791/token",service="reglab",scope="repository:lab/img:pull"',
    want: [
      {
        scheme: 'bearer',
        params: {
          realm: 'http://127.0.0.1:41791/token',
          service: 'reglab',
          scope: 'repository:lab/img:pull',
        },
      },
    ],
  },
  {
    name: 'distribution 2.8 insufficient_scope with a comma inside the quoted scope',
    input:
      'Bearer realm="http://127.0.0.1:41791/token",service="reglab",scope="repository:lab/img:pull,push",error="insufficient_scope"',
    want: [
      {
        scheme: 'bearer',
        params: {
          realm: 'http://127.0.0.1:41791/token',
          service: 'reglab',
          scope: 'repository:lab/img:pull,push',
          error: 'insufficient_scope',
        },
      },
    ],
  },
  {
    name: 'distribution 2.8 htpasswd mode',
    input: 'Basic realm="reglab-basic"',
    want: [{ scheme: 'basic', params: { realm: 'reglab-basic' } }],
  },
  {
    name: 'ECR basic',
    input: 'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
    want: [
      {
        scheme: 'basic',
        params: {
          realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/',
          service: 'ecr.amazonaws.com',
        },
      },
    ],
  },
  {
    name: 'Docker Hub bearer',
    input:
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    want: [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ],
  },
  {
    name: 'GHCR bearer',
    input: 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:octo/app:pull"',
    want: [
      {
        scheme: 'bearer',
        params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:octo/app:pull' },
      },
    ],
  },
  {
    name: 'space-separated scopes in one param',
    input: 'Bearer realm="r",scope="repository:a:pull repository:b:pull,push"',
    want: [{ scheme: 'bearer', params: { realm: 'r', scope: 'repository:a:pull repository:b:pull,push' } }],
  },
  {
    name: 'two challenges in one header',
    input: 'Basic realm="b", Bearer realm="https://t/token",service="s"',
    want: [
      { scheme: 'basic', params: { realm: 'b' } },
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
    ],
  },
  {
    name: 'challenges across several header values',
    input: ['Bearer realm="https://t/token"', 'Basic realm="b"'],
    want: [
      { scheme: 'bearer', params: { realm: 'https://t/token' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ],
  },
  {
    name: 'several values, each with several challenges',
    input: ['Negotiate, Basic realm="x"', 'Bearer realm="y", Digest realm="z", nonce="n"'],
    want: [
      { scheme: 'negotiate', params: {} },
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'y' } },
      { scheme: 'digest', params: { realm: 'z', nonce: 'n' } },
    ],
  },
  {
    name: 'escaped quotes inside a quoted-string',
    input: 'Bearer realm="say \\"hi\\"",error_description="a \\"b\\", c"',
    want: [{ scheme: 'bearer', params: { realm: 'say "hi"', error_description: 'a "b", c' } }],
  },
  {
    name: 'escaped backslash',
    input: 'Basic realm="C:\\\\reg\\\\x"',
    want: [{ scheme: 'basic', params: { realm: 'C:\\reg\\x' } }],
  },
  {
    name: 'comma and equals sign inside quotes do not split',
    input: 'Bearer realm="https://t/token?a=1,b=2",service="s"',
    want: [{ scheme: 'bearer', params: { realm: 'https://t/token?a=1,b=2', service: 's' } }],
  },
  {
    name: 'token68',
    input: 'Basic abc==',
    want: [{ scheme: 'basic', params: {}, token68: 'abc==' }],
  },
  {
    name: 'token68 followed by another challenge',
    input: 'Newauth YWxhZGRpbjpvcGVuc2VzYW1l= , Bearer realm="r"',
    want: [
      { scheme: 'newauth', params: {}, token68: 'YWxhZGRpbjpvcGVuc2VzYW1l=' },
      { scheme: 'bearer', params: { realm: 'r' } },
    ],
  },
  {
    name: 'token68 with every allowed character',
    input: 'X a-b.c_d~e+f/g==',
    want: [{ scheme: 'x', params: {}, token68: 'a-b.c_d~e+f/g==' }],
  },
  {
    name: 'unquoted token values',
    input: 'Bearer realm=abc,service=reg.example',
    want: [{ scheme: 'bearer', params: { realm: 'abc', service: 'reg.example' } }],
  },
  {
    name: 'unquoted URL value (not a token, but seen in the wild)',
    input: 'Bearer realm=https://t.example/token?x=1,service=reg',
    want: [{ scheme: 'bearer', params: { realm: 'https://t.example/token?x=1', service: 'reg' } }],
  },
  {
    name: 'whitespace around "=" (BWS) and commas',
    input: 'Bearer   realm = "x" ,  service =y ,scope= "z"',
    want: [{ scheme: 'bearer', params: { realm: 'x', service: 'y', scope: 'z' } }],
  },
  {
    name: 'tabs as whitespace',
    input: 'Bearer\trealm="x",\tservice="y"',
    want: [{ scheme: 'bearer', params: { realm: 'x', service: 'y' } }],
  },
  {
    name: 'empty list elements everywhere',
    input: ' , ,Bearer realm="x",, , service="s" ,, Basic realm="b",,',
    want: [
      { scheme: 'bearer', params: { realm: 'x', service: 's' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ],
  },
  {
    name: 'scheme and param names are case-insensitive, values keep their case',
    input: 'BEARER Realm="HTTPS://T/Token",SERVICE="Reg"',
    want: [{ scheme: 'bearer', params: { realm: 'HTTPS://T/Token', service: 'Reg' } }],
  },
  {
    name: 'scheme alone',
    input: 'Negotiate',
    want: [{ scheme: 'negotiate', params: {} }],
  },
  {
    name: 'schemes alone, comma separated',
    input: 'Negotiate, NTLM',
    want: [
      { scheme: 'negotiate', params: {} },
      { scheme: 'ntlm', params: {} },
    ],
  },
  {
    name: 'empty quoted and empty unquoted values',
    input: 'Bearer realm="",service=, scope="s"',
    want: [{ scheme: 'bearer', params: { realm: '', service: '', scope: 's' } }],
  },
  {
    name: 'a repeated param keeps the first value',
    input: 'Bearer realm="first",realm="second"',
    want: [{ scheme: 'bearer', params: { realm: 'first' } }],
  },
  {
    name: 'a param after "Scheme," still belongs to that scheme',
    input: 'Bearer, realm="x", Basic realm="y"',
    want: [
      { scheme: 'bearer', params: { realm: 'x' } },
      { scheme: 'basic', params: { realm: 'y' } },
    ],
  },
  { name: 'undefined', input: undefined, want: [] },
  { name: 'empty string', input: '', want: [] },
  { name: 'empty array', input: [], want: [] },
  { name: 'only separators', input: ' ,  , ', want: [] },
  { name: 'only quotes', input: '"""', want: [] },
  { name: 'a param with no scheme before it is dropped', input: 'realm="x"', want: [] },
  {
    name: 'unterminated quoted-string keeps what there is',
    input: 'Bearer realm="https://t/token',
    want: [{ scheme: 'bearer', params: { realm: 'https://t/token' } }],
  },
  {
    name: 'junk after a value is skipped up to the next comma',
    input: 'Bearer realm="x" junk "more, junk", service="s"',
    want: [{ scheme: 'bearer', params: { realm: 'x', service: 's' } }],
  },
  {
    name: 'junk instead of params',
    input: 'Bearer junk junk, Basic realm="b"',
    want: [
      { scheme: 'bearer', params: {} },
      { scheme: 'basic', params: { realm: 'b' } },
    ],
  },
  {
    name: 'scheme glued to a quote',
    input: 'Bearer"x", Basic realm="b"',
    want: [
      { scheme: 'bearer', params: {} },
      { scheme: 'basic', params: { realm: 'b' } },
    ],
  },
  {
    name: 'a list element starting with a non-token character is dropped',
    input: '@@@ Negotiate, Bearer realm="x", ;;; realm="y", Basic realm="b"',
    want: [
      { scheme: 'bearer', params: { realm: 'x' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ],
  },
];

describe('parseWwwAuthenticate', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(parseWwwAuthenticate(c.input), c.want);
    });
  }

  test('a __proto__ param is an own property and leaves the prototype alone', () => {
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x",realm="r"');
    assert.ok(challenge);
    assert.equal(Object.getPrototypeOf(challenge.params), Object.prototype);
    assert.deepEqual(Object.entries(challenge.params), [
      ['__proto__', 'x'],
      ['realm', 'r'],
    ]);
  });

  test('never throws on arbitrary input', () => {
    const alphabet = ['a', 'B', ' ', ',', '=', '"', '\\', '\t', '/', '<', ';', '\n', 'é'];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const len = i % 40;
      for (let j = 0; j < len; j++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        s += alphabet[seed % alphabet.length];
      }
      const result = parseWwwAuthenticate(s);
      assert.ok(Array.isArray(result));
    }
  });
});

describe('pickChallenge', () => {
  const basic: Challenge = { scheme: 'basic', params: { realm: 'b' } };
  const bearer: Challenge = { scheme: 'bearer', params: { realm: 't' } };
  const bearer2: Challenge = { scheme: 'bearer', params: { realm: 't2' } };
  const negotiate: Challenge = { scheme: 'negotiate', params: {} };
  const table: Array<{ name: string; input: Challenge[]; want: Challenge | undefined }> = [
    { name: 'none', input: [], want: undefined },
    { name: 'only basic', input: [basic], want: basic },
    { name: 'only bearer', input: [bearer], want: bearer },
    { name: 'bearer after basic still wins', input: [basic, bearer], want: bearer },
    { name: 'first bearer of two', input: [bearer2, basic, bearer], want: bearer2 },
    { name: 'unsupported schemes are passed over', input: [negotiate, basic], want: basic },
    { name: 'only unsupported schemes', input: [negotiate], want: undefined },
  ];
  for (const c of table) {
    test(c.name, () => {
      assert.equal(pickChallenge(c.input), c.want);
    });
  }

  test('picks from a parsed two-challenge header', () => {
    assert.deepEqual(pickChallenge(parseWwwAuthenticate('Basic realm="b", Bearer realm="t",service="s"')), {
      scheme: 'bearer',
      params: { realm: 't', service: 's' },
    });
  });
});
