#!/usr/bin/env bash
# Builds the local test control plane from the Go module proxy at the versions pinned in
# hack/versions.env: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
# and kwok. Binaries land in a cache outside the repository, one folder per version, and are
# reused; a component is rebuilt only when its folder lacks a binary.
#
# Prints the bin folder of each component, one per line as NAME=PATH, when done.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# One build at a time (a background hack/build-tools.sh, a test that needs it); `path` builds
# nothing and does not wait.
[ "${1:-}" = path ] || build_lock control-plane

log() { printf 'build-control-plane: %s\n' "$*" >&2; }


# A scratch module that requires what it builds; removed on exit.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_etcd() {
    local out=$cache/etcd-$ETCD_VERSION
    [ -x "$out/etcd" ] && return
    log "etcd $ETCD_VERSION"
    local mod=$work/etcd
    mkdir -p "$mod"
    # go install of the server module fails on its replace directives, so wrap etcdmain.
    cat >"$mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    (cd "$mod" && go mod init local/etcd >/dev/null 2>&1 &&
        go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 &&
        go mod tidy >/dev/null 2>&1 &&
        go build -trimpath -ldflags='-s -w' -o "$out.tmp/etcd" .)
    mv "$out.tmp" "$out"
}

# shellcheck source=kube-replaces.sh
. "$here/kube-replaces.sh"

# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok: one scratch module,
# one go build, one folder. kwok v0.8.0 alone links client-go v0.36.1 and compiles it and the
# rest of the API machinery a second time; here it links the staging modules at the control
# plane's version (a patch-compatible API: it builds and passes the cluster tests) and shares
# those compiled packages. kwok alone, fresh build cache: 161 s and 308 s of CPU; in this
# module after the Kubernetes commands: 94 s and 175 s of CPU (2 cores).
kube_dir() { printf '%s/kubernetes-%s-kwok-%s' "$cache" "$KUBERNETES_VERSION" "$KWOK_VERSION"; }

build_kubernetes() {
    local out
    out=$(kube_dir)
    [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] &&
        [ -x "$out/kube-scheduler" ] && [ -x "$out/kubectl" ] && [ -x "$out/kwok" ] && return
    log "kubernetes $KUBERNETES_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and kwok $KWOK_VERSION"
    local mod=$work/kubernetes
    mkdir -p "$mod"
    (cd "$mod" && go mod init local/kubernetes >/dev/null 2>&1)
    local -a replaces
    mapfile -t replaces < <(kube_replaces "$mod")
    [ "${#replaces[@]}" -gt 10 ] || { log "found only ${#replaces[@]} staging replaces"; return 1; }
    local minor=${KUBERNETES_VERSION#v1.}
    minor=${minor%%.*}
    local pkg=k8s.io/component-base/version
    local ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    local -a cmds=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
    (cd "$mod" &&
        go mod edit "${replaces[@]}" &&
        go get "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null 2>&1 &&
        for c in "${cmds[@]}"; do go get "$c@$KUBERNETES_VERSION" >/dev/null 2>&1; done &&
        go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >/dev/null 2>&1 &&
        mkdir -p "$out.tmp" &&
        go build -trimpath -ldflags="$ldflags" -o "$out.tmp/" "${cmds[@]}" sigs.k8s.io/kwok/cmd/kwok)
    rm -rf "$out"
    mv "$out.tmp" "$out"
}

main() {
    local what=${1:-all}
    if [ "$what" = path ]; then
        # Builds nothing: only the folders below (hack/cluster.sh kubectl-path).
        printf 'KUBE_BIN=%s\n' "$(kube_dir)"
        return
    fi
    need_go
    mkdir -p "$cache"
    case $what in
    etcd) build_etcd ;;
    kubernetes | kwok) build_kubernetes ;;
    all) build_etcd; build_kubernetes ;;
    *) log "usage: $0 [all|etcd|kubernetes|kwok|path]"; exit 2 ;;
    esac
    printf 'ETCD_BIN=%s\n' "$cache/etcd-$ETCD_VERSION"
    printf 'KUBE_BIN=%s\n' "$(kube_dir)"
    printf 'KWOK_BIN=%s\n' "$(kube_dir)"
}

main "$@"
