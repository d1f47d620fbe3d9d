// The exit codes are written in three places: src/errors.ts (ExitCode, what ferry returns), the
// README's "Exit codes" table and docs/output.md's. This holds them together: the same codes in
// all three, and the same meaning, word for word, in both tables.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/errors.js';

const ROOT = join(import.meta.dirname, '../..');

/** The rows of the first table under `## Exit codes` in a Markdown file: code → meaning. */
async function exitCodeTable(file: string): Promise<Map<number, string>> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const start = text.indexOf('\n## Exit codes\n');
  assert.ok(start >= 0, `${file} has an "Exit codes" section`);
  const section = text.slice(start + 1).split(/\n## /)[0]!;
  const rows = new Map<number, string>();
  for (const line of section.split('\n')) {
    const m = /^\| (\d+) \| ([^|]+) \|/.exec(line);
    if (m === null) continue;
    const code = Number(m[1]);
    assert.ok(!rows.has(code), `${file}: code ${code} is listed twice`);
    rows.set(code, m[2]!.trim());
  }
  assert.ok(rows.size > 0, `${file}: the Exit codes section has a table`);
  return rows;
}

test('README, docs/output.md and src/errors.ts list the same exit codes with the same meanings', async () => {
  const [readme, docs] = await Promise.all([exitCodeTable('README.md'), exitCodeTable('docs/output.md')]);
  const codes = [...new Set(Object.values(ExitCode))].sort((a, b) => a - b);
  assert.deepEqual([...readme.keys()], codes, 'README.md lists every ExitCode, in order');
  assert.deepEqual([...docs.keys()], codes, 'docs/output.md lists every ExitCode, in order');
  for (const code of codes) assert.equal(readme.get(code), docs.get(code), `the meaning of ${code}`);
});
