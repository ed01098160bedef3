#!/usr/bin/env bash
# CI check of the deployment shape: Helm chart (lint, template for default/EKS/GKE values,
# Kubernetes API schema validation, invariants, network graph) and docker compose (parsed by the
# real Compose parser: tiers, health checks, published ports, production override), plus the
# image's health check script and Dockerfile shape.
#   bash scripts/check-deploy.sh          # from anywhere in the repo
# Installs what is missing on a CI machine: Debian's docker-compose (scripts/ensure-compose.sh,
# root + apt); builds and caches helm through scripts/ensure-helm.sh (minutes only the first time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/ensure-compose.sh >/dev/null || exit 1

HELM_BIN="$(bash scripts/ensure-helm.sh)"
export HELM_BIN
echo "check-deploy: helm $("$HELM_BIN" version --template '{{.Version}}') at $HELM_BIN" >&2

NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t test -p helm deploy --outputStyle=static
