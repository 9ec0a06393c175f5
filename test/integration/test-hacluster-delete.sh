# HACluster deletion. Delete: the postgresql object goes (and with it Zalando's pods), and
# so does our Secret. Retain: the postgresql object stays at zero instances without owner,
# with its claims, our Secret and Zalando's user Secret (with the password); a HACluster of the same name whose
# database differs is refused (ChildConflict), one that matches takes it all over.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
hac() { printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "16", replicas: 2, database: %s, deletionPolicy: %s}\n' "$@" | k -n "$NS" apply -f - >/dev/null; }
pg_field() { k -n "$NS" get postgresql "$1" -o jsonpath="$2" 2>/dev/null; }

hac gone app Delete
hac kept app Retain
wait_for 240 "gone Ready" hac_ready gone
wait_for 240 "kept Ready" hac_ready kept
pass=$(secret_key kept-credentials password)

t0=$SECONDS
k -n "$NS" delete hacluster gone --wait=true --timeout=120s >/dev/null
wait_for 120 "the postgresql object gone to go" bash -c "! '$KUBECTL' -n '$NS' get postgresql gone"
wait_for 120 "gone-credentials to go" bash -c "! '$KUBECTL' -n '$NS' get secret gone-credentials"
echo "Delete took $((SECONDS - t0))s"

t0=$SECONDS
k -n "$NS" delete hacluster kept --wait=true --timeout=180s >/dev/null || fail "the Retain HACluster was not deleted"
echo "Retain took $((SECONDS - t0))s"
expect_eq "$(pg_field kept '{.spec.numberOfInstances}')" 0 "numberOfInstances after Retain"
expect_eq "$(pg_field kept '{.metadata.ownerReferences}')" "" "the postgresql object's ownerReferences after Retain"
expect_eq "$(secret_key kept-credentials password)" "$pass" "the retained Secret's password"
expect_eq "$(secret_key app.kept.credentials.postgresql.acid.zalan.do password)" "$pass" "Zalando's retained user Secret"
[ "$(k -n "$NS" get pvc -l cluster-name=kept -o name | wc -l)" -ge 2 ] || fail "the claims of kept are gone"
sleep 5
k -n "$NS" get postgresql kept >/dev/null || fail "the retained postgresql object went"

hac kept other Retain
wait_for 60 "ChildConflict for another database" hac_is kept '{.status.conditions[?(@.type=="Stalled")].reason}' ChildConflict
k -n "$NS" delete hacluster kept --wait=true --timeout=60s >/dev/null
hac kept app Retain
wait_for 240 "kept Ready again" hac_ready kept
expect_eq "$(pg_field kept '{.spec.numberOfInstances}')" 2 "numberOfInstances after the takeover"
expect_eq "$(pg_field kept '{.metadata.ownerReferences[0].kind}')" HACluster "the owner after the takeover"
expect_eq "$(secret_key kept-credentials password)" "$pass" "the password after the takeover"
stop_operator
