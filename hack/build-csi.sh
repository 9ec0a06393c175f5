#!/usr/bin/env bash
# Builds the CSI stack of the local test control plane from the Go module proxy at the
# versions pinned in hack/versions.env: csi-provisioner, csi-snapshotter, snapshot-controller,
# csi-resizer and our wrapper of Kubernetes' mock CSI driver (hack/csi-mock/main.go).
# Binaries land in a cache outside the repository, in folders keyed by the versions (one for
# the three sidecars, one for the mock), and are reused; a folder lacking a binary is built again.
#
# The three sidecars are built in one scratch module that requires them, by one go build: their
# own go.mod files pin client-go and the rest at three different versions (the provisioner
# replaces every staging module with v0.36.1, the snapshotter has v0.37.0, the resizer
# v0.37.1), so built one by one they compile the Kubernetes client libraries three times. In
# the scratch module their replace directives do not apply (only the main module's do); it
# replaces every staging module with the control plane's version (kube_replaces, as for the
# mock), so all of them link one build list: client-go and the staging modules at
# v0.${KUBERNETES_VERSION#v1.}, k8s.io/kubernetes at KUBERNETES_VERSION, and for each other
# module the highest version any of them requires (csi-lib-utils v0.25.0 for the resizer
# too). Fresh build cache, nothing else running, 2 cores: 217 s for the four binaries
# against 174 + 139 + 170 s (483 s) one module at a time.
#
# Usage: build-csi.sh [all|sidecars|mock]; prints CSI_PROVISIONER_BIN=<dir> etc.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# One build at a time (a background hack/build-tools.sh, a test that needs it).
build_lock csi
need_go

log() { printf 'build-csi: %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Dir of a module in the module cache, downloading it when needed.
mod_dir() {
    (cd "$work" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# shellcheck source=kube-replaces.sh
. "$here/kube-replaces.sh"

sidecars_dir() {
    printf '%s/csi-sidecars-%s-%s-%s-k%s' "$cache" "$CSI_PROVISIONER_VERSION" "$CSI_SNAPSHOTTER_VERSION" \
        "$CSI_RESIZER_VERSION" "$KUBERNETES_VERSION"
}

build_sidecars() {
    local out b
    out=$(sidecars_dir)
    for b in csi-provisioner csi-snapshotter snapshot-controller csi-resizer; do
        [ -x "$out/$b" ] || break
    done
    [ -x "$out/$b" ] && return
    log "csi-provisioner $CSI_PROVISIONER_VERSION, csi-snapshotter and snapshot-controller" \
        "$CSI_SNAPSHOTTER_VERSION, csi-resizer $CSI_RESIZER_VERSION (client-go of Kubernetes $KUBERNETES_VERSION)"
    local mod=$work/sidecars
    mkdir -p "$mod"
    (cd "$mod" && go mod init local/csisidecars >/dev/null 2>&1)
    local -a replaces
    mapfile -t replaces < <(kube_replaces "$mod")
    [ "${#replaces[@]}" -gt 10 ] || { log "found only ${#replaces[@]} staging replaces"; return 1; }
    local -a cmds=(
        "github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner@$CSI_PROVISIONER_VERSION"
        "github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter@$CSI_SNAPSHOTTER_VERSION"
        "github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller@$CSI_SNAPSHOTTER_VERSION"
        "github.com/kubernetes-csi/external-resizer/v2/cmd/csi-resizer@$CSI_RESIZER_VERSION")
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go mod edit "${replaces[@]}" &&
        go get "k8s.io/kubernetes@$KUBERNETES_VERSION" \
            "github.com/kubernetes-csi/external-snapshotter/client/v8@$CSI_SNAPSHOTTER_VERSION" "${cmds[@]}" >/dev/null 2>&1 &&
        go build -trimpath "${PEER_GCFLAGS[@]}" -ldflags='-s -w' -o "$out.tmp/" "${cmds[@]%@*}")
    rm -rf "$out" && mv "$out.tmp" "$out"
}

# The mock's folder is keyed by the Kubernetes version and a hash of our main.go.
mock_dir() {
    local sum
    sum=$(sha256sum "$here/csi-mock/main.go" | cut -c1-12)
    printf '%s/csi-mock-%s-%s' "$cache" "$KUBERNETES_VERSION" "$sum"
}

build_mock() {
    local out
    out=$(mock_dir)
    [ -x "$out/csi-mock" ] && return
    log "csi-mock (k8s.io/kubernetes $KUBERNETES_VERSION test/e2e/storage/drivers/csi-test)"
    local mod=$work/mock
    mkdir -p "$mod"
    cp "$here/csi-mock/main.go" "$mod/"
    (cd "$mod" && go mod init local/csimock >/dev/null 2>&1)
    local -a replaces
    mapfile -t replaces < <(kube_replaces "$mod")
    [ "${#replaces[@]}" -gt 10 ] || { log "found only ${#replaces[@]} staging replaces"; return 1; }
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go mod edit "${replaces[@]}" &&
        go get "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null 2>&1 &&
        go mod tidy >/dev/null &&
        go build -trimpath -ldflags='-s -w' -o "$out.tmp/csi-mock" .)
    rm -rf "$out" && mv "$out.tmp" "$out"
}

main() {
    mkdir -p "$cache"
    case ${1:-all} in
    sidecars) build_sidecars ;;
    mock) build_mock ;;
    all) build_mock; build_sidecars ;;
    *) log "usage: $0 [all|sidecars|mock]"; exit 2 ;;
    esac
    printf 'CSI_PROVISIONER_BIN=%s\n' "$(sidecars_dir)"
    printf 'CSI_SNAPSHOTTER_BIN=%s\n' "$(sidecars_dir)"
    printf 'CSI_RESIZER_BIN=%s\n' "$(sidecars_dir)"
    printf 'CSI_MOCK_BIN=%s\n' "$(mock_dir)"
    printf 'CSI_CRD_DIR=%s/config/crd\n' \
        "$(mod_dir "github.com/kubernetes-csi/external-snapshotter/client/v8@$CSI_SNAPSHOTTER_VERSION")"
}

main "$@"
