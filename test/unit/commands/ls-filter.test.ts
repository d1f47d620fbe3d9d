import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFilter } from '../../../src/commands/ls-filter.js';
import { UsageError } from '../../../src/errors.js';
import type { TagFilter } from '../../../src/registry/tag-filter.js';

const parseAll = (...values: string[]): TagFilter =>
  values.reduce<TagFilter | undefined>((prev, v) => parseFilter(v, prev), undefined) as TagFilter;

describe('ls --filter', () => {
  test('a bare value and reference= are globs; they add up', () => {
    const f = parseAll('v1.*', 'reference=latest');
    assert.equal(f.references.length, 2);
    assert.ok(f.references[0]?.test('v1.2'));
    assert.ok(f.references[1]?.test('latest'));
    assert.equal(f.since, undefined);
    assert.deepEqual(f.platforms, []);
  });

  test('since= and before= name a tag', () => {
    assert.deepEqual(parseAll('since=1.0', 'before=2.0_x'), {
      references: [],
      platforms: [],
      since: '1.0',
      before: '2.0_x',
    });
  });

  test('a glob may hold "=" after its key', () => {
    assert.ok(parseAll('reference=a=b').references[0]?.test('a=b'));
  });

  const refused: Array<[values: string[], message: RegExp]> = [
    [['label=x'], /unknown --filter key 'label'/],
    [['Since=1.0'], /unknown --filter key 'Since'/],
    [['=x'], /unknown --filter key ''/],
    [['since='], /needs a value/],
    [['reference='], /needs a value/],
    [['before=-x'], /'-x' is not a tag/],
    [['since=a/b'], /is not a tag/],
    [['since=1', 'since=2'], /may be given once/],
    [['[abc'], /unclosed/],
  ];
  for (const [values, message] of refused) {
    test(`refused: ${values.join(' ')}`, () => {
      assert.throws(
        () => parseAll(...values),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});
