#!/usr/bin/env bash
# Makes sure the local infrastructure answers: PostgreSQL, Redis, RabbitMQ (with its management
# API, which tests use to create throw-away vhosts) and, with --mongo, a MongoDB-compatible server
# (FerretDB). Starts the local servers when they are installed but stopped; otherwise says what to
# start (docker compose offers the same infrastructure on machines with Docker).
set -uo pipefail
cd "$(dirname "$0")/.."
PGHOST_=${PGHOST:-127.0.0.1}
want_mongo=false
for a in "$@"; do [ "$a" = "--mongo" ] && want_mongo=true; done

say() { printf '[infra] %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
fail=0

# PostgreSQL
if pg_isready -h "$PGHOST_" -p 5432 -q 2>/dev/null; then
  say "postgresql: up"
elif command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
  say "postgresql: starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h "$PGHOST_" -p 5432 -q && break; sleep 0.5; done
  pg_isready -h "$PGHOST_" -p 5432 -q && say "postgresql: up" || { say "postgresql: FAILED to start"; fail=1; }
else
  say "postgresql: not running on $PGHOST_:5432 and not installed here — start one (or run the whole stack with docker compose: docs/deploy.md)"; fail=1
fi

# Redis
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "redis: up"
elif command -v redis-server >/dev/null 2>&1; then
  say "redis: starting"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
  for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.25; done
  redis-cli ping >/dev/null 2>&1 && say "redis: up" || { say "redis: FAILED to start"; fail=1; }
else
  say "redis: not running on 127.0.0.1:6379 and not installed — start one (or run the whole stack with docker compose: docs/deploy.md)"; fail=1
fi

# RabbitMQ (+ management plugin for the test vhosts)
if port_open 127.0.0.1 5672; then
  say "rabbitmq: up"
elif command -v rabbitmq-server >/dev/null 2>&1; then
  say "rabbitmq: starting"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  rabbitmqctl await_startup >/dev/null 2>&1 || sleep 5
  port_open 127.0.0.1 5672 && say "rabbitmq: up" || { say "rabbitmq: FAILED to start"; fail=1; }
else
  say "rabbitmq: not running on 127.0.0.1:5672 and not installed — start one (or run the whole stack with docker compose: docs/deploy.md)"; fail=1
fi
if port_open 127.0.0.1 5672 && ! curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then
  if command -v rabbitmq-plugins >/dev/null 2>&1; then
    say "rabbitmq: enabling the management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
    for _ in $(seq 1 40); do curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 \
    && say "rabbitmq management: up" || { say "rabbitmq management API (15672) not answering"; fail=1; }
fi

# MongoDB wire protocol (FerretDB here; real MongoDB in compose/Kubernetes)
if $want_mongo; then
  if port_open 127.0.0.1 27017; then
    say "mongodb: up"
  elif [ -f scripts/ensure-ferretdb.sh ]; then
    bash scripts/ensure-ferretdb.sh || { say "ferretdb: FAILED"; fail=1; }
  else
    say "mongodb: nothing on 127.0.0.1:27017 — start one (or run the whole stack with docker compose: docs/deploy.md)"; fail=1
  fi
fi

exit $fail
