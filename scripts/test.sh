#!/usr/bin/env bash
# Runs every test suite (unit, integration against the real stores, end-to-end with real processes,
# deployment checks) and ends with one line: "N passed, N failed".
# Installs what is missing and starts the local infrastructure first.
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
bash scripts/infra.sh --mongo || { echo "[test] infrastructure is not available"; echo "0 passed, 1 failed"; exit 1; }
[ -f scripts/ensure-helm.sh ] && { bash scripts/ensure-helm.sh >/dev/null || echo "[test] helm could not be installed: the chart tests will fail"; }
echo "[test] building"
bash scripts/build.sh || { echo "[test] build failed"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p tmp
results=tmp/jest-results.json
rm -f "$results"
npx jest --ci --maxWorkers="${TEST_WORKERS:-2}" --json --outputFile="$results" "$@"
status=$?
if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const broken = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
  ' "$results"
else
  echo "0 passed, 1 failed"
fi
exit $status
