#!/usr/bin/env bash
# Makes a MongoDB-wire-compatible server answer on 127.0.0.1:27017 (or FERRETDB_PORT).
# MongoDB itself cannot be installed on these machines, so FerretDB v1 (SQLite handler) stands in
# for it in dev and CI. Idempotent: when something already answers on the port it only reports.
#
# Steps: 1) find a cached ferretdb binary of the wanted version (.tools/bin, ~/.cache, ~/go/bin)
#        or build it once with `go install` (minutes the first time);
#        2) unless the port answers, start it in the background (data in .tools/ferretdb-data)
#        and wait until it accepts connections.
# Prints status lines on stderr; the last stdout line is the connection URL.
#   FERRETDB_VERSION (default v1.24.2)  FERRETDB_PORT (27017)  FERRETDB_BIN (use this binary)
#   FERRETDB_DATA_DIR (default <repo>/.tools/ferretdb-data)  FERRETDB_INSTALL_ONLY=1 (no start)
set -euo pipefail

FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
PORT="${FERRETDB_PORT:-27017}"
HOST=127.0.0.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$ROOT/.tools/bin"
DATA_DIR="${FERRETDB_DATA_DIR:-$ROOT/.tools/ferretdb-data}"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/aether-tools/ferretdb-$FERRETDB_VERSION"
LOG_FILE="$DATA_DIR/ferretdb.log"
PID_FILE="$DATA_DIR/ferretdb.pid"

log() { echo "ensure-ferretdb: $*" >&2; }

port_answers() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# True when $1 is an executable ferretdb of the wanted version.
is_wanted() {
  [ -x "$1" ] || return 1
  # Captured first: under pipefail, grep -q quitting early can kill the writer with SIGPIPE.
  local out
  out="$("$1" --version 2>/dev/null)" || return 1
  grep -q "version: $FERRETDB_VERSION\$" <<<"$out"
}

# A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that
# panics at start ("Invalid build/version/version.txt"): release builds embed a version.txt that
# the module zip lacks. So: fetch the module (go mod download), copy it, write version.txt and
# build the copy. The SQLite handler is pure Go (modernc.org/sqlite): no cgo needed.
build_from_module() {
  local mod="github.com/FerretDB/FerretDB@$FERRETDB_VERSION" src work
  src="$(GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "go mod download $mod failed"; exit 1; }
  work="$(mktemp -d)"
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$CACHE_DIR/ferretdb" ./cmd/ferretdb)
  rm -rf "$work"
}

install_binary() {
  if [ -n "${FERRETDB_BIN:-}" ] && [ -x "$FERRETDB_BIN" ]; then BIN="$FERRETDB_BIN"; return; fi
  mkdir -p "$TOOLS_BIN"
  # Serialise concurrent callers (parallel jest workers, CI steps): one build, the rest wait.
  exec 9>"$TOOLS_BIN/.ferretdb.lock"
  flock 9
  local candidate
  for candidate in "$TOOLS_BIN/ferretdb" "$CACHE_DIR/ferretdb" "${GOBIN:-/nonexistent}/ferretdb" \
    "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin/ferretdb" "$HOME/go/bin/ferretdb"; do
    if is_wanted "$candidate"; then
      BIN="$candidate"
      break
    fi
  done
  if [ -z "${BIN:-}" ]; then
    command -v go >/dev/null 2>&1 || { log "Go toolchain not found: cannot build ferretdb $FERRETDB_VERSION"; exit 1; }
    log "building ferretdb $FERRETDB_VERSION from the Go module proxy (first time takes minutes)..."
    mkdir -p "$CACHE_DIR"
    build_from_module >&2
    is_wanted "$CACHE_DIR/ferretdb" || { log "built binary does not report $FERRETDB_VERSION"; exit 1; }
    BIN="$CACHE_DIR/ferretdb"
  fi
  if [ "$BIN" != "$TOOLS_BIN/ferretdb" ]; then
    cp -f "$BIN" "$TOOLS_BIN/ferretdb.tmp.$$" && mv -f "$TOOLS_BIN/ferretdb.tmp.$$" "$TOOLS_BIN/ferretdb"
    BIN="$TOOLS_BIN/ferretdb"
  fi
  flock -u 9
}

URL="mongodb://$HOST:$PORT"

if port_answers; then
  log "something already answers on $HOST:$PORT — leaving it alone"
  echo "$URL"
  exit 0
fi

BIN=""
install_binary
log "binary: $BIN"
if [ "${FERRETDB_INSTALL_ONLY:-0}" = "1" ]; then echo "$BIN"; exit 0; fi

mkdir -p "$DATA_DIR"
exec 8>"$DATA_DIR/.start.lock"
flock 8
if port_answers; then
  log "started meanwhile by another caller on $HOST:$PORT"
  echo "$URL"
  exit 0
fi

log "starting ferretdb on $HOST:$PORT (data: $DATA_DIR, log: $LOG_FILE)"
# setsid + nohup: the server outlives this script and the shell that called it.
setsid nohup "$BIN" \
  --handler=sqlite --sqlite-url="file:$DATA_DIR/" \
  --listen-addr="$HOST:$PORT" --state-dir="$DATA_DIR" \
  --telemetry=disable --debug-addr=- --log-level=warn \
  >"$LOG_FILE" 2>&1 </dev/null 8>&- 9>&- &
echo $! >"$PID_FILE"

for _ in $(seq 1 100); do
  if port_answers; then
    log "ferretdb $FERRETDB_VERSION is up (pid $(cat "$PID_FILE"))"
    echo "$URL"
    exit 0
  fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    log "ferretdb exited during start; last log lines:"
    tail -n 20 "$LOG_FILE" >&2 || true
    exit 1
  fi
  sleep 0.2
done
log "ferretdb did not answer on $HOST:$PORT within 20 s; see $LOG_FILE"
exit 1
