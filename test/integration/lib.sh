# Helpers for integration tests; sourced by each test-*.sh.
set -euo pipefail
k() { "$KUBECTL" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"; }
# Polls a command until it succeeds or SECONDS pass: wait_for SECONDS WHAT CMD...
wait_for() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
        sleep 0.5
    done
}
