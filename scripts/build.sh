#!/usr/bin/env bash
# Builds every app and lib: contracts from proto/, then swc (type-stripping, decorator metadata,
# path aliases rewritten) into dist/, with proto/ copied beside it for the gRPC loaders.
# Type checking is separate: npm run typecheck.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/proto-gen.sh >/dev/null
# No rm -rf dist: builds are incremental, so a build never pulls files from under a running process.
[ "${1:-}" = "--clean" ] && rm -rf dist
dirs=(apps libs)
[ -d bench ] && dirs+=(bench)
npx swc "${dirs[@]}" -d dist --ignore '**/*.spec.ts' --quiet
mkdir -p dist && rm -rf dist/proto.new && cp -r proto dist/proto.new && rm -rf dist/proto && mv dist/proto.new dist/proto
echo "built $(find dist -name '*.js' | wc -l) files into dist/"
