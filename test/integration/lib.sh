# Helpers for integration tests; sourced by each test-*.sh.
set -euo pipefail
k() { "$KUBECTL" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"; }
# expect_rc WANT CMD...: runs CMD, keeps its stdout in $out and stderr in $err (files in $tmp).
expect_rc() {
    local want=$1 rc=0
    shift
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    # shellcheck disable=SC2034 # out is for the caller
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
    [ "$rc" -eq "$want" ] || fail "$* exited $rc, want $want (stderr: $err)"
}
# Polls a command until it succeeds or SECONDS pass: wait_for SECONDS WHAT CMD...
wait_for() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
        sleep 0.5
    done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# install_crds: the project's CRDs, server-side (idempotent), once they are Established.
install_crds() {
    k apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
    k wait --for=condition=Established --timeout=60s -f "$ROOT/crds/" >/dev/null
}

# start_operator LOG: the operator for $NS in the background; sets OP_PID and OP_PORT.
# OP_BIN, when set, names another build of it (test-upgrade.sh starts an older one);
# OP_LOG_LEVEL its --log-level (info).
start_operator() {
    OP_PORT=$(free_port)
    "${OP_BIN:-$ROOT/bin/dbaas-operator}" --kubeconfig "$KUBECONFIG" --namespace "$NS" --log-format text \
        --log-level "${OP_LOG_LEVEL:-info}" --metrics-addr "127.0.0.1:$OP_PORT" >>"$1" 2>&1 &
    OP_PID=$!
    wait_for 60 "the operator to be ready" curl -sf "http://127.0.0.1:$OP_PORT/readyz"
}
stop_operator() {
    [ -n "${OP_PID:-}" ] || return 0
    kill -TERM "$OP_PID" 2>/dev/null || true
    wait "$OP_PID" || fail "the operator did not exit 0 after SIGTERM"
    OP_PID=
}
# op_writes: API requests other than GET the running operator has made.
op_writes() {
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" |
        awk '/^dbaas_api_requests_total/ && !/verb="GET"/ {n += $NF} END {print n + 0}'
}
# settle_writes CMD: waits (up to 30 s) until CMD's count of writes stays the same for 2 s,
# so that a window that follows measures the idle state, not the tail of the last change.
settle_writes() {
    local before after deadline=$((SECONDS + 30))
    after=$("$1")
    while [ $SECONDS -lt $deadline ]; do
        before=$after
        sleep 2
        after=$("$1")
        [ "$after" = "$before" ] && return 0
    done
    fail "the operator kept writing: $after writes so far"
}
dbi_field() { k -n "$NS" get dbinstance "$1" -o jsonpath="$2" 2>/dev/null; }
dbi_ready() { [ "$(dbi_field "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
dbi_reason() { [ "$(dbi_field "$1" '{.status.conditions[?(@.type=="Ready")].reason}')" = "$2" ]; }
secret_key() { k -n "$NS" get secret "$1" -o jsonpath="{.data.$2}" | base64 -d; }

# with_operator: the usual start of a DBInstance test: a scratch folder $tmp, the CRDs, and
# the operator for $NS (killed at exit; its log printed when DEBUG is set, and its last 60
# lines when the test fails, so that a failure in CI can be read without a rerun).
with_operator() {
    tmp=$(mktemp -d)
    OP_PID=
    trap 'rc=$?; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null
          if [ -n "${DEBUG:-}" ]; then cat "$tmp/op.log"
          elif [ "$rc" != 0 ] && [ -f "$tmp/op.log" ]; then echo "--- the operator log, last 60 lines"; tail -n 60 "$tmp/op.log"; fi
          rm -rf "$tmp"' EXIT
    install_crds
    start_operator "$tmp/op.log"
}

# --- HACluster: the Zalando postgres-operator (hack/zalando.sh) beside ours ---------------
# start_zalando: Zalando watching $NS, its ConfigMap in $NS, its state (pid, log) under the
# cluster dir (or $tmp), so that tests in other clusters do not collide. stop_zalando at exit.
start_zalando() {
    export ZALANDO_STATE=${DBAAS_CLUSTER_DIR:-$tmp}/zalando-state
    export ZALANDO_OPERATOR_NAMESPACE=$NS
    bash "$ROOT/hack/zalando.sh" stop >/dev/null 2>&1 || true
    bash "$ROOT/hack/zalando.sh" start "$NS" >/dev/null
}
stop_zalando() { [ -z "${ZALANDO_STATE:-}" ] || bash "$ROOT/hack/zalando.sh" stop >/dev/null 2>&1 || true; }
hac_field() { k -n "$NS" get hacluster "$1" -o jsonpath="$2" 2>/dev/null; }
hac_cond() { hac_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
hac_ready() { [ "$(hac_cond "$1" Ready status)" = True ]; }
hac_is() { [ "$(hac_field "$1" "$2")" = "$3" ]; }
