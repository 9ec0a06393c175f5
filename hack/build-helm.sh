#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds Helm from the Go module proxy at the versions pinned in hack/versions.env
# (HELM3_VERSION, HELM4_VERSION) into ${XDG_CACHE_HOME:-~/.cache}/dbaas-operator/helm-VERSION-KEY/helm
# (KEY: peers_key in hack/go-build.sh), outside the repository, and reuses it afterwards: a
# version is built only when its folder lacks the binary (about a minute each on 2 cores).
#
#   hack/build-helm.sh [all|3|4]   build what is missing; prints HELM3_BIN=PATH and HELM4_BIN=PATH
#   hack/build-helm.sh path 3|4    print the binary's path (built first when missing)
#   hack/build-helm.sh servicemonitor-crd
#                                  print the path of the Prometheus operator's ServiceMonitor
#                                  CRD (PROMETHEUS_OPERATOR_VERSION) in the Go module cache,
#                                  downloading the module when needed: the chart's optional
#                                  ServiceMonitor is checked against it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# One build at a time (a background hack/build-tools.sh, a test that needs it).
build_lock helm

log() { printf 'build-helm: %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build MAJOR VERSION: helm.sh/helm/vMAJOR/cmd/helm@VERSION, in the scratch module of
# peers_module (hack/go-build.sh), with what Helm's own Makefile stamps: the version (else
# `helm version` says only the minor, with "+unreleased") and, for Helm 3, the Kubernetes
# version of the client-go it links, which `helm template` and `helm lint` assume (else 1.20,
# older than the chart's kubeVersion).
build() {
    local major=$1 version=$2 out t0 pkg=helm.sh/helm/v$1 ldflags kube
    out=$cache/helm-$version-$(peers_key)
    [ -x "$out/helm" ] && return
    need_go
    t0=$SECONDS
    log "helm $version (about a minute on 2 cores)"
    [ -f "$work/go.mod" ] || peers_module "$work" || { log "cannot resolve the peers' module"; exit 1; }
    ldflags="-s -w -X $pkg/internal/version.version=$version -X $pkg/internal/version.metadata="
    if [ "$major" = 3 ]; then
        kube=$(cd "$work" && go list -m -f '{{.Version}}' k8s.io/client-go)
        kube=${kube#v0.}
        kube=${kube%%.*}
        [ -n "$kube" ] || { log "no k8s.io/client-go in the peers' module"; exit 1; }
        ldflags+=" -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$kube"
        ldflags+=" -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$kube"
    fi
    rm -rf "$out.tmp"
    (cd "$work" && go build -trimpath "${PEER_GCFLAGS[@]}" -ldflags="$ldflags" -o "$out.tmp/helm" "$pkg/cmd/helm")
    rm -rf "$out"
    mv "$out.tmp" "$out"
    log "helm $version built in $((SECONDS - t0)) s"
}

servicemonitor_crd() {
    local module=github.com/prometheus-operator/prometheus-operator dir f
    need_go
    dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "$module@$PROMETHEUS_OPERATOR_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    f=$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
    if [ -z "$dir" ] || [ ! -f "$f" ]; then
        log "no ServiceMonitor CRD in $module@$PROMETHEUS_OPERATOR_VERSION"
        exit 1
    fi
    printf '%s\n' "$f"
}

bin_of() {
    case $1 in
    3) printf '%s\n' "$cache/helm-$HELM3_VERSION-$(peers_key)/helm" ;;
    4) printf '%s\n' "$cache/helm-$HELM4_VERSION-$(peers_key)/helm" ;;
    esac
}

main() {
    mkdir -p "$cache"
    case ${1:-all} in
    3) build 3 "$HELM3_VERSION" ;;
    4) build 4 "$HELM4_VERSION" ;;
    all) build 3 "$HELM3_VERSION"; build 4 "$HELM4_VERSION" ;;
    path)
        case ${2:-} in
        3) build 3 "$HELM3_VERSION" ;;
        4) build 4 "$HELM4_VERSION" ;;
        *) log "usage: $0 path 3|4"; exit 2 ;;
        esac
        bin_of "$2"
        return
        ;;
    servicemonitor-crd) servicemonitor_crd; return ;;
    *) log "usage: $0 [all|3|4] | path 3|4 | servicemonitor-crd"; exit 2 ;;
    esac
    printf 'HELM3_BIN=%s\n' "$(bin_of 3)"
    printf 'HELM4_BIN=%s\n' "$(bin_of 4)"
}

main "$@"
