#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The Zalando postgres-operator (Go) as a benchmark peer, run out of cluster against the
# cluster in KUBECONFIG (normally the local control plane of hack/cluster.sh, whose kwok
# Stages in hack/cluster/spilo-stages.yaml play Patroni's part of labelling pods).
#
#   hack/zalando.sh build                      build once from the Go module proxy; prints the binary
#   hack/zalando.sh start NAMESPACE            install what it needs, start it watching NAMESPACE
#                                              ("*" for all), wait until it runs; prints its pid
#   hack/zalando.sh stop                       SIGTERM, SIGKILL after ZALANDO_STOP_GRACE s (10)
#   hack/zalando.sh status                     exit non-zero unless it is running
#   hack/zalando.sh stats                      pid, peak and current RSS, CPU seconds so far
#   hack/zalando.sh manifest N NAMESPACE [PREFIX]   N minimal `postgresql` objects as a YAML
#                                              List; names PREFIX-0001.. (default acid-bench)
#
# Version: ZALANDO_VERSION in hack/versions.env. The binary lands outside the repository in
# ${XDG_CACHE_HOME:-~/.cache}/dbaas-operator/postgres-operator-VERSION/. Its own manifests
# (RBAC) are read from the Go module cache at run time. Our configuration is
# hack/zalando/operator.env. State (pid, log) lives in $ZALANDO_STATE, by default zalando-state
# in the local cluster's folder ($DBAAS_CLUSTER_DIR, as hack/cluster.sh), whose `down` stops it.
# ZALANDO_KUBE_QPS / ZALANDO_KUBE_BURST set its client rate limits (upstream: 10 / 20);
# ZALANDO_OPERATOR_NAMESPACE holds its ConfigMap (default: default).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# shellcheck source=proc.sh
. "$here/proc.sh"

MODULE=github.com/zalando/postgres-operator
OUT=$cache/postgres-operator-$ZALANDO_VERSION
BIN=$OUT/postgres-operator
STATE=${ZALANDO_STATE:-${DBAAS_CLUSTER_DIR:-$cache/cluster}/zalando-state}
PID_FILE=$STATE/postgres-operator.pid
LOG_FILE=$STATE/postgres-operator.log
OP_NS=${ZALANDO_OPERATOR_NAMESPACE:-default}
CONFIGMAP=postgres-operator
CRD=postgresqls.acid.zalan.do
NAME=postgres-operator

log() { printf 'zalando: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Prints the last lines of the operator's log and exits non-zero.
die_log() {
    log "ERROR: $*"
    if [ -s "$LOG_FILE" ]; then
        log "last lines of $LOG_FILE:"
        tail -n 30 "$LOG_FILE" | sed 's/^/    /' >&2
    fi
    exit 1
}

now() { printf '%s' "${EPOCHREALTIME/[.,]/}"; } # microseconds
elapsed() { local d=$(($(now) - $1)); printf '%d.%01ds' $((d / 1000000)) $((d / 100000 % 10)); }


# ---------------------------------------------------------------------------- build

# `go install MODULE/cmd@VERSION` asks the proxy for the module's version list (refused for
# this module), so a scratch module requires the version and builds its main package.
cmd_build() {
    # In a subshell: the lock (build_lock, one build at a time) must not reach a daemon.
    (build_lock zalando && build_binary) || exit 1
    echo "$BIN"
}

build_binary() {
    if [ ! -x "$BIN" ]; then
        need_go
        local work t0
        t0=$(now)
        work=$(mktemp -d)
        # shellcheck disable=SC2064 # expand now: $work is local
        trap "rm -rf '$work'" EXIT
        log "building $MODULE $ZALANDO_VERSION (a few minutes on 2 cores)"
        rm -rf "$OUT.tmp"
        (cd "$work" &&
            go mod init local/zalando >/dev/null 2>&1 &&
            go get "$MODULE/cmd@$ZALANDO_VERSION" >/dev/null 2>&1 &&
            go build -trimpath -ldflags="-s -w -X main.version=$ZALANDO_VERSION" \
                -o "$OUT.tmp/postgres-operator" "$MODULE/cmd") ||
            die "building $MODULE/cmd@$ZALANDO_VERSION failed"
        rm -rf "$OUT"
        mv "$OUT.tmp" "$OUT"
        log "built in $(elapsed "$t0")"
    fi
}

# The module's source in the Go module cache (downloaded when missing), for its manifests.
module_dir() {
    need_go
    local dir
    dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "$MODULE@$ZALANDO_VERSION" 2>/dev/null |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -n $dir && -d $dir/manifests ]] || die "no $MODULE@$ZALANDO_VERSION in the Go module cache"
    echo "$dir"
}

