#!/usr/bin/env bash
# Builds every Go-built tool `make test` uses, in the order its stages need them: the control
# plane and the CSI stack (hack/cluster.sh up), then the Zalando postgres-operator, Argo CD's
# application controller and repo server, Helm 3 and 4, and Prometheus with promtool
# (integration tests). Each is cached and skipped when built, so on a warm machine this takes
# a second. test/run.sh starts it in the background right after the C build, so that a cold
# machine builds these while the unit, sanitizer and integration tests run; each build script
# holds a lock (build_lock in hack/go-build.sh), so a test that needs a tool still being built waits for it.
#
# Usage: build-tools.sh [NAME...]: NAMEs (control-plane, csi, zalando, argocd, helm,
# prometheus) build only those; test/integration/run.sh does so for the tools a test names in
# its "# tools:" line, so that waiting for a build does not count against the test's timeout.
# Prints one line per tool with its time in seconds; exits non-zero when any build failed
# (the others are still built) or a NAME is unknown.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rc=0
all=(control-plane csi zalando argocd helm prometheus)
want=("${@:-${all[@]}}")
for w in "${want[@]}"; do
    [[ " ${all[*]} " == *" $w "* ]] || { printf 'build-tools: unknown tool %s (known: %s)\n' "$w" "${all[*]}" >&2; exit 2; }
done
step() {
    local name=$1 t0=$SECONDS
    shift
    [[ " ${want[*]} " == *" $name "* ]] || return 0
    if "$@" >/dev/null; then
        printf 'build-tools: %s ok in %d s\n' "$name" $((SECONDS - t0))
    else
        printf 'build-tools: %s FAILED after %d s\n' "$name" $((SECONDS - t0))
        rc=1
    fi
}

step control-plane bash "$here/build-control-plane.sh" all
# When building everything (test/run.sh, in the background), the rest at the lowest priority:
# in a cold make test the control plane is the critical path (the cluster and every
# integration test wait for it), the others are needed later, so they build in the CPU the
# running tests leave (test/run.sh says why). A test waiting for one tool (NAMEs given) keeps
# its priority.
[ $# -gt 0 ] || renice -n 19 -p $$ >/dev/null 2>&1 || true
step csi bash "$here/build-csi.sh" all
step zalando bash "$here/zalando.sh" build
step argocd bash "$here/build-argocd.sh" build
step helm bash "$here/build-helm.sh" all
step prometheus bash "$here/build-prometheus.sh"
exit $rc
