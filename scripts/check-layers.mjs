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
  settings: 45,
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
// Capabilities, not kinds (architecture.md §7): outside src/store/, nothing tests which kind of
// store or location it holds. Stores declare traits and copy/ decides from them; a `switch` on a
// location's kind or an `instanceof` of a store class elsewhere is policy in the wrong place.
const KIND_TEST =
  /instanceof\s+(?:Registry(?:Source|Destination)|Oci\w*(?:Source|Destination)|DockerArchive\w*)\b|\.kind\s*[!=]==\s*'(?:registry|oci|oci-archive|docker-archive)'|case\s+'(?:registry|oci|oci-archive|docker-archive)'\s*:/;
const kindTests = [];
for (const file of walk(SRC)) {
  if (partOf(file) === 'store') continue;
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (KIND_TEST.test(line)) kindTests.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
  });
}
if (problems.length > 0 || kindTests.length > 0) {
  if (problems.length > 0)
    console.error(`layering: ${problems.length} upward import(s):\n  ${problems.join('\n  ')}`);
  if (kindTests.length > 0)
    console.error(
      `layering: ${kindTests.length} store-kind test(s) outside src/store/ (declare a trait instead):\n  ${kindTests.join('\n  ')}`,
    );
  process.exit(1);
}
console.log(
  `layering: ${checked} modules, all imports point downward; no store-kind tests outside src/store/`,
);
