# deletionPolicy Snapshot on the CSI stack (hack/csi.sh; started here when it is not
# running):
# - a Ready DBInstance on csi-mock is deleted: a final DBSnapshot (Retain, labelled final, the
#   instance's uid) becomes ready before the claim goes, an Event names it, the credentials
#   Secret is kept, and a new DBInstance restored from it comes up with the same password;
# - a DBInstance whose volume cannot be snapshotted (the pool's hostPath volumes, not CSI)
#   waits in deletion with Degraded FinalSnapshotFailed and the DBSnapshot's message, keeps
#   its claim, writes nothing while it waits, makes no second final snapshot across an
#   operator restart; setting deletionPolicy Delete on it lets the deletion go on.
# tools: csi
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
with_operator

degraded_with() { [ "$(dbi_cond "$1" Degraded reason)" = "$2" ]; }

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: keep}
spec:
  engine: postgresql
  version: "16.4"
  database: orders
  deletionPolicy: Snapshot
  storage: {size: 1Gi, storageClassName: csi-mock}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: nosnap}
spec:
  engine: postgresql
  version: "16.4"
  database: orders
  deletionPolicy: Snapshot
YAML
wait_for 120 "keep to be Ready" dbi_ready keep
wait_for 120 "nosnap to be Ready" dbi_ready nosnap
# deletionPolicy Snapshot is supported: nothing to be Degraded about while the database runs.
expect_eq "$(dbi_field keep '{.status.conditions[?(@.type=="Degraded")].status}')" False "Degraded of keep (Snapshot policy)"
uid=$(dbi_field keep '{.metadata.uid}')
password=$(secret_key keep-credentials password)
final=keep-final-${uid:0:8}
echo "both Ready at $((SECONDS - t0))s"

k -n "$NS" delete dbinstance keep --wait=false >/dev/null
wait_for 120 "keep to be gone" absent dbinstance keep
snap_ready "$final" || fail "keep is gone but its final DBSnapshot $final is not ready"
expect_eq "$(k -n "$NS" get dbsnapshot "$final" -o jsonpath='{.spec.deletionPolicy}/{.metadata.labels.dbaas\.dev/final-snapshot}/{.status.source.instanceUID}')" \
    "Retain/true/$uid" "the final DBSnapshot"
expect_eq "$(k -n "$NS" get dbsnapshot "$final" -o jsonpath='{.metadata.ownerReferences}')" "" "owners of the final DBSnapshot"
wait_for 60 "the claim of keep to go" absent pvc data-keep-0
k -n "$NS" get events --field-selector reason=FinalSnapshot -o jsonpath='{.items[*].message}' | grep -q "$final" ||
    fail "no Event FinalSnapshot names $final"
k -n "$NS" get secret keep-credentials >/dev/null || fail "the credentials Secret of keep was not kept"
echo "keep deleted after its final snapshot $final at $((SECONDS - t0))s"

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: back}
spec:
  engine: postgresql
  version: "16.4"
  database: orders
  storage: {size: 1Gi, storageClassName: csi-mock}
  restoreFrom: {snapshot: $final}
YAML
wait_for 180 "back (restored from $final) to be Ready" dbi_ready back
expect_eq "$(k -n "$NS" get pvc data-back-0 -o jsonpath='{.spec.dataSource.name}')" "$final" "dataSource of back"
expect_eq "$(secret_key back-credentials password)" "$password" "password of back (keep's)"
echo "restored from $final at $((SECONDS - t0))s"

# No snapshot possible: the deletion waits, says why, and Delete lets it go on.
k -n "$NS" delete dbinstance nosnap --wait=false >/dev/null
wait_for 120 "nosnap to say FinalSnapshotFailed" degraded_with nosnap FinalSnapshotFailed
msg=$(dbi_cond nosnap Degraded message)
[[ $msg == *"nosnap-final-"*"deletionPolicy"* ]] || fail "FinalSnapshotFailed message: $msg"
echo "nosnap waits: $msg"
[ -n "$(dbi_field nosnap '{.status.finalSnapshot}')" ] || fail "no status.finalSnapshot"
k -n "$NS" get pvc data-nosnap-0 >/dev/null || fail "nosnap lost its claim without a snapshot"
# Waiting is quiet, and a restart makes no second final snapshot.
settle_writes op_writes
w=$(op_writes)
sleep 12
expect_eq "$(op_writes)" "$w" "writes while the deletion waits"
stop_operator
start_operator "$tmp/op.log"
sleep 8
expect_eq "$(op_writes)" 0 "writes after a restart while the deletion waits"
expect_eq "$(k -n "$NS" get dbsnapshots -o name | grep -c nosnap-final-)" 1 "final DBSnapshots of nosnap"
k -n "$NS" patch dbinstance nosnap --type=merge -p '{"spec":{"deletionPolicy":"Delete"}}' >/dev/null
wait_for 120 "nosnap to be gone after deletionPolicy Delete" absent dbinstance nosnap
wait_for 60 "the claim of nosnap to go" absent pvc data-nosnap-0
echo "ok in $((SECONDS - t0))s"
