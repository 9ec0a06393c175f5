# HACluster deletion. Delete: the postgresql object goes (and with it Zalando's pods), and
# so does our Secret. Retain: the postgresql object stays at zero instances without owner,
# with its claims, our Secret and Zalando's user Secret (with the password); a HACluster of the same name whose
# database differs is refused (ChildConflict), one that matches takes it all over. A cluster
# whose major upgrade was skipped is retained as the version its data holds (16, not the
# spec's 17): a new one at 17 is refused with a message naming 16, never "Delete it".
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
hac() { # NAME DATABASE DELETION [VERSION]
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "%s", replicas: 2, database: %s, deletionPolicy: %s}\n' \
        "$1" "${4:-16}" "$2" "$3" | k -n "$NS" apply -f - >/dev/null
}
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

# A major upgrade Zalando skips (its default major_version_upgrade_mode is manual): the data
# stays 16.
hac kept app Retain 17
wait_for 120 "kept UpgradeSkipped" hac_is kept '{.status.conditions[?(@.type=="Degraded")].reason}' UpgradeSkipped
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

held=$(k -n "$NS" get secret kept-credentials -o jsonpath='{.metadata.annotations.dbaas\.dev/hacluster-held}')
[[ $held == 16/app/* ]] || fail "the retained Secret's held annotation is $held, not the version the data holds (16)"
expect_eq "$(pg_field kept '{.metadata.annotations.dbaas\.dev/hacluster-held}')" "$held" "the retained postgresql object's held annotation"
hac kept app Retain 17
wait_for 60 "ChildConflict for the spec's 17 over data of 16" hac_is kept '{.status.conditions[?(@.type=="Stalled")].reason}' ChildConflict
msg=$(hac_cond kept Ready message)
[[ $msg == *"retained by an earlier HACluster"*"PostgreSQL 16, database app"* ]] || fail "ChildConflict does not say what the retained cluster holds: $msg"
[[ $msg != *"Delete it"* ]] || fail "ChildConflict advises deleting retained data: $msg"
k -n "$NS" delete hacluster kept --wait=true --timeout=60s >/dev/null
hac kept other Retain
wait_for 60 "ChildConflict for another database" hac_is kept '{.status.conditions[?(@.type=="Stalled")].reason}' ChildConflict
k -n "$NS" delete hacluster kept --wait=true --timeout=60s >/dev/null
hac kept app Retain
wait_for 240 "kept Ready again" hac_ready kept
expect_eq "$(pg_field kept '{.spec.numberOfInstances}')" 2 "numberOfInstances after the takeover"
expect_eq "$(pg_field kept '{.metadata.ownerReferences[0].kind}')" HACluster "the owner after the takeover"
expect_eq "$(secret_key kept-credentials password)" "$pass" "the password after the takeover"
stop_operator
