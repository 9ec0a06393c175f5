#!/usr/bin/env bash
# Checks deploy/monitoring with promtool (hack/build-prometheus.sh builds it once): the rules of
# prometheusrule.yaml (its spec, a plain rule file) pass `promtool check rules` and the unit
# tests in prometheusrule_test.yaml; the dashboard is JSON with a query in every panel.
# Prints "monitoring: N passed, N failed" last.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$(bash "$here/../../hack/build-prometheus.sh")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
run() {
    local name=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$tmp/log"
        failed=$((failed + 1))
    fi
}
# Everything below "spec:", one level less indented: the rule file promtool reads.
sed -n '/^spec:$/,$p' "$here/prometheusrule.yaml" | sed '1d; s/^  //' >"$tmp/rules.yaml"
cp "$here/prometheusrule_test.yaml" "$tmp/"
run check-rules "$PROMETHEUS_BIN/promtool" check rules "$tmp/rules.yaml"
run test-rules "$PROMETHEUS_BIN/promtool" test rules "$tmp/prometheusrule_test.yaml"
dashboard_ok() {
    jq -e '(.panels | length) >= 4 and all(.panels[]; (.targets | length) >= 1 and
        all(.targets[]; (.expr | length) > 0))' "$here/grafana-dashboard.json"
}
run dashboard dashboard_ok
echo "monitoring: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
