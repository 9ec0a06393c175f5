#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A real, local Kubernetes control plane for integration tests, without containers:
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built from source by
# hack/build-control-plane.sh), plus kwok, which plays the kubelet of one fake node so that
# scheduled pods turn Running and Ready. A default StorageClass and a pool of
# PersistentVolumes let the real PV controller bind StatefulSet claims.
#
#   hack/cluster.sh up       start (idempotent) and wait until usable
#   hack/cluster.sh down     stop every process, leave no port, drop the etcd data
#   hack/cluster.sh status   show each process; exit non-zero unless all is up
#   hack/cluster.sh env      print `export KUBECONFIG=...` (and kubectl on PATH) for eval
#   hack/cluster.sh kubectl-path   print the path of the pinned kubectl
#   hack/cluster.sh restart-apiserver | restart-etcd   kill -9 one and start it again (faults)
#
# State (certificates, etcd data, logs, pids, kubeconfig) lives outside the repository in
# $DBAAS_CLUSTER_DIR, by default ${XDG_CACHE_HOME:-~/.cache}/dbaas-operator/cluster.
# CLUSTER_CSI=1 also starts the CSI stack of hack/csi.sh (a mock driver and its sidecars).
# CLUSTER_PV_COUNT (default 50) sets the size of the volume pool; CLUSTER_POD_CIDR the
# addresses kwok gives pods; CLUSTER_KCM_CONTROLLERS (default '*') and CLUSTER_KCM_GATES
# (default none) the controller-manager's --controllers and --feature-gates;
# CLUSTER_APISERVER_PROFILING=1 the apiserver's /debug/pprof (--profiling, default off), read
# at up and at restart-apiserver: the bench asks it for a garbage collection (heap?gc=1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=proc.sh
. "$here/proc.sh"

STATE=${DBAAS_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster}
PKI=$STATE/pki
LOGS=$STATE/logs
RUN=$STATE/run
KUBECONFIG_FILE=$STATE/kubeconfig
CLUSTER_ENV=$STATE/cluster.env # ports and binary folders of the running cluster

NODE_NAME=kwok-node-0
# Room for 65,000 ClusterIP Services: `make bench` makes one per DBInstance, two per Zalando cluster.
SERVICE_CIDR=${CLUSTER_SERVICE_CIDR:-10.0.0.0/16}
SERVICE_IP=10.0.0.1
# Pod addresses are made up by kwok and nothing listens on them. Loopback by default so that
# a test that dials a pod reaches only this machine; the price is that EndpointSlices for
# such pods are rejected by validation (set e.g. 10.244.0.0/16 if a test needs endpoints).
POD_CIDR=${CLUSTER_POD_CIDR:-127.244.0.0/16}
PV_COUNT=${CLUSTER_PV_COUNT:-50}
# The controller-manager's and scheduler's client rate limits (20 and 50 requests/s by
# default). `make bench` raises them so the operator, not the control plane, is measured.
CLIENT_QPS_FLAGS=()
if [ -n "${CLUSTER_CLIENT_QPS:-}" ]; then
    CLIENT_QPS_FLAGS=(--kube-api-qps="$CLUSTER_CLIENT_QPS" --kube-api-burst=$((CLUSTER_CLIENT_QPS * 2)))
fi
KCM_CONTROLLERS=${CLUSTER_KCM_CONTROLLERS:-*}
KCM_GATES=()
[ -z "${CLUSTER_KCM_GATES:-}" ] || KCM_GATES=(--feature-gates="$CLUSTER_KCM_GATES")
CONTEXT=dbaas-local
# Stop order: dependents first, etcd last.
COMPONENTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

log() { printf 'cluster: %s\n' "$*" >&2; }

# Prints the last lines of a component's log and exits non-zero.
fail() {
    local comp=$1
    shift
    log "ERROR: $*"
    if [ -n "$comp" ] && [ -s "$LOGS/$comp.log" ]; then
        log "last lines of $LOGS/$comp.log:"
        tail -n 40 "$LOGS/$comp.log" | sed 's/^/    /' >&2
    fi
    exit 1
}

