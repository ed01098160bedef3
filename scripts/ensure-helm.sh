#!/usr/bin/env bash
# Makes a Helm v3 binary available and prints its absolute path on stdout (the only stdout line).
# Helm is not packaged in Debian or npm here, so it is built from the Go module proxy once
# (minutes) and cached; later runs reuse a cached binary and return at once.
#   HELM_VERSION  (default v3.16.4)   HELM_BIN  (use this binary if it exists)
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.16.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$ROOT/.tools/bin"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/aether-tools/helm-$HELM_VERSION"

log() { echo "ensure-helm: $*" >&2; }

# True when $1 is an executable helm of the wanted version.
is_wanted() {
  [ -x "$1" ] || return 1
  "$1" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"
}

link_into_tools() {
  mkdir -p "$TOOLS_BIN"
  if [ "$1" != "$TOOLS_BIN/helm" ]; then cp -f "$1" "$TOOLS_BIN/helm.tmp.$$" && mv -f "$TOOLS_BIN/helm.tmp.$$" "$TOOLS_BIN/helm"; fi
  echo "$TOOLS_BIN/helm"
}

if [ -n "${HELM_BIN:-}" ] && [ -x "$HELM_BIN" ]; then echo "$HELM_BIN"; exit 0; fi

# Serialise concurrent callers (parallel jest workers, CI steps): one build, the rest wait.
mkdir -p "$TOOLS_BIN"
exec 9>"$TOOLS_BIN/.helm.lock"
flock 9

for candidate in "$TOOLS_BIN/helm" "$CACHE_DIR/helm" "${GOBIN:-}/helm" "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin/helm" "$HOME/go/bin/helm" "$HOME/.cache/helm-bin/helm"; do
  if is_wanted "$candidate"; then
    link_into_tools "$candidate"
    exit 0
  fi
done

command -v go >/dev/null 2>&1 || { log "Go toolchain not found: cannot build helm $HELM_VERSION"; exit 1; }

log "building helm $HELM_VERSION with go install (first time takes minutes)..."
mkdir -p "$CACHE_DIR"
# go install leaves helm's version string at its default ("v3.16"): stamp the real one, as
# helm's Makefile does, so the version check above recognises the cached binary.
GOBIN="$CACHE_DIR" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}" \
  go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
is_wanted "$CACHE_DIR/helm" || { log "built binary does not report $HELM_VERSION"; exit 1; }
link_into_tools "$CACHE_DIR/helm"
