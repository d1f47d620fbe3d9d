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
import { HeaderReader } from '../../../src/util/header-reader.js';
import { runs } from './support.js';

/** The most reads of a character the header reader may make on average (measured: at most 5). */
const READS_PER_CHARACTER = 8;

// ---- generators for well-formed headers ------------------------------------------------------

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/);
const ows = fc.constantFrom('', ' ', '  ', '\t');
const comma = fc.tuple(ows, fc.constantFrom(',', ',', ', ,', ',,'), ows).map(([a, c, b]) => a + c + b);

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

/** `"..."` with `"` and `\` escaped and anything else escaped at random. */
const quoted = (chars: fc.Arbitrary<string>) =>
  fc.array(fc.tuple(chars, fc.boolean()), { maxLength: 25 }).map((cs) => ({
    value: cs.map(([c]) => c).join(''),
    wire: `"${cs.map(([c, esc]) => (esc || c === '"' || c === '\\' ? `\\${c}` : c)).join('')}"`,
  }));
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
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
    fc.option(fc.oneof(quoted(anyChar), bare), { nil: undefined }),
  )
  .map(([name, a, b, v]) =>
    v === undefined ? { name, wire: name } : { name, value: v.value, wire: `${name}${a}=${b}${v.wire}` },
  );

interface Generated {
  wire: string;
  want: Link;
}

const link: fc.Arbitrary<Generated> = fc
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

const header = fc
  .tuple(fc.array(fc.tuple(link, comma), { minLength: 1, maxLength: 4 }), ows, ows)
  .map(([ls, lead, trail]) => ({
    wire: lead + ls.map(([l, sep], i) => (i === 0 ? '' : sep) + l.wire).join('') + trail,
    want: ls.map(([l]) => l.want),
  }));

const view = (ls: readonly Link[]) =>
  ls.map((l) => ({
    target: l.target,
    rel: l.rel,
    params: Object.entries(l.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  }));

// ---- hostile input ---------------------------------------------------------------------------

const hostilePiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('<', '>', ',', ';', '=', '"', '\\', ' ', 'rel=', 'rel="next"', '</x>', '<http://[::1>'),
);
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(hostilePiece, { maxLength: 20 }).map((xs) => xs.join('')),
  header.chain(({ wire }) =>
    fc
      .array(fc.tuple(fc.nat(), hostilePiece), { minLength: 1, maxLength: 4 })
      .map((edits) =>
        edits.reduce(
          (s, [at, p]) => s.slice(0, at % (s.length + 1)) + p + s.slice(at % (s.length + 1)),
          wire,
        ),
      ),
  ),
);
const hostileInput = fc.oneof(hostile, fc.array(hostile, { maxLength: 4 }), fc.constant(undefined));
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

  test('a well-formed header parses back to its targets, rels and params', () => {
    fc.assert(
      fc.property(header, ({ wire, want }) => {
        assert.deepEqual(view(parseLinkHeader(wire)), view(want), wire);
      }),
      runs(1000),
    );
  });

  test('several header values read as one list, whether separate or joined with ", "', () => {
    fc.assert(
      fc.property(fc.array(header, { minLength: 1, maxLength: 3 }), (hs) => {
        const want = view(hs.flatMap((h) => h.want));
        assert.deepEqual(view(parseLinkHeader(hs.map((h) => h.wire))), want);
        assert.deepEqual(view(parseLinkHeader(hs.map((h) => h.wire).join(', '))), want);
      }),
      runs(500),
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

  // Linear time, measured in work rather than milliseconds: the reader counts every character it
  // examines (src/util/header-reader.ts). These inputs take 1.5 to 5 reads a character; a parser
  // that rescanned the rest of the text per element, or rewound to the start, would need about n/2.
  test('long hostile headers are parsed with a bounded number of reads per character', () => {
    const piece = fc.constantFrom('<', '<,', '<a>;', ';', '<a>; rel=', '"', '<a>; x="', ',', '<a>;a;a;a');
    fc.assert(
      fc.property(piece, fc.integer({ min: 1000, max: 20000 }), (p, n) => {
        const text = p.repeat(n);
        const reader = new HeaderReader(text);
        const got: Link[] = [];
        readLinks(reader, got);
        assertWellFormed(got);
        assert.deepEqual(got, parseLinkHeader(text), 'the same as the parse of the whole value');
        assert.ok(
          reader.steps <= READS_PER_CHARACTER * text.length,
          `${reader.steps} reads for ${text.length} characters`,
        );
      }),
      runs(30),
    );
  });
});
