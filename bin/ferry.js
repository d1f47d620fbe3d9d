#!/usr/bin/env node
import module from 'node:module';

// V8 doubles the young generation each time a scavenge finds many survivors, up to 16 MiB a
// semi-space (48 MiB of young generation in all). A transfer's survivors are short-lived stream
// buffers and promises, so the growth buys nothing but resident memory: kept at its starting
// size, a 40-layer copy peaks near 75 MiB instead of 100 (bench/PROFILE.md). Of the young
// generation's flags only this one still takes effect once the heap is set up, and it must be
// set before start-up's own survivors grow it.
process.getBuiltinModule('node:v8').setFlagsFromString('--semi-space-growth-factor=1');

// Node 22.1 and later keep V8's compiled code for ferry's modules on disk (in the system's temp
// directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a start after the first skips
// compiling the bundle. Node 20 has no compile cache: the call is skipped there. The bundle is
// imported after it, dynamically, so that it is compiled under the cache.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.mjs');

process.exitCode = await main(process.argv.slice(2));
