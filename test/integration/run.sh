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

# tools_for TEST: the Go-built tools a test names in its "# tools: NAME..." line, built (or a
# background build of them waited for) before the test's timeout starts: on a cold machine
# Argo CD alone takes minutes to build.
tools_for() {
    local tools t0=$SECONDS
    tools=$(sed -n 's/^# tools: //p' "$1")
    [ -n "$tools" ] || return 0
    # shellcheck disable=SC2086 # a list of names
    bash "$ROOT/hack/build-tools.sh" $tools >/dev/null || return 1
    [ $((SECONDS - t0)) -lt 2 ] || echo "     (waited $((SECONDS - t0)) s for $tools to be built)"
}

passed=0
failed=0
for t in "$ROOT"/test/integration/test-*.sh; do
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
    if tools_for "$t" 2>"$log" && "$KUBECTL" create namespace "$NS" >>"$log" 2>&1 &&
        timeout --kill-after=10 "$timeout_s" bash "$t" >>"$log" 2>&1; then
        echo "ok   $name"
        [ -z "${INTEGRATION_VERBOSE:-}" ] || sed 's/^/    /' "$log"
        passed=$((passed + 1))
    else
        echo "FAIL $name (log follows)"
        sed 's/^/    /' "$log"
        failed=$((failed + 1))
    fi
    "$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1
    rm -f "$log"
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
