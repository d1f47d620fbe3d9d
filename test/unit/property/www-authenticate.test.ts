/**
 * Properties of the WWW-Authenticate parser (src/auth/challenge.ts). The header comes from a server
 * ferry does not control, so the parser must never throw, must hand back well-formed challenges
 * whatever it is given, and must read every well-formed header (RFC 7235 §4.1) exactly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Challenge,
  parseWwwAuthenticate,
  pickChallenge,
  readChallenges,
} from '../../../src/auth/challenge.js';
import {
  anyChar,
  comma,
  type Generated,
  headerListProperties,
  headerOf,
  hostileOf,
  ows,
  quoted,
  sortedEntries,
  token,
} from './header-grammar.js';
import { runs } from './support.js';

// ---- generators for well-formed headers ------------------------------------------------------

const scheme = fc.oneof(token, fc.mixedCase(fc.constantFrom('bearer', 'basic', 'negotiate', 'digest')));
const paramName = fc.oneof(
  token,
  fc.mixedCase(fc.constantFrom('realm', 'service', 'scope', 'error')),
  // Names that are also Object.prototype members: they must become own params like any other.
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'),
);
const rws = fc.constantFrom(' ', '  ', '\t');

interface Param {
  name: string;
  value: string;
  wire: string;
}

const quotedValue = quoted(anyChar);
const tokenValue = token.map((t) => ({ value: t, wire: t }));
const param: fc.Arbitrary<Param> = fc
  .tuple(paramName, ows, ows, fc.oneof(quotedValue, quotedValue, tokenValue))
  .map(([name, before, after, v]) => ({ name, value: v.value, wire: `${name}${before}=${after}${v.wire}` }));

const token68 = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,20}={0,2}$/);

const challenge: fc.Arbitrary<Generated<Challenge>> = fc.oneof(
  // scheme 1*SP #auth-param
  fc
    .tuple(scheme, rws, fc.array(fc.tuple(param, comma), { minLength: 1, maxLength: 5 }))
    .map(([s, sp, ps]) => {
      const params: Record<string, string> = {};
      for (const [p] of ps) {
        const name = p.name.toLowerCase();
        // First occurrence wins; defineProperty so that `__proto__` is an own key like any other.
        if (!Object.hasOwn(params, name)) {
          Object.defineProperty(params, name, { value: p.value, enumerable: true, writable: true });
        }
      }
      const wire = s + sp + ps.map(([p, c], i) => (i === 0 ? '' : c) + p.wire).join('');
      return { wire, want: { scheme: s.toLowerCase(), params } };
    }),
  // scheme 1*SP token68
  fc.tuple(scheme, rws, token68, ows).map(([s, sp, t, end]) => ({
    wire: s + sp + t + end,
    want: { scheme: s.toLowerCase(), params: {}, token68: t },
  })),
  // scheme alone
  scheme.map((s) => ({ wire: s, want: { scheme: s.toLowerCase(), params: {} } })),
);

const header = headerOf(challenge);

/** A comparable view: params as sorted entries (integer-like names would reorder an object's keys). */
const view = (cs: readonly Challenge[]) =>
  cs.map((c) => ({
    scheme: c.scheme,
    token68: c.token68,
    params: sortedEntries(c.params),
  }));

// ---- hostile input ---------------------------------------------------------------------------

const hostilePiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(',', '=', '"', '\\', ' ', '\t', '\r\n', ';', '==', '"\\', 'Bearer ', 'Basic ', 'realm='),
  token,
);
const hostileInput = hostileOf(header, hostilePiece);

/** What every parse result must look like, whatever the input. */
function assertWellFormed(cs: Challenge[]): void {
  assert.ok(Array.isArray(cs));
  for (const c of cs) {
    assert.match(c.scheme, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/, 'scheme is a lower-cased token');
    assert.equal(Object.getPrototypeOf(c.params), Object.prototype);
    for (const [name, value] of Object.entries(c.params)) {
      assert.match(name, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/, 'param names are lower-cased tokens');
      assert.equal(typeof value, 'string');
    }
    if (c.token68 !== undefined) {
      assert.match(c.token68, /^[A-Za-z0-9\-._~+/]+=*$/);
      assert.deepEqual(c.params, {}, 'a token68 challenge has no params');
    }
  }
}

describe('WWW-Authenticate properties', () => {
  test('any header value or list of values: never throws, always well-formed challenges', () => {
    fc.assert(
      fc.property(hostileInput, (input) => {
        const cs = parseWwwAuthenticate(input);
        assertWellFormed(cs);
        const picked = pickChallenge(cs);
        if (picked !== undefined) assert.ok(cs.includes(picked));
      }),
      runs(1000),
    );
  });

  test('a malformed element after a good header loses none of what came before', () => {
    // The element starts with a character that is not a token, so it cannot pass for a scheme;
    // params that follow the next comma may join the last challenge, but never replace a value.
    const garbage = fc
      .tuple(
        fc.constantFrom('\u0001', '"', '(', '@', '{', '\u00e9'),
        fc.string({ unit: 'binary', maxLength: 40 }),
      )
      .map(([a, b]) => a + b);
    fc.assert(
      fc.property(header, garbage, ({ wire, want }, junk) => {
        const got = parseWwwAuthenticate(`${wire}, ${junk}`);
        assert.ok(got.length >= want.length, `${wire}, ${junk}`);
        want.forEach((w, i) => {
          const g = got[i]!;
          assert.equal(g.scheme, w.scheme);
          assert.equal(g.token68, w.token68);
          for (const [name, value] of Object.entries(w.params)) assert.equal(g.params[name], value);
        });
      }),
      runs(500),
    );
  });

  test('pickChallenge: the first Bearer, else the first Basic, else nothing', () => {
    fc.assert(
      fc.property(
        fc.array(
          challenge.map((c) => c.want),
          { maxLength: 6 },
        ),
        (cs) => {
          const picked = pickChallenge(cs);
          const bearer = cs.findIndex((c) => c.scheme === 'bearer');
          const basic = cs.findIndex((c) => c.scheme === 'basic');
          if (bearer >= 0) assert.equal(picked, cs[bearer]);
          else if (basic >= 0) assert.equal(picked, cs[basic]);
          else assert.equal(picked, undefined);
        },
      ),
      runs(500),
    );
  });

  headerListProperties({
    what: 'schemes, params and token68s',
    header,
    parse: parseWwwAuthenticate,
    read: readChallenges,
    view,
    assertWellFormed,
    pieces: ['a ', 'a=', 'a=b ', ',', '"', 'a a', 'Bearer a="b",', '\\"', '=', 'a=,'],
  });
});
