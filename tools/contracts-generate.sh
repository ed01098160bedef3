#!/usr/bin/env bash
# The contracts:generate target: runs tools/proto-gen.sh only when its inputs changed (the protos,
# the generator scripts, the ts-proto and protoc versions), recorded as a hash inside the generated
# folder. proto-gen.sh swaps the folder in atomically, but between two runs another process
# (a type check, a test) could still catch the moment of the swap; skipping an unchanged run keeps
# builds from touching the folder at all, so parallel builds and tests never see it missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
generated=libs/contracts/src/generated
inputs_hash() {
  {
    find proto -name '*.proto' -type f | LC_ALL=C sort | xargs sha256sum
    find tools -maxdepth 1 -name "proto-*" -type f | LC_ALL=C sort | xargs sha256sum
    node -p "require('ts-proto/package.json').version + ' ' + require('protoc/package.json').version"
  } | sha256sum | cut -d' ' -f1
}
want=$(inputs_hash)
if [ -f "$generated/.inputs-hash" ] && [ "$(cat "$generated/.inputs-hash")" = "$want" ] && [ -f "$generated/index.ts" ]; then
  echo "contracts up to date"
  exit 0
fi
bash tools/proto-gen.sh
echo "$want" > "$generated/.inputs-hash"
