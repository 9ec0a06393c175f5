#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Acceptance checks for the local cluster of hack/cluster.sh, run against one that is up.
# Works in a temporary namespace, deleted at the end. One line per check, then a
# "N passed, N failed" line; exits non-zero when any check fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

"$here/cluster.sh" status >/dev/null || { echo "cluster-check: the cluster is not up (hack/cluster.sh up)" >&2; exit 1; }
eval "$("$here/cluster.sh" env)"

ns=dbaas-check-$$-$RANDOM
passed=0
failed=0

k() { kubectl -n "$ns" "$@"; }

# poll SECONDS COMMAND...: true once COMMAND succeeds, false when time is up.
poll() {
    local end=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.5
    done
}

# check NAME FUNCTION: runs one check and prints its line.
check() {
    local name=$1 t0=$EPOCHREALTIME why
    if why=$("$2" 2>&1); then
        passed=$((passed + 1))
        printf 'ok   %-62s %5.1fs\n' "$name" "$(bc_sub "$EPOCHREALTIME" "$t0")"
    else
        failed=$((failed + 1))
        printf 'FAIL %-62s %5.1fs\n' "$name" "$(bc_sub "$EPOCHREALTIME" "$t0")"
        [ -z "$why" ] || printf '%s\n' "$why" | sed 's/^/     /'
    fi
}
bc_sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }

cleanup() {
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ---------------------------------------------------------------------------- checks

server_version() {
    local v
    v=$(kubectl version 2>&1 | sed -n 's/^Server Version: //p')
    [ "$v" = "$KUBERNETES_VERSION" ] || { echo "server version '$v', want $KUBERNETES_VERSION"; return 1; }
}

node_ready() {
    local out
    out=$(kubectl get node kwok-node-0 -o \
        'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.taints} {.metadata.labels.type}')
    [ "$out" = "True  kwok" ] || { echo "node: Ready, taints, type label = '$out'"; return 1; }
}

sts_ready() { [ "$(k get statefulset pg -o 'jsonpath={.status.readyReplicas}')" = 1 ]; }
statefulset_with_volume() {
    k apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: pg
spec:
  serviceName: pg
  replicas: 1
  selector:
    matchLabels: {app: pg}
  template:
    metadata:
      labels: {app: pg}
    spec:
      containers:
      - name: postgres
        image: postgres:16
        ports: [{containerPort: 5432}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
EOF
    poll 60 sts_ready || { k get statefulset,pod,pvc -o wide; return 1; }
    local phase
    phase=$(k get pvc data-pg-0 -o 'jsonpath={.status.phase}')
    [ "$phase" = Bound ] || { echo "pvc data-pg-0 is '$phase'"; return 1; }
}

pv_available() { [ "$(kubectl get pv "$1" -o 'jsonpath={.status.phase}')" = Available ]; }
pod_gone() { ! k get pod pg-0 >/dev/null 2>&1; }
pv_recycled() {
    local pv
    pv=$(k get pvc data-pg-0 -o 'jsonpath={.spec.volumeName}')
    [ -n "$pv" ] || { echo "pvc data-pg-0 has no volume"; return 1; }
    k delete statefulset pg --wait=false >/dev/null
    poll 30 pod_gone || { echo "pod pg-0 not deleted"; k get pod -o wide; return 1; }
    k delete pvc data-pg-0 --wait=false >/dev/null
    poll 30 pv_available "$pv" || { kubectl get pv "$pv"; return 1; }
}

rs_count() { k get replicaset -l app=web -o name | grep -c . || true; }
rs_exists() { [ "$(rs_count)" -ge 1 ]; }
rs_gone() { [ "$(rs_count)" -eq 0 ]; }
deployment_gc() {
    k create deployment web --image=nginx:1.27 --replicas=2 >/dev/null
    poll 30 rs_exists || { echo "no ReplicaSet for deployment web"; return 1; }
    k delete deployment web --wait=false >/dev/null
    poll 30 rs_gone || { k get replicaset,pod; return 1; }
}

ns_gone() { ! kubectl get namespace "$ns" >/dev/null 2>&1; }
namespace_deleted() {
    kubectl delete namespace "$ns" --wait=false >/dev/null
    poll 60 ns_gone || { kubectl get namespace "$ns" -o yaml | tail -n 20; return 1; }
}

# ---------------------------------------------------------------------------- run

kubectl create namespace "$ns" >/dev/null
check "kubectl version shows server $KUBERNETES_VERSION" server_version
check "node kwok-node-0 Ready, untainted, labelled type=kwok" node_ready
check "StatefulSet with a volumeClaimTemplate ready (60s), PVC Bound" statefulset_with_volume
check "Deployment deleted: its ReplicaSet garbage-collected (30s)" deployment_gc
check "StatefulSet and PVC deleted: PV Available again (30s)" pv_recycled
check "temporary namespace deleted (60s)" namespace_deleted

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
