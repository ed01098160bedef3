#!/usr/bin/env bash
# Makes the binaries of a real Kubernetes control plane available and prints the folder that
# holds them on stdout (the only stdout line): kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd and kwok (simulated nodes and pod lifecycles).
# No kind/k3s images can be pulled here, so they are built from the Go module proxy once
# (~7 minutes on 2 idle cores, ~400 MB) and cached, keyed on the versions; later runs (the dev
# machine, CI on the same machine) find the cache and return at once. Safe to run concurrently:
# one caller builds, the others wait for it. scripts/k8s-up.sh starts a control plane from them.
#   K8S_VERSION (v1.33.13)  K8S_STAGING_VERSION (v0.33.13)  ETCD_VERSION (v3.6.8)  KWOK_VERSION (v0.7.0)
#   K8S_BUILD_PARALLELISM (2: go build -p and GOMAXPROCS; the build runs under nice -n 19)
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.33.13}"
K8S_STAGING_VERSION="${K8S_STAGING_VERSION:-v0.33.13}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.8}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
PARALLELISM="${K8S_BUILD_PARALLELISM:-2}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/aether-tools"
CACHE_DIR="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

log() { echo "ensure-k8s: $*" >&2; }

# True when $1 holds every binary and they report the wanted versions. The marker is written
# last, so a build that was killed half-way is never taken for a complete one.
is_complete() {
  local dir="$1" bin
  [ -f "$dir/.complete" ] || return 1
  for bin in "${BINARIES[@]}"; do [ -x "$dir/$bin" ] || return 1; done
  # Output captured first: piped straight into grep -q, a binary still writing after the match
  # dies of SIGPIPE and pipefail fails the check (it did on a loaded machine: a good build discarded).
  local out
  out="$("$dir/kube-apiserver" --version 2>/dev/null)" || return 1
  grep -qx "Kubernetes $K8S_VERSION" <<<"$out" || return 1
  out="$("$dir/etcd" --version 2>/dev/null)" || return 1
  grep -qx "etcd Version: ${ETCD_VERSION#v}" <<<"$out" || return 1
}

if is_complete "$CACHE_DIR"; then echo "$CACHE_DIR"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "Go toolchain not found: cannot build Kubernetes $K8S_VERSION"; exit 1; }
command -v flock >/dev/null 2>&1 || { log "flock (util-linux) not found"; exit 1; }

# Serialise concurrent callers (parallel jest workers, CI steps, another checkout): one build,
# the rest wait and then find the cache. The lock lives beside the cache, which all checkouts share.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.k8s.lock"
flock 9
if is_complete "$CACHE_DIR"; then echo "$CACHE_DIR"; exit 0; fi

# Built beside the cache (same file system), so the final rename is atomic.
WORK="$(mktemp -d "$CACHE_ROOT/.k8s-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/bin"
mkdir -p "$OUT"

# Low priority and bounded parallelism: the build must not starve whatever else runs on the box.
export GOMAXPROCS="$PARALLELISM" CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
gobuild() { nice -n 19 go build -p "$PARALLELISM" -trimpath "$@"; }

started=$SECONDS
log "building the control plane (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION); the first time takes minutes..."

# etcd: `go install` refuses its replace directives, so a scratch module with a two-line main.
log "etcd $ETCD_VERSION..."
mkdir -p "$WORK/etcd"
cat >"$WORK/etcd/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
(
  cd "$WORK/etcd"
  go mod init aether.local/etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go mod tidy >&2
  gobuild -ldflags "-s -w" -o "$OUT/etcd" .
)

# kwok installs as it is.
log "kwok $KWOK_VERSION..."
GOBIN="$OUT" nice -n 19 go install -p "$PARALLELISM" -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2

# Kubernetes: k8s.io/kubernetes replaces its staging modules with local paths, so it cannot be
# `go install`ed; a scratch module requires it and points every staging module at its tag.
log "Kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)..."
k8s_mod_dir="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -f "$k8s_mod_dir/go.mod" ] || { log "go mod download k8s.io/kubernetes@$K8S_VERSION failed"; exit 1; }
staging_modules="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$k8s_mod_dir/go.mod" |
  grep -v -e '^k8s.io/sample-' -e '^k8s.io/code-generator$')"
[ -n "$staging_modules" ] || { log "no staging replaces found in kubernetes' go.mod"; exit 1; }
mkdir -p "$WORK/kubernetes"
{
  echo "module aether.local/kubernetes"
  echo
  echo "go $(sed -n 's/^go //p' "$k8s_mod_dir/go.mod")"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  for module in $staging_modules; do echo "replace $module => $module $K8S_STAGING_VERSION"; done
} >"$WORK/kubernetes/go.mod"
major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
# Without the stamped version the server reports v0.0.0 and charts' kubeVersion checks fail.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(
  cd "$WORK/kubernetes"
  gobuild -ldflags "$ldflags" -o "$OUT/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl >&2
)

touch "$OUT/.complete"
is_complete "$OUT" || { log "the built binaries do not report the wanted versions"; exit 1; }
rm -rf "$CACHE_DIR"
mv "$OUT" "$CACHE_DIR"
log "built in $((SECONDS - started)) s into $CACHE_DIR"
echo "$CACHE_DIR"
