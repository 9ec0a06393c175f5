#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A real CSI stack beside the local control plane of hack/cluster.sh, as plain local
# processes with the cluster's admin kubeconfig (no kubelet, no containers): Kubernetes' mock
# CSI driver (our wrapper, hack/csi-mock/main.go) on a unix socket, and the sidecars that
# serve it: csi-provisioner, csi-snapshotter, snapshot-controller and csi-resizer
# (built by hack/build-csi.sh at the versions in hack/versions.env).
#
#   hack/csi.sh build    build what is missing (cached under ~/.cache/dbaas-operator)
#   hack/csi.sh start    install the snapshot CRDs and the classes, start every process
#                        (idempotent; when one is down, all are restarted together)
#   hack/csi.sh stop     stop every process of this cluster's CSI stack
#   hack/csi.sh status   show each process; exit non-zero unless all run
#   hack/csi.sh install  (re)install the CRDs and the classes only (a test that deletes them)
#
# hack/cluster.sh up runs `start` when CLUSTER_CSI=1 (test/run.sh sets it) and `stop` on down.
#
# What it installs: the VolumeSnapshot, VolumeSnapshotContent, VolumeSnapshotClass CRDs and
# the three groupsnapshot.storage.k8s.io CRDs (snapshot-controller does not start without
# them), read from the client/v8 module's config/crd in the Go module cache; the CSIDriver
# csi-mock.dbaas.dev (no attach); StorageClasses csi-mock (Immediate, expansion, Delete) and
# csi-mock-wffc (WaitForFirstConsumer, expansion, Delete); VolumeSnapshotClass csi-mock
# (default for the driver, Delete).
#
# The mock keeps its volumes in memory: a restart loses them all (the sidecars exit when it
# goes, which is why they are restarted together). A test holds a snapshot back (not ready)
# by writing "namespace/volumesnapshot-name" (or "*") as a line of the file `hold-file`
# prints, and lets it go by removing the line.
#
# State (socket, pids, logs, hold file) lives in $DBAAS_CLUSTER_DIR/csi.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=proc.sh
. "$here/proc.sh"

STATE=${DBAAS_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster}
DIR=$STATE/csi
SOCK=$DIR/csi.sock
HOLD=$DIR/hold
KUBECONFIG_FILE=$STATE/kubeconfig
DRIVER=csi-mock.dbaas.dev
# Start order; stopped in reverse.
COMPONENTS=(csi-mock csi-provisioner csi-snapshotter snapshot-controller csi-resizer)

log() { printf 'csi: %s\n' "$*" >&2; }

fail() { proc_fail "$@"; }

load_bins() {
    local line
    while IFS= read -r line; do
        case $line in CSI_*=*) declare -g "$line" ;; esac
    done < <(bash "$here/build-csi.sh" all || echo BUILD_FAILED)
    if ! [ -x "${CSI_MOCK_BIN:-}/csi-mock" ] || ! [ -x "${CSI_PROVISIONER_BIN:-}/csi-provisioner" ] ||
        ! [ -x "${CSI_SNAPSHOTTER_BIN:-}/snapshot-controller" ] || ! [ -x "${CSI_RESIZER_BIN:-}/csi-resizer" ] ||
        ! [ -d "${CSI_CRD_DIR:-}" ]; then
        fail "" "hack/build-csi.sh failed"
    fi
}

kc() { "$(bash "$here/cluster.sh" kubectl-path)" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

alive() { proc_alive "$@"; }

cmd_stop() {
    local i
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do proc_stop_one "${COMPONENTS[$i]}"; done
    rm -f "$SOCK"
}

cmd_status() {
    local c ok=0
    for c in "${COMPONENTS[@]}"; do
        if proc_running "$c"; then
            printf '%-24s running (pid %s)\n' "$c" "$(proc_pid_of "$c")"
        else
            printf '%-24s NOT running\n' "$c"
            ok=1
        fi
    done
    return $ok
}

# Every process runs, and the driver is the build of today's hack/csi-mock/main.go (a changed
# wrapper is a new binary: the stack is restarted with it).
all_running() {
    local c
    for c in "${COMPONENTS[@]}"; do proc_running "$c" || return 1; done
    [ "$(readlink "/proc/$(proc_pid_of csi-mock)/exe")" = "$CSI_MOCK_BIN/csi-mock" ]
}

objects() {
    cat <<YAML
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: $DRIVER}
spec:
  attachRequired: false
  podInfoOnMount: false
  volumeLifecycleModes: [Persistent]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: csi-mock}