now() { printf '%s' "${EPOCHREALTIME/[.,]/}"; } # microseconds
elapsed() { local d=$(($(now) - $1)); printf '%d.%01ds' $((d / 1000000)) $((d / 100000 % 10)); }

# curl must never go through a proxy from the environment for loopback addresses.
curl_local() { curl --noproxy '*' -sf --max-time 3 "$@"; }

kc() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# ---------------------------------------------------------------------------- processes

pid_of() { [ -s "$RUN/$1.pid" ] && cat "$RUN/$1.pid"; }

alive() { proc_alive "$@"; }

# First word of a process's command line (no pipe: nothing to die of SIGPIPE).
argv0() { local a; IFS= read -r -d '' a 2>/dev/null <"/proc/$1/cmdline" && printf '%s' "$a"; }

running() { local pid; pid=$(pid_of "$1") && alive "$pid" "$1"; }

# Starts a component detached (hack/proc.sh), output to its log, pid to its pid file.
start() {
    local name=$1
    shift
    : >"$LOGS/$name.log"
    proc_start "$LOGS/$name.log" "$RUN/$name.pid" "$name" "$@"
}

# Pids of components started for this state folder, found by their command line; catches
# processes whose pid file was lost.
stray_pids() {
    local d name
    local -a argv
    for d in /proc/[0-9]*; do
        mapfile -d '' -t argv 2>/dev/null <"$d/cmdline" || continue
        [ ${#argv[@]} -gt 0 ] || continue
        name=${argv[0]##*/}
        case " ${COMPONENTS[*]} " in *" $name "*) ;; *) continue ;; esac
        case " ${argv[*]}" in *"$STATE/"*) alive "${d#/proc/}" "$name" && echo "${d#/proc/}" ;; esac
    done
}

# SIGTERM to the process group, SIGKILL after a grace period, then wait until it is gone.
stop_pid() {
    local pid=$1 name=$2 i
    alive "$pid" "$name" || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        alive "$pid" "$name" || return 0
        sleep 0.1
    done
    log "$name ($pid) ignored SIGTERM; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" "$name" || return 0
        sleep 0.1
    done
    log "could not stop $name ($pid)"
    return 1
}

stop_all() {
    local name pid rc=0
    for name in "${COMPONENTS[@]}"; do
        pid=$(pid_of "$name") || pid=
        if [ -n "$pid" ]; then stop_pid "$pid" "$name" || rc=1; fi
        rm -f "$RUN/$name.pid"
    done
    for pid in $(stray_pids); do
        name=$(argv0 "$pid") || continue
        stop_pid "$pid" "${name##*/}" || rc=1
    done
    return $rc
}

# ---------------------------------------------------------------------------- ports

