#!/usr/bin/env bash
# Makes a Compose parser available for the compose checks (deploy/test/compose.spec.ts): the
# `docker compose` v2 plugin or `docker-compose` when either is installed, otherwise Debian's
# docker-compose package (installed with apt-get; needs root, as on CI and the dev VMs).
# Prints the command on stdout (the only stdout line); exits 1 when none can be had.
set -uo pipefail

log() { echo "ensure-compose: $*" >&2; }

if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if docker-compose version >/dev/null 2>&1; then echo "docker-compose"; exit 0; fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing Debian's docker-compose (compose file parser)"
  # One installer at a time (parallel test runs): apt's own lock would fail the second one.
  exec 9>/tmp/aether-ensure-compose.lock
  flock 9
  if ! docker-compose version >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; }; } >/dev/null 2>&1 \
      < /dev/null
  fi
fi
if docker-compose version >/dev/null 2>&1; then echo "docker-compose"; exit 0; fi
log "no Compose parser: install docker-compose (apt-get install docker-compose) or the docker compose plugin"
exit 1
