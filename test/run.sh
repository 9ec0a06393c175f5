#!/usr/bin/env bash
# make test: installs what is missing, builds, lints (make lint), runs the unit tests and the
# builders' golden files (test/golden), brings the local control plane up once, runs the
# integration tests against it and brings it down again, even when a test fails. Beside them,
# in the background: the Go-built tools (hack/build-tools.sh; each cached, so only a cold
# machine builds them) and the checks that need no cluster (c_checks below: the cron
# reference, clang, ASan+UBSan, valgrind, the fuzz smoke, the Helm chart's drift, the Argo
# CD health checks, the real databases), whose output is printed after the integration tests.
# The last line is the total "N passed, N failed".
#
# Why the background, and the priorities: a cold run is CPU-bound from start to end (2 cores;
# vmstat 0-1 % idle), and its critical path is the control plane's build, then the
# integration tests, which mostly wait on the API server and the operator. The control plane
# builds at normal priority; the checks that need no cluster run beside it and the tests at
# nice 10, the tools after the control plane at nice 19 (build-tools.sh renices itself), so
# the tests get the CPU when they want it and the rest fill the gaps. Cold run of b177577, all in line at normal priority:
# cluster up at 771 s, integration tests 1980 s summed (1624 s on a warm machine), 2779 s.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

passed=0
failed=0
# Adds the counts from a runner's "…: N passed, N failed" line in $1 (a log file).
count() {
    local line p f
    line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "run: no summary line in $1; counting one failure" >&2
        failed=$((failed + 1))
        return
    fi
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + p))
    failed=$((failed + f))
}
# Runs one check that has no runner of its own and counts it as one test.
check() {
    local name=$1
    shift
    if "$@" >"$logs/$name.log" 2>&1; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (log follows)"
        tail -n 40 "$logs/$name.log"
        failed=$((failed + 1))
    fi
}

# stage TITLE: a stage's header, with the seconds since make test began.
stage() { echo "== $1 (at $(($(date +%s) - start)) s)"; }

# The checks that need no cluster (run by `bash test/run.sh c-checks`, below); the counts go
# to $logs/c-checks.counts as "PASSED FAILED".
c_checks() {
    stage "cron schedules against robfig/cron, the parser Kubernetes' CronJob uses (test/cron)"
    bash test/cron/run.sh | tee "$logs/cron.log"
    count "$logs/cron.log"
    check clang-build make -j2 clang
    check asan-unit-tests make -j2 asan
    check valgrind-unit-tests make valgrind
    check fuzz-smoke make fuzz FUZZ_SECONDS=10
    check helm-chart-generated bash hack/gen-helm-chart.sh --check
    stage "Argo CD health checks"
    bash test/health/run.sh | tee "$logs/health.log"
    count "$logs/health.log"
    stage "real databases (PostgreSQL and MariaDB from Debian's packages)"
    bash test/db/run.sh | tee "$logs/db.log"
    count "$logs/db.log"
    echo "$passed $failed" >"$logs/c-checks.counts"
}

# `bash test/run.sh c-checks LOGS START`: only those checks (started below, in the background).
if [ "${1:-}" = c-checks ]; then
    logs=$2
    start=$3
    c_checks
    exit 0
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

start=$(date +%s)
# image: buildah, skopeo and umoci (make image, test-image.sh).
bash hack/install-deps.sh image || { echo "run: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
# The Go-built tools (control plane, CSI stack, Zalando, Argo CD, Helm, Prometheus): built in
# the background from here on, while the C build and the stages below run; on a warm machine
# this ends at once. A test that needs a tool still being built waits for it
# (hack/go-build.sh's build_lock) before its timeout starts (the "# tools:" line of
# test/integration/run.sh); the tests that need none run first.
setsid bash hack/build-tools.sh >"$logs/tools.log" 2>&1 &
tools_pid=$!
# shellcheck disable=SC2064
trap "kill -- -$tools_pid 2>/dev/null; rm -rf '$logs'" EXIT
# Waits for that build, prints its per-tool times, fails when a build failed.
tools_built() {
    wait "$tools_pid"
    local rc=$?
    cat "$logs/tools.log"
    return $rc
}

if ! make -j2 all >"$logs/build.log" 2>&1; then
    cat "$logs/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

check lint make lint
check proc-start bash test/tools/proc-start-check.sh

stage "unit tests"
bin/unit-tests | tee "$logs/unit.log"
count "$logs/unit.log"
# The runner kills a hanging test and names it (hidden tests, never in the run above).
check unit-runner-timeout bash test/unit/runner-check.sh
stage "golden files (the builders' output, test/golden)"
bin/golden test/golden | tee "$logs/golden.log"
count "$logs/golden.log"

# Debian's database servers (test/db, and test-dbinstance-uri and test-kubectl-dbaas among the
# integration tests) installed here, in the foreground, once: two apt-get runs at the same
# time would fight over dpkg's lock, and a background process cannot ask sudo for a password.
# shellcheck source=test/db/install.sh
(fail() { echo "run: $*"; exit 1; } && . test/db/install.sh && install_missing postgresql mariadb-server mariadb-client) ||
    { echo "0 passed, 1 failed"; exit 1; }
# nice 10, not 19: their runners time each unit test, fuzz input and server start by the
# clock (60 s, 10 s, 30 s), and at 19 a check gets about 1.5 % of a core the control plane's
# build keeps busy; at 10, about a tenth.
c_log=$logs/c-checks.out
nice -n 10 setsid bash test/run.sh c-checks "$logs" "$start" >"$c_log" 2>&1 &
c_pid=$!
# shellcheck disable=SC2064
trap "kill -- -$tools_pid -$c_pid 2>/dev/null; rm -rf '$logs'" EXIT

stage "integration tests"
export DBAAS_CLUSTER_DIR=${DBAAS_TEST_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster-test}
# 100 DBInstances at once, and the other tests' claims beside them.
export CLUSTER_PV_COUNT=${CLUSTER_PV_COUNT:-160}
# No CSI stack yet: the control plane comes up as soon as it is built, and the tests that
# need the CSI stack start it (their "# tools: csi" line, test/integration/run.sh) once
# it is built, while the tests that do not run first.
export CLUSTER_CSI=${CLUSTER_CSI:-0}
if bash hack/cluster.sh up; then
    # shellcheck disable=SC2064
    trap "kill -- -$tools_pid -$c_pid 2>/dev/null; bash hack/cluster.sh down >/dev/null 2>&1; rm -rf '$logs'" EXIT
    bash test/integration/run.sh | tee "$logs/integration.log"
    count "$logs/integration.log"
    bash hack/cluster.sh down || { echo "FAIL cluster down"; failed=$((failed + 1)); }
else
    echo "FAIL the local control plane did not come up"
    failed=$((failed + 1))
fi

echo "== the checks that need no cluster (run beside the integration tests; at $(($(date +%s) - start)) s)"
wait "$c_pid"
cat "$c_log"
if read -r p f <"$logs/c-checks.counts" 2>/dev/null; then
    passed=$((passed + p))
    failed=$((failed + f))
else
    echo "FAIL the checks that need no cluster ended without their counts"
    failed=$((failed + 1))
fi

# Every tool was built by now (the tests waited for theirs); a failed build fails here too.
check tools-build tools_built
sed -n 's/^build-tools: /    /p' "$logs/tools.log"
stage "monitoring rules (promtool test rules, deploy/monitoring)"
bash deploy/monitoring/test.sh | tee "$logs/monitoring.log"
count "$logs/monitoring.log"

echo "make test took $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
