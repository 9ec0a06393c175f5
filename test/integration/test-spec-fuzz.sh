# Spec fuzzing against the real server (issue 16, section 3): SPEC_FUZZ_COUNT (60 here; 500
# in `make spec-fuzz`) DBInstances from test/fuzz/specgen.py (seed SPEC_FUZZ_SEED, 1), valid
# ones and mutations of them, created in one batch. test/fuzz/specfuzz.py checks that each was
# refused by the server with a message, or ends Ready, or ends Ready=False with a reason and a
# message naming the mutated field. Here: the operator never crashes (the same process
# throughout, no sanitizer report in its log), never hot-loops (at most one reconcile per
# object in a 20 s idle window after convergence) and writes nothing at rest.
. "$ROOT/test/integration/lib.sh"

count=${SPEC_FUZZ_COUNT:-60}
seed=${SPEC_FUZZ_SEED:-1}
with_operator
pid=$OP_PID

t0=$SECONDS
rc=0
python3 "$ROOT/test/fuzz/specfuzz.py" --kubeconfig "$KUBECONFIG" --namespace "$NS" --seed "$seed" \
    --count "$count" --timeout "${SPEC_FUZZ_TIMEOUT:-200}" --report "$tmp/report.jsonl" || rc=$?
[ -z "${SPEC_FUZZ_REPORT:-}" ] || cp "$tmp/report.jsonl" "$SPEC_FUZZ_REPORT"
echo "spec-fuzz: $((SECONDS - t0)) s for create, convergence and checks"

kill -0 "$pid" 2>/dev/null || fail "the operator died (see its log with DEBUG=1)"
[ "$OP_PID" = "$pid" ] || fail "the operator was restarted"
if grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$tmp/op.log"; then
    fail "a sanitizer report in the operator's log"
fi
[ "$rc" -eq 0 ] || fail "specfuzz.py found problems (exit $rc; findings above)"

# At rest: nothing written, reconciles bounded by the number of objects the server took.
# A write the server refuses (ApplyFailed) is retried with backoff, as the verdict can change
# (a PriorityClass or quota made later): such attempts count as reconciles, not as writes.
objects=$(k -n "$NS" get dbinstances -o name | wc -l)
reconciles() { curl -sf "http://127.0.0.1:$OP_PORT/metrics" | awk '/^dbaas_reconciles_total/ {n += $NF} END {print n + 0}'; }
writes_done() { # non-GET requests the server carried out (2xx)
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" |
        awk '/^dbaas_api_requests_total/ && !/verb="GET"/ && /code="2/ {n += $NF} END {print n + 0}'
}
settle_writes writes_done
w1=$(writes_done)
a1=$(op_writes)
r1=$(reconciles)
sleep 20
w2=$(writes_done)
a2=$(op_writes)
r2=$(reconciles)
echo "spec-fuzz: idle 20 s: $((r2 - r1)) reconciles for $objects objects, $((w2 - w1)) writes," \
    "$((a2 - a1 - (w2 - w1))) refused write attempts"
[ $((w2 - w1)) -eq 0 ] || fail "$((w2 - w1)) writes at rest"
[ $((r2 - r1)) -le "$objects" ] || fail "$((r2 - r1)) reconciles in 20 s for $objects idle objects: a hot loop"
kill -0 "$pid" 2>/dev/null || fail "the operator died while idle"
stop_operator
