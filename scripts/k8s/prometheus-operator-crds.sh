#!/usr/bin/env bash
# Prints the folder holding the prometheus-operator CRDs (monitoring.coreos.com_*.yaml, e.g.
# monitoring.coreos.com_servicemonitors.yaml), taken from the prometheus-operator Go module:
# no chart repository or release download is reachable here, the Go module proxy is. The module
# is cached in the Go module cache after the first run.
#   PROMETHEUS_OPERATOR_VERSION (default v0.85.0, the version the proxy serves whole here)
set -euo pipefail

VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
MODULE="github.com/prometheus-operator/prometheus-operator@$VERSION"
command -v go >/dev/null 2>&1 || { echo "prometheus-operator-crds: Go toolchain not found" >&2; exit 1; }
dir="$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "$MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
crds="$dir/example/prometheus-operator-crd"
[ -f "$crds/monitoring.coreos.com_servicemonitors.yaml" ] || { echo "prometheus-operator-crds: go mod download $MODULE gave no CRDs" >&2; exit 1; }
echo "$crds"
