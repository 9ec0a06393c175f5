#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target in DIR (built by the Makefile) for SECONDS seconds,
# or, with FUZZ_RUNS set, for that many executions (no time limit); TARGET... picks targets.
# New inputs go to DIR/corpus/<target>; the committed seeds in test/fuzz/seeds/<target> are
# read only. A crash leaves its input in DIR/ (crash-*, leak-*, timeout-*) and fails the run.
# Standard input is /dev/null so that no input can make a target wait on it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dir=${1:-build/fuzz}
secs=${2:-30}
shift 2 || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    # Every target there is (test/fuzz/fuzz_<name>.c).
    for f in test/fuzz/fuzz_*.c; do
        f=${f#test/fuzz/fuzz_}
        targets+=("${f%.c}")
    done
fi

for t in "${targets[@]}"; do
    bin=$dir/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 1; }
    mkdir -p "$dir/corpus/$t"
    dict=()
    [ -f "test/fuzz/$t.dict" ] && dict=(-dict="test/fuzz/$t.dict")
    limit=(-max_total_time="$secs")
    what="${secs}s"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS")
        what="$FUZZ_RUNS runs"
    fi
    echo "== fuzz_$t for $what"
    "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" \
        "$dir/corpus/$t" "test/fuzz/seeds/$t" </dev/null >"$dir/fuzz_$t.log" 2>&1 || {
        tail -n 60 "$dir/fuzz_$t.log"
        echo "fuzz: fuzz_$t found a problem; the input is in $dir/" >&2
        exit 1
    }
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
        "$dir/fuzz_$t.log" || true
done
