#!/usr/bin/env bash
# Adds simulated nodes (managed by kwok) to a control plane started by scripts/k8s-up.sh.
#   usage: add-nodes.sh <state folder> <spec>...
#   spec:  name[=zone][,label=value]...   e.g. kwok-a=zone-a   or   spare,pool=unzoned (no zone label)
# A zone sets topology.kubernetes.io/zone (and region aether-test-1); without one the node has no
# topology labels at all, as on a pool whose cloud labels are missing. Allocatable per node:
# K8S_NODE_CPU (16), K8S_NODE_MEMORY (64Gi), K8S_NODE_PODS (110).
set -euo pipefail

DIR="${1:?usage: add-nodes.sh <state folder> <name[=zone][,label=value]...>...}"
shift
# shellcheck disable=SC1091
. "$DIR/env"
cpu="${K8S_NODE_CPU:-16}" memory="${K8S_NODE_MEMORY:-64Gi}" pods="${K8S_NODE_PODS:-110}"

yaml=""
for spec in "$@"; do
  IFS=, read -r -a parts <<<"$spec"
  first=${parts[0]}
  name=${first%%=*}
  zone=""
  [ "$first" != "$name" ] && zone=${first#*=}
  labels="    kubernetes.io/hostname: \"$name\"
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok"
  if [ -n "$zone" ]; then
    labels+="
    topology.kubernetes.io/region: aether-test-1
    topology.kubernetes.io/zone: \"$zone\""
  fi
  for label in "${parts[@]:1}"; do
    labels+="
    \"${label%%=*}\": \"${label#*=}\""
  done
  yaml+="---
apiVersion: v1
kind: Node
metadata:
  name: \"$name\"
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
$labels
status:
  allocatable: { cpu: \"$cpu\", memory: \"$memory\", pods: \"$pods\" }
  capacity: { cpu: \"$cpu\", memory: \"$memory\", pods: \"$pods\" }
"
done
[ -n "$yaml" ] || exit 0
echo "$yaml" | "$K8S_BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG" apply -f -
