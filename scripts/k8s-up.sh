#!/usr/bin/env bash
# Starts a throw-away Kubernetes control plane on 127.0.0.1 and prints its state folder on stdout
# (the only stdout line); `scripts/k8s-down.sh <folder>` stops it. Used by the deploy tests
# (deploy/test/helm-install.spec.ts through libs/testing's kube-control-plane.ts), CI and the dev
# machine:  dir=$(bash scripts/k8s-up.sh) && export KUBECONFIG=$dir/kubeconfig
#
# What runs: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (binaries from
# scripts/ensure-k8s.sh, built once and cached) and kwok, which simulates the nodes and the pod
# lifecycle (pods get scheduled, become Running/Ready, Job pods complete; no container runs; see
# scripts/k8s/kwok-stages.yaml). Every port is a free one on 127.0.0.1; certificates (a CA, the
# apiserver's serving cert, one client cert per component, the service-account key pair) are
# made by openssl at each start. Nodes are created with zone labels (K8S_NODES).
#
# The state folder holds: kubeconfig (cluster-admin), env (KUBECONFIG, K8S_BIN_DIR, K8S_API_URL,
# K8S_SERVICE_CIDR), pki/, logs/<component>.log, pids/<component>.pid.
#   K8S_DIR      state folder to use (default: a new temp folder)
#   K8S_NODES    space-separated node specs (scripts/k8s/add-nodes.sh: name[=zone][,label=value]...);
#                default "kwok-a=zone-a kwok-b=zone-b kwok-c=zone-c"; "" = no nodes
#   K8S_WATCH_PID  stop the control plane when this process exits (a test runner that crashed)
#   K8S_START_TIMEOUT  seconds to wait for readiness (120)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE_CIDR=10.96.0.0/16
FIRST_SERVICE_IP=10.96.0.1
NODES="${K8S_NODES-kwok-a=zone-a kwok-b=zone-b kwok-c=zone-c}"
TIMEOUT="${K8S_START_TIMEOUT:-120}"

log() { echo "k8s-up: $*" >&2; }

BIN="$(bash "$ROOT/scripts/ensure-k8s.sh")"
DIR="${K8S_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/aether-k8s.XXXXXX")}"
mkdir -p "$DIR"/{pki,logs,pids,etcd}
chmod 700 "$DIR/etcd" "$DIR/pki"
DIR="$(cd "$DIR" && pwd)"
PKI="$DIR/pki"
started=$SECONDS

