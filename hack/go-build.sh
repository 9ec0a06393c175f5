# shellcheck shell=bash
# What the Go-built tools' scripts share (sourced by hack/build-control-plane.sh,
# build-csi.sh, build-helm.sh, build-prometheus.sh and zalando.sh, with $here set to hack/):
# the versions pinned in hack/versions.env, the cache folder outside the repository
# ($cache: DBAAS_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/dbaas-operator), static builds
# without VCS stamps, and need_go, which puts Go on PATH (Debian's golang-go when none is
# installed, as hack/install-deps.sh would).
# shellcheck source=versions.env disable=SC2154 # here: set by the script that sources this
. "$here/versions.env"

# shellcheck disable=SC2034 # used by the scripts that source this
cache=${DBAAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export CGO_ENABLED=0
# Test peers whose speed no test or benchmark measures (the CSI sidecars, Argo CD, Helm,
# Prometheus) are compiled without optimizations and inlining: about a quarter less CPU,
# and on a cold machine these builds are the long pole of make test (kwok v0.8.0 built
# both ways side by side on 2 cores, fresh build caches: 744 s against 856 s). The standard
# library keeps the default flags, so it is compiled once for both kinds of build. The
# control plane, the mock CSI driver (built from the same module, sharing its compiled
# packages) and the Zalando operator (make bench's peer) stay optimized.
# shellcheck disable=SC2034 # used by the scripts that source this
PEER_GCFLAGS=(-gcflags='all=-N -l' -gcflags='std=')

# peers_module DIR: makes DIR a scratch module that requires Helm 3, Helm 4 and Prometheus at
# the versions pinned in versions.env, for hack/build-helm.sh and hack/build-prometheus.sh
# to build their commands in. Built one by one, each compiled client-go, gRPC, OpenTelemetry
# and the rest at versions of its own; in one module all three link one build list (for
# each dependency the highest version any of them requires), so the build cache compiles
# those once. Fresh build cache, nothing else running, 2 cores: 255 s for helm 3, helm 4,
# prometheus and promtool, against 115 + 114 + 118 s (347 s) one at a time. Only the main module's
# replace and exclude directives apply (Prometheus' excludes are why `go install
# pkg@version` refuses it); Helm has none.
# peers_key: what the binaries built there are keyed by (their cache folders' suffix): a new
# version of any of the three changes the others' dependencies too.
peers_key() { printf '%s %s %s' "$HELM3_VERSION" "$HELM4_VERSION" "$PROMETHEUS_VERSION" | sha256sum | cut -c1-8; }
peers_module() {
    (cd "$1" && go mod init local/peers >/dev/null 2>&1 &&
        go get "helm.sh/helm/v3@$HELM3_VERSION" "helm.sh/helm/v4@$HELM4_VERSION" \
            "github.com/prometheus/prometheus@$PROMETHEUS_VERSION" >/dev/null 2>&1 &&
        go get "helm.sh/helm/v3/cmd/helm@$HELM3_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM4_VERSION" \
            "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
            "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >/dev/null 2>&1)
}

# go: every go command these scripts run (and the compiler and linker it starts) with
# GOGC=400 (DBAAS_GO_BUILD_GOGC): the compiler spends a fifth of its CPU collecting garbage
# at the default 100. kwok v0.8.0 with a fresh build cache, 2 cores, nothing else running:
# 161 s wall and 308 s of CPU at 100, 133 s and 254 s at 400 (1000: 133 s and 252 s; off:
# 133 s and 253 s), the largest process 1.0 GiB either way. A function, not an exported
# GOGC, so that the daemons these scripts start (hack/zalando.sh start) keep Go's default.
go() { GOGC=${DBAAS_GO_BUILD_GOGC:-400} command go "$@"; }

need_go() {
    type -P go >/dev/null && return  # the binary, not the function above
    [ -x /usr/local/go/bin/go ] && { export PATH=/usr/local/go/bin:$PATH; return; }
    printf '%s: go not found: installing Debian'"'"'s golang-go\n' "$(basename "$0" .sh)" >&2
    apt-get install -y -q golang-go >/dev/null
}

# build_lock NAME: waits for, then holds until the calling shell exits, an exclusive flock(1)
# on $cache/.NAME.lock, so that a build test/run.sh started in the background
# (hack/build-tools.sh) and a test or script that needs the same tool take turns: the second
# waits, then finds the tool built. Call it in a script (or a subshell) that starts no daemon:
# a daemon would inherit the lock and hold it for its whole life.
build_lock() {
    mkdir -p "$cache"
    exec {build_lock_fd}>"$cache/.$1.lock"
    flock "$build_lock_fd"
}
