#!/usr/bin/env bash
# pkg-c/cron against the parser Kubernetes' CronJob uses: test/cron/main.go, built with
# github.com/robfig/cron/v3 at ROBFIG_CRON_VERSION (hack/versions.env) from the Go module
# proxy, prints the verdict and the next 20 run times of CRON_CASES generated schedules (in UTC
# and in zones with daylight saving time), and bin/cron-diff checks that pkg-c/cron agrees on
# every one. Run twice: with the system's zoneinfo, and with the same data compiled "slim"
# by zic (transitions only up to the last rule change; the rest from the TZ footer), so both
# ways of reading a TZif file are covered.
#
# The reference binary is cached in ~/.cache/dbaas-operator/robfig-cron-<version>-<hash of
# main.go>/ and rebuilt only when that folder lacks it. Prints "cron: N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=../../hack/versions.env
. hack/versions.env
cases=${CRON_CASES:-4000}
seed=${CRON_SEED:-1}
cache=${DBAAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator}
sum=$(sha256sum test/cron/main.go | cut -c1-12)
out=$cache/robfig-cron-$ROBFIG_CRON_VERSION-$sum
gen=$out/cron-gen
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() {
    command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH
    mkdir -p "$tmp/mod" && cp test/cron/main.go "$tmp/mod/" || return 1
    (cd "$tmp/mod" && export GOFLAGS=-buildvcs=false CGO_ENABLED=0 &&
        go mod init local/cron-gen >/dev/null 2>&1 &&
        go get "github.com/robfig/cron/v3@$ROBFIG_CRON_VERSION" >/dev/null 2>&1 &&
        go build -trimpath -o "$out.tmp/cron-gen" .) || return 1
    rm -rf "$out" && mv "$out.tmp" "$out"
}

# one NAME [ENV...]: the generator and the comparison with the same zoneinfo.
one() {
    local name=$1 start
    shift
    start=$(date +%s)
    if env -u ZONEINFO "$@" "$gen" -n "$cases" -seed "$seed" >"$tmp/$name.txt" &&
        env -u ZONEINFO "$@" bin/cron-diff <"$tmp/$name.txt" >"$tmp/$name.log" 2>&1; then
        echo "ok   cron-$name: $(tail -n 1 "$tmp/$name.log" | sed 's/^cron-diff: //') ($(($(date +%s) - start)) s)"
        passed=$((passed + 1))
    else
        echo "FAIL cron-$name"
        tail -n 25 "$tmp/$name.log"
        failed=$((failed + 1))
    fi
}

if [ ! -x "$gen" ]; then
    echo "building the robfig/cron $ROBFIG_CRON_VERSION reference into $out"
    build || { echo "FAIL building the reference"; echo "cron: 0 passed, 1 failed"; exit 1; }
fi
make -s bin/cron-diff >/dev/null || { echo "cron: 0 passed, 1 failed"; exit 1; }
one zoneinfo
if zic -b slim -d "$tmp/slim" /usr/share/zoneinfo/tzdata.zi 2>"$tmp/zic.log"; then
    one slim ZONEINFO="$tmp/slim"
else
    echo "FAIL zic -b slim: $(head -n 3 "$tmp/zic.log")"
    failed=$((failed + 1))
fi
echo "cron: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
