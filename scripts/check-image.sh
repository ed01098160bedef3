#!/usr/bin/env bash
# Builds an app's image with deploy/Dockerfile and runs it like production would, on a machine
# where no registry is reachable: a local base image `node:20-bookworm-slim` is made from a
# Debian bookworm rootfs (debootstrap) plus this machine's Node 20, then:
#   MIGRATE_ONLY=true run → exit 0;  service run → container HEALTHCHECK healthy, /readyz 200,
#   non-root uid;  docker stop → graceful exit 0.
# Opt-in (not part of npm test): needs root, Debian's docker.io and debootstrap, local
# PostgreSQL and RabbitMQ. Usage: bash scripts/check-image.sh [app]   (default: security)
set -euo pipefail
cd "$(dirname "$0")/.."
APP=${1:-security}
TOOLS="$PWD/.tools/docker"
mkdir -p "$TOOLS"
say() { printf '[image] %s\n' "$*"; }

command -v dockerd >/dev/null && command -v debootstrap >/dev/null || {
  say "installing docker.io and debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
}
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  dockerd --data-root "$TOOLS/data" --pidfile "$TOOLS/dockerd.pid" >"$TOOLS/dockerd.log" 2>&1 &
  for _ in $(seq 1 40); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi

if ! docker image inspect node:20-bookworm-slim >/dev/null 2>&1; then
  say "building a local node:20-bookworm-slim (debootstrap + this machine's node $(node --version))"
  rootfs="$TOOLS/rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules" && cp -r "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # Trust the same extra CAs as this machine (TLS-intercepting egress proxies).
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >/dev/null
  # debootstrap can leave the host's /proc (and /sys) mounted in the rootfs: never tar those.
  for m in proc sys; do if mountpoint -q "$rootfs/$m"; then umount -l "$rootfs/$m"; fi; done
  tar -C "$rootfs" -c . | docker import -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - node:20-bookworm-slim >/dev/null
  rm -rf "$rootfs"
fi

say "building aether/$APP:check"
docker build --network=host -q -f deploy/Dockerfile --build-arg "APP=$APP" -t "aether/$APP:check" . >/dev/null

db="image_check_$(date +%s)"
createdb -h 127.0.0.1 -U postgres "$db"
key_file=$(mktemp)
node -e "process.stdout.write(require('crypto').generateKeyPairSync('ec',{namedCurve:'prime256v1'}).privateKey.export({type:'pkcs8',format:'pem'}))" >"$key_file"
env_args=(-e "DATABASE_URL=postgres://postgres@127.0.0.1/$db" -e RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672
  -e MONGODB_URL=mongodb://127.0.0.1:27017/$db -e REDIS_URL=redis://127.0.0.1:6379 -e "JWT_PRIVATE_KEY=$(cat "$key_file")"
  -e AUTH_JWKS_URL=http://127.0.0.1:19190/.well-known/jwks.json -e IDEMPOTENCY_SECRET=image-check-secret-of-at-least-32-chars
  -e SERVICE_CLIENT_SECRET=image-check-client-secret-of-32-chars -e SECURITY_GRPC_URL=127.0.0.1:19151
  -e HTTP_PORT=19190 -e GRPC_PORT=19150)
name="aether-image-check-$$"
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; dropdb -h 127.0.0.1 -U postgres --if-exists "$db"; rm -f "$key_file"; }
trap cleanup EXIT

if grep -q "migrations" "apps/$APP/src/app.module.ts" 2>/dev/null || [ -d "apps/$APP/src/migrations" ]; then
  docker run --rm --network host "${env_args[@]}" -e MIGRATE_ONLY=true "aether/$APP:check" >/dev/null
  say "MIGRATE_ONLY run: exit 0"
fi
docker run -d --name "$name" --network host "${env_args[@]}" "aether/$APP:check" >/dev/null
status=starting
for _ in $(seq 1 60); do
  status=$(docker inspect --format '{{.State.Health.Status}}' "$name")
  [ "$status" = healthy ] && break
  sleep 1
done
[ "$status" = healthy ] || { docker logs "$name" | tail -20; say "FAILED: container health is $status"; exit 1; }
say "container HEALTHCHECK: healthy; /readyz: $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19190/readyz); user: $(docker exec "$name" id -u)"
if [ "$APP" = code-assistant ]; then
  say "analyzers in the image: $(docker exec "$name" shellcheck --version | grep '^version')"
fi
docker stop -t 15 "$name" >/dev/null
code=$(docker inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { say "FAILED: exit code $code after docker stop"; exit 1; }
say "docker stop: graceful exit 0; image size $(docker image inspect "aether/$APP:check" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
