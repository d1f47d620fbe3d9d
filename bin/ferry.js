#!/usr/bin/env node
import module from 'node:module';

// V8 doubles the young generation each time a scavenge finds many survivors, up to 16 MiB a
// semi-space (48 MiB of young generation in all). A transfer's survivors are short-lived stream
// buffers and promises, so the growth buys nothing but resident memory: kept at its starting
// size, a 40-layer copy peaks near 75 MiB instead of 100 (bench/PROFILE.md). Of the young
// generation's flags only this one still takes effect once the heap is set up, and it must be
// set before start-up's own survivors grow it.
process.getBuiltinModule('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
// The old generation: V8 lets it grow to up to 4 times what survived the last full collection
// before it collects again. What a run of many small copies promotes there is mostly dead by then
// (a sync of 200 images had 28 MiB of heap, 11 MiB of it alive), so it showed as resident memory:
// with the growth held at 1.2, that sync peaks at 74 MiB instead of 94, the 40 × 5 MiB copy at 74
// instead of 84, for a few more full collections of a small heap (bench/PROFILE.md).
process.getBuiltinModule('node:v8').setFlagsFromString('--heap-growing-percent=20');

// Node 22.1 and later keep V8's compiled code for ferry's modules on disk (in the system's temp
// directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a start after the first skips
// compiling the bundle. Node 20 has no compile cache: the call is skipped there. The bundle is
// imported after it, dynamically, so that it is compiled under the cache.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.mjs');

process.exitCode = await main(process.argv.slice(2));
