/**
 * What the property suites of the two header parsers built on src/util/header-reader.ts share: the
 * RFC 9110 §5.6 pieces as generators (token, whitespace, list commas, quoted-strings), a list of
 * elements as one header value, hostile variants of it, and the properties every such parser owes:
 * a well-formed header reads back exactly, several values read as their join, and the reads per
 * character stay bounded (linear time, counted rather than timed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HeaderReader } from '../../../src/util/header-reader.js';
import { runs } from './support.js';

export const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/);
export const ows = fc.constantFrom('', ' ', '  ', '\t', ' \t');
/** A list separator, sometimes with empty elements (`a, , b`), which RFC 9110 §5.6.1 says to accept. */
export const comma = fc
  .tuple(ows, fc.constantFrom(',', ',', ',', ', ,', ',,'), ows)
  .map(([a, c, b]) => a + c + b);
export const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });

/** A quoted-string of `chars`: `"` and `\` escaped, any other character escaped at random (quoted-pair). */
export const quoted = (chars: fc.Arbitrary<string>, maxLength = 30) =>
  fc.array(fc.tuple(chars, fc.boolean()), { maxLength }).map((cs) => ({
    value: cs.map(([c]) => c).join(''),
    wire: `"${cs.map(([c, esc]) => (esc || c === '"' || c === '\\' ? `\\${c}` : c)).join('')}"`,
  }));

/** Params as entries sorted by name (integer-like names would reorder an object's keys). */
export const sortedEntries = (params: Record<string, string>): [string, string][] =>
  Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export interface Generated<E> {
  wire: string;
  want: E;
}

/** One header value: 1 to 4 elements joined by list commas, with whitespace around. */
export const headerOf = <E>(element: fc.Arbitrary<Generated<E>>): fc.Arbitrary<Generated<E[]>> =>
  fc
    .tuple(fc.array(fc.tuple(element, comma), { minLength: 1, maxLength: 4 }), ows, ows)
    .map(([es, lead, trail]) => ({
      wire: lead + es.map(([e, sep], i) => (i === 0 ? '' : sep) + e.wire).join('') + trail,
      want: es.map(([e]) => e.want),
    }));

/** Anything, pieces of the grammar strung together, and good headers with pieces spliced in; alone or in a list. */
export const hostileOf = <E>(
  header: fc.Arbitrary<Generated<E[]>>,
  piece: fc.Arbitrary<string>,
): fc.Arbitrary<string | string[] | undefined> => {
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(piece, { maxLength: 20 }).map((xs) => xs.join('')),
    header.chain(({ wire }) =>
      fc
        .array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 4 })
        .map((edits) =>
          edits.reduce(
            (s, [at, p]) => s.slice(0, at % (s.length + 1)) + p + s.slice(at % (s.length + 1)),
            wire,
          ),
        ),
    ),
  );
  return fc.oneof(hostile, fc.array(hostile, { maxLength: 4 }), fc.constant(undefined));
};

/** The most reads of a character the header reader may make on average (measured: at most 5). */
const READS_PER_CHARACTER = 8;

/**
 * The properties every parser of a comma-separated header owes, as tests. `read` parses one value
 * from a reader (so its reads can be counted); `pieces` are what long hostile values repeat.
 */
export function headerListProperties<E, V>(p: {
  what: string;
  header: fc.Arbitrary<Generated<E[]>>;
  parse: (value: string | readonly string[]) => E[];
  read: (r: HeaderReader, out: E[]) => void;
  view: (es: readonly E[]) => V;
  assertWellFormed: (es: E[]) => void;
  pieces: string[];
}): void {
  test(`a well-formed header parses back to its ${p.what}`, () => {
    fc.assert(
      fc.property(p.header, ({ wire, want }) => {
        assert.deepEqual(p.view(p.parse(wire)), p.view(want), wire);
      }),
      runs(1000),
    );
  });

  test('several header values read as one list, whether separate or joined with ", "', () => {
    fc.assert(
      fc.property(fc.array(p.header, { minLength: 1, maxLength: 3 }), (hs) => {
        const want = p.view(hs.flatMap((h) => h.want));
        assert.deepEqual(p.view(p.parse(hs.map((h) => h.wire))), want);
        assert.deepEqual(p.view(p.parse(hs.map((h) => h.wire).join(', '))), want);
      }),
      runs(500),
    );
  });

  // Linear time, measured in work rather than milliseconds: the reader counts every character it
  // examines. These inputs take 1.5 to 5 reads a character; a parser that rescanned the rest of
  // the text per element, or rewound to the start, would need about n/2.
  test('long hostile headers are parsed with a bounded number of reads per character', () => {
    fc.assert(
      fc.property(fc.constantFrom(...p.pieces), fc.integer({ min: 1000, max: 20000 }), (piece, n) => {
        const text = piece.repeat(n);
        const reader = new HeaderReader(text);
        const got: E[] = [];
        p.read(reader, got);
        p.assertWellFormed(got);
        assert.deepEqual(got, p.parse(text), 'the same as the parse of the whole value');
        assert.ok(
          reader.steps <= READS_PER_CHARACTER * text.length,
          `${reader.steps} reads for ${text.length} characters`,
        );
      }),
      runs(30),
    );
  });
}
