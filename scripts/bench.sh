#!/usr/bin/env bash
# Benchmarks (not part of the test run). Builds, checks the infrastructure, runs every bench in
# bench/ (or the ones named: npm run bench -- auth-me) and writes bench/results/<name>.md, which
# README's Benchmarks section quotes.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/infra.sh --mongo || exit 1
bash scripts/build.sh >/dev/null || exit 1
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.ts; do names+=("$(basename "$f" .ts)"); done
fi
status=0
for n in "${names[@]}"; do
  echo "=== bench: $n"
  node --enable-source-maps "dist/bench/$n.js" || { echo "bench $n failed"; status=1; }
done
node tools/readme-bench.mjs
exit $status
