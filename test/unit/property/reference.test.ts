/**
 * Properties of the reference parsers (src/ref): whatever the input, the only failure is a one-line
 * RefError; every generated valid reference parses to what the grammar says; and canonical and
 * familiar forms parse back to the same Reference.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RefError } from '../../../src/errors.js';
import {
  familiarName,
  formatReference,
  formatRepository,
  parseReference,
  parseRegistryHost,
  parseRepository,
  type Reference,
} from '../../../src/ref/index.js';
import { referenceRegExp } from '../../../src/ref/parse.js';
import { Isolated, runs, typed } from './support.js';

const parsers = { parseReference, parseRepository, parseRegistryHost } as const;

/**
 * `typed` for the ref parsers, which also promise one line naming the input and the problem
 * (src/ref/index.ts): control characters in the input are escaped in the message.
 */
function refTyped<T>(fn: () => T) {
  const out = typed(fn, [RefError]);
  if (!out.ok) {
    assert.equal(out.error.code, 'E_REF');
    assert.doesNotMatch(out.error.message, /[\n\r]/, `message must be one line: ${out.error.message}`);
  }
  return out;
}

// ---- grammar pieces --------------------------------------------------------------------------

const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const separator = fc.constantFrom('.', '_', '__', '-', '--', '---');
const hex64 = fc.stringMatching(/^[a-f0-9]{64}$/);
/** A path component: alphanumerics joined by separators, or one of the names with a special meaning. */
const component = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
      .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join('')),
  },
  { weight: 2, arbitrary: fc.constantFrom('localhost', 'library', 'docker', 'io', 'a.b', 'x-y.z') },
  { weight: 2, arbitrary: hex64 },
);
const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const port = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map(String),
  fc.integer({ min: 1, max: 9999 }).map((n) => `0${n}`),
);
const ipv6 = fc
  .ipV6()
  .filter((a) => /^[0-9a-fA-F:]+$/.test(a))
  .chain((a) => fc.mixedCase(fc.constant(a)))
  .map((a) => `[${a}]`);
const hubAlias = fc.mixedCase(fc.constantFrom('docker.io', 'index.docker.io', 'registry-1.docker.io'));
/** host[:port] that reads as a host: a '.', a ':port', `localhost`, a bracketed IPv6 address, a Hub alias. */
const host = fc.oneof(
  fc
    .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.option(port, { nil: undefined }))
    .map(([labels, p]) => labels.join('.') + (p === undefined ? '' : `:${p}`)),
  fc.tuple(label, port).map(([l, p]) => `${l}:${p}`),
  fc
    .tuple(fc.mixedCase(fc.constant('localhost')), fc.option(port, { nil: undefined }))
    .map(([l, p]) => l + (p === undefined ? '' : `:${p}`)),
  fc.tuple(ipv6, fc.option(port, { nil: undefined })).map(([h, p]) => h + (p === undefined ? '' : `:${p}`)),
  hubAlias,
);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { size: 'medium' });
const digest = fc.oneof(
  hex64.map((h) => `sha256:${h}`),
  fc.stringMatching(/^[a-f0-9]{128}$/).map((h) => `sha512:${h}`),
);

interface Parts {
  host?: string | undefined;
  path: string[];
  tag?: string | undefined;
  digest?: string | undefined;
}

const parts = fc.record({
  host: fc.option(host, { nil: undefined, freq: 2 }),
  path: fc.array(component, { minLength: 1, maxLength: 4 }),
  tag: fc.option(tag, { nil: undefined }),
  digest: fc.option(digest, { nil: undefined }),
});

const build = (p: Parts): string =>
  (p.host === undefined ? '' : `${p.host}/`) +
  p.path.join('/') +
  (p.tag === undefined ? '' : `:${p.tag}`) +
  (p.digest === undefined ? '' : `@${p.digest}`);

const HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * What the grammar says `build(p)` means, worked out here independently of src/ref; undefined for
 * the inputs the grammar reads another way or refuses (a Docker Hub name whose first element looks
 * like a host, bare `localhost`, a bare image ID, over 255 characters).
 */
