#!/usr/bin/env bash
# Builds the CSI stack of the local test control plane from the Go module proxy at the
# versions pinned in hack/versions.env: csi-provisioner, csi-snapshotter, snapshot-controller,
# csi-resizer and our wrapper of Kubernetes' mock CSI driver (hack/csi-mock/main.go).
# Binaries land in a cache outside the repository, one folder per version, and are reused;
# a component is rebuilt only when its folder lacks a binary.
#
# Why not `go install`: external-provisioner and external-snapshotter carry replace
# directives, which `go install pkg@version` refuses. So each is built inside a writable copy
# of its downloaded module with -mod=mod; external-snapshotter replaces its client module with
# ./client, which the module zip leaves out, so the published client/v8 module is put there.
#
# Usage: build-csi.sh [all|provisioner|snapshotter|resizer|mock]; prints CSI_BIN=<dir> etc.
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

# Writable copy of module $1 in $work/$2.
mod_copy() {
    local dir
    dir=$(mod_dir "$1")
    [ -d "$dir" ] || { log "cannot download $1"; return 1; }
    cp -r "$dir" "$work/$2"
    chmod -R u+w "$work/$2"
}

build_provisioner() {
    local out=$cache/csi-provisioner-$CSI_PROVISIONER_VERSION
    [ -x "$out/csi-provisioner" ] && return
    log "csi-provisioner $CSI_PROVISIONER_VERSION"
    mod_copy "github.com/kubernetes-csi/external-provisioner/v6@$CSI_PROVISIONER_VERSION" provisioner
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$work/provisioner" && go build -mod=mod -trimpath "${PEER_GCFLAGS[@]}" -ldflags='-s -w' \
        -o "$out.tmp/csi-provisioner" ./cmd/csi-provisioner)
    rm -rf "$out" && mv "$out.tmp" "$out"
}

build_snapshotter() {
    local out=$cache/csi-snapshotter-$CSI_SNAPSHOTTER_VERSION
    [ -x "$out/csi-snapshotter" ] && [ -x "$out/snapshot-controller" ] && return
    log "csi-snapshotter and snapshot-controller $CSI_SNAPSHOTTER_VERSION"
    mod_copy "github.com/kubernetes-csi/external-snapshotter/v8@$CSI_SNAPSHOTTER_VERSION" snapshotter
    rm -rf "$work/snapshotter/client"
    mod_copy "github.com/kubernetes-csi/external-snapshotter/client/v8@$CSI_SNAPSHOTTER_VERSION" snapshotter/client
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$work/snapshotter" && go build -mod=mod -trimpath "${PEER_GCFLAGS[@]}" -ldflags='-s -w' \
        -o "$out.tmp/" ./cmd/csi-snapshotter ./cmd/snapshot-controller)
    rm -rf "$out" && mv "$out.tmp" "$out"
}

build_resizer() {
    local out=$cache/csi-resizer-$CSI_RESIZER_VERSION
    [ -x "$out/csi-resizer" ] && return
    log "csi-resizer $CSI_RESIZER_VERSION"
    mod_copy "github.com/kubernetes-csi/external-resizer/v2@$CSI_RESIZER_VERSION" resizer
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$work/resizer" && go build -mod=mod -trimpath "${PEER_GCFLAGS[@]}" -ldflags='-s -w' \
        -o "$out.tmp/csi-resizer" ./cmd/csi-resizer)
    rm -rf "$out" && mv "$out.tmp" "$out"
}

# The mock's folder is keyed by the Kubernetes version and a hash of our main.go.
mock_dir() {
    local sum
    sum=$(sha256sum "$here/csi-mock/main.go" | cut -c1-12)
    printf '%s/csi-mock-%s-%s' "$cache" "$KUBERNETES_VERSION" "$sum"
}

# shellcheck source=kube-replaces.sh
. "$here/kube-replaces.sh"

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
    provisioner) build_provisioner ;;
    snapshotter) build_snapshotter ;;
    resizer) build_resizer ;;
    mock) build_mock ;;
    all) build_mock; build_provisioner; build_snapshotter; build_resizer ;;
    *) log "usage: $0 [all|provisioner|snapshotter|resizer|mock]"; exit 2 ;;
    esac
    printf 'CSI_PROVISIONER_BIN=%s\n' "$cache/csi-provisioner-$CSI_PROVISIONER_VERSION"
    printf 'CSI_SNAPSHOTTER_BIN=%s\n' "$cache/csi-snapshotter-$CSI_SNAPSHOTTER_VERSION"
    printf 'CSI_RESIZER_BIN=%s\n' "$cache/csi-resizer-$CSI_RESIZER_VERSION"
    printf 'CSI_MOCK_BIN=%s\n' "$(mock_dir)"
    printf 'CSI_CRD_DIR=%s/config/crd\n' \
        "$(mod_dir "github.com/kubernetes-csi/external-snapshotter/client/v8@$CSI_SNAPSHOTTER_VERSION")"
}

main "$@"
