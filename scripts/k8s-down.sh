#!/usr/bin/env bash
# Stops a control plane started by scripts/k8s-up.sh, by the pids in its state folder, and
# removes the folder (K8S_KEEP_DIR=1 keeps it, e.g. to read logs/). Idempotent.
#   usage: scripts/k8s-down.sh <state folder>
set -uo pipefail

DIR="${1:?usage: k8s-down.sh <state folder printed by k8s-up.sh>}"
[ -d "$DIR" ] || exit 0
DIR="$(cd "$DIR" && pwd)"

# Only a process whose command line names this state folder is ours: a pid file may outlive
# its process and the pid be reused.
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$DIR"; }

pid_of() { [ -f "$DIR/pids/$1.pid" ] && cat "$DIR/pids/$1.pid"; }

stop() { # components...: SIGTERM, up to 10 s, then SIGKILL
  local pids=() c pid
  for c in "$@"; do
    pid=$(pid_of "$c") || continue
    [ "$pid" = "$PPID" ] && continue # the watchdog running this script
    ours "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 1 50); do
    local left=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
  return 0
}

# All at once: the data is thrown away, so nothing needs an orderly shutdown (~3 s instead of ~7 s).
stop watchdog kwok kube-scheduler kube-controller-manager kube-apiserver etcd

if [ "${K8S_KEEP_DIR:-0}" = "1" ]; then
  rm -rf "$DIR/pids"
else
  rm -rf "$DIR"
fi
