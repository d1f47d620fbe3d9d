// The import layering check (shared/design/architecture.md, "Layering rule"): imports point
// downward only. Each top-level part of src/ has a rank; a module may import its own folder or
// anything ranked lower, never higher. src/ never imports test/ or bench/. Exits 1 on a violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../src');
const RANKS = {
  'cli.ts': 100,
  commands: 90,
  'context.ts': 88,
  ui: 85,
  build: 75,
  copy: 70,
  store: 60,
  registry: 50,
  http: 40,
  auth: 30,
  image: 22,
  ref: 21,
  digest: 20,
  util: 5,
  'errors.ts': 0,
};

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const partOf = (file) => relative(SRC, file).split('/')[0];
const rankOf = (file) => {
  const rank = RANKS[partOf(file)];
  if (rank === undefined)
    throw new Error(`check-layers: ${relative(SRC, file)} is in no layer; add it to RANKS`);
  return rank;
};

const importRe =
  /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
let checked = 0;
for (const file of walk(SRC)) {
  checked++;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    const rel = relative(SRC, target);
    if (rel.startsWith('..')) {
      problems.push(`${relative(SRC, file)} imports ${spec}: outside src/`);
      continue;
    }
    if (partOf(file) === partOf(target)) continue;
    if (rankOf(target) >= rankOf(file)) {
      problems.push(`${relative(SRC, file)} imports ${rel}: ${partOf(target)} is not below ${partOf(file)}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`layering: ${problems.length} upward import(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`layering: ${checked} modules, all imports point downward`);