fail() {
  log "$*"
  local f
  for f in "$DIR"/logs/*.log; do
    [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -n 15 "$f" >&2; }
  done
  bash "$ROOT/scripts/k8s-down.sh" "$DIR" >&2 || true
  exit 1
}

# A free TCP port on 127.0.0.1 that this script has not handed out yet, below Linux's ephemeral
# range (32768+) so that no outgoing connection holds it.
USED_PORTS=" "
free_port() {
  local listening port
  listening=" $(ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); printf "%s ", a[n]}') "
  while :; do
    port=$((20000 + RANDOM % 12000))
    case "$listening$USED_PORTS" in *" $port "*) continue ;; esac
    USED_PORTS+="$port "
    echo "$port"
    return
  done
}

# ---- certificates -------------------------------------------------------------------------
# EC P-256 for TLS (fast to make), RSA for the service-account signing key.
(
  cd "$PKI"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 7 -subj "/CN=aether-test-ca" -out ca.crt 2>/dev/null
  sign() { # name subject extensions
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 7 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  sign apiserver "/CN=kube-apiserver" \
    "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$FIRST_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=aether-test-admin" "extendedKeyUsage=clientAuth"
  sign controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  sign scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  # kwok writes node and pod status for every node it fakes: simplest as a cluster admin.
  sign kwok "/O=system:masters/CN=kwok-controller" "extendedKeyUsage=clientAuth"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key
) || fail "certificate generation failed"

ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
API_URL="https://127.0.0.1:$API_PORT"

kubeconfig() { # file user
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: aether-test
    cluster:
      server: $API_URL
      certificate-authority: $PKI/ca.crt
users:
  - name: $2
    user:
      client-certificate: $PKI/$2.crt
      client-key: $PKI/$2.key
contexts:
  - name: aether-test
    context: { cluster: aether-test, user: $2, namespace: default }
current-context: aether-test
EOF
}
kubeconfig "$DIR/kubeconfig" admin
cat >"$DIR/env" <<EOF
KUBECONFIG=$DIR/kubeconfig
K8S_BIN_DIR=$BIN
K8S_API_URL=$API_URL
K8S_SERVICE_CIDR=$SERVICE_CIDR
EOF

for c in controller-manager scheduler kwok; do kubeconfig "$PKI/$c.kubeconfig" "$c"; done
chmod 600 "$DIR/kubeconfig" "$PKI"/*.kubeconfig

# Starts a component in its own session (it outlives this script); records its pid.
start() { # name binary args...
  local name=$1 bin=$2
  shift 2
  setsid "$BIN/$bin" "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name.pid"
}
alive() { kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null; }
KUBECTL=("$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" --request-timeout=5s)

# Waits until "$@" succeeds; fails (with the logs) when a component died or on timeout.
wait_for() { # what components... -- command...
  local what=$1 components=() c
  shift
  while [ "$1" != "--" ]; do components+=("$1"); shift; done
  shift
  while ! "$@" >/dev/null 2>&1; do
    for c in "${components[@]}"; do alive "$c" || fail "$c exited while waiting for $what"; done
    [ $((SECONDS - started)) -lt "$TIMEOUT" ] || fail "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}

# ---- etcd (plain HTTP on loopback; no fsync: the data is thrown away) ----------------------
start etcd etcd --name=aether-test --data-dir="$DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="aether-test=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls="" \
  --unsafe-no-fsync --log-level=warn
wait_for etcd etcd -- curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# ---- kube-apiserver ---------------------------------------------------------------------------
# --endpoint-reconciler-type=none: 127.0.0.1 may not be an endpoint of the `kubernetes` Service.
start kube-apiserver kube-apiserver \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=Node,RBAC --endpoint-reconciler-type=none \
  --allow-privileged=false --profiling=false --event-ttl=1h \
  --cert-dir="$PKI/generated"
wait_for "kube-apiserver /readyz" kube-apiserver etcd -- "${KUBECTL[@]}" get --raw /readyz

# ---- controllers, scheduler, kwok ---------------------------------------------------------------
# No cloud, no node IPAM, no load balancers: those controllers need a cloud provider or CIDRs.
start kube-controller-manager kube-controller-manager \
  --kubeconfig="$PKI/controller-manager.kubeconfig" --secure-port=0 --leader-elect=false \
  --controllers='*,-node-ipam-controller,-service-lb-controller,-cloud-node-lifecycle-controller' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --horizontal-pod-autoscaler-sync-period=5s --node-monitor-grace-period=2m --profiling=false
start kube-scheduler kube-scheduler \
  --kubeconfig="$PKI/scheduler.kubeconfig" --secure-port=0 --leader-elect=false --profiling=false
# Node heartbeats through leases renewed every 10 s (kwok's default without a lease duration is a
# status update every 20-45 s, which a busy machine stretches past the grace period: the node
# lifecycle controller then marks the nodes and every pod on them NotReady, and kwok never makes
# those pods Ready again). The 2-minute grace above absorbs a starved kwok on a loaded machine.
start kwok kwok --kubeconfig="$PKI/kwok.kubeconfig" --config="$ROOT/scripts/k8s/kwok-stages.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --node-lease-duration-seconds=40 \
  --cidr=10.244.0.1/16 --node-ip=10.240.0.1

# ---- nodes ---------------------------------------------------------------------------------------
# shellcheck disable=SC2086 # one word per node spec
[ -z "$NODES" ] || bash "$ROOT/scripts/k8s/add-nodes.sh" "$DIR" $NODES >/dev/null || fail "creating the nodes failed"

# Usable = controllers have made the default ServiceAccount and every node is Ready (kwok).
wait_for "the default ServiceAccount" kube-controller-manager kube-apiserver -- "${KUBECTL[@]}" get serviceaccount default -n default
all_nodes_ready() {
  local want have
  want=$(echo "$NODES" | wc -w)
  [ "$want" -eq 0 ] && return 0
  have=$("${KUBECTL[@]}" get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')
  [ "$have" -ge "$want" ]
}
wait_for "nodes Ready" kwok kube-apiserver -- all_nodes_ready
for c in kube-scheduler kwok; do alive "$c" || fail "$c exited during start"; done

# A watchdog stops everything when the process that asked for the control plane is gone.
if [ -n "${K8S_WATCH_PID:-}" ]; then
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2/pids" ]; do sleep 2; done; [ -d "$2/pids" ] && bash "$3" "$2"' \
    k8s-watchdog "$K8S_WATCH_PID" "$DIR" "$ROOT/scripts/k8s-down.sh" >/dev/null 2>&1 </dev/null &
  echo $! >"$DIR/pids/watchdog.pid"
fi

log "control plane up in $((SECONDS - started)) s: $API_URL (KUBECONFIG=$DIR/kubeconfig)"
echo "$DIR"
