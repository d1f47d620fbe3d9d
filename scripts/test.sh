#!/usr/bin/env bash
# Runs the suite with node's built-in runner (its closing summary is what CI reads).
# Node 20's --test does not expand globs, so collect the files here and fail on an empty list.
#
#   bash scripts/test.sh                 every test/**/*.test.ts except the soak tests (npm test)
#   bash scripts/test.sh --soak          only the soak tests, test/soak/ (npm run test:soak)
#   FERRY_SOAK=1 bash scripts/test.sh    both, in one run
#   bash scripts/test.sh FILE...         just those files
#
# The soak tests (test/soak/) move gigabytes through fault proxies for minutes; they are opt-in so
# that the everyday suite stays quick.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
# Some tests spawn bin/ferry.js, which runs the bundle: build it first (esbuild takes about a second).
node scripts/build.mjs
files=()
if [ "${1:-}" = --soak ]; then
  files=(test/soak/**/*.test.ts)
elif [ "$#" -gt 0 ]; then
  files=("$@")
else
  for f in test/**/*.test.ts; do
    if [[ "$f" != test/soak/* || "${FERRY_SOAK:-}" = 1 ]]; then files+=("$f"); fi
  done
fi
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
exec node --import tsx --test --test-reporter=spec --test-concurrency="${FERRY_TEST_CONCURRENCY:-2}" "${files[@]}"
