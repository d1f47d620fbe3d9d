import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { globToRegExp } from '../../../src/util/glob.js';

describe('globToRegExp', () => {
  const cases: Array<[glob: string, matches: string[], misses: string[]]> = [
    ['v1.*', ['v1.', 'v1.0', 'v1.10-rc1'], ['v1', 'xv1.0', 'v10']],
    ['*', ['', 'anything'], []],
    ['*-rc*', ['1.0-rc1', '-rc'], ['1.0', '1.0-RC1']],
    ['v?', ['v1', 'vx'], ['v', 'v10']],
    ['1.[0-2]', ['1.0', '1.2'], ['1.3', '1.10']],
    ['1.[!0-2]', ['1.3', '1.a'], ['1.0', '1.2']],
    ['1.[^0-2]', ['1.3'], ['1.1']],
    ['[]a]x', [']x', 'ax'], ['bx']],
    ['a\\*', ['a*'], ['ab']],
    ['a.b', ['a.b'], ['axb']], // "." is literal
    ['a+b(c)|d$', ['a+b(c)|d$'], ['aab']],
    ['latest', ['latest'], ['latest1', 'alatest']],
  ];
  for (const [glob, matches, misses] of cases) {
    test(glob, () => {
      const re = globToRegExp(glob);
      for (const m of matches) assert.ok(re.test(m), `${glob} matches ${m}`);
      for (const m of misses) assert.ok(!re.test(m), `${glob} does not match ${m}`);
    });
  }

  for (const [glob, message] of [
    ['v1.[0', /unclosed "\["/],
    ['a\\', /unfinished/],
    ['[z-a]', /bad character range/],
  ] as const) {
    test(`refused: ${glob}`, () => assert.throws(() => globToRegExp(glob), message));
  }
});
