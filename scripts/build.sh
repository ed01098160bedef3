#!/usr/bin/env bash
# Builds every app and lib through Nx (`build` target of each project, see nx.json): contracts
# from proto/ first, then swc per project (type-stripping, decorator metadata, path aliases
# rewritten) into dist/<project root>/, with proto/ copied beside it for the gRPC loaders. Nx
# caches each project's build, so an unchanged project is not rebuilt.
# Type checking is separate: npm run typecheck (or npx nx run-many -t typecheck).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
# No rm -rf dist: builds are incremental, so a build never pulls files from under a running
# process. --clean starts from nothing (and skips the cache).
extra=()
if [ "${1:-}" = "--clean" ]; then rm -rf dist; extra+=(--skip-nx-cache); fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx nx run-many -t build --parallel="${NX_PARALLEL:-2}" --outputStyle=static "${extra[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "built $(find dist -name '*.js' | wc -l) files into dist/"
