# Two operators elect exactly one leader; killing it hands over within 30 s; SIGTERM releases
# the Lease so the other takes over at once; losing readiness follows leadership.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
pids=()
cleanup() { [ -n "${DEBUG:-}" ] && tail -n 5 "$tmp"/*.log; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
holder() { k -n "$NS" get lease dbaas-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz"; }
# For wait_for, which runs its command again each time: these look again each call.
holder_is() { [ "$(holder)" = "$1" ]; }
ready_is() { [ "$(readyz "$1")" = "$2" ]; }

start_op() { # start_op ID PORT
    "$ROOT/bin/dbaas-operator" --kubeconfig "$KUBECONFIG" --leader-elect --lease-namespace "$NS" \
        --identity "$1" --metrics-addr "127.0.0.1:$2" --log-format text --namespace "$NS" \
        --lease-duration 10 --renew-deadline 8 --retry-period 1 >"$tmp/$1.log" 2>&1 &
    pids+=($!)
}

pa=$(free_port)
pb=$(free_port)
start_op op-a "$pa"
a=${pids[0]}
wait_for 20 "op-a to lead" holder_is op-a
start_op op-b "$pb"
b=${pids[1]}
wait_for 10 "op-b's health endpoint" curl -sf "http://127.0.0.1:$pb/healthz"
# The leader is ready once its caches have synced.
wait_for 20 "op-a ready" ready_is "$pa" 200
sleep 3
expect_eq "$(holder)" "op-a" "the holder with two candidates"
expect_eq "$(readyz "$pb")" 503 "follower readiness"
grep -q 'became the leader' "$tmp/op-b.log" && fail "op-b claimed leadership while op-a held the lease"

# Kill the leader without a release: op-b takes over once the lease expires (10 s here).
kill -9 "$a"
start=$SECONDS
wait_for 30 "op-b to take over" holder_is op-b
echo "takeover after kill -9: $((SECONDS - start)) s"
wait_for 10 "op-b ready" ready_is "$pb" 200
transitions=$(k -n "$NS" get lease dbaas-operator -o jsonpath='{.spec.leaseTransitions}')
expect_eq "$transitions" 1 "lease transitions"

# A third candidate, then SIGTERM to the leader: the lease is released, not left to expire.
pc=$(free_port)
start_op op-c "$pc"
c=${pids[2]}
wait_for 10 "op-c's health endpoint" curl -sf "http://127.0.0.1:$pc/healthz"
kill -TERM "$b"
wait "$b" || fail "op-b did not exit 0 after SIGTERM"
grep -q 'released the leader lease' "$tmp/op-b.log" || fail "op-b did not release: $(tail -5 "$tmp/op-b.log")"
start=$SECONDS
# Well before the 10 s lease could expire: released, not expired.
wait_for 8 "op-c to take over after the release" holder_is op-c
echo "takeover after release: $((SECONDS - start)) s"

# The metrics endpoint counts API requests by verb and code.
# (The server may show op-c as holder a moment before op-c has read the answer to its PUT.)
put_counted() {
    curl -sf "http://127.0.0.1:$pc/metrics" >"$tmp/metrics" &&
        grep -qE '^dbaas_api_requests_total\{verb="PUT",code="200"\} [1-9]' "$tmp/metrics"
}
wait_for 5 "a PUT 200 in op-c's metrics" put_counted
grep -qE '^process_resident_memory_bytes [1-9]' "$tmp/metrics" || fail "no RSS in metrics"
kill -TERM "$c"
wait "$c" || fail "op-c did not exit 0"
