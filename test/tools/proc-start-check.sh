#!/usr/bin/env bash
# hack/proc.sh: once proc_start returns, a command that is running is seen as running.
# Before proc_start waited for the exec, a liveness check in that window took a starting
# process for one that had exited (CI failed so for csi-mock and for kube-apiserver). The
# window is widened here on purpose: the command is a shell that execs NAME after 0.3 s.
# Also: a command that exits at once is not waited on for proc_start's full 10 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. hack/proc.sh
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
missed=0
for ((i = 0; i < 5; i++)); do
    proc_start "$dir/log" "$dir/pid" sleep bash -c 'sleep 0.3; exec sleep 30'
    read -r pid <"$dir/pid"
    proc_alive "$pid" sleep || missed=$((missed + 1))
    kill "$pid" 2>/dev/null || true
done
t0=$SECONDS
proc_start "$dir/log" "$dir/pid" false false
waited=$((SECONDS - t0))
echo "proc_start: $missed of 5 slow starters taken for dead; one that exits at once waited ${waited}s"
[ "$missed" -eq 0 ] && [ "$waited" -lt 5 ]
