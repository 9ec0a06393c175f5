#!/usr/bin/env bash
# Builds prometheus and promtool from the Go module proxy at PROMETHEUS_VERSION
# (hack/versions.env) into $cache/prometheus-<version>-<peers_key>/, once: a folder holding both
# binaries is reused. Built without the builtinassets tag, so no web UI assets are needed
# (the HTTP API, which the tests use, is unaffected).
#
# Prints PROMETHEUS_BIN=<folder> when done.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=go-build.sh
. "$here/go-build.sh"
# One build at a time (a background hack/build-tools.sh, a test that needs it).
build_lock prometheus
out=$cache/prometheus-$PROMETHEUS_VERSION-$(peers_key)

log() { printf 'build-prometheus: %s\n' "$*" >&2; }

if ! [ -x "$out/prometheus" ] || ! [ -x "$out/promtool" ]; then
    need_go
    log "prometheus $PROMETHEUS_VERSION (prometheus, promtool)"
    work=$(mktemp -d)
    trap 'rm -rf "$work" "$out.tmp"' EXIT
    # In the scratch module of peers_module (hack/go-build.sh), beside Helm.
    peers_module "$work" && (cd "$work" && mkdir -p "$out.tmp" &&
        # remove_all_sd: only file and http service discovery (the tests use static
        # targets); the cloud SDKs are most of the build: 4.5 min of CPU instead of 8.
        go build -trimpath "${PEER_GCFLAGS[@]}" -tags remove_all_sd \
            -ldflags="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
            -o "$out.tmp/" github.com/prometheus/prometheus/cmd/prometheus \
            github.com/prometheus/prometheus/cmd/promtool)
    rm -rf "$out"
    mv "$out.tmp" "$out"
fi
printf 'PROMETHEUS_BIN=%s\n' "$out"
