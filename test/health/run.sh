#!/usr/bin/env bash
# make health: runs every Argo CD health script under deploy/health/<group>/<Kind>/ against its
# health_test.yaml (Argo CD's resource_customizations format) in the sandbox Argo CD gives argocd-cm
# scripts (test/health/sandbox.lua, on Debian's lua5.1), then checks that deploy/argocd-cm-health.yaml
# is generated from those scripts, then the harness' own self-tests: scripts under
# test/health/selftest/fail/ must be rejected with the error named in their file "expect" (string,
# math, io, a wrong expectation, the 1 s limit), those under selftest/pass/ must pass.
# Last line: "health: N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

LUA=${LUA:-lua5.1}
PYTHON=${PYTHON:-/usr/bin/python3}
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs DIR/health.lua against DIR/health_test.yaml; prints the sandbox's "ok"/"FAIL" lines.
run_tests() {
    local dir=$1 label=$2
    if ! "$PYTHON" test/health/cases.py "$dir/health_test.yaml" >"$tmp/cases.lua" 2>"$tmp/cases.err"; then
        echo "FAIL $label: $(cat "$tmp/cases.err")"
        return 1
    fi
    timeout 30 "$LUA" test/health/sandbox.lua "$dir/health.lua" "$tmp/cases.lua" "$label" 2>&1
}

# Adds the "ok"/"FAIL" lines of $1 (a file) to the counts; a run that failed with none counts one.
tally() {
    local ok bad
    ok=$(grep -c '^ok ' "$1")
    bad=$(grep -c '^FAIL ' "$1")
    if [ "$2" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1
        echo "FAIL $3: the sandbox ended with status $2"
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
}

result() {
    if [ "$1" -eq 0 ]; then
        echo "ok   $2"
        passed=$((passed + 1))
    else
        echo "FAIL $2"
        failed=$((failed + 1))
    fi
}

if ! command -v "$LUA" >/dev/null || ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
    echo "FAIL $LUA or $PYTHON with yaml is missing (bash hack/install-deps.sh)"
    echo "health: 0 passed, 1 failed"
    exit 1
fi

scripts=$(find deploy/health -mindepth 3 -maxdepth 3 -name health.lua | LC_ALL=C sort)
[ -n "$scripts" ] || result 1 "no deploy/health/<group>/<Kind>/health.lua"
for script in $scripts; do
    dir=${script%/health.lua}
    run_tests "$dir" "${dir#deploy/health/}" >"$tmp/out"
    rc=$?
    cat "$tmp/out"
    tally "$tmp/out" "$rc" "${dir#deploy/health/}"
done

bash hack/gen-argocd-health.sh --check >"$tmp/gen.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || sed 's/^/    /' "$tmp/gen.log"
result "$rc" "deploy/argocd-cm-health.yaml is what hack/gen-argocd-health.sh writes"

# The ConfigMap, read by a YAML parser as Argo CD reads it, holds each script byte for byte.
"$PYTHON" - "$scripts" >"$tmp/cm.log" 2>&1 <<'EOF'
import sys, yaml
data = yaml.safe_load(open("deploy/argocd-cm-health.yaml"))["data"]
want = {}
for path in sys.argv[1].split():
    group, kind = path.split("/")[-3:-1]
    want["resource.customizations.health.%s_%s" % (group, kind)] = open(path).read()
for key in sorted(set(want) | set(data)):
    if data.get(key) != want.get(key):
        sys.exit("%s differs from its health.lua" % key)
EOF
rc=$?
[ "$rc" -eq 0 ] || sed 's/^/    /' "$tmp/cm.log"
result "$rc" "deploy/argocd-cm-health.yaml holds each health.lua byte for byte"

for dir in test/health/selftest/pass/*/; do
    dir=${dir%/}
    run_tests "$dir" "selftest/${dir#test/health/selftest/}" >"$tmp/out"
    rc=$?
    cat "$tmp/out"
    tally "$tmp/out" "$rc" "selftest/${dir#test/health/selftest/}"
done

for dir in test/health/selftest/fail/*/; do
    dir=${dir%/}
    label=selftest/${dir#test/health/selftest/}
    expect=$(cat "$dir/expect")
    run_tests "$dir" "$label" >"$tmp/out"
    rc=$?
    if [ "$rc" -ne 0 ] && ! grep -q '^ok ' "$tmp/out" && grep -qF -- "$expect" "$tmp/out"; then
        result 0 "$label is rejected: $expect"
    else
        result 1 "$label: the sandbox should have rejected it with \"$expect\"; it said:"
        sed 's/^/    /' "$tmp/out"
    fi
done

echo "health: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