provisioner: $DRIVER
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: csi-mock-wffc}
provisioner: $DRIVER
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: csi-mock
  annotations:
    snapshot.storage.kubernetes.io/is-default-class: "true"
driver: $DRIVER
deletionPolicy: Delete
YAML
}

# The snapshot CRDs, the CSIDriver and the classes (server-side apply: idempotent).
install() {
    local f
    for f in "$CSI_CRD_DIR"/*.storage.k8s.io_*.yaml; do
        kc apply --server-side --force-conflicts -f "$f" >/dev/null || fail "" "installing $f failed"
    done
    kc wait --for=condition=Established --timeout=60s \
        crd/volumesnapshots.snapshot.storage.k8s.io crd/volumesnapshotcontents.snapshot.storage.k8s.io \
        crd/volumesnapshotclasses.snapshot.storage.k8s.io \
        crd/volumegroupsnapshots.groupsnapshot.storage.k8s.io \
        crd/volumegroupsnapshotcontents.groupsnapshot.storage.k8s.io \
        crd/volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io >/dev/null ||
        fail "" "the snapshot CRDs were not established"
    objects | kc apply -f - >/dev/null || fail "" "creating the CSIDriver and the classes failed"
}

cmd_start() {
    local t0=$SECONDS
    [ -s "$KUBECONFIG_FILE" ] || fail "" "no cluster in $STATE (hack/cluster.sh up first)"
    mkdir -p "$DIR"
    load_bins
    if all_running; then
        log "already running"
        return 0
    fi
    cmd_stop
    install
    proc_start_one csi-mock "$CSI_MOCK_BIN/csi-mock" --endpoint="$SOCK" --driver-name="$DRIVER" \
        --hold-file="$HOLD"
    local i
    for ((i = 0; i < 100; i++)); do
        [ -S "$SOCK" ] && break
        proc_running csi-mock || fail csi-mock "csi-mock exited"
        sleep 0.1
    done
    [ -S "$SOCK" ] || fail csi-mock "no socket at $SOCK after 10 s"
    local -a common=(--kubeconfig="$KUBECONFIG_FILE" --v=2)
    proc_start_one csi-provisioner "$CSI_PROVISIONER_BIN/csi-provisioner" "${common[@]}" \
        --csi-address="$SOCK" --leader-election=false --extra-create-metadata
    proc_start_one csi-snapshotter "$CSI_SNAPSHOTTER_BIN/csi-snapshotter" "${common[@]}" \
        --csi-address="$SOCK" --leader-election=false --extra-create-metadata
    proc_start_one snapshot-controller "$CSI_SNAPSHOTTER_BIN/snapshot-controller" "${common[@]}" \
        --leader-election=false
    proc_start_one csi-resizer "$CSI_RESIZER_BIN/csi-resizer" "${common[@]}" \
        --csi-address="$SOCK" --leader-election=false
    # Give each a moment to connect; one that exits at once shows its log.
    sleep 2
    local c
    for c in "${COMPONENTS[@]}"; do proc_running "$c" || fail "$c" "$c exited at start"; done
    log "running (driver $DRIVER on $SOCK) in $((SECONDS - t0))s"
}

case ${1:-} in
build) load_bins; log "built" ;;
install) load_bins; install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
hold-file) echo "$HOLD" ;;
*)
    echo "usage: $0 build|start|stop|status|install|hold-file" >&2
    exit 2
    ;;
esac
