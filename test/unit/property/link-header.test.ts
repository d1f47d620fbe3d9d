/**
 * Properties of the Link header parser (src/registry/link-header.ts), which reads the pagination
 * links of /v2/_catalog and tags/list: never throws on what a server sends, and reads every
 * well-formed header (RFC 8288 §3) back exactly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  isSameOrigin,
  type Link,
  nextPageUrl,
  parseLinkHeader,
  readLinks,
} from '../../../src/registry/link-header.js';
import {
  anyChar,
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

/** A URI-Reference as servers send them, plus `,` `;` `"` and `<` inside, which must not split it. */
const target = fc.oneof(
  fc.constantFrom(
    '/v2/_catalog?last=lab%2Fimg&n=2',
    '/v2/a/b/tags/list?n=1&last=v1',
    'https://r.example/v2/_catalog?n=5',
  ),
  fc
    .tuple(
      fc.constantFrom('/v2/_catalog', '/v2/x/tags/list', 'https://h.example:5000/v2/_catalog', '', '?'),
      fc.string({
        unit: fc.constantFrom('a', 'Z', '0', '%', '&', '=', '?', '/', ',', ';', '"', '<', ' ', 'é'),
        maxLength: 30,
      }),
    )
    .map(([a, b]) => (a + b).trim()),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replaceAll('>', '').trim()),
);

/** An unquoted value: the grammar says token; servers also send `text/html`, so anything up to a delimiter. */
const bare = fc
  .stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z/:=<>?@[\]{}()]{1,12}$/)
  .map((v) => ({ value: v, wire: v }));

interface Param {
  name: string;
  /** undefined: written without `=value`. */
  value?: string | undefined;
  wire: string;
}

const relTokens = fc.array(fc.oneof(fc.mixedCase(fc.constantFrom('next', 'prev', 'last', 'first')), token), {
  minLength: 0,
  maxLength: 3,
});
const relParam: fc.Arbitrary<Param> = fc.oneof(
  fc
    .tuple(
      fc.mixedCase(fc.constant('rel')),
      ows,
      ows,
      relTokens,
      fc.constantFrom(' ', '  ', '\t', ' \t'),
      ows,
      ows,
    )
    .map(([name, a, b, rels, gap, lead, trail]) => {
      const value = lead + rels.join(gap) + trail;
      return { name, value, wire: `${name}${a}=${b}"${value}"` };
    }),
  fc
    .tuple(fc.mixedCase(fc.constant('rel')), token)
    .map(([name, v]) => ({ name, value: v, wire: `${name}=${v}` })),
);
const otherParam: fc.Arbitrary<Param> = fc
  .tuple(
    fc.oneof(token, fc.constantFrom('title', 'type', 'anchor', '__proto__', 'constructor', 'toString')),
    ows,
    ows,
    fc.option(fc.oneof(quoted(anyChar, 25), bare), { nil: undefined }),
  )
  .map(([name, a, b, v]) =>
    v === undefined ? { name, wire: name } : { name, value: v.value, wire: `${name}${a}=${b}${v.wire}` },
  );

const link: fc.Arbitrary<Generated<Link>> = fc
  .tuple(target, fc.array(fc.tuple(ows, ows, fc.oneof(relParam, otherParam, otherParam)), { maxLength: 5 }))
  .map(([t, ps]) => {
    let rel: string[] | undefined;
    const params: Record<string, string> = {};
    for (const [, , p] of ps) {
      const name = p.name.toLowerCase();
      const value = p.value ?? '';
      if (name === 'rel') {
        rel ??= value
          .toLowerCase()
          .split(/[ \t]+/)
          .filter((r) => r !== '');
      } else if (!Object.hasOwn(params, name)) {
        Object.defineProperty(params, name, { value, enumerable: true, writable: true });
      }
    }
    const wire = `<${t}>${ps.map(([a, b, p]) => `${a};${b}${p.wire}`).join('')}`;
    return { wire, want: { target: t, rel: rel ?? [], params } };
  });

const header = headerOf(link);

const view = (ls: readonly Link[]) =>
  ls.map((l) => ({
    target: l.target,
    rel: l.rel,
    params: sortedEntries(l.params),
  }));

// ---- hostile input ---------------------------------------------------------------------------

const hostilePiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('<', '>', ',', ';', '=', '"', '\\', ' ', 'rel=', 'rel="next"', '</x>', '<http://[::1>'),
);
const hostileInput = hostileOf(header, hostilePiece);
const requestUrl = fc.oneof(
  fc.webUrl({ withQueryParameters: true }).map((u) => new URL(u)),
  fc
    .constantFrom('http://127.0.0.1:5000/v2/_catalog?n=2', 'https://[::1]/v2/a/tags/list')
    .map((u) => new URL(u)),
);

function assertWellFormed(ls: Link[]): void {
  for (const l of ls) {
    assert.equal(typeof l.target, 'string');
    assert.equal(l.target, l.target.trim());
    assert.ok(!l.target.includes('>'), 'the target ends at the first >');
    for (const r of l.rel) assert.match(r, /^[^ \tA-Z]+$/, 'rel values are split and lower-cased');
    assert.equal(Object.getPrototypeOf(l.params), Object.prototype);
    for (const [name, value] of Object.entries(l.params)) {
      assert.match(name, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/, 'param names are lower-cased tokens');
      assert.notEqual(name, 'rel');
      assert.equal(typeof value, 'string');
    }
  }
}

describe('Link header properties', () => {
  test('any header value or list of values: never throws, always well-formed links', () => {
    fc.assert(
      fc.property(hostileInput, requestUrl, (input, base) => {
        assertWellFormed(parseLinkHeader(input));
        const next = nextPageUrl(input, base);
        if (next !== undefined) {
          assert.ok(next instanceof URL);
          assert.equal(typeof isSameOrigin(next, base), 'boolean');
        }
      }),
      runs(1000),
    );
  });

  test('nextPageUrl: the first rel=next target that resolves, resolved against the request URL', () => {
    fc.assert(
      fc.property(header, requestUrl, ({ wire, want }, base) => {
        const first = want.find((l) => l.rel.includes('next') && URL.canParse(l.target, base.href));
        const got = nextPageUrl(wire, base);
        assert.equal(got?.href, first === undefined ? undefined : new URL(first.target, base).href, wire);
      }),
      runs(500),
    );
  });

  test('isSameOrigin is reflexive for URLs with an origin, and symmetric', () => {
    fc.assert(
      fc.property(requestUrl, requestUrl, (a, b) => {
        assert.equal(isSameOrigin(a, new URL(a.href)), a.origin !== 'null');
        assert.equal(isSameOrigin(a, b), isSameOrigin(b, a));
      }),
      runs(300),
    );
  });

  headerListProperties({
    what: 'targets, rels and params',
    header,
    parse: parseLinkHeader,
    read: readLinks,
    view,
    assertWellFormed,
    pieces: ['<', '<,', '<a>;', ';', '<a>; rel=', '"', '<a>; x="', ',', '<a>;a;a;a'],
  });
});
