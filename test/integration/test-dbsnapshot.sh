# DBSnapshot on the CSI stack (hack/csi.sh; started here when it is not running):
# - a Ready DBInstance on StorageClass csi-mock is snapshotted: the VolumeSnapshot of its
#   claim is owned by the DBSnapshot and labelled with the instance's name and uid, its
#   content's source is the instance's volume, and status mirrors readyToUse and restoreSize
#   and records the source (engine, version, size, uid); the DBSnapshot gets the instance's
#   name and uid in labels too; `kubectl get dbsnap` shows it;
# - a snapshot of a DBInstance that does not exist is refused (InstanceNotFound) and is taken
#   by itself once the DBInstance is there;
# - a held-back snapshot (the driver says not ready) is InProgress, then Ready when let go;
# - zero writes at rest, and after an operator restart, with no second VolumeSnapshot;
# - deletion: Delete takes the VolumeSnapshot, Retain keeps it without an owner.
# tools: csi
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
with_operator
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; sed -i "\|^$NS/|d" "$HOLD" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

instance orders
wait_for 120 "orders to be Ready" dbi_ready orders
pv=$(k -n "$NS" get pvc data-orders-0 -o jsonpath='{.spec.volumeName}')
handle=$(k get pv "$pv" -o jsonpath='{.spec.csi.volumeHandle}')
[ -n "$handle" ] || fail "the claim of orders has no CSI volume (PV $pv)"
uid=$(dbi_field orders '{.metadata.uid}')
echo "orders Ready on $pv (handle $handle) at $((SECONDS - t0))s"

dbsnap before orders
wait_for 120 "before to be Ready" snap_ready before
expect_eq "$(snap_field before '{.status.readyToUse}')" true "status.readyToUse"
expect_eq "$(snap_field before '{.status.restoreSize}')" 1Gi "status.restoreSize"
expect_eq "$(snap_field before '{.status.volumeSnapshotName}')" before "status.volumeSnapshotName"
expect_eq "$(snap_field before '{.status.source.engine}/{.status.source.version}/{.status.source.storageSize}')" \
    postgresql/16.4/1Gi "status.source"
expect_eq "$(snap_field before '{.status.source.instanceUID}')" "$uid" "status.source.instanceUID"
[ -n "$(snap_field before '{.status.creationTime}')" ] || fail "no status.creationTime"
expect_eq "$(k -n "$NS" get dbsnapshot before -o jsonpath='{.metadata.labels.dbaas\.dev/instance}/{.metadata.labels.dbaas\.dev/instance-uid}')" \
    "orders/$uid" "instance labels of the DBSnapshot"
vs() { k -n "$NS" get volumesnapshot "$@"; }
expect_eq "$(vs before -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].controller}')" \
    DBSnapshot/true "controller of the VolumeSnapshot"
expect_eq "$(vs before -o jsonpath='{.metadata.labels.dbaas\.dev/instance}/{.metadata.labels.dbaas\.dev/instance-uid}')" \
    "orders/$uid" "instance labels of the VolumeSnapshot"
expect_eq "$(vs before -o jsonpath='{.spec.source.persistentVolumeClaimName}')" data-orders-0 "source claim"
content=$(vs before -o jsonpath='{.status.boundVolumeSnapshotContentName}')
expect_eq "$(k get volumesnapshotcontent "$content" -o jsonpath='{.spec.source.volumeHandle}')" "$handle" \
    "source volumeHandle of the content"
row=$(k -n "$NS" get dbsnap before --no-headers)
read -r -a cols <<<"$row"
expect_eq "${cols[*]:0:6}" "before orders postgresql 16.4 True 1Gi" "kubectl get dbsnap"
k -n "$NS" get dbaas -o name | grep -qx dbsnapshot.dbaas.dev/before || fail "not in category dbaas"
echo "before Ready, mirrored, at $((SECONDS - t0))s"

# The schema refuses what cannot change (CEL) and what is not a policy.
refused_patch() { # WANT PATCH
    local out
    if out=$(k -n "$NS" patch dbsnapshot before --type merge -p "$2" 2>&1); then fail "accepted: $2"; fi
    grep -qF -- "$1" <<<"$out" || fail "want \"$1\" in: $out"
}
refused_patch "instanceName is immutable" '{"spec":{"instanceName":"other"}}'
refused_patch "volumeSnapshotClassName is immutable" '{"spec":{"volumeSnapshotClassName":"csi-mock"}}'
refused_patch 'Unsupported value: "Snapshot"' '{"spec":{"deletionPolicy":"Snapshot"}}'

# A DBInstance that does not exist yet: refused, then taken once it exists.
dbsnap early later
wait_for 60 "early to say InstanceNotFound" snap_reason early InstanceNotFound
expect_eq "$(snap_cond early Stalled status)" True "Stalled of early"
[ -z "$(vs early -o name 2>/dev/null)" ] || fail "a VolumeSnapshot was made for a missing instance"
instance later
wait_for 180 "early to be Ready once later exists" snap_ready early
expect_eq "$(vs early -o jsonpath='{.spec.source.persistentVolumeClaimName}')" data-later-0 "source of early"
echo "early converged at $((SECONDS - t0))s"

# Held back by the driver: in progress, then ready.
echo "$NS/slow" >>"$HOLD"
dbsnap slow orders Retain
wait_for 60 "slow to be in progress" snap_reason slow SnapshotInProgress
expect_eq "$(snap_cond slow Progressing status)" True "Progressing of slow"
expect_eq "$(snap_field slow '{.status.readyToUse}')" false "readyToUse of slow"
sed -i "\|^$NS/slow\$|d" "$HOLD"
wait_for 180 "slow to be Ready once let go" snap_ready slow
echo "slow held back, then Ready, at $((SECONDS - t0))s"

# At rest, and across a restart: no writes, no second VolumeSnapshot.
settle_writes op_writes
w=$(op_writes)
sleep 5
expect_eq "$(op_writes)" "$w" "writes at rest"
stop_operator
start_operator "$tmp/op.log"
sleep 5
settle_writes op_writes
expect_eq "$(op_writes)" 0 "writes after a restart"
expect_eq "$(vs -o name | sort | tr '\n' ' ')" \
    "volumesnapshot.snapshot.storage.k8s.io/before volumesnapshot.snapshot.storage.k8s.io/early volumesnapshot.snapshot.storage.k8s.io/slow " \
    "VolumeSnapshots after a restart"

# Deletion: Delete takes the VolumeSnapshot; Retain keeps it, cut loose.
k -n "$NS" delete dbsnapshot before --timeout=60s >/dev/null
wait_for 60 "the VolumeSnapshot before to be collected" bash -c "! '$KUBECTL' -n '$NS' get volumesnapshot before"
k -n "$NS" delete dbsnapshot slow --timeout=60s >/dev/null
vs slow >/dev/null || fail "Retain lost the VolumeSnapshot"
expect_eq "$(vs slow -o jsonpath='{.metadata.ownerReferences}')" "" "owners of the retained VolumeSnapshot"
expect_eq "$(vs slow -o jsonpath='{.status.readyToUse}')" true "the retained VolumeSnapshot"
k -n "$NS" delete volumesnapshot slow --wait=false >/dev/null
echo "ok in $((SECONDS - t0))s"
