// Bundles the CLI into dist/ with esbuild. One ESM entry plus lazily loaded chunks, so a read
// command such as `digest` does not pay for ora, cli-table3 or tar-stream at start-up
// (shared/design/node.md §2.1: bundling saves ~50 ms per start over plain tsc output).
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  outExtension: { '.js': '.mjs' },
  // undici and cli-table3 are CommonJS and call require() for node builtins; ESM output needs one.
  banner: {
    js: "import { createRequire as __ferryRequire } from 'node:module'; const require = __ferryRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
