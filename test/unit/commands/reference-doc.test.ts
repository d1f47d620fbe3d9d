// The README's command reference is generated from the command table: it must be current, and it
// must name every command, alias, option and example the CLI has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GLOBAL_OPTIONS } from '../../../src/commands/globals.js';
import { COMMANDS } from '../../../src/commands/index.js';
import {
  commandReference,
  REFERENCE_BEGIN,
  REFERENCE_END,
  spliceReference,
} from '../../../src/commands/reference-doc.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('README.md carries the current command reference (else: npm run docs)', () => {
  assert.equal(readme, spliceReference(readme, commandReference(COMMANDS, GLOBAL_OPTIONS)));
});

test('the reference names every command, alias, option and example', () => {
  const reference = commandReference(COMMANDS, GLOBAL_OPTIONS);
  for (const spec of COMMANDS) {
    assert.match(reference, new RegExp(`^### \`ferry ${spec.name}[ \`]`, 'm'), spec.name);
    for (const alias of spec.aliases ?? []) assert.ok(reference.includes(`\`${alias}\``), alias);
    for (const option of spec.options) assert.ok(reference.includes(`\`${option.flags}\``), option.flags);
    for (const example of spec.examples) assert.ok(reference.includes(example), example);
  }
  for (const option of GLOBAL_OPTIONS) assert.ok(reference.includes(`\`${option.flags}\``), option.flags);
});

test('a group of commands gets one section per subcommand: ferry index create …', () => {
  const reference = commandReference(COMMANDS, GLOBAL_OPTIONS);
  const groups = COMMANDS.filter((spec) => spec.subcommands);
  assert.ok(groups.length > 0);
  for (const group of groups) {
    for (const sub of group.subcommands ?? []) {
      assert.match(reference, new RegExp(`^### \`ferry ${group.name} ${sub.name}[ \`]`, 'm'), sub.name);
      for (const option of sub.options) assert.ok(reference.includes(`\`${option.flags}\``), option.flags);
      for (const example of sub.examples) assert.ok(reference.includes(example), example);
    }
  }
});

test('splicing replaces only what lies between the markers', () => {
  const text = `before\n${REFERENCE_BEGIN}\nold\n${REFERENCE_END}\nafter\n`;
  assert.equal(
    spliceReference(text, 'new\n'),
    `before\n${REFERENCE_BEGIN}\n\nnew\n\n${REFERENCE_END}\nafter\n`,
  );
  assert.throws(() => spliceReference('no markers', 'x'), /markers/);
});

test('a pipe in a description does not break the table', () => {
  const reference = commandReference([], [{ flags: '--x <a|b>', description: 'one | two' }]);
  assert.match(reference, /^\| `--x <a\\\|b>` \| one \\\| two \|$/m);
});
