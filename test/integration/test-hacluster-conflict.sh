# A DBInstance and a HACluster of the same name in one namespace both want the Secret
# <name>-credentials: the HACluster that comes second is refused with ChildConflict, writes
# neither its postgresql object nor the Secret, and the DBInstance's Secret is left as it was.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: dup}\nspec: {engine: postgresql, version: "16", database: app}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "the DBInstance's Secret" k -n "$NS" get secret dup-credentials
before=$(k -n "$NS" get secret dup-credentials -o jsonpath='{.metadata.resourceVersion}')
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: dup}\nspec: {version: "16", replicas: 1, database: app}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "ChildConflict" hac_is dup '{.status.conditions[?(@.type=="Stalled")].reason}' ChildConflict
hac_cond dup Stalled message | grep -q "dup-credentials" || fail "the conflict does not name the Secret"
sleep 3
k -n "$NS" get postgresql dup >/dev/null 2>&1 && fail "a postgresql object was written despite the conflict"
expect_eq "$(k -n "$NS" get secret dup-credentials -o jsonpath='{.metadata.resourceVersion}')" "$before" "the DBInstance's Secret"
stop_operator
