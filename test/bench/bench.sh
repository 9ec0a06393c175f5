#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# `make bench`: scale and footprint of the operator on the local control plane (issue 5).
# For each N in BENCH_SIZES (default "100 1000"; BENCH_N adds one more, e.g. 5000):
#   1. lower bound: no operator; bench-dbi creates N DBInstances and, with the operator's own
#      builders, their children at the operator's concurrency; time until every pod is Ready;
#   2. operator: N DBInstances created at once (32 requests in flight); time until all are
#      Ready, peak RSS, CPU seconds, API requests by verb, reconciles;
#   3. steady state: BENCH_STEADY_S (300) seconds with nothing changing: writes, CPU, RSS;
#   4. restart: kill -9 and start again over the N objects: time to caches synced and to the
#      first idle moment (from the operator's own log lines), writes issued; and against it,
#      a plain paginated list (bench-dbi list) of what the operator's informers list (read
#      from its debug log at start, test/bench/list-paths.py); BENCH_RESTARTS (3) rounds of
#      both, the round of median ratio reported;
#   5. churn: spec.parameters of 10% of the objects changed; time until every change is
#      Ready in status for its new generation;
#   6. HAClusters (N <= BENCH_HAC_MAX, 100): N HAClusters of one instance through the operator
#      and the Zalando operator: time until all are Ready, both operators' RSS and CPU;
#   7. DBSnapshots (N <= BENCH_SNAP_MAX, 100; BENCH_SKIP_SNAP=1 skips): N DBInstances on the
#      CSI mock driver (hack/csi.sh), a DBSnapshot of each at once, time until all are
#      readyToUse; against a VolumeSnapshot of each data claim made directly, same run;
#   8. the peer: the Zalando postgres-operator (hack/zalando.sh) with N `postgresql` objects:
#      peak RSS, CPU seconds, time until all its StatefulSets exist and their pods are Ready.
# Steps 1 and 2 repeat BENCH_REPEAT times (default 3) while N <= 100 and report the median.
# Also the idle operator (no objects) and (unless BENCH_PROFILE=0) a callgrind profile of the
# operator creating 100 DBInstances. Writes test/bench/RESULTS.md and test/bench/results.json.
#
# Environment: BENCH_CLUSTER_DIR (default ~/.cache/dbaas-operator/cluster-bench),
# BENCH_KCM_CONTROLLERS and BENCH_KCM_GATES (the controller-manager's; see the cluster's start),
# BENCH_CONCURRENCY (4, the operator's default), BENCH_SKIP_PEER=1 (steps 6 and 8),
# BENCH_SKIP_SNAP=1 (step 7), BENCH_ONLY_PEER=1 (steps 1-5 skipped), BENCH_RAW_MERGE=FILE (raw lines of an earlier run reported with this one's; a
# failed run leaves its lines in /tmp/bench-raw-PID.jsonl), BENCH_KEEP_CLUSTER=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export DBAAS_CLUSTER_DIR=${BENCH_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster-bench}
read -r -a SIZES <<<"${BENCH_SIZES:-100 1000} ${BENCH_N:-}"
REPEAT=${BENCH_REPEAT:-3}
STEADY_S=${BENCH_STEADY_S:-300}
RESTARTS=${BENCH_RESTARTS:-3}
CONC=${BENCH_CONCURRENCY:-4}
OUT_MD=${BENCH_OUT_MD:-test/bench/RESULTS.md}
OUT_JSON=${BENCH_OUT_JSON:-test/bench/results.json}
WORK=$(mktemp -d)
RAW=$WORK/raw.jsonl
OP_PID=
export ZALANDO_STATE=$WORK/zalando

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

