#!/usr/bin/env bash
# The CSI stack of the local control plane (hack/csi.sh), on its own: a claim gets a PV from
# the mock driver; a VolumeSnapshot of it becomes readyToUse with a restoreSize; a claim with
# that snapshot as dataSource is provisioned, also through a StatefulSet's
# volumeClaimTemplate (WaitForFirstConsumer: the scheduler and kwok bind it); a claim grows
# through csi-resizer; a snapshot held back by the driver stays not ready until let go.
# Starts the stack when it is not running (idempotent), so it runs alone too.
# tools: csi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t0=$SECONDS

bash "$ROOT/hack/csi.sh" start
HOLD=$(bash "$ROOT/hack/csi.sh" hold-file)

claim_field() { k -n "$NS" get pvc "$1" -o jsonpath="$2" 2>/dev/null; }
bound() { [ "$(claim_field "$1" '{.status.phase}')" = Bound ]; }
snap_field() { k -n "$NS" get volumesnapshot "$1" -o jsonpath="$2" 2>/dev/null; }
snap_ready() { [ "$(snap_field "$1" '{.status.readyToUse}')" = true ]; }
pod_running() { [ "$(k -n "$NS" get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
capacity_is() { [ "$(claim_field "$1" '{.status.capacity.storage}')" = "$2" ]; }
snap_bound() { [ -n "$(snap_field "$1" '{.status.boundVolumeSnapshotContentName}')" ]; }

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: csi-mock
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
wait_for 120 "claim data to be bound" bound data
pv=$(claim_field data '{.spec.volumeName}')
driver=$(k get pv "$pv" -o jsonpath='{.spec.csi.driver}')
expect_eq "$driver" csi-mock.dbaas.dev "driver of the PV of claim data"
handle=$(k get pv "$pv" -o jsonpath='{.spec.csi.volumeHandle}')
[ -n "$handle" ] || fail "PV $pv has no volumeHandle"
echo "claim data bound to $pv (handle $handle) at $((SECONDS - t0))s"

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: snap1}
spec:
  volumeSnapshotClassName: csi-mock
  source: {persistentVolumeClaimName: data}
YAML
wait_for 120 "snapshot snap1 to be ready" snap_ready snap1
expect_eq "$(snap_field snap1 '{.status.restoreSize}')" 1Gi "restoreSize of snap1"
content=$(snap_field snap1 '{.status.boundVolumeSnapshotContentName}')
expect_eq "$(k get volumesnapshotcontent "$content" -o jsonpath='{.spec.source.volumeHandle}')" \
    "$handle" "source volumeHandle of $content"
echo "snapshot snap1 ready (content $content) at $((SECONDS - t0))s"

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: restored}
spec:
  storageClassName: csi-mock
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap1}
YAML
wait_for 120 "claim restored to be bound" bound restored
rpv=$(claim_field restored '{.spec.volumeName}')
[ "$(k get pv "$rpv" -o jsonpath='{.spec.csi.volumeHandle}')" != "$handle" ] ||
    fail "the restored claim got the source volume itself"
# The driver's answer: the volume was created from the snapshot's handle.
shandle=$(k get volumesnapshotcontent "$content" -o jsonpath='{.status.snapshotHandle}')
grep -q "CreateVolume" "$(dirname "$HOLD")/csi-mock.log" || fail "csi-mock logged no CreateVolume"
echo "claim restored bound to $rpv (from snapshot handle $shandle) at $((SECONDS - t0))s"

k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: example.invalid/db:1, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      storageClassName: csi-mock-wffc
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
      dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap1}
YAML
wait_for 180 "claim data-db-0 (WaitForFirstConsumer, from snap1) to be bound" bound data-db-0
expect_eq "$(claim_field data-db-0 '{.spec.dataSource.name}')" snap1 "dataSource of data-db-0"
wait_for 120 "pod db-0 to run" pod_running db-0
echo "StatefulSet claim data-db-0 bound, pod running at $((SECONDS - t0))s"

k -n "$NS" patch pvc data --type merge -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}' >/dev/null
wait_for 120 "claim data to grow to 2Gi" capacity_is data 2Gi
expect_eq "$(k get pv "$pv" -o jsonpath='{.spec.capacity.storage}')" 2Gi "capacity of $pv"
echo "claim data grew to 2Gi at $((SECONDS - t0))s"

# Held back: not ready while the hold file names it, ready once let go.
echo "$NS/held" >>"$HOLD"
trap 'sed -i "\|^$NS/held\$|d" "$HOLD" 2>/dev/null || true' EXIT
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: held}
spec:
  volumeSnapshotClassName: csi-mock
  source: {persistentVolumeClaimName: data}
YAML
wait_for 60 "snapshot held to be bound to a content" snap_bound held
sleep 5
expect_eq "$(snap_field held '{.status.readyToUse}')" false "readyToUse of the held snapshot"
sed -i "\|^$NS/held\$|d" "$HOLD"
wait_for 180 "snapshot held to become ready once let go" snap_ready held
expect_eq "$(snap_field held '{.status.restoreSize}')" 2Gi "restoreSize of held (of the grown volume)"
echo "held snapshot not ready, then ready once let go, at $((SECONDS - t0))s"
echo "ok in $((SECONDS - t0))s"
