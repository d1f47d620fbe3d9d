#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with llhttp compiled to WebAssembly. V8's background TurboFan tier-up of
// that module costs about 30 MiB of RSS and delays the exit of a short command; its Liftoff
// (baseline) code parses headers fast enough (bench/RESULTS.md). Set before anything compiles.
setFlagsFromString('--liftoff-only');
const { main } = await import('../dist/cli.mjs');

process.exitCode = await main(process.argv.slice(2));