cleanup() {
    local rc=$?
    [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null
    bash hack/zalando.sh stop >/dev/null 2>&1 || true
    if [ "${BENCH_KEEP_CLUSTER:-0}" != 1 ]; then
        bash hack/cluster.sh down >/dev/null 2>&1 || log "hack/cluster.sh down failed"
    fi
    if [ $rc -ne 0 ]; then
        [ -f "$WORK/op.log" ] && tail -20 "$WORK/op.log" >&2
        # What was measured before the failure is kept (BENCH_RAW_MERGE can take it).
        [ -s "$RAW" ] && cp "$RAW" "/tmp/bench-raw-$$.jsonl" && log "raw numbers so far: /tmp/bench-raw-$$.jsonl"
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

max_n=0
for n in "${SIZES[@]}"; do [ "$n" -gt "$max_n" ] && max_n=$n; done

# ---------------------------------------------------------------------------- build, cluster
log "building (make)"
make -j2 bin/dbaas-operator bin/bench-dbi >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "make failed"; }
if [ "${BENCH_SKIP_PEER:-0}" != 1 ]; then
    log "building the Zalando postgres-operator (hack/zalando.sh build)"
    bash hack/zalando.sh build >/dev/null || die "hack/zalando.sh build failed"
fi
if [ "${BENCH_SKIP_SNAP:-0}" != 1 ]; then
    log "building the CSI stack (hack/csi.sh build)"
    bash hack/csi.sh build >/dev/null || die "hack/csi.sh build failed"
fi
log "cluster in $DBAAS_CLUSTER_DIR with $((max_n + 200)) volumes"
# Without the endpoint controllers: kwok's loopback pod addresses fail EndpointSlice validation,
# and their retries (some 6 a second, an Event each) and the scan of every Service per pod event
# slowed the controller-manager's one-at-a-time claim binding to 80 claims a minute at N=5000.
# Nor the claims' "Unused" condition, a fifth write per bind. Lower bound and operator alike.
CLUSTER_PV_COUNT=$((max_n + 200)) CLUSTER_CLIENT_QPS=${BENCH_CLIENT_QPS:-500} \
    CLUSTER_KCM_CONTROLLERS=${BENCH_KCM_CONTROLLERS:-*,-endpoints-controller,-endpointslice-controller,-endpointslice-mirroring-controller} \
    CLUSTER_KCM_GATES=${BENCH_KCM_GATES:-PersistentVolumeClaimUnusedSinceTime=false} \
    CLUSTER_APISERVER_PROFILING=1 bash hack/cluster.sh up
eval "$(bash hack/cluster.sh env)"
KUBECTL=$(bash hack/cluster.sh kubectl-path)
k() { "$KUBECTL" "$@"; }
k apply --server-side --force-conflicts -f crds/ >/dev/null
k wait --for=condition=Established --timeout=60s -f crds/ >/dev/null

# ---------------------------------------------------------------------------- helpers
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proc_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# Memory of a process as JSON fields: RSS and its peak, its private (anonymous) and
# file-backed (shared library) parts, and PSS (shared pages divided among their sharers).
mem_json() {
    printf '"rss_kb":%s,"hwm_kb":%s,"anon_kb":%s,"file_kb":%s,"pss_kb":%s' \
        "$(proc_kb "$1" VmRSS)" "$(proc_kb "$1" VmHWM)" "$(proc_kb "$1" RssAnon)" \
        "$(proc_kb "$1" RssFile)" "$(awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup")"
}
# CPU seconds (user + system) of a process; of the API server; B - A rounded.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$1/stat"; }
api_cpu() { proc_cpu "$(cat "$DBAAS_CLUSTER_DIR/run/kube-apiserver.pid")"; }
cpu_diff() { python3 -c "print(round($2 - $1, 2))"; }
# The control plane's CPU seconds by process (its pid files; null for one not running) and
# the machine's busy and total core-seconds (/proc/stat, all cores), as a JSON object: taken
# before and after a create, they say whether the machine was saturated and who used it.
cp_json() {
    local p pid s=""
    printf '{'
    for p in kube-apiserver etcd kube-controller-manager kube-scheduler kwok; do
        pid=$(cat "$DBAAS_CLUSTER_DIR/run/$p.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
            printf '%s"%s":%s' "$s" "$p" "$(proc_cpu "$pid")"
        else
            printf '%s"%s":null' "$s" "$p"
        fi
        s=,
    done
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
        printf ",\"machine_busy_s\":%.2f,\"machine_total_s\":%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz,
            ($2 + $3 + $4 + $5 + $6 + $7 + $8 + $9) / hz }' /proc/stat
    printf '}'
}
# A garbage collection of the API server, done when this returns (Go's pprof heap?gc=1 runs
# runtime.GC first; --profiling, which the bench's cluster turns on). One cycle of its heap
# costs 1.2 CPU s at N=1000: which of two timed phases it lands in is the heap pacer's luck,
# so each starts just after one. Prints 1, or 0 when the endpoint is off (a cluster kept
# from before): the phases are then timed as they come.
api_gc() { k get --raw '/debug/pprof/heap?gc=1' >/dev/null 2>&1 && echo 1 || echo 0; }
metrics() { curl -sf "http://127.0.0.1:$OP_PORT/metrics"; }
# API requests by verb, as a JSON object.
requests_json() {
    metrics | awk '/^dbaas_api_requests_total/ { match($0, /verb="[A-Z]+"/); v = substr($0, RSTART + 6, RLENGTH - 7); n[v] += $NF }
        END { printf "{"; s = ""; for (v in n) { printf "%s\"%s\":%d", s, v, n[v]; s = "," } printf "}\n" }'
}
writes() { metrics | awk '/^dbaas_api_requests_total/ && !/verb="GET"/ {n += $NF} END {print n + 0}'; }
reconciles() { metrics | awk '/^dbaas_reconciles_total/ {n += $NF} END {print n + 0}'; }
# The "seconds" of the operator's log lines with message MSG, the latest of them, once every
# controller has said it (CONTROLLERS of them: the operator logs "caches synced" and "initial
# reconcile done" once per controller; the first is the quickest, not the operator's).
CONTROLLERS=1
log_seconds() {
    python3 - "$WORK/op.log" "$1" "$CONTROLLERS" <<'EOF'
import json, sys
seen = []
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("msg") == sys.argv[2] and "seconds" in d:
        seen.append(float(d["seconds"]))
if len(seen) >= int(sys.argv[3]):
    print(max(seen))
EOF
}
wait_log() {
    local deadline=$((SECONDS + $2))
    until [ -n "$(log_seconds "$1")" ]; do
        [ $SECONDS -lt $deadline ] || die "no \"$1\" in the operator's log after $2 s"
        kill -0 "$OP_PID" 2>/dev/null || die "the operator exited"
        sleep 0.2
    done
    log_seconds "$1"
}
start_op() {
    OP_PORT=$(free_port)
    : >"$WORK/op.log"
    # shellcheck disable=SC2086 # OP_FLAGS: words on purpose
    ${OP_WRAP:-} bin/dbaas-operator --kubeconfig "$KUBECONFIG" --metrics-addr "127.0.0.1:$OP_PORT" \
        --concurrency "$CONC" ${OP_FLAGS:-} >>"$WORK/op.log" 2>&1 &
    OP_PID=$!
}
stop_op() {
    [ -n "$OP_PID" ] || return 0
    kill -"${1:-TERM}" "$OP_PID" 2>/dev/null || true
    wait "$OP_PID" 2>/dev/null || true
    OP_PID=
}
# Deletes a namespace and waits until it is gone and its volumes are back in the pool: 600 s,
# and a quarter second more per DBInstance of the largest size (the namespace controller
# deletes some 8 objects for each).
drop_ns() {
    k delete namespace "$1" --wait=false >/dev/null 2>&1 || true
    local limit=$((600 + max_n / 4))
    local deadline=$((SECONDS + limit))
    while k get namespace "$1" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "namespace $1 not gone after $limit s"
        sleep 1
    done
    until [ "$(k get pv --no-headers 2>/dev/null | grep -c ' Available ')" -ge "$max_n" ]; do
        [ $SECONDS -lt $deadline ] || die "volumes not back in the pool after $limit s"
        sleep 1
    done
}
record() { printf '%s\n' "$1" >>"$RAW"; }
# kind_manifest KIND N NAMESPACE SPEC: N objects KIND named snap-0001.. (DBSnapshot and
# VolumeSnapshot: named after the instance snap-NNNN, with a suffix) with spec SPEC (YAML
# flow mapping body), NAME in SPEC replaced by the instance's name.
kind_manifest() {
    local i name api=dbaas.dev/v1alpha1 suffix=
    [ "$1" = VolumeSnapshot ] && api=snapshot.storage.k8s.io/v1 suffix=-direct
    [ "$1" = DBSnapshot ] && suffix=-ours
    echo "apiVersion: v1"
    echo "kind: List"
    echo "items:"
    for ((i = 1; i <= $2; i++)); do
        name=$(printf 'snap-%04d' "$i")
        printf -- '- {apiVersion: %s, kind: %s, metadata: {name: %s, namespace: %s}, spec: {%s}}\n' \
            "$api" "$1" "$name$suffix" "$3" "${4//NAME/$name}"
    done
}
# wait_ready NAMESPACE RESOURCE JSONPATH VALUE COUNT: until COUNT objects have VALUE there.
wait_ready() {
    local deadline=$((SECONDS + 1800))
    until [ "$(k -n "$1" get "$2" -o jsonpath="{range .items[*]}$3{\"\n\"}{end}" | grep -c "^$4\$")" -ge "$5" ]; do
        [ $SECONDS -lt $deadline ] || die "$2 in $1: not $5 at $3 = $4 after 1800 s"
        kill -0 "$OP_PID" 2>/dev/null || die "the operator exited"
        sleep 0.5
    done
}
# N HAClusters of one instance each, sized as hack/zalando.sh manifest's postgresql objects.
hac_manifest() {
    local i
    echo "apiVersion: v1"
    echo "kind: List"
    echo "items:"
    for ((i = 1; i <= $1; i++)); do
        cat <<EOF
- apiVersion: dbaas.dev/v1alpha1
  kind: HACluster
  metadata:
    name: $(printf 'hac-%04d' "$i")
    namespace: $2
  spec:
    version: "16"
    replicas: 1
    database: app
    storage:
      size: 1Gi
    resources:
      requests:
        cpu: 10m
        memory: 100Mi
EOF
    done
}

# ---------------------------------------------------------------------------- idle operator
log "idle: the operator with no DBInstances"
start_op
wait_log "initial reconcile done" 60 >/dev/null
sleep 5
record "{\"phase\":\"idle\",$(mem_json "$OP_PID"),\"cpu_s\":$(proc_cpu "$OP_PID")}"
stop_op
# What its informers list (the debug log names every request), for step 4's plain list.
OP_FLAGS="--log-level debug" start_op
wait_log "initial reconcile done" 60 >/dev/null
sleep 3 # every controller's lines (CONTROLLERS below), not only the quickest one's
stop_op
python3 test/bench/list-paths.py "$WORK/op.log" >"$WORK/list-paths"
CONTROLLERS=$(grep -c '"msg":"caches synced"' "$WORK/op.log")
[ -s "$WORK/list-paths" ] || die "no LIST in the operator's debug log"

for n in "${SIZES[@]}"; do
  if [ "${BENCH_ONLY_PEER:-0}" != 1 ]; then
    runs=1
    [ "$n" -le 100 ] && runs=$REPEAT
    for ((i = 1; i <= runs; i++)); do
        # ------------------------------------------------------------ 1. lower bound
        ns=bench-lb-$n-$i
        k create namespace "$ns" >/dev/null
        log "N=$n run $i: lower bound (children rendered by pkg-c/dbi, concurrency $CONC)"
        cp0=$(cp_json)
        out=$(bin/bench-dbi lower-bound "$KUBECONFIG" "$ns" "$n" "$CONC") || die "bench-dbi lower-bound failed"
        record "{\"phase\":\"lower_bound\",\"n\":$n,\"run\":$i,\"result\":$out,\"cp0\":$cp0,\"cp1\":$(cp_json)}"
        drop_ns "$ns"

        # ------------------------------------------------------------ 2. operator
        ns=bench-op-$n-$i
        k create namespace "$ns" >/dev/null
        start_op
        wait_log "initial reconcile done" 60 >/dev/null
        cpu0=$(proc_cpu "$OP_PID")
        log "N=$n run $i: operator creates"
        cp0=$(cp_json) opc0=$(proc_cpu "$OP_PID")
        out=$(bin/bench-dbi create "$KUBECONFIG" "$ns" "$n") || die "bench-dbi create failed"
        cp1=$(cp_json) opc1=$(proc_cpu "$OP_PID")
        sleep 2
        record "{\"phase\":\"create\",\"n\":$n,\"run\":$i,\"result\":$out,$(mem_json "$OP_PID"),\"cpu_s\":$(proc_cpu "$OP_PID"),\"cpu0_s\":$cpu0,\"reconciles\":$(reconciles),\"requests\":$(requests_json),\"cp0\":$cp0,\"cp1\":$cp1,\"op_window_cpu_s\":$(cpu_diff "$opc0" "$opc1")}"
        if [ "$i" -lt "$runs" ]; then
            drop_ns "$ns"
            stop_op
        fi
    done

    # ---------------------------------------------------------------- 3. steady state
    log "N=$n: steady state for $STEADY_S s"
    w0=$(writes) c0=$(proc_cpu "$OP_PID") r0=$(reconciles)
    sleep "$STEADY_S"
    record "{\"phase\":\"steady\",\"n\":$n,\"seconds\":$STEADY_S,\"writes\":$(($(writes) - w0)),\"reconciles\":$(($(reconciles) - r0)),\"cpu_s\":$(python3 -c "print(round($(proc_cpu "$OP_PID") - $c0, 2))"),$(mem_json "$OP_PID")}"

    # ---------------------------------------------------------------- 4. restart
    # RESTARTS rounds, each a restart and then the plain list: the control plane's pace varies.
    # At N=5000 one restart right after the create took 24.1 s to idle; four more on a quiet
    # cluster of the same 5000 took 8.9-11.5 s, the list 6.3-9.5 s. The report takes the round
    # of median ratio, with the API server's CPU seconds beside each. Each phase starts just
    # after a garbage collection of the API server (api_gc): at N=1000 a collection landing in
    # the restart took it from 0.9 to 2.0 s, and it landed there in most rounds.
    for ((i = 1; i <= RESTARTS; i++)); do
        log "N=$n: kill -9 and restart over $n objects (round $i of $RESTARTS)"
        stop_op KILL
        gc=$(api_gc)
        a0=$(api_cpu)
        start_op
        synced=$(wait_log "caches synced" 120)
        idle=$(wait_log "initial reconcile done" 300)
        a1=$(api_cpu)
        sleep 5
        # The pace the control plane sets: the same LISTs, paginated, with nothing else to do.
        mapfile -t paths <"$WORK/list-paths"
        gc=$((gc & $(api_gc)))
        a2=$(api_cpu)
        plain=$(bin/bench-dbi list "$KUBECONFIG" "${paths[@]}") || die "bench-dbi list failed"
        a3=$(api_cpu)
        record "{\"phase\":\"restart\",\"n\":$n,\"round\":$i,\"synced_s\":$synced,\"idle_s\":$idle,\"writes\":$(writes),\"reconciles\":$(reconciles),$(mem_json "$OP_PID"),\"cpu_s\":$(proc_cpu "$OP_PID"),\"api_cpu_s\":$(cpu_diff "$a0" "$a1"),\"plain_list\":$plain,\"list_api_cpu_s\":$(cpu_diff "$a2" "$a3"),\"api_gc_first\":$gc}"
    done

    # ---------------------------------------------------------------- 5. churn
    log "N=$n: churn of 10%"
    c0=$(proc_cpu "$OP_PID") r0=$(reconciles)
    out=$(bin/bench-dbi churn "$KUBECONFIG" "$ns" "$n" 10) || die "bench-dbi churn failed"
    record "{\"phase\":\"churn\",\"n\":$n,\"result\":$out,\"reconciles\":$(($(reconciles) - r0)),\"cpu_s\":$(python3 -c "print(round($(proc_cpu "$OP_PID") - $c0, 2))")}"
    drop_ns "$ns"
    stop_op
  fi

    # ---------------------------------------------------------------- 6. HAClusters
    # N HAClusters through our operator and the Zalando operator it drives, each one
    # instance like the peer's postgresql objects below: time until all say Ready, both
    # operators' memory and CPU. Up to BENCH_HAC_MAX (100).
    if [ "${BENCH_SKIP_PEER:-0}" != 1 ] && [ "$n" -le "${BENCH_HAC_MAX:-100}" ]; then
        ns=bench-hac-$n
        k create namespace "$ns" >/dev/null
        zpid=$(ZALANDO_KUBE_QPS=${BENCH_CLIENT_QPS:-500} ZALANDO_KUBE_BURST=$((${BENCH_CLIENT_QPS:-500} * 2)) \
            bash hack/zalando.sh start "$ns") || die "hack/zalando.sh start failed"
        start_op
        wait_log "initial reconcile done" 60 >/dev/null
        sleep 5
        cpu0=$(proc_cpu "$OP_PID") zcpu0=$(proc_cpu "$zpid")
        hac_manifest "$n" "$ns" >"$WORK/hac.yaml"
        log "N=$n: HAClusters through the Zalando operator"
        t0=$(date +%s.%N)
        k create -f "$WORK/hac.yaml" >/dev/null
        deadline=$((SECONDS + 1800))
        until [ "$(k -n "$ns" get haclusters -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" -ge "$n" ]; do
            [ $SECONDS -lt $deadline ] || die "the HAClusters not all Ready after 1800 s"
            kill -0 "$zpid" 2>/dev/null || die "the Zalando operator exited"
            sleep 0.5
        done
        t_ready=$(date +%s.%N)
        sleep 2
        record "{\"phase\":\"hacluster\",\"n\":$n,\"ready_s\":$(python3 -c "print(round($t_ready - $t0, 3))"),\"op\":{$(mem_json "$OP_PID"),\"cpu_s\":$(proc_cpu "$OP_PID"),\"cpu0_s\":$cpu0},\"zalando\":{$(mem_json "$zpid"),\"cpu_s\":$(proc_cpu "$zpid"),\"cpu0_s\":$zcpu0},\"requests\":$(requests_json)}"
        drop_ns "$ns" # our finalizers: the operator runs until the namespace is gone
        stop_op
        bash hack/zalando.sh stop >/dev/null
    fi

    # ---------------------------------------------------------------- 7. DBSnapshots
    # N DBInstances on the CSI mock driver (hack/csi.sh), then a DBSnapshot of each at once:
    # time until all are readyToUse; then a VolumeSnapshot of each data claim made directly,
    # same class: time until all are readyToUse. Up to BENCH_SNAP_MAX (100).
    if [ "${BENCH_SKIP_SNAP:-0}" != 1 ] && [ "$n" -le "${BENCH_SNAP_MAX:-100}" ]; then
        bash hack/csi.sh start >/dev/null || die "hack/csi.sh start failed"
        ns=bench-snap-$n
        k create namespace "$ns" >/dev/null
        start_op
        wait_log "initial reconcile done" 60 >/dev/null
        kind_manifest DBInstance "$n" "$ns" 'engine: postgresql, version: "16", database: app, storage: {size: 1Gi, storageClassName: csi-mock}' >"$WORK/snap-dbi.yaml"
        k create -f "$WORK/snap-dbi.yaml" >/dev/null
        wait_ready "$ns" dbinstances '{.status.conditions[?(@.type=="Ready")].status}' True "$n"
        log "N=$n: DBSnapshots"
        cpu0=$(proc_cpu "$OP_PID")
        kind_manifest DBSnapshot "$n" "$ns" 'instanceName: NAME' >"$WORK/snap.yaml"
        t0=$(date +%s.%N)
        k create -f "$WORK/snap.yaml" >/dev/null
        wait_ready "$ns" dbsnapshots '{.status.readyToUse}' true "$n"
        t_ours=$(date +%s.%N)
        cpu1=$(proc_cpu "$OP_PID")
        log "N=$n: VolumeSnapshots made directly"
        kind_manifest VolumeSnapshot "$n" "$ns" 'volumeSnapshotClassName: csi-mock, source: {persistentVolumeClaimName: data-NAME-0}' >"$WORK/vs.yaml"
        t1=$(date +%s.%N)
        k create -f "$WORK/vs.yaml" >/dev/null
        wait_ready "$ns" volumesnapshots.snapshot.storage.k8s.io '{.status.readyToUse}' true "$((2 * n))"
        t_direct=$(date +%s.%N)
        record "{\"phase\":\"dbsnapshot\",\"n\":$n,\"ours_s\":$(python3 -c "print(round($t_ours - $t0, 3))"),\"direct_s\":$(python3 -c "print(round($t_direct - $t1, 3))"),\"cpu_s\":$(python3 -c "print(round($cpu1 - $cpu0, 2))"),$(mem_json "$OP_PID")}"
        drop_ns "$ns"
        stop_op
        bash hack/csi.sh stop >/dev/null || true
    fi

    # ---------------------------------------------------------------- 8. the peer
    if [ "${BENCH_SKIP_PEER:-0}" != 1 ]; then
        ns=bench-zo-$n
        k create namespace "$ns" >/dev/null
        # Its client limits raised like the control plane's (upstream 10/20 requests/s); ours has none.
        zpid=$(ZALANDO_KUBE_QPS=${BENCH_CLIENT_QPS:-500} ZALANDO_KUBE_BURST=$((${BENCH_CLIENT_QPS:-500} * 2)) \
            bash hack/zalando.sh start "$ns") || die "hack/zalando.sh start failed"
        sleep 5
        cpu0=$(proc_cpu "$zpid")
        bash hack/zalando.sh manifest "$n" "$ns" >"$WORK/pg.yaml"
        log "N=$n: the Zalando postgres-operator $(. hack/versions.env && echo "$ZALANDO_VERSION")"
        t0=$(date +%s.%N)
        k create -f "$WORK/pg.yaml" >/dev/null
        t_created=$(date +%s.%N)
        deadline=$((SECONDS + 1800))
        t_sts='' t_pods=''
        while [ -z "$t_pods" ]; do
            [ $SECONDS -lt $deadline ] || die "the peer's StatefulSets not all there after 1800 s"
            kill -0 "$zpid" 2>/dev/null || die "the Zalando operator exited"
            if [ -z "$t_sts" ] && [ "$(k -n "$ns" get statefulsets --no-headers 2>/dev/null | wc -l)" -ge "$n" ]; then
                t_sts=$(date +%s.%N)
            fi
            if [ -n "$t_sts" ] && [ "$(k -n "$ns" get statefulsets -o jsonpath='{range .items[*]}{.status.readyReplicas}{"\n"}{end}' | grep -c '^1$')" -ge "$n" ]; then
                t_pods=$(date +%s.%N)
            fi
            sleep 0.5
        done
        sleep 5
        record "{\"phase\":\"peer\",\"n\":$n,\"created_s\":$(python3 -c "print(round($t_created - $t0, 3))"),\"sts_s\":$(python3 -c "print(round($t_sts - $t0, 3))"),\"pods_ready_s\":$(python3 -c "print(round($t_pods - $t0, 3))"),$(mem_json "$zpid"),\"cpu_s\":$(proc_cpu "$zpid"),\"cpu0_s\":$cpu0}"
        bash hack/zalando.sh stop >/dev/null
        k delete namespace "$ns" --wait=false >/dev/null
        # Its postgresql objects carry no finalizer: the namespace goes without the operator.
        # The last size need not wait: the profile needs only 100 of the spare volumes.
        [ "$n" = "${SIZES[-1]}" ] || drop_ns "$ns"
    fi
done

# ---------------------------------------------------------------------------- profile
if [ "${BENCH_PROFILE:-1}" = 1 ]; then
    log "profile: callgrind over the operator creating 100 DBInstances"
    # The last size's peer namespace is still going: its deletions would be profiled too and,
    # 50 times slower under callgrind, kept the start from its first idle moment within 120 s.
    deadline=$((SECONDS + 600 + max_n / 4))
    while k get namespace "bench-zo-${SIZES[-1]}" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "the peer's namespace not gone before the profile"
        sleep 1
    done
    ns=bench-prof
    k create namespace "$ns" >/dev/null
    OP_WRAP="valgrind --tool=callgrind --callgrind-out-file=$WORK/callgrind.out" start_op
    wait_log "initial reconcile done" 120 >/dev/null
    bin/bench-dbi create "$KUBECONFIG" "$ns" 100 >/dev/null || die "bench-dbi create (profile) failed"
    sleep 2
    stop_op TERM
    # sed, not head: head's early exit would kill callgrind_annotate with SIGPIPE (pipefail).
    callgrind_annotate --inclusive=no "$WORK/callgrind.out" 2>/dev/null | sed -n 1,60p >"$WORK/profile-self.txt"
    callgrind_annotate --inclusive=yes "$WORK/callgrind.out" 2>/dev/null | sed -n 1,60p >"$WORK/profile-incl.txt"
fi

# ---------------------------------------------------------------------------- report
# BENCH_RAW_MERGE: raw lines of an earlier run to report together with this one's.
[ -z "${BENCH_RAW_MERGE:-}" ] || cat "$BENCH_RAW_MERGE" >>"$RAW"
python3 test/bench/report.py "$RAW" "$OUT_MD" "$OUT_JSON" "$WORK" "$CONC" "$STEADY_S"
log "wrote $OUT_MD and $OUT_JSON"

# The chart: time to Ready and peak RSS against N, ours and the Zalando operator's (gnuplot
# from Debian), beside RESULTS.md.
if [ "$(wc -l <"$WORK/scale.csv")" -gt 2 ]; then
    command -v gnuplot >/dev/null || apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 ||
        log "gnuplot could not be installed; no chart"
    if command -v gnuplot >/dev/null; then
        gnuplot <<GP || log "gnuplot failed; no chart"
set terminal png size 1000,450
set output "$(dirname "$OUT_MD")/scale.png"
set datafile separator ","
set datafile missing "NaN"
set key top left
set logscale xy
set xlabel "DBInstances / postgresql objects created at once (N)"
set multiplot layout 1,2
set title "Time until all are Ready (s)"
plot "$WORK/scale.csv" every ::1 using 1:2 with linespoints title "dbaas-operator", \
     "" every ::1 using 1:3 with linespoints title "lower bound (no operator)", \
     "" every ::1 using 1:5 with linespoints title "Zalando postgres-operator"
set title "Operator peak RSS (MiB)"
plot "$WORK/scale.csv" every ::1 using 1:4 with linespoints title "dbaas-operator", \
     "" every ::1 using 1:6 with linespoints title "Zalando postgres-operator"
unset multiplot
GP
        log "drew $(dirname "$OUT_MD")/scale.png"
    fi
fi
