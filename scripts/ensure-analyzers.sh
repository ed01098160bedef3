#!/usr/bin/env bash
# Installs the static analyzers code-assistant runs as subprocesses (apps/code-assistant/src/analysis/):
# Debian's shellcheck. The in-process analyzers (ESLint, TypeScript, Ruff's WebAssembly build,
# tree-sitter, dockerfile-ast) come with `npm ci`. The image installs the same package in
# deploy/Dockerfile; nothing is downloaded at run time.
# Needs root and apt-get (CI, the dev VMs); elsewhere it says what to install. Exit 1 when missing.
set -uo pipefail

log() { echo "ensure-analyzers: $*" >&2; }

if command -v shellcheck >/dev/null 2>&1; then exit 0; fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing Debian's shellcheck"
  # One installer at a time (parallel test runs): apt's own lock would fail the second one.
  exec 9>/tmp/aether-ensure-analyzers.lock
  flock 9
  if ! command -v shellcheck >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck; }; } >/dev/null 2>&1 \
      < /dev/null
  fi
fi
if command -v shellcheck >/dev/null 2>&1; then exit 0; fi
log "shellcheck is missing: install it (apt-get install shellcheck); code-assistant reports shell files as not analysed meanwhile"
exit 1
