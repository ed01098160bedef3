#!/usr/bin/env bash
# Runs every test suite (unit, integration against the real stores, end-to-end with real processes,
# deployment checks) through Nx — each project's `test` target, two at a time — and ends with one
# line: "N passed, N failed".
# Installs what is missing (npm packages, Helm, a Compose parser) and starts the local
# infrastructure first, so it works on a fresh machine on its own.
# Arguments go to `nx run-many -t test` (e.g. `npm test -- -p security`, `npm test -- --skip-nx-cache`);
# `npm test -- --affected` runs only the projects a change touches (nx affected).
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

fail_setup() { echo "[test] $1"; echo "0 passed, 1 failed"; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null || fail_setup "npm ci failed"
fi
bash scripts/infra.sh --mongo || fail_setup "infrastructure is not available"
bash scripts/ensure-helm.sh >/dev/null || echo "[test] helm could not be installed: the chart tests will fail"
bash scripts/ensure-compose.sh >/dev/null || echo "[test] no Compose parser could be installed: the compose tests will fail"
bash scripts/ensure-analyzers.sh || echo "[test] shellcheck could not be installed: the code-assistant analyzer tests will fail"
# The control plane of the install tests (deploy/test/helm-install.spec.ts): built once (minutes), then cached.
bash scripts/ensure-k8s.sh >/dev/null || echo "[test] the Kubernetes control plane could not be built: the install tests will fail"
echo "[test] building"
bash scripts/build.sh || fail_setup "build failed"

results=tmp/test-results
rm -rf "$results" && mkdir -p "$results"
mode=(run-many)
args=()
for a in "$@"; do if [ "$a" = "--affected" ]; then mode=(affected); else args+=("$a"); fi; done
# The projects whose results the total must contain (a missing file counts as a failure).
if [ "${mode[0]}" = affected ]; then
  expected=$(npx nx show projects --affected --with-target test "${args[@]}" 2>/dev/null)
else
  expected=$(npx nx show projects --with-target test "${args[@]}" 2>/dev/null)
fi
# Two projects at a time, each jest run in one process: the machine has two cores.
npx nx "${mode[@]}" -t test --parallel="${TEST_PARALLEL:-2}" --outputStyle=static "${args[@]}"
status=$?
# shellcheck disable=SC2086
node tools/test-summary.mjs --exit-code "$status" "$results" $expected
exit $status
