#!/usr/bin/env bash
# test/bench/profile-restart.sh N BINARY... (issue 18): what one restart costs, in instructions.
# On a control plane of its own (cluster-profile), the first BINARY creates N DBInstances
# (bench-dbi create) and takes them to Ready, unmeasured; then each BINARY in turn starts under
# callgrind, lists, and reconciles all N once ("initial reconcile done"), and is stopped. Prints
# one line per binary with its total instructions (millions); callgrind_annotate's self and
# inclusive tops go to build/profile/<n>-<binary name>-{self,incl}.txt. Same objects for every
# binary, and instruction counts do not depend on the machine's load: two builds compare
# exactly (cp an older bin/dbaas-operator aside to compare against it).
# PROFILE_KEEP=1 leaves the control plane up (its objects reused by the next run with the
# same N).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ $# -ge 2 ] || { echo "usage: $0 N BINARY..." >&2; exit 2; }
n=$1
shift
. test/bench/profile-lib.sh
profile_cluster profile $((n + 20))
ns=profile-$n

ready() {
    "$KUBECTL" get dbinstances -n "$ns" \
        -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
        grep -c True || true
}

# Runs "$@" in the background with its log in $2 (the first argument is the log), until the
# log says the DBInstance controller's initial reconcile is done, then stops it.
until_reconciled() {
    local log=$1
    shift
    : >"$log" # now: the redirection below happens in the background job (see profile-create.sh)
    "$@" >"$log" 2>&1 &
    pid=$!
    profile_wait_started "$log" 600
    sleep 1
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

if ! "$KUBECTL" get namespace "$ns" >/dev/null 2>&1; then
    "$KUBECTL" create namespace "$ns" >/dev/null
    "$1" --kubeconfig "$KUBECONFIG" --metrics-addr 127.0.0.1:0 >"$out/setup.log" 2>&1 &
    pid=$!
    bin/bench-dbi create "$KUBECONFIG" "$ns" "$n" >/dev/null
    t0=$SECONDS
    until [ "$(ready)" -ge "$n" ]; do
        [ $((SECONDS - t0)) -lt 1200 ] || { echo "profile: not all Ready in 1200 s" >&2; exit 1; }
        sleep 2
    done
    sleep 5
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
fi

for bin in "$@"; do
    tag=$n-$(basename "$bin")
    until_reconciled "$out/$tag.log" valgrind --tool=callgrind --callgrind-out-file="$out/$tag.callgrind" \
        "$bin" --kubeconfig "$KUBECONFIG" --metrics-addr 127.0.0.1:0 --concurrency 4
    total=$(profile_annotate "$tag")
    echo "profile: $bin: restart over $n DBInstances: $total M instructions ($(python3 -c "print(round($total / $n, 2))") M per DBInstance)"
done
