#!/usr/bin/env bash
# Runs the whole suite with node's built-in runner (its closing summary is what CI reads).
# Node 20's --test does not expand globs, so collect the files here and fail on an empty list.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
# Some tests spawn bin/ferry.js, which runs the bundle: build it first (esbuild takes about a second).
node scripts/build.mjs
if [ "$#" -gt 0 ]; then files=("$@"); else files=(test/**/*.test.ts); fi
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
exec node --import tsx --test --test-reporter=spec --test-concurrency="${FERRY_TEST_CONCURRENCY:-2}" "${files[@]}"