function expected(p: Parts): Reference | undefined {
  const first = p.path[0]!;
  if (p.host === undefined && p.path.length > 1 && (first.includes('.') || first === 'localhost')) return;
  if (p.host === undefined && p.path.length === 1 && first === 'localhost') return;
  if (p.host === undefined && /^[a-f0-9]{64}$/.test(build(p))) return;
  const lower = p.host?.toLowerCase();
  const registry = lower === undefined || HUB.includes(lower) ? 'docker.io' : lower;
  const path = p.path.join('/');
  const repository = registry === 'docker.io' && p.path.length === 1 ? `library/${path}` : path;
  if (registry.length + 1 + repository.length > 255) return;
  const ref: Reference = { registry, repository };
  if (p.tag !== undefined) ref.tag = p.tag;
  else if (p.digest === undefined) ref.tag = 'latest';
  if (p.digest !== undefined) ref.digest = p.digest;
  return ref;
}

const validParts = parts.filter((p) => expected(p) !== undefined);
const valid = validParts.map((p) => ({ input: build(p), want: expected(p)! }));

// ---- hostile input ---------------------------------------------------------------------------

/** Characters and fragments that sit on the grammar's edges. */
const junk = fc.constantFrom(
  '/',
  ':',
  '@',
  '.',
  '-',
  '_',
  '__',
  '[',
  ']',
  '[::1]',
  '%eth0',
  'A',
  'Z',
  ' ',
  '\t',
  '\n',
  '\0',
  '\u007f',
  'é',
  'İ', // lower-cases to two code units
  '\u212a', // KELVIN SIGN: lower-cases to ASCII 'k'
  '\u{1f4a5}',
  '\ud800', // a lone surrogate
  '\u2028',
  'https://',
  'http://',
  'docker://',
  '..',
  '//',
  'localhost',
  'sha256:',
  'blake3:',
  ':0',
  ':65536',
  ':99999999999999999999',
  '\\',
  "'",
  '"',
);

/** Inserts, deletes or replaces at random positions. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const op = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), junk);
  return fc.tuple(base, fc.array(op, { minLength: 1, maxLength: 4 })).map(([start, ops]) =>
    ops.reduce((s, [at, kind, piece]) => {
      const i = at % (s.length + 1);
      if (kind === 'insert') return s.slice(0, i) + piece + s.slice(i);
      if (kind === 'delete') return s.slice(0, i) + s.slice(i + 1);
      return s.slice(0, i) + piece + s.slice(i + piece.length);
    }, start),
  );
}

/** Grammar pieces strung together in any order. */
const soup = fc
  .array(fc.oneof(component, host, tag, digest, junk, label), { minLength: 1, maxLength: 8 })
  .map((xs) => xs.join(''));

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary-ascii', minLength: 250, maxLength: 600 }),
);

const nearValid = fc.oneof(soup, mutated(valid.map((v) => v.input)), mutated(soup));

/** Round trips every accepted Reference must survive (the printed forms are what users copy back). */
function assertRoundTrips(ref: Reference, input: string): void {
  const full = formatReference(ref);
  assert.deepEqual(parseReference(full), ref, `canonical form ${full} of ${JSON.stringify(input)}`);
  assert.match(full, referenceRegExp, `canonical form ${full} against the upstream pattern`);
  const familiar = familiarName(ref);
  assert.deepEqual(parseReference(familiar), ref, `familiar form ${familiar} of ${JSON.stringify(input)}`);
  const name = { registry: ref.registry, repository: ref.repository };
  assert.deepEqual(parseRepository(formatRepository(name)), name, `repository ${formatRepository(name)}`);
  const familiarRepository = familiarName(name);
  assert.deepEqual(parseRepository(familiarRepository), name, `familiar repository ${familiarRepository}`);
  assert.equal(parseRegistryHost(ref.registry), ref.registry, `registry ${ref.registry}`);
}

// ---- properties ------------------------------------------------------------------------------

