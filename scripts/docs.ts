// Regenerates the generated parts of the documentation: the README's command reference (from the
// command table) and docs/output.md's field tables (from src/ui/shapes/): `npm run docs`. With
// --check it writes nothing and exits 1 naming each stale file (unit tests make the same checks).
import { readFile, writeFile } from 'node:fs/promises';
import { GLOBAL_OPTIONS } from '../src/commands/globals.js';
import { COMMANDS } from '../src/commands/index.js';
import { commandReference, spliceReference } from '../src/commands/reference-doc.js';
import { spliceShapesDoc } from '../src/ui/shapes-doc.js';

const check = process.argv.includes('--check');
const docs: { file: string; render: (current: string) => string }[] = [
  { file: 'README.md', render: (t) => spliceReference(t, commandReference(COMMANDS, GLOBAL_OPTIONS)) },
  { file: 'docs/output.md', render: spliceShapesDoc },
];
for (const { file, render } of docs) {
  const url = new URL(`../${file}`, import.meta.url);
  const current = await readFile(url, 'utf8');
  const next = render(current);
  if (next === current) continue;
  if (check) {
    console.error(`${file} is stale: run npm run docs`);
    process.exitCode = 1;
  } else {
    await writeFile(url, next);
    console.log(`wrote ${file}`);
  }
}
