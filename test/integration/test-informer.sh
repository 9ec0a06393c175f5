# An informer lists (in pages), syncs, and then follows live adds, updates and deletes; its
# cache matches what kubectl sees, on one HTTP/2 connection.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

for i in $(seq 1 12); do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pre-%s}\ndata: {i: "%s"}\n---\n' "$i" "$i"
done | k -n "$NS" apply -f - >/dev/null
# The controller-manager adds kube-root-ca.crt on its own schedule; count it in only once it is there.
wait_for 60 "kube-root-ca.crt" k -n "$NS" get configmap kube-root-ca.crt

# Pages of 5: three list requests before the watch starts.
"$ROOT/bin/informer-watch" "$KUBECONFIG" "$NS" 5 >"$tmp/out" 2>&1 &
pid=$!
wait_for 20 "the informer to sync" grep -q '^SYNCED' "$tmp/out"
expect_eq "$(grep '^SYNCED' "$tmp/out")" "SYNCED 13" "objects at sync (12 + kube-root-ca.crt)"

k -n "$NS" create configmap live --from-literal=a=1 >/dev/null
k -n "$NS" patch configmap pre-1 -p '{"data":{"i":"changed"}}' >/dev/null
k -n "$NS" delete configmap pre-2 >/dev/null
wait_for 20 "the add" grep -q "^ADD $NS/live " "$tmp/out"
wait_for 20 "the update" grep -q "^UPDATE $NS/pre-1 " "$tmp/out"
wait_for 20 "the delete" grep -q "^DELETE $NS/pre-2$" "$tmp/out"

# dump: the informer's cache as sorted "key rv" lines, and its stats.
dump() {
    : >"$tmp/out.dump"
    kill -USR1 "$pid"
    wait_for 10 "a dump" grep -q '^DUMP END' "$tmp/out"
    sed -n '/^DUMP BEGIN/,/^DUMP END/p' "$tmp/out" | sed -n 's/^OBJ //p' | sort
}
want=$(k -n "$NS" get configmaps -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}' | sort)
expect_eq "$(dump)" "$want" "cache contents"
stats=$(grep '^STATS' "$tmp/out" | tail -n 1)
grep -q ' lists=3 ' <<<"$stats" || fail "want 3 list pages: $stats"
grep -q ' relists=0 ' <<<"$stats" || fail "no relist expected: $stats"
grep -q ' connects=1 ' <<<"$stats" || fail "want one connection: $stats"

kill -TERM "$pid"
wait "$pid" || fail "informer-watch did not exit cleanly"
pid=
