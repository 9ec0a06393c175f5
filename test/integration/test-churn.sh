# A 2-minute churn (issue 16, section 4; `make soak` is the long one): random creates,
# updates and deletes among CHURN_OBJECTS (default 20) DBInstances of all engines and both
# deletion policies, DBSnapshots of those on the CSI mock, and two HAClusters through the
# Zalando operator; then everything converges and nothing of a deleted object is left
# (test/soak/churn.sh). The operator's RSS is sampled every 10 s and printed.
# tools: csi zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
. "$ROOT/test/integration/snap-lib.sh"
start_zalando
OP_PID=$OP_PID bash "$ROOT/test/soak/churn.sh" "$NS" "${CHURN_MINUTES:-2}" "${CHURN_OBJECTS:-20}" "$tmp/rss.csv"
kill -0 "$OP_PID" || fail "the operator died"
echo "rss (seconds,KiB,objects):"
cat "$tmp/rss.csv"
