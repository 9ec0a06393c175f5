# A controller on the runtime (test/tools/demo-controller): children by server-side apply
# with owner references, finalizers, aggregated Events, drift put back, zero writes when
# nothing changed, garbage collection, and a clean shutdown that valgrind finds leak-free.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_demo() { # start_demo [PREFIX...]: the demo controller for $NS, log in $tmp/demo.log
    "$@" "$ROOT/bin/demo-controller" --namespace "$NS" --kubeconfig "$KUBECONFIG" \
        --metrics-addr "127.0.0.1:$port" >"$tmp/demo.log" 2>&1 &
    pid=$!
    wait_for 60 "the controller to be ready" curl -sf "http://127.0.0.1:$port/readyz"
}
secret_x() { k -n "$NS" get secret "$1-copy" -o jsonpath='{.data.x}' 2>/dev/null | base64 -d; }
secret_is() { [ "$(secret_x "$1")" = "$2" ]; }
writes() { # API requests other than GET so far
    curl -sf "http://127.0.0.1:$port/metrics" |
        awk '/^dbaas_api_requests_total/ && !/verb="GET"/ {n += $NF} END {print n + 0}'
}
event_counts() {
    k -n "$NS" get events --field-selector "involvedObject.name=$1,reason=Copied" \
        -o jsonpath='{range .items[*]}{.count}{" "}{end}'
}
gone() { ! k -n "$NS" get "$1" "$2" >/dev/null 2>&1; }
# (wait_for re-runs a command: a "$(...)" in its arguments would be expanded only once.)
event_counts_are() { [ "$(event_counts a)" = "$1" ]; }

start_demo
k -n "$NS" create configmap a --from-literal=x=1 >/dev/null
k -n "$NS" label configmap a demo=1 >/dev/null
wait_for 30 "the Secret" secret_is a 1
owner=$(k -n "$NS" get secret a-copy -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}')
expect_eq "$owner" "ConfigMap/a/true" "the Secret's controller reference"
expect_eq "$(k -n "$NS" get configmap a -o jsonpath='{.metadata.finalizers}')" '["dbaas.dev/demo"]' "finalizer"
wait_for 10 "the Event" event_counts_are "1 "
k -n "$NS" create configmap unlabelled --from-literal=x=1 >/dev/null

# Nothing to do: a change the controller does not care about costs no write.
settle_writes writes
before=$(writes)
k -n "$NS" annotate configmap a note=hello >/dev/null
k -n "$NS" annotate configmap unlabelled note=hello >/dev/null
sleep 3
expect_eq "$(writes)" "$before" "write requests for unchanged objects"
gone secret unlabelled-copy || fail "an unlabelled ConfigMap was copied"

# A ConfigMap that stops matching the selector is let go: its finalizer is removed, so that
# deleting it later does not hang.
k -n "$NS" create configmap c --from-literal=x=1 >/dev/null
k -n "$NS" label configmap c demo=1 >/dev/null
finalizers_of() { k -n "$NS" get configmap "$1" -o jsonpath='{.metadata.finalizers}'; }
has_finalizer() { [ "$(finalizers_of "$1")" = '["dbaas.dev/demo"]' ]; }
no_finalizer() { [ -z "$(finalizers_of "$1")" ]; }
wait_for 30 "the finalizer on c" has_finalizer c
k -n "$NS" label configmap c demo- >/dev/null
wait_for 30 "c's finalizer to be removed once unlabelled" no_finalizer c
k -n "$NS" delete configmap c --timeout=30s >/dev/null

# A change is copied, and the repeated Event is counted, not duplicated.
k -n "$NS" patch configmap a -p '{"data":{"x":"2"}}' >/dev/null
wait_for 30 "the changed Secret" secret_is a 2
wait_for 10 "the Event count" event_counts_are "2 "

# Drift: the Secret deleted by hand comes back.
k -n "$NS" delete secret a-copy >/dev/null
wait_for 30 "the Secret to come back" secret_is a 2
wait_for 10 "the Event count after the drift" event_counts_are "3 "

# An Event gone from the server (expired, or deleted as here) is created again with the
# count so far when it repeats, not lost and not duplicated.
k -n "$NS" delete events --field-selector "involvedObject.name=a,reason=Copied" >/dev/null
k -n "$NS" patch configmap a -p '{"data":{"x":"3"}}' >/dev/null
wait_for 30 "the Secret after the Event was deleted" secret_is a 3
wait_for 10 "the Event created again" event_counts_are "4 "

# Deletion: the controller lets go of its finalizer; the collector removes the Secret.
k -n "$NS" delete configmap a --wait=false >/dev/null
wait_for 30 "the ConfigMap to go" gone configmap a
wait_for 30 "the Secret to be collected" gone secret a-copy
kill -TERM "$pid"
wait "$pid" || fail "the controller did not exit 0 after SIGTERM: $(tail -3 "$tmp/demo.log")"
pid=

# The same under valgrind: after a clean shutdown nothing is leaked.
start_demo valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99
k -n "$NS" create configmap b --from-literal=x=7 >/dev/null
k -n "$NS" label configmap b demo=1 >/dev/null
wait_for 60 "the Secret (valgrind)" secret_is b 7
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ "$rc" -eq 0 ] || fail "valgrind run exited $rc: $(grep -v ' INFO ' "$tmp/demo.log" | head -30)"
