#!/usr/bin/env bash
# Runs the whole platform on this machine without Docker: installs what is missing, builds,
# makes sure PostgreSQL, Redis, RabbitMQ and a MongoDB-compatible server answer (starting local
# ones), creates the databases, starts every service as a Node process, prints the gateway URL
# and stops everything cleanly on Ctrl-C. Settings: any variable below can be overridden from
# the environment (see README "Configuration").
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

# >>> generated from services.yaml (services) by `npm run manifest:gen` — do not edit
need_mongo=--mongo
postgres_databases=(aether_security aether_task_manager aether_integration_hub aether_rag aether_code_assistant)
AUTH_JWKS_URL=${AUTH_JWKS_URL:-http://127.0.0.1:9101/.well-known/jwks.json}
SECURITY_GRPC_URL=${SECURITY_GRPC_URL:-127.0.0.1:50051}
TASK_MANAGER_GRPC_URL=${TASK_MANAGER_GRPC_URL:-127.0.0.1:50052}
ANALYTICS_GRPC_URL=${ANALYTICS_GRPC_URL:-127.0.0.1:50053}
DOCKER_MANAGER_GRPC_URL=${DOCKER_MANAGER_GRPC_URL:-127.0.0.1:50057}
INTEGRATION_HUB_GRPC_URL=${INTEGRATION_HUB_GRPC_URL:-127.0.0.1:50056}
AI_GATEWAY_GRPC_URL=${AI_GATEWAY_GRPC_URL:-127.0.0.1:50054}
RAG_GRPC_URL=${RAG_GRPC_URL:-127.0.0.1:50058}
CODE_ASSISTANT_GRPC_URL=${CODE_ASSISTANT_GRPC_URL:-127.0.0.1:50055}
# Every service, each after the ones it needs (the issuer first for its JWKS, callers after their peers).
start_services() {
  start security 9101 \
    GRPC_PORT=50051 \
    DATABASE_URL="${SECURITY_DATABASE_URL:-$PG_URL/aether_security}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    ADMIN_EMAIL="${ADMIN_EMAIL:-admin@aether.local}" \
    ADMIN_PASSWORD="${ADMIN_PASSWORD:-change-me-now-please}" \
    SERVICE_CLIENT_SECRETS="${SERVICE_CLIENT_SECRETS:-code-assistant=dev-code-assistant-client-secret-change-me}"
  start task-manager 9102 \
    GRPC_PORT=50052 \
    DATABASE_URL="${TASK_MANAGER_DATABASE_URL:-$PG_URL/aether_task_manager}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL"
  start analytics 9103 \
    GRPC_PORT=50053 \
    MONGODB_URL="${ANALYTICS_MONGODB_URL:-$MONGO_URL/aether_analytics}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL"
  start docker-manager 9107 \
    GRPC_PORT=50057 \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    CONTAINER_BACKEND="${CONTAINER_BACKEND:-docker}" \
    CONTAINER_LABEL="${CONTAINER_LABEL:-aether.managed=true}"
  start integration-hub 9106 \
    GRPC_PORT=50056 \
    DATABASE_URL="${INTEGRATION_HUB_DATABASE_URL:-$PG_URL/aether_integration_hub}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    OUTBOUND_ALLOWED_HOSTS="${OUTBOUND_ALLOWED_HOSTS:-localhost,127.0.0.1,::1}" \
    INTEGRATION_HUB_SECRET_KEYS="${INTEGRATION_HUB_SECRET_KEYS:-dev:CbGR2wZ8DGPnTqwvo7turc+y8hsAMmwQQhHSy8t90kw=}"
  start ai-gateway 9104 \
    GRPC_PORT=50054 \
    REDIS_URL="$REDIS_URL" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    AI_GATEWAY_CONFIG="${AI_GATEWAY_CONFIG:-apps/ai-gateway/config/default.yaml}" \
    OPENAI_API_KEY="${OPENAI_API_KEY:-}" \
    ANTHROPIC_API_KEY="${ANTHROPIC_API_KEY:-}" \
    GROQ_API_KEY="${GROQ_API_KEY:-}" \
    GEMINI_API_KEY="${GEMINI_API_KEY:-}"
  start rag 9108 \
    GRPC_PORT=50058 \
    DATABASE_URL="${RAG_DATABASE_URL:-$PG_URL/aether_rag}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    CHROMA_URL="$CHROMA_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    AI_GATEWAY_GRPC_URL="$AI_GATEWAY_GRPC_URL" \
    RAG_EMBEDDING_MODEL="${RAG_EMBEDDING_MODEL:-local/use-512}" \
    RAG_ANSWER_MODEL="${RAG_ANSWER_MODEL:-fast}" \
    RAG_MAX_UPLOAD_BYTES="${RAG_MAX_UPLOAD_BYTES:-20971520}"
  start code-assistant 9105 \
    GRPC_PORT=50055 \
    DATABASE_URL="${CODE_ASSISTANT_DATABASE_URL:-$PG_URL/aether_code_assistant}" \
    RABBITMQ_URL="$RABBITMQ_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    AI_GATEWAY_GRPC_URL="$AI_GATEWAY_GRPC_URL" \
    SECURITY_GRPC_URL="$SECURITY_GRPC_URL" \
    INTEGRATION_HUB_GRPC_URL="$INTEGRATION_HUB_GRPC_URL" \
    CODE_ASSISTANT_MODEL="${CODE_ASSISTANT_MODEL:-smart}" \
    SERVICE_CLIENT_SECRET="${SERVICE_CLIENT_SECRET:-dev-code-assistant-client-secret-change-me}"
  start api-gateway "${GATEWAY_PORT:-8080}" \
    REDIS_URL="$REDIS_URL" \
    AUTH_JWKS_URL="$AUTH_JWKS_URL" \
    SECURITY_GRPC_URL="$SECURITY_GRPC_URL" \
    TASK_MANAGER_GRPC_URL="$TASK_MANAGER_GRPC_URL" \
    ANALYTICS_GRPC_URL="$ANALYTICS_GRPC_URL" \
    DOCKER_MANAGER_GRPC_URL="$DOCKER_MANAGER_GRPC_URL" \
    INTEGRATION_HUB_GRPC_URL="$INTEGRATION_HUB_GRPC_URL" \
    AI_GATEWAY_GRPC_URL="$AI_GATEWAY_GRPC_URL" \
    RAG_GRPC_URL="$RAG_GRPC_URL" \
    CODE_ASSISTANT_GRPC_URL="$CODE_ASSISTANT_GRPC_URL"
}
# <<< end of generated (services)

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[dev] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund || exit 1
fi
bash scripts/infra.sh $need_mongo || { echo "[dev] start the missing infrastructure and retry (on a machine with Docker: docker compose up --build runs the whole stack, see docs/deploy.md)"; exit 1; }
bash scripts/ensure-analyzers.sh || echo "[dev] shellcheck is missing: code-assistant reviews shell files without it"
bash scripts/build.sh || exit 1

PG_URL=${DEV_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
MONGO_URL=${DEV_MONGODB_URL:-mongodb://127.0.0.1:27017}
for db in "${postgres_databases[@]}"; do
  psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || { psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" && echo "[dev] created database $db"; }
done

export NODE_ENV=${NODE_ENV:-development}
export LOG_LEVEL=${LOG_LEVEL:-info}
# Connection settings the generated start lines pass to the services that use them.
RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
CHROMA_URL=${CHROMA_URL:-http://127.0.0.1:8000}
GATEWAY_PORT=${GATEWAY_PORT:-8080}

pids=(); failed=(); skipped=()
stop_all() {
  trap - INT TERM
  echo; echo "[dev] stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  echo "[dev] stopped"
  exit 0
}
trap stop_all INT TERM

# docker-manager needs a container engine: Docker at DOCKER_HOST (default the local socket), or a
# cluster (CONTAINER_BACKEND=kubernetes, with KUBECONFIG).
container_engine_answers() {
  [ "${CONTAINER_BACKEND:-docker}" = kubernetes ] && return 0
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  case "$host" in
    unix://*) curl -sf --max-time 2 --unix-socket "${host#unix://}" http://localhost/_ping >/dev/null 2>&1 ;;
    tcp://* | http://*) curl -sf --max-time 2 "http://${host#*://}/_ping" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# start <app> <http port> [VAR=value ...]: runs the built app with exactly these settings (on top
# of NODE_ENV, LOG_LEVEL and OTEL_*), waits for its /readyz. No --enable-source-maps (it parses
# the bundle's 4-5 MB map at start and skips the code cache, deploy/Dockerfile); NODE_OPTIONS=--enable-source-maps
# npm start turns it on for debugging.
start() {
  local app=$1 http=$2; shift 2
  if [ "$app" = docker-manager ] && ! container_engine_answers; then
    echo "[dev] docker-manager not started: no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}."
    echo "[dev]   Start one (apt-get install -y docker.io; dockerd &), point DOCKER_HOST at one, or use a cluster:"
    echo "[dev]   CONTAINER_BACKEND=kubernetes KUBECONFIG=<file> K8S_NAMESPACE=<ns> npm start. /api/v1/containers answers 503 meanwhile."
    skipped+=("$app")
    return 0
  fi
  [ -f "dist/apps/$app/src/main.bundle.js" ] || { echo "[dev] $app is in services.yaml but dist/apps/$app/src/main.bundle.js is missing (build failed?)"; failed+=("$app"); return 0; }
  # The allocator settings of the image (deploy/Dockerfile, libs/testing SERVICE_ALLOCATOR_ENV).
  # The log prefix runs in a process substitution, so $! is the service's own PID (env execs
  # node): stop_all's SIGTERM reaches the service itself, not a subshell that would leave it running.
  env MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 HTTP_PORT="$http" "$@" node -r ./dist/libs/service-kit/src/tracing/tracing.js \
      "dist/apps/$app/src/main.bundle.js" > >(sed -u "s/^/[$app] /") 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1 && { echo "[dev] $app ready on :$http"; return 0; }
    sleep 0.2
  done
  echo "[dev] $app did not become ready on :$http (see its log lines above)"
  failed+=("$app")
}

# Stores and stand-ins that are processes of this repository's own packages, not machine services:
# Chroma (rag's vectors; the npm `chroma` CLI) and the legacy monolith stand-in (the strangler-fig
# target: LEGACY_API_URL). Each is started only when nothing answers yet, and stopped with the rest.
mkdir -p tmp/dev
if ! curl -sf --max-time 1 "$CHROMA_URL/api/v2/heartbeat" >/dev/null 2>&1; then
  chroma_port=$(node -e 'console.log(new URL(process.argv[1]).port || 8000)' "$CHROMA_URL")
  # The CLI itself, not through npx: $! must be the process stop_all signals.
  node_modules/.bin/chroma run --path tmp/dev/chroma --host 127.0.0.1 --port "$chroma_port" >tmp/dev/chroma.log 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do curl -sf --max-time 1 "$CHROMA_URL/api/v2/heartbeat" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf --max-time 1 "$CHROMA_URL/api/v2/heartbeat" >/dev/null 2>&1 && echo "[dev] chroma ready on :$chroma_port" || echo "[dev] chroma did not start (tmp/dev/chroma.log)"
fi
LEGACY_STANDIN_PORT=${LEGACY_STANDIN_PORT:-8090}
if [ -z "${LEGACY_API_URL:-}" ]; then
  LEGACY_STANDIN_PORT="$LEGACY_STANDIN_PORT" node tools/legacy-standin/legacy-standin.js >tmp/dev/legacy-standin.log 2>&1 &
  pids+=($!)
  echo "[dev] legacy monolith stand-in on :$LEGACY_STANDIN_PORT (tools/legacy-standin)"
fi

start_services

echo
if [ ${#failed[@]} -gt 0 ]; then echo "[dev] NOT READY: ${failed[*]} (the rest is up)"; else echo "[dev] Aether is up"; fi
[ ${#skipped[@]} -gt 0 ] && echo "[dev] not started (see above): ${skipped[*]}"
echo "[dev] gateway: http://127.0.0.1:$GATEWAY_PORT  (API docs: http://127.0.0.1:$GATEWAY_PORT/docs)"
echo "[dev] admin login: ${ADMIN_EMAIL:-admin@aether.local} (password from ADMIN_PASSWORD). Ctrl-C stops everything."
wait
