# Faults under a running informer. (1) kill -9 and restart kube-apiserver mid-watch: the
# cache converges and every change made around the restart arrives as an event. (2) A watch
# that resumes from a compacted resourceVersion gets 410 Gone: the informer relists and
# delivers deletes for objects that vanished meanwhile.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

cluster() { DBAAS_CLUSTER_DIR=${DBAAS_CLUSTER_DIR:-} bash "$ROOT/hack/cluster.sh" "$@"; }
dump_count() { grep -c '^DUMP END' "$tmp/out" || true; }
# (wait_for re-runs a command: a "$(...)" in its arguments would be expanded only once.)
dumps_more_than() { [ "$(dump_count)" -gt "$1" ]; }
# dump RESOURCE: the informer's cache, and what kubectl sees, as sorted "key rv" lines.
dump() {
    local n
    n=$(dump_count)
    kill -USR1 "$pid"
    wait_for 10 "a dump" dumps_more_than "$n"
    awk '/^DUMP BEGIN/{d=""} /^OBJ /{d=d $2 " " $3 "\n"} /^DUMP END/{last=d} END{printf "%s", last}' "$tmp/out" | sort
}
truth() {
    k -n "$NS" get "$1" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}' | sort
}
converged() { [ "$(dump)" == "$(truth "$1")" ]; }

# --- (1) apiserver restart, ConfigMaps (served from the watch cache) ---------------------
k -n "$NS" create configmap before --from-literal=a=1 >/dev/null
k -n "$NS" create configmap doomed --from-literal=a=1 >/dev/null
"$ROOT/bin/informer-watch" "$KUBECONFIG" "$NS" >"$tmp/out" 2>&1 &
pid=$!
wait_for 20 "the informer to sync" grep -q '^SYNCED' "$tmp/out"
cluster restart-apiserver
k -n "$NS" create configmap after --from-literal=a=1 >/dev/null
k -n "$NS" patch configmap before -p '{"data":{"a":"2"}}' >/dev/null
k -n "$NS" delete configmap doomed >/dev/null
wait_for 60 "the add after the restart" grep -q "^ADD $NS/after " "$tmp/out"
wait_for 30 "the update after the restart" grep -q "^UPDATE $NS/before " "$tmp/out"
wait_for 30 "the delete after the restart" grep -q "^DELETE $NS/doomed$" "$tmp/out"
wait_for 30 "the cache to converge" converged configmaps
grep '^STATS' "$tmp/out" | tail -n 1 | grep -qE 'watch_errors=[1-9]' ||
    fail "the broken watch was not counted: $(grep '^STATS' "$tmp/out" | tail -n 1)"
kill "$pid"
wait "$pid" || fail "informer-watch did not exit cleanly"
pid=

# --- (2) resuming from a compacted resourceVersion, PodTemplates (no watch cache) ---------
tpl() { printf 'apiVersion: v1\nkind: PodTemplate\nmetadata: {name: %s}\ntemplate: {spec: {containers: [{name: c, image: "x:%s"}]}}\n' "$1" "$2"; }
for n in t1 t2 t3; do tpl "$n" 1 | k -n "$NS" apply -f - >/dev/null; done
"$ROOT/bin/informer-watch" "$KUBECONFIG" "$NS" 0 - podtemplates >"$tmp/out" 2>&1 &
pid=$!
wait_for 20 "the informer to sync" grep -q '^SYNCED 3$' "$tmp/out"
old_rv=$(k -n "$NS" get podtemplate t3 -o jsonpath='{.metadata.resourceVersion}')

# Freeze the informer, break its watch, change things, and wait until the old
# resourceVersion is compacted away; then let it go on.
kill -STOP "$pid"
cluster restart-apiserver
k -n "$NS" delete podtemplate t1 >/dev/null
tpl t2 2 | k -n "$NS" apply -f - >/dev/null
tpl t4 1 | k -n "$NS" apply -f - >/dev/null
expired() {
    k get --raw "/api/v1/namespaces/$NS/podtemplates?watch=1&resourceVersion=$old_rv&timeoutSeconds=1" 2>&1 |
        grep -q '"code":410'
}
wait_for 60 "resourceVersion $old_rv to be compacted" expired
kill -CONT "$pid"
wait_for 60 "the vanished object's delete" grep -q "^DELETE $NS/t1$" "$tmp/out"
wait_for 30 "the cache to converge" converged podtemplates
grep -q "^ADD $NS/t4 " "$tmp/out" || fail "t4 was not delivered"
grep -q "^UPDATE $NS/t2 " "$tmp/out" || fail "the change to t2 was not delivered"
stats=$(grep '^STATS' "$tmp/out" | tail -n 1)
grep -qE 'relists=[1-9]' <<<"$stats" || fail "no relist was counted: $stats"
kill "$pid"
wait "$pid" || fail "informer-watch did not exit cleanly"
pid=
