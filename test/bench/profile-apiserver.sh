#!/usr/bin/env bash
# test/bench/profile-apiserver.sh N [BINARY] (issue 18): what the API server spends its CPU on
# while N DBInstances are made, with no operator (the lower bound: `bench-dbi lower-bound`,
# the same children at concurrency 4) and with the operator (BINARY, default
# bin/dbaas-operator, and `bench-dbi create`), each in a namespace of its own on the control
# plane cluster-profile-api: its API server with --profiling, its controller-manager with
# Kubernetes' defaults (which `make bench` trims, so these runs are slower than the bench's).
# For each run, a CPU profile of the API server over its first PROFILE_API_SECONDS (60)
# seconds (/debug/pprof/profile), taken just after a garbage collection of its heap; then
# test/bench/api_shares.py tables the shares of a few kinds of work in each. The profiles and
# their `go tool pprof -top` go to build/profile/api-{lower-bound,operator}.*. PROFILE_KEEP=1
# leaves the control plane up.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ $# -ge 1 ] || { echo "usage: $0 N [BINARY]" >&2; exit 2; }
n=$1
bin=${2:-bin/dbaas-operator}
seconds=${PROFILE_API_SECONDS:-60}
port=${PROFILE_PORT:-18099}
. test/bench/profile-lib.sh
export CLUSTER_APISERVER_PROFILING=1
# Room for both namespaces' claims: the lower bound's stay while the operator's are made.
profile_cluster profile-api $((2 * n + 100))
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "profile-apiserver: needs go (for go tool pprof): make deps" >&2; exit 1; }

# profile TAG CMD...: a CPU profile of the API server while CMD runs, from CMD's start.
profile() {
    local tag=$1 p t0
    shift
    "$KUBECTL" get --raw '/debug/pprof/heap?gc=1' >/dev/null
    "$KUBECTL" get --raw "/debug/pprof/profile?seconds=$seconds" >"$out/api-$tag.pprof" &
    p=$!
    t0=$SECONDS
    "$@" >/dev/null
    echo "profile-apiserver: $tag: all Ready in $((SECONDS - t0)) s"
    wait "$p"
    "$GO" tool pprof -top -cum -nodefraction=0 -nodecount=100000 "$out/api-$tag.pprof" \
        >"$out/api-$tag.top" 2>/dev/null
}

ns_lb=api-lb-$RANDOM
"$KUBECTL" create namespace "$ns_lb" >/dev/null
profile lower-bound bin/bench-dbi lower-bound "$KUBECONFIG" "$ns_lb" "$n" 4

ns=api-op-$RANDOM
"$KUBECTL" create namespace "$ns" >/dev/null
log=$out/api-operator.log
: >"$log"
"$bin" --kubeconfig "$KUBECONFIG" --metrics-addr "127.0.0.1:$port" --concurrency 4 --namespace "$ns" \
    >"$log" 2>&1 &
pid=$!
profile_wait_started "$log" 300
profile operator bin/bench-dbi create "$KUBECONFIG" "$ns" "$n"
kill -TERM "$pid"
wait "$pid" || true
pid=
# Both namespaces go, so that a kept control plane (PROFILE_KEEP) has its volumes back for the
# next run; the operator is gone, so the DBInstances' finalizers are cleared first.
"$KUBECTL" -n "$ns" get dbinstances -o name |
    xargs -r -n 50 "$KUBECTL" -n "$ns" patch --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
"$KUBECTL" delete namespace "$ns" "${ns_lb}" --wait=false >/dev/null
python3 test/bench/api_shares.py "lower bound=$out/api-lower-bound.top" "operator=$out/api-operator.top"
