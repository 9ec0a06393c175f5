# DBSnapshot without the VolumeSnapshot CRD: Ready False, reason SnapshotCRDMissing, Stalled,
# and no write at rest meanwhile; once the CRD is installed again the snapshot is taken
# without an operator restart. The CRD is put back at exit whatever happens (the tests share
# a cluster).
# tools: csi
. "$ROOT/test/integration/lib.sh"
. "$ROOT/test/integration/snap-lib.sh"
t0=$SECONDS
CRD=volumesnapshots.snapshot.storage.k8s.io
with_operator
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; bash "$ROOT/hack/csi.sh" install || echo "WARNING: the snapshot CRDs are not back" >&2; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

instance orders
wait_for 120 "orders to be Ready" dbi_ready orders
k delete crd "$CRD" --timeout=120s >/dev/null
echo "the VolumeSnapshot CRD deleted at $((SECONDS - t0))s"

dbsnap lonely orders
wait_for 60 "lonely to say SnapshotCRDMissing" snap_reason lonely SnapshotCRDMissing
expect_eq "$(snap_cond lonely Stalled status)" True "Stalled of lonely"
[[ $(snap_cond lonely Ready message) == *"$CRD"* ]] || fail "the message does not name $CRD: $(snap_cond lonely Ready message)"
settle_writes op_writes
w=$(op_writes)
sleep 5
expect_eq "$(op_writes)" "$w" "writes while the CRD is missing"

bash "$ROOT/hack/csi.sh" install
wait_for 180 "lonely to be Ready once the CRD is back" snap_ready lonely
expect_eq "$(k -n "$NS" get volumesnapshot lonely -o jsonpath='{.spec.source.persistentVolumeClaimName}')" data-orders-0 \
    "source of lonely"
echo "ok in $((SECONDS - t0))s"
