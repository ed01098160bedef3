#!/usr/bin/env bash
# CI check of the deployment shape: Helm chart (lint, template for default/EKS/GKE values,
# Kubernetes API schema validation, invariants, network graph) and docker compose (parsed by the
# real Compose parser: tiers, health checks, published ports, production override), plus the
# image's health check script and Dockerfile shape.
#   bash scripts/check-deploy.sh          # from anywhere in the repo
# Installs what is missing on a CI machine (root + apt): Debian's docker-compose; builds and
# caches helm through scripts/ensure-helm.sh (minutes only the first time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-deploy: installing docker-compose (Debian package)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2
  else
    echo "check-deploy: a Compose parser is needed: apt-get install -y docker-compose" >&2
    exit 1
  fi
fi

HELM_BIN="$(bash scripts/ensure-helm.sh)"
export HELM_BIN
echo "check-deploy: helm $("$HELM_BIN" version --template '{{.Version}}') at $HELM_BIN" >&2

npx jest helm/test deploy/test
