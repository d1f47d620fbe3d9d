// The tag rules of a sync entry: allow/deny regular expressions, a semver range over the tags that
// read as versions, and the newest N of what is left, each filtered tag with the rule that left it out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_TAGS,
  newestFirst,
  parseRange,
  selectTags,
  type TagRules,
  tagVersion,
} from '../../../../src/copy/sync/tags.js';

const rules = (partial: Partial<TagRules> & { range?: string }): TagRules => {
  const { range, ...rest } = partial;
  const parsed = range === undefined ? undefined : parseRange(range);
  if (range !== undefined && !parsed) throw new Error(`bad range ${range}`);
  return { ...ALL_TAGS, ...rest, ...(parsed ? { semver: { text: range ?? '', range: parsed } } : {}) };
};

describe('tagVersion', () => {
  const cases: [string, string | undefined][] = [
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['1.2', '1.2.0'],
    ['v3', '3.0.0'],
    ['10', '10.0.0'],
    ['2.0-rc1', '2.0.0-rc1'],
    ['1.2.3-alpine', '1.2.3-alpine'],
    ['01.2.3', '1.2.3'],
    ['latest', undefined],
    ['1.2.3.4', undefined],
    ['v', undefined],
    ['1.2.3-', undefined],
    ['1.2.3-01', undefined], // a numeric prerelease part with a leading zero is no semver
    ['sha256-abc', undefined],
  ];
  for (const [tag, version] of cases)
    test(`${tag} → ${version ?? 'no version'}`, () => assert.equal(tagVersion(tag)?.version, version));
});

describe('parseRange', () => {
  test('npm ranges and Masterminds-style commas', () => {
    for (const text of ['>=1.2.0 <3', '>=1.2.0, <3', '^2', '~1.4 || >=3', '1.x', '*'])
      assert.ok(parseRange(text), text);
  });
  test('nonsense is refused', () => {
    for (const text of ['>=banana', '1.2.3.4.5', '>>1']) assert.equal(parseRange(text), undefined, text);
  });
});

describe('newestFirst', () => {
  test('versions by precedence, above every non-version tag', () => {
    const tags = ['latest', '1.9', '1.10', '2.0-rc1', '2.0', 'edge', 'v1.2.3', '10'];
    assert.deepEqual([...tags].sort(newestFirst), [
      '10',
      '2.0',
      '2.0-rc1',
      '1.10',
      '1.9',
      'v1.2.3',
      'latest',
      'edge',
    ]);
  });
});

describe('selectTags', () => {
  const tags = ['1.0.0', '1.2.0', '1.2.1', '1.3.0-rc1', '1.10.0', '2.0.0', '3.0.0', 'latest', 'edge'];

  test('no rules: every tag, in the order given', () => {
    assert.deepEqual(selectTags(tags, ALL_TAGS), { kept: tags, filtered: [] });
  });

  test('allow: a tag must match one pattern, as written (not anchored)', () => {
    const r = selectTags(tags, rules({ allow: [/^1\./, /beta/] }));
    assert.deepEqual(r.kept, ['1.0.0', '1.2.0', '1.2.1', '1.3.0-rc1', '1.10.0']);
    assert.deepEqual(
      r.filtered.map((f) => f.tag),
      ['2.0.0', '3.0.0', 'latest', 'edge'],
    );
    assert.equal(r.filtered[0]?.reason, 'matches no allow pattern');
    // '-rc' matches in the middle of a tag: nothing anchors it
    assert.deepEqual(selectTags(tags, rules({ allow: [/-rc/] })).kept, ['1.3.0-rc1']);
  });

  test('deny: a matching tag is left out, with the pattern named', () => {
    const r = selectTags(tags, rules({ deny: [/-rc/, /^edge$/] }));
    assert.ok(!r.kept.includes('1.3.0-rc1') && !r.kept.includes('edge'));
    assert.deepEqual(r.filtered, [
      { tag: '1.3.0-rc1', reason: "matches deny pattern '-rc'" },
      { tag: 'edge', reason: "matches deny pattern '^edge$'" },
    ]);
  });

  test('semver: tags outside the range, or no versions, are left out; prereleases only when asked', () => {
    const r = selectTags(tags, rules({ range: '>=1.2.0 <3' }));
    assert.deepEqual(r.kept, ['1.2.0', '1.2.1', '1.10.0', '2.0.0']);
    const reasons = Object.fromEntries(r.filtered.map((f) => [f.tag, f.reason]));
    assert.equal(reasons['1.0.0'], "outside semver '>=1.2.0 <3'");
    assert.equal(reasons['1.3.0-rc1'], "outside semver '>=1.2.0 <3'");
    assert.equal(reasons['latest'], "not a version (semver '>=1.2.0 <3')");
    assert.deepEqual(selectTags(tags, rules({ range: '>=1.3.0-rc0 <1.4' })).kept, ['1.3.0-rc1']);
  });

  test('latest: the newest N of what the other rules kept, in the order given', () => {
    const r = selectTags(tags, rules({ deny: [/^3\./], latest: 3 }));
    assert.deepEqual(r.kept, ['1.3.0-rc1', '1.10.0', '2.0.0']);
    const reasons = Object.fromEntries(r.filtered.map((f) => [f.tag, f.reason]));
    assert.equal(reasons['3.0.0'], "matches deny pattern '^3\\.'");
    assert.equal(reasons['1.2.1'], 'not among the latest 3');
    assert.equal(reasons['latest'], 'not among the latest 3');
    assert.equal(r.kept.length + r.filtered.length, tags.length, 'every tag accounted for once');
  });

  test('all four together', () => {
    const r = selectTags(tags, rules({ allow: [/^\d/], deny: [/-rc/], range: '>=1.0.0 <3', latest: 2 }));
    assert.deepEqual(r.kept, ['1.10.0', '2.0.0']);
    assert.equal(r.filtered.length, tags.length - 2);
  });
});
