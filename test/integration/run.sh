#!/usr/bin/env bash
# Runs every test/integration/test-*.sh against the cluster in $KUBECONFIG (or the local
# one), each in a namespace of its own that is deleted afterwards. A test gets NS, ROOT and
# KUBECONFIG in its environment, fails by exiting non-zero, and has INTEGRATION_TIMEOUT
# seconds (default 300). Arguments pick tests whose names contain them. INTEGRATION_VERBOSE=1
# prints each test's output also when it passes.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ROOT
if [ -z "${KUBECONFIG:-}" ]; then
    eval "$(bash "$ROOT/hack/cluster.sh" env)"
fi
export KUBECONFIG
KUBECTL=${KUBECTL:-$(bash "$ROOT/hack/cluster.sh" kubectl-path 2>/dev/null || command -v kubectl)}
export KUBECTL
timeout_s=${INTEGRATION_TIMEOUT:-300}

# The Go-built tools a test needs, named in its "# tools: NAME..." line (csi, zalando, argocd,
# helm, prometheus: hack/build-tools.sh's names), in the order build-tools.sh builds them.
tool_order=(csi zalando argocd helm prometheus)
# tool_rank TEST: 0 for a test that needs no tool, else 1 + the build position of the last
# tool it needs.
tool_rank() {
    local tools t i rank=0
    tools=$(sed -n 's/^# tools: //p' "$1")
    for t in $tools; do
        for i in "${!tool_order[@]}"; do
            [ "${tool_order[$i]}" = "$t" ] && [ $((i + 1)) -gt $rank ] && rank=$((i + 1))
        done
    done
    echo "$rank"
}
# tools_for TEST: builds the tools the test names (or waits for a background build of them)
# before the test's timeout starts: on a cold machine Argo CD alone takes minutes to build.
# For csi it also starts the CSI stack (hack/csi.sh start, idempotent) when the cluster is
# the local one of hack/cluster.sh; another cluster must bring its own.
tools_for() {
    local tools t0=$SECONDS state
    tools=$(sed -n 's/^# tools: //p' "$1")
    [ -n "$tools" ] || return 0
    # shellcheck disable=SC2086 # a list of names
    bash "$ROOT/hack/build-tools.sh" $tools >/dev/null || return 1
    state=${DBAAS_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster}
    if [[ " $tools " == *" csi "* ]] && [ "$KUBECONFIG" = "$state/kubeconfig" ]; then
        bash "$ROOT/hack/csi.sh" start 2>/dev/null || { echo "the CSI stack did not start (hack/csi.sh start)" >&2; return 1; }
    fi
    [ $((SECONDS - t0)) -lt 2 ] || echo "     (waited $((SECONDS - t0)) s for $tools)"
}

# Tests that need no tool run first, then the others by the last tool they need in build
# order, so that on a cold machine the tests run while the tools are still being built.
tests=()
for rank in 0 1 2 3 4 5; do
    for t in "$ROOT"/test/integration/test-*.sh; do
        [ "$(tool_rank "$t")" = "$rank" ] && tests+=("$t")
    done
done

passed=0
failed=0
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    name=${name#test-}
    if [ $# -gt 0 ]; then
        match=0
        for a in "$@"; do [[ $name == *"$a"* ]] && match=1; done
        [ $match -eq 1 ] || continue
    fi
    NS="it-$name-$RANDOM"
    export NS
    log=$(mktemp)
    t0=$SECONDS
    if tools_for "$t" 2>"$log" && "$KUBECTL" create namespace "$NS" >>"$log" 2>&1 &&
        timeout --kill-after=10 "$timeout_s" bash "$t" >>"$log" 2>&1; then
        echo "ok   $name ($((SECONDS - t0)) s)"
        [ -z "${INTEGRATION_VERBOSE:-}" ] || sed 's/^/    /' "$log"
        passed=$((passed + 1))
    else
        echo "FAIL $name after $((SECONDS - t0)) s (log follows)"
        sed 's/^/    /' "$log"
        failed=$((failed + 1))
    fi
    "$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1
    rm -f "$log"
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
