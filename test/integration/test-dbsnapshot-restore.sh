# Restore a DBInstance from a DBSnapshot, on the CSI stack (hack/csi.sh; started here when
# it is not running):
# - two instances, a snapshot of each; a DBInstance restored from the first one: its claim's
#   dataSource is the VolumeSnapshot, whose content's source is the first instance's volume
#   (never the second's), the driver made the new volume from that snapshot (csi-mock's log
#   of CreateVolume), and the credentials are the source's (the data holds its passwords);
# - refused before anything is created: another engine, another major version, a volume
#   smaller than the snapshot, another StorageClass than the source's (the default pool is
#   not CSI), the source's Secret gone without credentialsSecretRef;
# - a snapshot that cannot be taken: SnapshotFailed with its reason, Stalled; restored once
#   the snapshot is taken;
# - a snapshot not ready yet (held back by the driver): WaitingForSnapshot, nothing created;
#   once ready, the restore proceeds by itself.
# tools: csi
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
with_operator
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; sed -i "\|^$NS/|d" "$HOLD" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

handle_of() { k get pv "$(k -n "$NS" get pvc "$1" -o jsonpath='{.spec.volumeName}')" -o jsonpath='{.spec.csi.volumeHandle}'; }

instance orders
instance other
wait_for 120 "orders to be Ready" dbi_ready orders
wait_for 120 "other to be Ready" dbi_ready other
dbsnap snap-orders orders
dbsnap snap-other other
wait_for 120 "snap-orders to be Ready" snap_ready snap-orders
wait_for 120 "snap-other to be Ready" snap_ready snap-other
h_orders=$(handle_of data-orders-0)
h_other=$(handle_of data-other-0)
echo "two instances and their snapshots Ready at $((SECONDS - t0))s"

# The restore, and the chain on the real objects.
instance restored 16.4 postgresql 1Gi snap-orders
wait_for 180 "restored to be Ready" dbi_ready restored
expect_eq "$(k -n "$NS" get pvc data-restored-0 -o jsonpath='{.spec.dataSource.kind}/{.spec.dataSource.name}')" \
    VolumeSnapshot/snap-orders "dataSource of the restored claim"
content=$(k -n "$NS" get volumesnapshot snap-orders -o jsonpath='{.status.boundVolumeSnapshotContentName}')
expect_eq "$(k get volumesnapshotcontent "$content" -o jsonpath='{.spec.source.volumeHandle}')" "$h_orders" \
    "source volume of snap-orders' content"
[ "$h_orders" != "$h_other" ] || fail "the two instances share a volume"
snap_handle=$(k get volumesnapshotcontent "$content" -o jsonpath='{.status.snapshotHandle}')
claim_uid=$(k -n "$NS" get pvc data-restored-0 -o jsonpath='{.metadata.uid}')
h_restored=$(handle_of data-restored-0)
grep -q "CreateVolume pvc-$claim_uid: volume $h_restored capacity [0-9]* from snapshot \"$snap_handle\"" "$MOCK_LOG" ||
    fail "csi-mock did not make volume $h_restored of claim $claim_uid from snapshot $snap_handle: $(grep "pvc-$claim_uid" "$MOCK_LOG")"
expect_eq "$(secret_key restored-credentials password)" "$(secret_key orders-credentials password)" \
    "password of the restored instance (the source's)"
expect_eq "$(secret_key restored-credentials superuser-password)" "$(secret_key orders-credentials superuser-password)" \
    "superuser-password of the restored instance"
echo "restored from snap-orders (volume $h_restored from snapshot $snap_handle of $h_orders) at $((SECONDS - t0))s"

