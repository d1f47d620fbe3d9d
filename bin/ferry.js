#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code for ferry's modules on disk (in the system's temp
// directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a start after the first skips
// compiling the bundle. Node 20 has no compile cache: the call is skipped there. The bundle is
// imported after it, dynamically, so that it is compiled under the cache.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.mjs');

process.exitCode = await main(process.argv.slice(2));