# free_port VAR: sets VAR to a loopback TCP port below the kernel's ephemeral range that no
# socket uses (any state, v4 or v6) and that was not handed out before in this run.
declare -A PORT_TAKEN=()
free_port() {
    local h p i
    if [ ${#PORT_TAKEN[@]} -eq 0 ]; then
        while read -r h; do PORT_TAKEN[$((16#$h))]=1; done < <(
            awk 'FNR > 1 { split($2, a, ":"); print a[length(a)] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
        PORT_TAKEN[0]=1
    fi
    for ((i = 0; i < 1000; i++)); do
        p=$((20000 + RANDOM % 12000))
        [ -z "${PORT_TAKEN[$p]:-}" ] || continue
        PORT_TAKEN[$p]=1
        printf -v "$1" '%s' "$p"
        return
    done
    fail "" "no free port found"
}

# ---------------------------------------------------------------------------- certificates

# openssl runs with a config of ours only, so the system's openssl.cnf cannot add to or
# break the certificates.
ssl_conf() {
    cat <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:$SERVICE_IP, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF
}

# issue_cert NAME SUBJECT EXT: NAME.key, a fresh P-256 key, and NAME.crt signed by the CA.
issue_cert() {
    local name=$1 subj=$2 ext=$3
    openssl req -new -config "$PKI/openssl.cnf" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$PKI/openssl.cnf" \
        -extensions "$ext" -out "$PKI/$name.crt" 2>/dev/null
    rm -f "$PKI/$name.csr"
}

# Certificates are kept across down/up: they do not depend on the ports.
make_pki() {
    [ -s "$PKI/done" ] && return
    log "generating certificates in $PKI"
    rm -rf "$PKI"
    mkdir -p "$PKI"
    chmod 700 "$PKI"
    ssl_conf >"$PKI/openssl.cnf"
    openssl req -x509 -new -config "$PKI/openssl.cnf" -extensions ca \
        -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$PKI/ca.key" -subj "/CN=dbaas-local-ca" -days 3650 -out "$PKI/ca.crt" 2>/dev/null
    issue_cert apiserver "/CN=kube-apiserver" server
    issue_cert admin "/O=system:masters/CN=admin" client
    issue_cert controller-manager "/CN=system:kube-controller-manager" client
    issue_cert scheduler "/CN=system:kube-scheduler" client
    # Service-account tokens are signed by the apiserver and verified with the public half.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
    openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    echo ok >"$PKI/done"
}

b64() { base64 -w0 <"$1"; }

# write_kubeconfig FILE CERT_NAME SERVER
write_kubeconfig() {
    local tmp=$1.tmp
    cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: $3
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$PKI/$2.crt")
    client-key-data: $(b64 "$PKI/$2.key")
contexts:
- name: $CONTEXT
  context:
    cluster: $CONTEXT
    user: $2
    namespace: default
current-context: $CONTEXT
EOF
    chmod 600 "$tmp"
    mv "$tmp" "$1"
}

# ---------------------------------------------------------------------------- cluster objects

# The fake node (kwok manages nodes with its annotation; no taint, so any pod may land
# there), the default StorageClass and the pool of volumes, for one kubectl apply.
bootstrap_objects() {
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node-role.kubernetes.io/agent: ""
# Room for BENCH_N=5000 (5000 pods of make bench) on the one fake node.
status:
  capacity: {cpu: "1000", memory: 4Ti, pods: "10000"}
  allocatable: {cpu: "1000", memory: 4Ti, pods: "10000"}
---
# Immediate binding: the PV controller binds a claim as soon as it appears, the scheduler
# then only checks that the bound volume fits the node (pool volumes fit any node).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
volumeBindingMode: Immediate
allowVolumeExpansion: true
EOF
    local i
    for ((i = 0; i < PV_COUNT; i++)); do
        # Retain: nothing real to delete; kwok's pv-recycle stage makes a Released one
        # Available again. The hostPath is never touched (there is no kubelet).
        cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pool-pv-$(printf %03d "$i")
  labels:
    dbaas.local/pv-pool: "true"
spec:
  storageClassName: standard
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "/tmp/dbaas-local-pv/pool-pv-$(printf %03d "$i")"}
EOF
    done
}

# ---------------------------------------------------------------------------- waiting

# wait_until COMPONENT SECONDS WHAT COMMAND...: polls COMMAND; fails early with the log of
# COMPONENT when that process dies.
wait_until() {
    local comp=$1 secs=$2 what=$3 deadline
    shift 3
    deadline=$(($(now) + secs * 1000000))
    until "$@" >/dev/null 2>&1; do
        running "$comp" || fail "$comp" "$comp exited while waiting for $what"
        [ "$(now)" -lt "$deadline" ] || fail "$comp" "timed out after ${secs}s waiting for $what"
        sleep 0.2
    done
}

# (Captured, not piped into grep -q: an early exit of grep would fail the pipe.)
apiserver_ready() {
    [ "$(curl_local --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
        "https://127.0.0.1:$API_PORT/readyz")" = ok ]
}
etcd_healthy() { [[ $(curl_local "http://127.0.0.1:$ETCD_PORT/health") == *'"health":"true"'* ]]; }
healthz() { [ "$(curl_local -k "https://127.0.0.1:$1/healthz")" = ok ]; }
node_ready() {
    [ "$(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# ---------------------------------------------------------------------------- commands

# One up/down at a time per state folder.
lock() {
    exec 9>"$STATE/.lock"
    flock -w 300 9 || fail "" "another up/down holds $STATE/.lock"
}

# Stops everything and drops the cluster's data, for a fresh cluster next time; the
# certificates and the logs (for post-mortems) stay.
teardown() {
    local rc=0
    bash "$here/csi.sh" stop || rc=1
    bash "$here/argocd.sh" stop || rc=1
    ZALANDO_STATE=$STATE/zalando-state bash "$here/zalando.sh" stop || rc=1
    stop_all || rc=1
    rm -rf "$STATE/etcd" "$CLUSTER_ENV" "$STATE"/*kubeconfig "$STATE/kwok" \
        "$STATE/controller-manager" "$STATE/scheduler"
    return $rc
}

# shellcheck source=/dev/null
load_env() { [ -s "$CLUSTER_ENV" ] && . "$CLUSTER_ENV"; }

# Healthy: every process alive and the apiserver ready.
healthy() {
    local c
    load_env || return 1
    for c in "${COMPONENTS[@]}"; do running "$c" || return 1; done
    apiserver_ready
}

# etcd's flags live here alone, so a restart (restart-etcd) uses the same ones.
start_etcd() {
    local etcd_peer=http://127.0.0.1:$ETCD_PEER_PORT
    start etcd "$ETCD_BIN/etcd" --name=dbaas-local --data-dir="$STATE/etcd" \
        --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls="$etcd_peer" --initial-advertise-peer-urls="$etcd_peer" \
        --initial-cluster="dbaas-local=$etcd_peer" \
        --unsafe-no-fsync --log-level=warn
}

# The apiserver's flags live here alone, so a restart (restart-apiserver) uses the same ones.
# PodTemplates have no watch cache and etcd compacts every 10 s: a watch of PodTemplates from
# an old resourceVersion then gets 410 Gone, which the informer tests need on demand.
start_apiserver() {
    start kube-apiserver "$KUBE_BIN/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
        --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 \
        --endpoint-reconciler-type=none \
        --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
        --client-ca-file="$PKI/ca.crt" \
        --service-cluster-ip-range="$SERVICE_CIDR" \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-key-file="$PKI/sa.pub" \
        --service-account-signing-key-file="$PKI/sa.key" \
        --authorization-mode=Node,RBAC \
        --allow-privileged=true \
        --profiling="$([ "${CLUSTER_APISERVER_PROFILING:-0}" = 1 ] && echo true || echo false)" \
        --watch-cache-sizes=podtemplates#0 \
        --etcd-compaction-interval=10s
}

# The CSI stack (hack/csi.sh) when CLUSTER_CSI=1, as test/run.sh sets it.
start_csi() {
    [ "${CLUSTER_CSI:-0}" = 1 ] || return 0
    bash "$here/csi.sh" start || fail "" "the CSI stack (hack/csi.sh) did not start"
}

cmd_up() {
    local t0 c
    t0=$(now)
    mkdir -p "$STATE" "$LOGS" "$RUN"
    lock

    if healthy; then
        log "already up at https://127.0.0.1:$API_PORT (checked in $(elapsed "$t0"))"
        start_csi
        return 0
    fi
    for c in "${COMPONENTS[@]}"; do
        if running "$c"; then
            log "cluster only partly up: stopping it first"
            break
        fi
    done
    teardown

    local line
    while IFS= read -r line; do
        case $line in ETCD_BIN=* | KUBE_BIN=* | KWOK_BIN=*) declare -g "$line" ;; esac
    done < <(bash "$here/build-control-plane.sh" all || echo BUILD_FAILED)
    if [ -z "${KWOK_BIN:-}" ] || [ ! -x "${KUBE_BIN:-}/kube-apiserver" ]; then
        fail "" "hack/build-control-plane.sh failed"
    fi

    make_pki
    # Anything that fails from here on stops what was started.
    trap 'rc=$?; [ $rc -eq 0 ] || { log "up failed; stopping what was started"; teardown || true; }' EXIT

    free_port ETCD_PORT
    free_port ETCD_PEER_PORT
    free_port API_PORT
    free_port KCM_PORT
    free_port SCHED_PORT
    local server=https://127.0.0.1:$API_PORT
    local v
    for v in ETCD_BIN KUBE_BIN KWOK_BIN ETCD_PORT ETCD_PEER_PORT API_PORT KCM_PORT SCHED_PORT; do
        printf '%s=%q\n' "$v" "${!v}"
    done >"$CLUSTER_ENV"
    write_kubeconfig "$KUBECONFIG_FILE" admin "$server"
    write_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager "$server"
    write_kubeconfig "$STATE/scheduler.kubeconfig" scheduler "$server"

    local t_etcd t_api
    t_etcd=$(now)
    # Test data needs no durability: skipping fsync makes etcd much faster on slow disks.
    start_etcd
    wait_until etcd 30 "etcd health" etcd_healthy
    t_api=$(now)
    t_etcd=$(elapsed "$t_etcd")

    # --advertise-address is loopback (nothing else is ours), which Endpoints may not hold,
    # so the endpoint reconciler of the kubernetes Service is off.
    start_apiserver
    wait_until kube-apiserver 60 "apiserver /readyz" apiserver_ready
    local t_rest
    t_rest=$(now)
    t_api=$(elapsed "$t_api")

    # No --authentication/authorization-kubeconfig for the controller-manager and scheduler:
    # delegated auth would want the apiserver's requestheader CA (absent here) and log errors
    # every few seconds. Their /healthz is always allowed, which is all that is needed.
    start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
        --kubeconfig="$STATE/controller-manager.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE/controller-manager" \
        --controllers="$KCM_CONTROLLERS" "${KCM_GATES[@]}" --leader-elect=false \
        --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
        --use-service-account-credentials=true \
        --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
        "${CLIENT_QPS_FLAGS[@]}" --profiling=false
    start kube-scheduler "$KUBE_BIN/kube-scheduler" \
        --kubeconfig="$STATE/scheduler.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$STATE/scheduler" \
        "${CLIENT_QPS_FLAGS[@]}" --leader-elect=false --profiling=false
    # KWOK_WORKDIR keeps kwok from also loading a ~/.kwok/kwok.yaml of the user. Without a
    # KwokConfiguration kwok renews no node Lease unless told its duration, as a kubelet's.
    mkdir -p "$STATE/kwok"
    KWOK_WORKDIR=$STATE/kwok start kwok "$KWOK_BIN/kwok" \
        --kubeconfig="$KUBECONFIG_FILE" \
        --manage-all-nodes=false \
        --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
        --node-lease-duration-seconds=40 \
        --node-ip=127.0.0.1 --cidr="$POD_CIDR" \
        --config="$here/cluster/node-stages.yaml" \
        --config="$here/cluster/pod-stages.yaml" \
        --config="$here/cluster/volume-stages.yaml" \
        --config="$here/cluster/spilo-stages.yaml"

    bootstrap_objects | kc apply -f - >/dev/null || fail kube-apiserver "creating the node, StorageClass and volumes failed"

    wait_until kube-controller-manager 60 "controller-manager /healthz" healthz "$KCM_PORT"
    wait_until kube-scheduler 60 "scheduler /healthz" healthz "$SCHED_PORT"
    wait_until kwok 60 "node $NODE_NAME Ready" node_ready
    wait_until kube-controller-manager 60 "default ServiceAccount" kc -n default get serviceaccount default

    start_csi
    trap - EXIT
    log "up at $server in $(elapsed "$t0") (etcd $t_etcd, apiserver $t_api, controllers and node $(elapsed "$t_rest"))"
    log "use: eval \"\$($0 env)\""
}

cmd_down() {
    local t0
    t0=$(now)
    mkdir -p "$STATE"
    lock
    teardown || fail "" "some processes could not be stopped"
    log "down in $(elapsed "$t0")"
}

cmd_status() {
    local c pid ok=0
    if ! load_env; then
        echo "cluster: not up (no $CLUSTER_ENV)"
        return 1
    fi
    for c in "${COMPONENTS[@]}"; do
        pid=$(pid_of "$c") || pid=
        if running "$c"; then
            printf '%-24s running (pid %s)\n' "$c" "$pid"
        else
            printf '%-24s NOT running\n' "$c"
            ok=1
        fi
    done
    if apiserver_ready; then
        echo "server: https://127.0.0.1:$API_PORT (ready)"
    else
        echo "server: https://127.0.0.1:$API_PORT (NOT ready)"
        ok=1
    fi
    echo "kubeconfig: $KUBECONFIG_FILE"
    return $ok
}

cmd_env() {
    printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
    # shellcheck disable=SC2016 # $PATH is for the eval, not for here
    if load_env; then printf 'export PATH=%q:"$PATH"\n' "$KUBE_BIN"; fi
}

# The kubectl of the running cluster, else the pinned one if it was built.
cmd_kubectl_path() {
    local kubectl
    if load_env; then
        kubectl=$KUBE_BIN/kubectl
    else
        kubectl=$(bash "$here/build-control-plane.sh" path | sed -n 's/^KUBE_BIN=//p')/kubectl
    fi
    [ -x "$kubectl" ] || { log "no kubectl at $kubectl (hack/build-control-plane.sh kubernetes)"; return 1; }
    echo "$kubectl"
}

# For fault tests: kill -9 the apiserver (no graceful close of any stream) and start it
# again on the same port with the same flags; returns once it is ready.
cmd_restart_apiserver() {
    load_env || fail "" "no cluster is up in $STATE"
    running kube-apiserver || fail kube-apiserver "the apiserver is not running"
    local pid t
    t=$(now)
    pid=$(pid_of kube-apiserver)
    kill -9 "$pid"
    # A killed Go process shows as a zombie before its last thread has let go of the socket:
    # wait until the port no longer accepts connections.
    while alive "$pid" kube-apiserver || (exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null; do
        sleep 0.1
    done
    start_apiserver
    wait_until kube-apiserver 60 "apiserver /readyz" apiserver_ready
    log "apiserver restarted in $(elapsed "$t")"
}

# kill -9 etcd and start it again on the same data (the apiserver stays up and reconnects).
cmd_restart_etcd() {
    load_env || fail "" "no cluster is up in $STATE"
    running etcd || fail etcd "etcd is not running"
    local pid t
    t=$(now)
    pid=$(pid_of etcd)
    kill -9 "$pid"
    while alive "$pid" etcd || (exec 3<>"/dev/tcp/127.0.0.1/$ETCD_PORT") 2>/dev/null; do
        sleep 0.1
    done
    start_etcd
    wait_until etcd 30 "etcd health" etcd_healthy
    wait_until kube-apiserver 60 "apiserver /readyz" apiserver_ready
    log "etcd restarted in $(elapsed "$t")"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
kubectl-path) cmd_kubectl_path ;;
restart-apiserver) cmd_restart_apiserver ;;
restart-etcd) cmd_restart_etcd ;;
*)
    echo "usage: $0 up|down|status|env|kubectl-path|restart-apiserver|restart-etcd" >&2
    exit 2
    ;;
esac