describe('reference properties', () => {
  test('any string: each parser returns or throws a one-line RefError, nothing else', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        for (const parse of Object.values(parsers)) refTyped(() => parse(input));
      }),
      runs(1000),
    );
  });

  test('near-valid input: only RefError, and whatever is accepted round-trips', () => {
    fc.assert(
      fc.property(nearValid, (input) => {
        const ref = refTyped(() => parseReference(input));
        if (ref.ok) assertRoundTrips(ref.value, input);
        const repo = refTyped(() => parseRepository(input));
        if (repo.ok) {
          // A repository is a reference without tag or digest: both parsers must agree on it.
          assert.deepEqual(ref.ok && ref.value, { ...repo.value, tag: 'latest' }, JSON.stringify(input));
        }
        const reg = refTyped(() => parseRegistryHost(input));
        if (reg.ok) assert.equal(parseRegistryHost(reg.value), reg.value, 'parseRegistryHost is idempotent');
      }),
      runs(1000),
    );
  });

  test('valid references parse to what the grammar says', () => {
    fc.assert(
      fc.property(valid, ({ input, want }) => {
        assert.deepEqual(parseReference(input), want, input);
      }),
      runs(1000),
    );
  });

  test('canonical and familiar forms of a valid reference parse back to it', () => {
    fc.assert(
      fc.property(valid, ({ input, want }) => assertRoundTrips(want, input)),
      runs(1000),
    );
  });

  test('a Docker Hub name means the same with or without docker.io (or an alias), under library/ when single', () => {
    const hubParts = validParts.filter((p) => p.host === undefined);
    fc.assert(
      fc.property(hubParts, hubAlias, (p, alias) => {
        const short = parseReference(build(p));
        assert.equal(short.registry, 'docker.io');
        const path = p.path.join('/');
        assert.equal(short.repository, p.path.length === 1 ? `library/${path}` : path);
        // The length limit counts the normalised name, so the long spelling is never refused for it.
        const long = `${alias}/${build(p)}`;
        assert.deepEqual(parseReference(long), short, long);
      }),
      runs(500),
    );
  });

  test('an official image (one element on Docker Hub) round-trips through its familiar form', () => {
    const official = fc
      .record({
        host: fc.option(hubAlias, { nil: undefined }),
        path: component.map((c) => [c]),
        tag: fc.option(tag, { nil: undefined }),
        digest: fc.option(digest, { nil: undefined }),
      })
      .filter((p) => expected(p) !== undefined);
    fc.assert(
      fc.property(official, (p) => {
        const want = expected(p)!;
        assert.equal(want.repository, `library/${p.path[0]}`);
        assertRoundTrips(want, build(p));
      }),
      runs(500),
    );
  });

  test('parseRegistryHost accepts the registry of every valid reference, with https:// and a trailing /', () => {
    fc.assert(
      fc.property(validParts, fc.boolean(), fc.boolean(), (p, scheme, slash) => {
        fc.pre(p.host !== undefined);
        const want = parseReference(build(p)).registry;
        const input = (scheme ? 'https://' : '') + p.host + (slash ? '/' : '');
        assert.equal(parseRegistryHost(input), want, input);
      }),
      runs(500),
    );
  });

  test('long adversarial input is answered in linear time (no regex backtracking blow-up)', async () => {
    // In a worker, so that a pattern stuck backtracking is stopped and reported instead of hanging the run.
    const isolated = new Isolated('../../../src/ref/index.ts');
    try {
      await isolated.call('parseReference', ['alpine'], 10_000); // start-up
      const piece = fc.constantFrom(
        'a',
        'a-',
        'a.',
        'a_',
        'a__',
        'a/',
        'a:',
        '0',
        '[:',
        '[a:',
        'a-a.',
        'Aa',
        '.a',
        '-a',
      );
      const runsOf = fc.array(fc.tuple(piece, fc.integer({ min: 1, max: 20_000 })), {
        minLength: 1,
        maxLength: 3,
      });
      const tail = fc.constantFrom('', '!', '/', ':', '@', '-', '.', ' ', 'A', ']', '@sha256:', ':tag', '/-');
      const input = fc
        .tuple(fc.constantFrom('', 'h.io/', '[::1]:5000/', 'a/'), runsOf, tail)
        .map(([head, rs, t]) => head + rs.map(([p, n]) => p.repeat(n)).join('') + t)
        .filter((s) => s.length >= 30);
      await fc.assert(
        fc.asyncProperty(input, async (text) => {
          for (const name of Object.keys(parsers)) {
            const r = await isolated.call(name, [text], 2000);
            assert.notEqual(r.status, 'timeout', `${name}: no answer in 2 s for ${text.length} characters`);
            if (r.status === 'threw') assert.equal(r.name, 'RefError', r.message);
          }
        }),
        runs(100, { endOnFailure: true }),
      );
    } finally {
      await isolated.close();
    }
  });
});
