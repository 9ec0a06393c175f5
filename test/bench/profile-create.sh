#!/usr/bin/env bash
# test/bench/profile-create.sh N BINARY... (issue 18): what creating N DBInstances costs the
# operator, from create to all Ready, in instructions and in CPU seconds. On a control plane of
# its own (cluster-profile-create), for each of PROFILE_ROUNDS rounds (default 2) and each
# BINARY in turn (so that builds alternate, and a slow spell of the machine falls on both):
#   - callgrind: the operator under callgrind, counts zeroed once its initial reconcile is done,
#     then `bench-dbi create` of N DBInstances in a fresh namespace, until all are Ready;
#   - native: the same without valgrind, its CPU seconds from /proc.
# Reconciles come from the operator's metrics (dbaas_reconciles_total). Prints one line per
# run; callgrind's self and inclusive tops go to build/profile/create-<n>-<binary>-<round>-*.
# Instructions are exact but the runs are not: a slower run has more reconciles (status
# requeues, events not batched), so compare per reconcile, and across rounds. Each namespace
# is dropped after its run (finalizers removed: no operator watches it any more).
# PROFILE_KEEP=1 leaves the control plane up. PROFILE_CALLGRIND=0 leaves callgrind out.
# PROFILE_PERF=1: the native run under `perf record --call-graph dwarf` (999 Hz), its samples
# split by layer (test/bench/cpu_split.py: connection, event loop, operator); perf's stack
# copies add to the CPU seconds that run reports. PROFILE_REQUESTS=1: the native run at
# --log-level debug, its API requests from the create's start to all Ready by verb and
# resource, per DBInstance (test/bench/requests_split.py); the logging adds CPU too.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ $# -ge 2 ] || { echo "usage: $0 N BINARY..." >&2; exit 2; }
n=$1
shift
rounds=${PROFILE_ROUNDS:-2}
port=${PROFILE_PORT:-18099}
. test/bench/profile-lib.sh
# Room for two namespaces' claims while a dropped one's volumes are recycled.
profile_cluster profile-create $((2 * n + 20))

cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$1/stat"; }
reconciles() {
    curl -s "127.0.0.1:$port/metrics" | awk '/^dbaas_reconciles_total/ {n += $NF} END {print n + 0}'
}
available() { "$KUBECTL" get pv --no-headers | awk '$5 == "Available"' | wc -l; }

# run NS LOG CMD...: starts CMD (the operator, watching NS), waits for its initial
# reconcile, runs the hook $before, creates N DBInstances in NS and waits until all are Ready;
# sets ready_s, cpu_s, recs and peak_mib (VmHWM), and leaves the operator running in $pid.
run() {
    local ns=$1 log=$2 t0 c0 r0
    shift 2
    t0=$SECONDS
    until [ "$(available)" -ge $((n + 5)) ]; do
        [ $((SECONDS - t0)) -lt 900 ] || { echo "profile: no free volumes after 900 s" >&2; exit 1; }
        sleep 5
    done
    "$KUBECTL" create namespace "$ns" >/dev/null
    # Emptied here, not only by the redirection below: that happens in the background job,
    # and the wait for the log line could read an earlier invocation's log first.
    : >"$log"
    "$@" --kubeconfig "$KUBECONFIG" --metrics-addr "127.0.0.1:$port" --concurrency 4 --namespace "$ns" \
        "${log_flags[@]}" >"$log" 2>&1 &
    pid=$!
    profile_wait_started "$log" 300
    $before
    c0=$(cpu "$pid") r0=$(reconciles) lines0=$(wc -l <"$log")
    t0=$SECONDS
    bin/bench-dbi create "$KUBECONFIG" "$ns" "$n" >/dev/null # returns once all are Ready
    ready_s=$((SECONDS - t0))
    lines1=$(wc -l <"$log")
    sleep 3
    cpu_s=$(python3 -c "print(round($(cpu "$pid") - $c0, 2))")
    recs=$(($(reconciles) - r0))
    peak_mib=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
}

# stop NS: stops the operator, then drops NS and its DBInstances.
stop() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
    "$KUBECTL" -n "$1" get dbinstances -o name |
        xargs -r -n 50 "$KUBECTL" -n "$1" patch --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
    "$KUBECTL" delete namespace "$1" --wait=false >/dev/null
}

zero() { callgrind_control -z "$pid" >/dev/null 2>&1; }
perf_pid=
perf_start() {
    perf record -q -F 999 --call-graph dwarf,16384 -p "$pid" -o "$out/$tag-native.perf" 2>"$out/$tag-perf.err" &
    perf_pid=$!
}
# perf may have exited already (its error in $out/$tag-perf.err): the split then says so.
perf_stop() { kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" || true; perf_pid=; }
log_flags=() native_flags=()
if [ "${PROFILE_PERF:-0}" = 1 ]; then
    command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
fi
[ "${PROFILE_REQUESTS:-0}" != 1 ] || native_flags=(--log-level debug)
for round in $(seq "$rounds"); do
    for bin in "$@"; do
        tag=create-$n-$(basename "$bin")-$round
        if [ "${PROFILE_CALLGRIND:-1}" = 1 ]; then
            before=zero log_flags=()
            ns=callgrind-$round-$RANDOM
            run "$ns" "$out/$tag.log" valgrind --tool=callgrind --callgrind-out-file="$out/$tag.callgrind" "$bin"
            stop "$ns"
            total=$(profile_annotate "$tag")
            echo "profile: $bin round $round: callgrind: all Ready in $ready_s s, $total M instructions," \
                "$recs reconciles, $(python3 -c "print(round($total / max($recs, 1), 2))") M per reconcile"
        fi
        before=: log_flags=("${native_flags[@]}")
        [ "${PROFILE_PERF:-0}" != 1 ] || before=perf_start
        ns=native-$round-$RANDOM
        run "$ns" "$out/$tag-native.log" "$bin"
        [ -z "$perf_pid" ] || perf_stop
        stop "$ns"
        if [ "${PROFILE_PERF:-0}" = 1 ]; then
            { perf script -i "$out/$tag-native.perf" -F comm,tid,ip,sym,dso 2>/dev/null || cat "$out/$tag-perf.err" >&2; } |
                python3 test/bench/cpu_split.py | sed "s|^|profile: $bin round $round: perf: |"
        fi
        if [ "${PROFILE_REQUESTS:-0}" = 1 ]; then
            sed -n "$((lines0 + 1)),${lines1}p" "$out/$tag-native.log" | python3 test/bench/requests_split.py "$n" |
                sed "s|^|profile: $bin round $round: requests: |"
        fi
        echo "profile: $bin round $round: native: all Ready in $ready_s s, $cpu_s s CPU, $recs reconciles," \
            "$(python3 -c "print(round(1000 * $cpu_s / max($recs, 1), 2))") s per 1000 reconciles," \
            "peak RSS $peak_mib MiB"
    done
done