# Refused before anything is created.
refused() { # NAME WORDS...: InvalidSpec whose message holds every word, and no child
    local n=$1 msg
    shift
    wait_for 60 "$n to be refused" dbi_reason "$n" InvalidSpec
    msg=$(dbi_cond "$n" Ready message)
    for w in "$@"; do [[ $msg == *"$w"* ]] || fail "$n: message lacks '$w': $msg"; done
    expect_eq "$(dbi_cond "$n" Stalled status)" True "Stalled of $n"
    absent statefulset "$n" || fail "$n: a StatefulSet was made"
    absent pvc "data-$n-0" || fail "$n: a claim was made"
}
instance bad-engine 8.4 mysql 1Gi snap-orders
refused bad-engine postgresql mysql
instance bad-major 17 postgresql 1Gi snap-orders
refused bad-major 16.4 17
instance bad-size 16.4 postgresql 512Mi snap-orders
refused bad-size 1Gi 512Mi
# The default pool is not CSI: its pre-made volume would bind empty, ignoring the dataSource.
expect_eq "$(k -n "$NS" get dbsnapshot snap-orders -o jsonpath='{.status.source.storageClassName}')" csi-mock \
    "status.source.storageClassName of snap-orders"
CLASS=standard instance bad-class 16.4 postgresql 1Gi snap-orders
refused bad-class "StorageClass csi-mock" "is standard"
echo "engine, major version, size and class refused at $((SECONDS - t0))s"

# The source's Secret gone: the passwords must be given.
k -n "$NS" delete dbinstance other --timeout=60s >/dev/null
wait_for 60 "other's Secret to be collected" absent secret other-credentials
instance from-gone 16.4 postgresql 1Gi snap-other
refused from-gone credentialsSecretRef other-credentials
echo "a gone source Secret refused at $((SECONDS - t0))s"

# A snapshot that cannot be taken (its instance does not exist): the restore is Stalled with
# the snapshot's reason, creates nothing, and proceeds by itself once the snapshot is taken.
dbsnap snap-ghost ghost
wait_for 60 "snap-ghost to be Stalled" snap_reason snap-ghost InstanceNotFound
instance from-ghost 16.4 postgresql 1Gi snap-ghost
wait_for 60 "from-ghost to be refused" dbi_reason from-ghost SnapshotFailed
msg=$(dbi_cond from-ghost Ready message)
[[ $msg == *"snap-ghost"*"InstanceNotFound"* ]] || fail "from-ghost: the message lacks the snapshot's reason: $msg"
expect_eq "$(dbi_cond from-ghost Stalled status)" True "Stalled of from-ghost"
absent pvc data-from-ghost-0 || fail "from-ghost: a claim was made"
instance ghost
wait_for 180 "from-ghost to be Ready once snap-ghost is taken" dbi_ready from-ghost
echo "a snapshot that could not be taken: refused, then restored at $((SECONDS - t0))s"

# Not ready: waits, creates nothing; once ready, proceeds.
echo "$NS/slow" >>"$HOLD"
dbsnap slow orders
instance late 16.4 postgresql 1Gi slow
wait_for 60 "late to wait for its snapshot" dbi_reason late WaitingForSnapshot
expect_eq "$(dbi_cond late Progressing status)" True "Progressing of late"
sleep 3
absent pvc data-late-0 || fail "late: a claim was made before the snapshot was ready"
absent statefulset late || fail "late: a StatefulSet was made before the snapshot was ready"
# The wait is quiet and survives a restart.
settle_writes op_writes
w=$(op_writes)
sleep 5
expect_eq "$(op_writes)" "$w" "writes while late waits"
stop_operator
start_operator "$tmp/op.log"
wait_for 30 "late to wait again after a restart" dbi_reason late WaitingForSnapshot
sleep 3
expect_eq "$(op_writes)" 0 "writes after a restart while late waits"
sed -i "\|^$NS/slow\$|d" "$HOLD"
wait_for 180 "late to be Ready once slow is" dbi_ready late
expect_eq "$(k -n "$NS" get pvc data-late-0 -o jsonpath='{.spec.dataSource.name}')" slow "dataSource of late"
echo "ok in $((SECONDS - t0))s"
