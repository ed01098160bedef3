#!/usr/bin/env bash
# Builds every app and lib: contracts from proto/, then swc (type-stripping, decorator metadata,
# path aliases rewritten) into dist/, with proto/ copied beside it for the gRPC loaders.
# Type checking is separate: npm run typecheck.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/proto-gen.sh >/dev/null
rm -rf dist
dirs=(apps libs)
[ -d bench ] && dirs+=(bench)
npx swc "${dirs[@]}" -d dist --ignore '**/*.spec.ts' --quiet
cp -r proto dist/proto
echo "built $(find dist -name '*.js' | wc -l) files into dist/"
