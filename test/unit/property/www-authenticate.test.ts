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
import { HeaderReader } from '../../../src/util/header-reader.js';
import { runs } from './support.js';

/** The most reads of a character the header reader may make on average (measured: at most 5). */
const READS_PER_CHARACTER = 8;

// ---- generators for well-formed headers ------------------------------------------------------

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/);
const scheme = fc.oneof(token, fc.mixedCase(fc.constantFrom('bearer', 'basic', 'negotiate', 'digest')));
const paramName = fc.oneof(
  token,
  fc.mixedCase(fc.constantFrom('realm', 'service', 'scope', 'error')),
  // Names that are also Object.prototype members: they must become own params like any other.
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'),
);
const ows = fc.constantFrom('', ' ', '  ', '\t', ' \t');
const rws = fc.constantFrom(' ', '  ', '\t');
/** A list separator, sometimes with empty elements (`a, , b`), which RFC 7230 §7 says to accept. */
const comma = fc.tuple(ows, fc.constantFrom(',', ',', ',', ', ,', ',,'), ows).map(([a, c, b]) => a + c + b);

interface Param {
  name: string;
  value: string;
  wire: string;
}

/** A quoted-string: `"` and `\` escaped, and any other character escaped at random (quoted-pair). */
const quotedValue = fc
  .array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.boolean()), { maxLength: 30 })
  .map((chars) => ({
    value: chars.map(([c]) => c).join(''),
    wire: `"${chars.map(([c, esc]) => (esc || c === '"' || c === '\\' ? `\\${c}` : c)).join('')}"`,
  }));
const tokenValue = token.map((t) => ({ value: t, wire: t }));
const param: fc.Arbitrary<Param> = fc
  .tuple(paramName, ows, ows, fc.oneof(quotedValue, quotedValue, tokenValue))
  .map(([name, before, after, v]) => ({ name, value: v.value, wire: `${name}${before}=${after}${v.wire}` }));

interface Generated {
  wire: string;
  want: Challenge;
}

const token68 = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,20}={0,2}$/);

const challenge: fc.Arbitrary<Generated> = fc.oneof(
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

const header = fc
  .tuple(fc.array(fc.tuple(challenge, comma), { minLength: 1, maxLength: 4 }), ows, ows)
  .map(([cs, lead, trail]) => ({
    wire: lead + cs.map(([c, sep], i) => (i === 0 ? '' : sep) + c.wire).join('') + trail,
    want: cs.map(([c]) => c.want),
  }));

/** A comparable view: params as sorted entries (integer-like names would reorder an object's keys). */
const view = (cs: readonly Challenge[]) =>
  cs.map((c) => ({
    scheme: c.scheme,
    token68: c.token68,
    params: Object.entries(c.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  }));

// ---- hostile input ---------------------------------------------------------------------------

const hostilePiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(',', '=', '"', '\\', ' ', '\t', '\r\n', ';', '==', '"\\', 'Bearer ', 'Basic ', 'realm='),
  token,
);
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(hostilePiece, { maxLength: 20 }).map((xs) => xs.join('')),
  header.chain(({ wire }) =>
    fc
      .array(fc.tuple(fc.nat(), hostilePiece), { minLength: 1, maxLength: 4 })
      .map((edits) =>
        edits.reduce(
          (s, [at, piece]) => s.slice(0, at % (s.length + 1)) + piece + s.slice(at % (s.length + 1)),
          wire,
        ),
      ),
  ),
);
const hostileInput = fc.oneof(hostile, fc.array(hostile, { maxLength: 4 }), fc.constant(undefined));

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

  test('a well-formed header parses back to its schemes, params and token68s', () => {
    fc.assert(
      fc.property(header, ({ wire, want }) => {
        assert.deepEqual(view(parseWwwAuthenticate(wire)), view(want), wire);
      }),
      runs(1000),
    );
  });

  test('several header values read as one list, whether separate or joined with ", "', () => {
    fc.assert(
      fc.property(fc.array(header, { minLength: 1, maxLength: 3 }), (hs) => {
        const want = view(hs.flatMap((h) => h.want));
        assert.deepEqual(view(parseWwwAuthenticate(hs.map((h) => h.wire))), want);
        assert.deepEqual(view(parseWwwAuthenticate(hs.map((h) => h.wire).join(', '))), want);
      }),
      runs(500),
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

  // Linear time, measured in work rather than milliseconds: the reader counts every character it
  // examines (src/util/header-reader.ts). These inputs take 1.5 to 4.4 reads a character; a parser
  // that rescanned the rest of the text per element, or rewound to the start, would need about n/2.
  test('long hostile headers are parsed with a bounded number of reads per character', () => {
    const piece = fc.constantFrom('a ', 'a=', 'a=b ', ',', '"', 'a a', 'Bearer a="b",', '\\"', '=', 'a=,');
    fc.assert(
      fc.property(piece, fc.integer({ min: 1000, max: 20000 }), (p, n) => {
        const text = p.repeat(n);
        const reader = new HeaderReader(text);
        const got: Challenge[] = [];
        readChallenges(reader, got);
        assertWellFormed(got);
        assert.deepEqual(got, parseWwwAuthenticate(text), 'the same as the parse of the whole value');
        assert.ok(
          reader.steps <= READS_PER_CHARACTER * text.length,
          `${reader.steps} reads for ${text.length} characters`,
        );
      }),
      runs(30),
    );
  });
});
