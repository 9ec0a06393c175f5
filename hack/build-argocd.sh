#!/usr/bin/env bash
# Builds Argo CD's application controller and repo server from the Go module proxy at
# ARGOCD_VERSION (hack/versions.env) into $cache/argocd-<version>-<hash>/, once: a folder holding
# the binary is reused. Only these two are needed by the GitOps tests (hack/argocd.sh): no
# API server, UI, Dex, ApplicationSet or notifications controller.
#
# How: github.com/argoproj/argo-cd/v3 carries replace directives (so `go install` refuses
# it) and replaces its gitops-engine with ./gitops-engine, which the module zip leaves out;
# so it is built inside a writable copy of the downloaded module with -mod=mod, with the
# published gitops-engine module of the same version put in ./gitops-engine, as
# hack/build-csi.sh does for external-snapshotter. Argo CD's own cmd/main.go is a
# multi-call binary that links every component; a smaller main of ours
# (hack/argocd-main/main.go, copied in as cmd/dbaas-argocd) dispatches the same way (argv[0]
# or ARGOCD_BINARY_NAME) to only argocd-application-controller, argocd-repo-server and
# argocd-git-ask-pass.
# v3.6 needs Go 1.27: GOTOOLCHAIN=ARGOCD_GO_TOOLCHAIN is set here only, and Go fetches
# that toolchain from the module proxy.
#
# Usage: build-argocd.sh [build|path]; prints ARGOCD_BIN=<folder> (holding argocd, and
# links argocd-application-controller, argocd-repo-server, argocd-git-ask-pass) and
# ARGOCD_CRD_DIR=<folder of Argo CD's CRDs in the module cache>. `path` builds nothing
# and prints only the folder of the binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# The folder is keyed by the version and a hash of our main.go (a changed main is a new build).
out=$cache/argocd-$ARGOCD_VERSION-$(sha256sum "$here/argocd-main/main.go" | cut -c1-12)
mod=github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION
engine=github.com/argoproj/argo-cd/gitops-engine/v3@$ARGOCD_VERSION

log() { printf 'build-argocd: %s\n' "$*" >&2; }

if [ "${1:-build}" = path ]; then
    printf '%s\n' "$out"
    exit 0
fi

# Dir of a module in the module cache, downloading it when needed (run in a scratch dir:
# inside a module, `go mod download` would consult its go.mod).
mod_dir() {
    (cd "${TMPDIR:-/tmp}" && GOTOOLCHAIN=$ARGOCD_GO_TOOLCHAIN GOFLAGS=-mod=mod \
        go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

build() {
    local work
    work=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: $work is local
    trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work' '$out.tmp'" EXIT
    local src eng
    src=$(mod_dir "$mod")
    eng=$(mod_dir "$engine")
    [ -d "$src" ] || { log "cannot download $mod"; return 1; }
    [ -d "$eng" ] || { log "cannot download $engine"; return 1; }
    cp -r "$src" "$work/argocd"
    chmod -R u+w "$work/argocd"
    rm -rf "$work/argocd/gitops-engine"
    cp -r "$eng" "$work/argocd/gitops-engine"
    chmod -R u+w "$work/argocd/gitops-engine"
    mkdir -p "$work/argocd/cmd/dbaas-argocd"
    cp "$here/argocd-main/main.go" "$work/argocd/cmd/dbaas-argocd/main.go"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$work/argocd" && GOTOOLCHAIN=$ARGOCD_GO_TOOLCHAIN go build -mod=mod -trimpath "${PEER_GCFLAGS[@]}" \
        -ldflags="-s -w -X github.com/argoproj/argo-cd/v3/common.version=${ARGOCD_VERSION#v}" \
        -o "$out.tmp/argocd" ./cmd/dbaas-argocd)
    local n
    for n in argocd-application-controller argocd-repo-server argocd-git-ask-pass; do
        ln -s argocd "$out.tmp/$n"
    done
    rm -rf "$out"
    mv "$out.tmp" "$out"
}

if ! [ -x "$out/argocd" ]; then
    # One build at a time (a background hack/build-tools.sh, a test that needs it); the
    # second one in finds the binary built.
    build_lock argocd
    if ! [ -x "$out/argocd" ]; then
        need_go
        log "argocd $ARGOCD_VERSION (application controller, repo server) with $ARGOCD_GO_TOOLCHAIN"
        build
    fi
fi
printf 'ARGOCD_BIN=%s\n' "$out"
printf 'ARGOCD_CRD_DIR=%s/manifests/crds\n' "$(mod_dir "$mod")"
