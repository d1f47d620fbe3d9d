// Bundles the CLI into dist/ with esbuild. One ESM entry plus lazily loaded chunks, so a read
// command such as `digest` does not pay for ora, cli-table3 or tar-stream at start-up
// (shared/design/node.md §2.1: bundling saves ~50 ms per start over plain tsc output).
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  // The gzip worker is an entry of its own: worker threads load a module by file (copy/gzip-pool.ts).
  entryPoints: { cli: 'src/cli.ts', 'gzip-worker': 'src/copy/gzip-worker.ts' },
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
