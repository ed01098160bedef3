#!/usr/bin/env bash
# The evaluation corpus is documentation Debian packages ship (/usr/share/doc). A package not
# installed here (containerd, zstd, ...) is fetched with apt-get download and only its
# /usr/share/doc is unpacked, into tmp/rag-eval-docs (retrieval-eval.ts reads both places).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=tmp/rag-eval-docs
mkdir -p "$out" tmp/rag-eval-debs
for pkg in "$@"; do
  [ -d "/usr/share/doc/$pkg" ] || [ -d "$out/usr/share/doc/$pkg" ] && continue
  (cd tmp/rag-eval-debs && apt-get download "$pkg")
  dpkg-deb --fsys-tarfile tmp/rag-eval-debs/"${pkg}"_*.deb | tar -x -C "$out" ./usr/share/doc
done
