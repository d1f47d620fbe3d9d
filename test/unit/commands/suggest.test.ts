import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance, suggestCommands } from '../../../src/commands/suggest.js';

test('editDistance counts a swap of neighbours as one edit', () => {
  const cases: Array<[string, string, number]> = [
    ['', '', 0],
    ['a', '', 1],
    ['manifest', 'manifest', 0],
    ['mainfest', 'manifest', 1],
    ['manfest', 'manifest', 1],
    ['cataloq', 'catalog', 1],
    ['get', 'digest', 3],
    ['kitten', 'sitting', 3],
  ];
  for (const [a, b, d] of cases) assert.equal(editDistance(a, b), d, `${a} → ${b}`);
});

test('suggestCommands: prefixes first, then close typos, else nothing', () => {
  const names = [
    'help',
    'blob',
    'catalog',
    'completion',
    'config',
    'copy',
    'cp',
    'delete',
    'rm',
    'digest',
    'login',
    'logout',
    'ls',
    'tags',
    'tag',
  ];
  const cases: Array<[string, string[]]> = [
    ['del', ['delete']],
    ['co', ['completion', 'config', 'copy']],
    ['c', ['cp']],
    ['conf', ['config']],
    ['lo', ['login', 'logout']],
    ['tg', ['tag']],
    ['tags2', ['tags']],
    ['rn', ['rm']],
    ['get', []],
    ['x', []],
    ['help', []],
  ];
  // Four names share the prefix: a menu, not a suggestion.
  assert.deepEqual(suggestCommands('co', [...names, 'cosign']), []);
  for (const [word, want] of cases) assert.deepEqual(suggestCommands(word, names), want, word);
});
