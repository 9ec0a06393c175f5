#!/usr/bin/env bash
# Checks the unit-test runner's time limit with the hidden tests of test/unit/test_runner.c:
# a hanging test is killed, with the process it started, and reported by name within the
# limit, and the run goes on; in-process (DBAAS_TEST_NOFORK=1) the hung test is named and the
# run ends non-zero; a normal run never sees the hidden tests.
# Usage: runner-check.sh [path to unit-tests]   (default bin/unit-tests)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
bin=${1:-bin/unit-tests}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "runner-check: $*"
    for f in "$tmp"/*.out; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}
# Whether process $1 runs (a zombie left for init to reap does not).
alive() {
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${stat#Z}" = "$stat" ]
}
[ -x "$bin" ] || fail "$bin is not built"

# A normal run does not list the hidden tests.
"$bin" runner_ >"$tmp/normal.out" 2>&1 || fail "a run selecting no test failed"
grep -qx 'unit: 0 passed, 0 failed' "$tmp/normal.out" || fail "hidden tests ran without DBAAS_TEST_HIDDEN"

# Forked: the hang is killed after 2 s, with its child; the next test still runs.
start=$(date +%s)
DBAAS_TEST_HIDDEN=1 DBAAS_TEST_TIMEOUT=2 DBAAS_TEST_HANG_PIDFILE="$tmp/child.pid" \
    timeout 60 "$bin" runner_ >"$tmp/fork.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
[ "$rc" -eq 1 ] || fail "forked run exited $rc, want 1"
[ "$took" -le 10 ] || fail "forked run took $took s for a 2 s limit"
grep -qx 'FAIL runner_hangs: timed out after 2 s' "$tmp/fork.out" || fail "no timeout line naming runner_hangs"
grep -qx 'ok   runner_test_leads_its_own_group' "$tmp/fork.out" || fail "the run did not go on after the timeout"
grep -qx 'unit: 1 passed, 1 failed' "$tmp/fork.out" || fail "wrong summary"
[ -s "$tmp/child.pid" ] || fail "the hanging test did not start its child"
child=$(cat "$tmp/child.pid")
for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive "$child" || break
    sleep 0.2
done
if alive "$child"; then
    kill -KILL "$child"
    fail "the hanging test's child $child outlived the timeout"
fi

# The runner killed from outside (Ctrl-C, timeout(1)) takes the test's group with it.
rm -f "$tmp/child.pid"
DBAAS_TEST_HIDDEN=1 DBAAS_TEST_HANG_PIDFILE="$tmp/child.pid" "$bin" runner_hangs >"$tmp/term.out" 2>&1 &
runner=$!
for _ in $(seq 50); do
    [ -s "$tmp/child.pid" ] && break
    sleep 0.1
done
[ -s "$tmp/child.pid" ] || { kill -KILL "$runner"; fail "the hanging test did not start"; }
child=$(cat "$tmp/child.pid")
test_pid=$(ps -o ppid= -p "$child" | tr -d ' ')
kill -TERM "$runner"
wait "$runner"
rc=$?
[ "$rc" -eq 143 ] || fail "the runner exited $rc after SIGTERM, want 143"
for _ in $(seq 10); do
    alive "$child" || alive "$test_pid" || break
    sleep 0.2
done
left=""
for p in "$test_pid" "$child"; do
    if alive "$p"; then
        kill -KILL "$p"
        left="$left $p"
    fi
done
[ -z "$left" ] || fail "process(es)$left of the hanging test outlived the runner"

# In-process: SIGALRM names the test and the run ends non-zero.
start=$(date +%s)
DBAAS_TEST_HIDDEN=1 DBAAS_TEST_NOFORK=1 DBAAS_TEST_TIMEOUT=2 \
    timeout 60 "$bin" runner_hangs >"$tmp/nofork.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    fail "in-process run exited $rc, want non-zero before timeout(1)"
fi
[ "$took" -le 10 ] || fail "in-process run took $took s for a 2 s limit"
grep -Eq '^FAIL runner_hangs: timed out after [0-9]+ s$' "$tmp/nofork.out" || fail "no timeout line naming runner_hangs in-process"

# A limit that is not whole seconds is refused, not read as 0.
DBAAS_TEST_TIMEOUT=1.5 "$bin" runner_ >"$tmp/bad.out" 2>&1 && fail "DBAAS_TEST_TIMEOUT=1.5 was accepted"
grep -q 'DBAAS_TEST_TIMEOUT=1.5' "$tmp/bad.out" || fail "no message for a bad DBAAS_TEST_TIMEOUT"
echo "runner-check: ok"
