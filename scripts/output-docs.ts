// Writes the field tables of docs/output.md from src/ui/shapes/, between its markers:
// `node --import tsx scripts/output-docs.ts`. With --check it writes nothing and exits 1 when the
// file is stale (test/unit/ui/shapes.test.ts makes the same comparison).
import { readFile, writeFile } from 'node:fs/promises';
import { spliceShapesDoc } from '../src/ui/shapes-doc.js';

const url = new URL('../docs/output.md', import.meta.url);
const current = await readFile(url, 'utf8');
const next = spliceShapesDoc(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/output.md is stale: run node --import tsx scripts/output-docs.ts');
    process.exitCode = 1;
  }
} else if (next !== current) {
  await writeFile(url, next);
  console.log('wrote docs/output.md');
}
