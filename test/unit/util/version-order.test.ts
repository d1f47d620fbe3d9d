import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareVersions } from '../../../src/util/version-order.js';

const sorted = (tags: string[]): string[] => [...tags].sort(compareVersions);

test('numbers as numbers, pre-releases before their release (semver §11), variants after', () => {
  const cases: string[][] = [
    ['1.2', '1.9', '1.10', '2.0-rc1', '10', 'latest'],
    [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ],
    ['1.0.0-rc1', '1.0.0-rc2', '1.0.0-rc10', '1.0.0', '1.0.1'],
    ['v1.0.0-rc1', 'v1.0.0', 'v1.1.0'],
    ['1.25', '1.25-alpine', '1.25-bookworm', '1.26'], // variants, not pre-releases: after the version
    ['v1', 'v1-docker'],
    ['3.0-dev', '3.0-preview.1', '3.0', '3.0-slim'],
    ['2.0-beta', '2.0', '2.0.1-rc1', '2.0.1'],
    ['a', 'b', 'b-1', 'latest', 'stable'], // no version before the '-': no pre-release
  ];
  for (const want of cases) {
    assert.deepEqual(sorted([...want].reverse()), want);
    assert.deepEqual(sorted(want), want);
  }
});

test('a total order: antisymmetric and transitive on any mix of tags', () => {
  const alphabet = fc.constantFrom(...'0123456789.-vrcab'.split(''));
  const tag = fc.string({ unit: alphabet, minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(tag, tag, tag, (a, b, c) => {
      assert.equal(Math.sign(compareVersions(a, b)), -Math.sign(compareVersions(b, a)) || 0);
      if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) assert.ok(compareVersions(a, c) <= 0);
    }),
    { numRuns: 2000 },
  );
});