# ---------------------------------------------------------------------------- processes

kubectl_bin() {
    local k
    if [ -n "${KUBECTL:-}" ]; then
        echo "$KUBECTL"
    elif k=$(bash "$here/cluster.sh" kubectl-path 2>/dev/null); then
        echo "$k"
    elif k=$(command -v kubectl); then
        echo "$k"
    else
        die "no kubectl (hack/build-control-plane.sh kubernetes, or set KUBECTL)"
    fi
}

kc() { "$KC" "$@"; }

alive() { proc_alive "$1" "$NAME"; }

pid_of() { [ -s "$PID_FILE" ] && cat "$PID_FILE"; }
running() { local pid; pid=$(pid_of) && alive "$pid"; }

# A free TCP port below the ephemeral range for the operator's HTTP API (it binds all
# addresses; its default 8080 is often taken).
free_port() {
    local -A taken=()
    local h p i
    while read -r h; do taken[$((16#$h))]=1; done < <(
        awk 'FNR > 1 { split($2, a, ":"); print a[length(a)] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
    for ((i = 0; i < 1000; i++)); do
        p=$((20000 + RANDOM % 12000))
        [ -z "${taken[$p]:-}" ] && { echo "$p"; return; }
    done
    die "no free port found"
}

crd_established() {
    [ "$(kc get crd "$CRD" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]
}

# The line Controller.Run logs once its informers and workers are started.
operator_started() { grep -q 'started working in background' "$LOG_FILE" 2>/dev/null; }

cmd_start() {
    local ns=${1:-}
    [ -n "$ns" ] || die "usage: $0 start NAMESPACE  (\"*\" watches all namespaces)"
    [[ -n ${KUBECONFIG:-} && -r ${KUBECONFIG%%:*} ]] ||
        die "KUBECONFIG is not set or not readable (eval \"\$(hack/cluster.sh env)\")"
    local kubeconfig=${KUBECONFIG%%:*}
    mkdir -p "$STATE"
    if running; then die "already running (pid $(pid_of)); $0 stop first"; fi

    local t0 bin dir port
    t0=$(now)
    bin=$(cmd_build)
    dir=$(module_dir)
    KC=$(kubectl_bin)
    kc version >/dev/null 2>&1 || die "the cluster in $kubeconfig does not answer"

    # The watched namespace must exist (the operator exits otherwise), and so must its own.
    local n
    for n in "$OP_NS" "$ns"; do
        [ "$n" = "*" ] && continue
        kc get namespace "$n" >/dev/null 2>&1 || kc create namespace "$n" >/dev/null ||
            die "could not create namespace $n"
    done
    # Upstream RBAC: the ClusterRole postgres-pod, which the operator binds each cluster's
    # pod service account to, and its own account and role (unused: it runs with our
    # credentials). Read from the module cache, never copied.
    kc apply -f "$dir/manifests/operator-service-account-rbac.yaml" >/dev/null ||
        die "applying $dir/manifests/operator-service-account-rbac.yaml failed"
    # The CRD from the module cache. The operator would register it too, but v1.15.1 exits
    # when the CRD does not exist yet (createOperatorCRD then patches a CRD with no name);
    # once it exists, the operator only patches it with its built-in definition.
    kc apply --server-side --force-conflicts -f "$dir/manifests/postgresql.crd.yaml" >/dev/null ||
        die "applying $dir/manifests/postgresql.crd.yaml failed"
    # Polled: `kubectl wait` fails at once on a CRD so new that it has no conditions yet.
    local crd_deadline=$(($(now) + 60 * 1000000))
    until crd_established; do
        [ "$(now)" -lt "$crd_deadline" ] || die "the CRD $CRD did not become Established"
        sleep 0.2
    done
    # kubectl takes no --from-literal next to --from-env-file: add the port to a copy.
    port=$(free_port)
    { cat "$here/zalando/operator.env"; echo "api_port=$port"; } >"$STATE/operator.env"
    kc -n "$OP_NS" create configmap "$CONFIGMAP" --from-env-file="$STATE/operator.env" \
        --dry-run=client -o yaml | kc apply -f - >/dev/null ||
        die "applying the ConfigMap $OP_NS/$CONFIGMAP failed"

    local -a args=(-outofcluster -kubeconfig="$kubeconfig")
    [ -z "${ZALANDO_KUBE_QPS:-}" ] || args+=(-kubeqps="$ZALANDO_KUBE_QPS")
    [ -z "${ZALANDO_KUBE_BURST:-}" ] || args+=(-kubeburst="$ZALANDO_KUBE_BURST")
    : >"$LOG_FILE"
    # Its own session and process group, so that stop can signal the group.
    CONFIG_MAP_NAME=$OP_NS/$CONFIGMAP OPERATOR_NAMESPACE=$OP_NS WATCHED_NAMESPACE=$ns \
        proc_start "$LOG_FILE" "$PID_FILE" "$NAME" "$bin" "${args[@]}"

    local deadline=$(($(now) + ${ZALANDO_START_TIMEOUT:-120} * 1000000))
    until crd_established && operator_started; do
        running || die_log "the operator exited while starting"
        [ "$(now)" -lt "$deadline" ] || die_log "the operator did not start within ${ZALANDO_START_TIMEOUT:-120}s"
        sleep 0.2
    done
    log "running, watching namespace $ns, api on :$port, log $LOG_FILE (up in $(elapsed "$t0"))"
    pid_of
}

cmd_stop() {
    local pid i grace=${ZALANDO_STOP_GRACE:-10}
    pid=$(pid_of) || pid=
    if [ -z "$pid" ] || ! alive "$pid"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    # A worker stuck in one of its wait loops does not see the stop channel, hence the grace.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        log "pid $pid ignored SIGTERM for ${grace}s; killing"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        alive "$pid" && die "could not stop pid $pid"
    fi
    rm -f "$PID_FILE"
    log "stopped (pid $pid)"
}

cmd_status() {
    if running; then
        echo "postgres-operator running (pid $(pid_of)), log $LOG_FILE"
    else
        echo "postgres-operator NOT running"
        return 1
    fi
}

# pid, peak RSS (VmHWM), current RSS and user+system CPU seconds of the running operator.
cmd_stats() {
    local pid stat hwm rss tck
    local -a f
    running || die "not running"
    pid=$(pid_of)
    stat=$(cat "/proc/$pid/stat")
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    tck=$(getconf CLK_TCK)
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    # After "pid (comm) ", field 3 (state) is f[0]; utime and stime are fields 14 and 15.
    awk -v p="$pid" -v h="$hwm" -v r="$rss" -v u="${f[11]}" -v s="${f[12]}" -v t="$tck" \
        'BEGIN { printf "pid=%s peak_rss_kib=%s rss_kib=%s cpu_s=%.2f\n", p, h, r, (u + s) / t }'
}

# N minimal clusters, one instance each, with one user owning one database (so it makes a
# credentials Secret per user, Services and a StatefulSet, like a DBInstance). Cluster names
# must start with "<teamId>-". CPU request 10m so a thousand fit on the 32-CPU kwok node.
cmd_manifest() {
    local n=${1:-} ns=${2:-} prefix=${3:-acid-bench} i
    [[ $n =~ ^[0-9]+$ && -n $ns ]] || die "usage: $0 manifest N NAMESPACE [PREFIX]"
    [[ $prefix == acid-* ]] || die "PREFIX must start with the teamId \"acid-\" (got $prefix)"
    echo "apiVersion: v1"
    echo "kind: List"
    echo "items:"
    for ((i = 1; i <= n; i++)); do
        cat <<EOF
- apiVersion: acid.zalan.do/v1
  kind: postgresql
  metadata:
    name: $(printf '%s-%04d' "$prefix" "$i")
    namespace: $ns
  spec:
    teamId: acid
    numberOfInstances: 1
    postgresql:
      version: "16"
    volume:
      size: 1Gi
    users:
      app: []
    databases:
      app: app
    resources:
      requests:
        cpu: 10m
        memory: 100Mi
EOF
    done
}

case ${1:-} in
build) cmd_build ;;
start) shift; cmd_start "$@" ;;
stop) cmd_stop ;;
status) cmd_status ;;
stats) cmd_stats ;;
manifest) shift; cmd_manifest "$@" ;;
*)
    echo "usage: $0 build|start NAMESPACE|stop|status|stats|manifest N NAMESPACE [PREFIX]" >&2
    exit 2
    ;;
esac
