# spec.backup schedules on the CSI stack (hack/csi.sh; started here when it is not running),
# with the operator's clock moved forward (DBAAS_CLOCK_OFFSET_SECONDS, test-only) so that a
# day of "0 3 * * *" passes in one restart:
# - each day a scheduled DBSnapshot <name>-<yyyymmddhhmm> (labels scheduled, instance uid,
#   deletionPolicy Delete) and status.lastBackup; keep 2 leaves exactly 2 of them; a manual
#   DBSnapshot of the same instance is never pruned;
# - the operator down across three runs takes exactly one catch-up snapshot, with an Event;
# - a restart with nothing due writes nothing;
# - a real-time "*/1 * * * *": the timer takes the next minute's snapshot (up to ~75 s);
# - a time zone the image lacks: Degraded InvalidSpec, the database still Ready;
# - a VolumeSnapshotClass that does not exist: Degraded BackupFailed with the reason.
# tools: csi
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
with_operator

day=86400
scheduled() { k -n "$NS" get dbsnapshots -l dbaas.dev/scheduled=true,dbaas.dev/instance=nightly -o name; }
count_is() { [ "$(scheduled | grep -c .)" = "$1" ]; }
# restart_at DAYS: the operator again, its clock DAYS days ahead.
restart_at() {
    stop_operator
    DBAAS_CLOCK_OFFSET_SECONDS=$(($1 * day)) start_operator "$tmp/op.log"
}
last_is_not() { local v; v=$(dbi_field nightly '{.status.lastBackup}'); [ -n "$v" ] && [ "$v" != "$1" ]; }

instance nightly
k -n "$NS" patch dbinstance nightly --type=merge \
    -p '{"spec":{"backup":{"schedule":"0 3 * * *","keep":2,"volumeSnapshotClassName":"csi-mock"}}}' >/dev/null
wait_for 180 "nightly to be Ready" dbi_ready nightly
uid=$(dbi_field nightly '{.metadata.uid}')
wait_for 30 "status.nextBackup" test -n "$(dbi_field nightly '{.status.nextBackup}')"
next=$(dbi_field nightly '{.status.nextBackup}')
[[ $next == *T03:00:00Z ]] || fail "nextBackup $next is not at 03:00 UTC"
expect_eq "$(scheduled)" "" "scheduled DBSnapshots before the first run"
dbsnap manual nightly
wait_for 60 "the manual DBSnapshot to be ready" snap_ready manual
echo "nightly Ready, next backup $next, at $((SECONDS - t0))s"

# Day by day: one run each, retention keeps 2 once the newest is ready.
for d in 1 2 3 4; do
    was=$(dbi_field nightly '{.status.lastBackup}')
    restart_at $d
    wait_for 60 "day $d's run in status.lastBackup" last_is_not "$was"
    last=$(dbi_field nightly '{.status.lastBackup}')
    name=nightly-$(date -u -d "$last" +%Y%m%d%H%M)
    wait_for 60 "$name to be ready" snap_ready "$name"
    want=$((d < 2 ? d : 2))
    wait_for 60 "$want scheduled DBSnapshots on day $d" count_is "$want"
    echo "day $d: $name, $(scheduled | tr '\n' ' ') at $((SECONDS - t0))s"
done
expect_eq "$(k -n "$NS" get dbsnapshot "$name" -o jsonpath='{.spec.deletionPolicy}/{.spec.volumeSnapshotClassName}/{.metadata.labels.dbaas\.dev/instance-uid}')" \
    "Delete/csi-mock/$uid" "the scheduled DBSnapshot $name"
expect_eq "$(k -n "$NS" get dbsnapshot "$name" -o jsonpath='{.metadata.ownerReferences}')" "" "owners of $name"
sleep 3
count_is 2 || fail "more than keep 2: $(scheduled | tr '\n' ' ')"
snap_ready manual || fail "the manual DBSnapshot is not ready any more"
[ -z "$(snap_field manual '{.metadata.deletionTimestamp}')" ] || fail "the manual DBSnapshot is being deleted"

# Down across three runs (days 5, 6 and 7): one catch-up snapshot, not three.
stop_operator
before=$(scheduled | sort)
was=$(dbi_field nightly '{.status.lastBackup}')
DBAAS_CLOCK_OFFSET_SECONDS=$((7 * day)) start_operator "$tmp/op.log"
wait_for 60 "the catch-up run in status.lastBackup" last_is_not "$was"
last=$(dbi_field nightly '{.status.lastBackup}')
catchup=nightly-$(date -u -d "$last" +%Y%m%d%H%M)
wait_for 60 "$catchup to be ready" snap_ready "$catchup"
sleep 5
made=$(comm -13 <(echo "$before") <(scheduled | sort) | grep -c . || true)
expect_eq "$made" 1 "scheduled DBSnapshots made after the operator was down across 3 runs"
expect_eq "$(date -u -d "$last" +%s)" "$(($(date -u -d "$was" +%s) + 3 * day))" "the catch-up run's time (the latest missed)"
k -n "$NS" get events --field-selector reason=BackupTaken -o jsonpath='{.items[*].message}' |
    grep -q "$catchup.*2 earlier runs missed" || fail "no Event BackupTaken names $catchup and the 2 skipped runs"
wait_for 60 "2 scheduled DBSnapshots after the catch-up" count_is 2
echo "catch-up $catchup at $((SECONDS - t0))s"

# At rest, a restart writes nothing.
settle_writes op_writes
restart_at 7
sleep 8
if [ "$(op_writes)" != 0 ]; then
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" | grep '^dbaas_api_requests_total' | grep -v 'verb="GET"' >&2
    fail "writes after a restart with nothing due: $(op_writes)"
fi
expect_eq "$(dbi_field nightly '{.status.lastBackup}')" "$last" "lastBackup after a restart"

# A snapshot class that does not exist: each run's DBSnapshot fails, and the instance says so
# (Degraded BackupFailed with the reason), not Healthy (found by a new user's trial).
instance broken
k -n "$NS" patch dbinstance broken --type=merge \
    -p '{"spec":{"backup":{"schedule":"*/1 * * * *","volumeSnapshotClassName":"nope"}}}' >/dev/null

# Real time: every minute, taken by the timer.
k -n "$NS" patch dbinstance nightly --type=merge -p '{"spec":{"backup":{"schedule":"*/1 * * * *"}}}' >/dev/null
wait_for 30 "nextBackup to follow */1" test "$(dbi_field nightly '{.status.nextBackup}')" != "$next"
sleep 2
was=$(dbi_field nightly '{.status.lastBackup}')
t1=$SECONDS
wait_for 75 "the next minute's run in status.lastBackup" last_is_not "$was"
last=$(dbi_field nightly '{.status.lastBackup}')
wait_for 30 "its DBSnapshot" snap_ready "nightly-$(date -u -d "$last" +%Y%m%d%H%M)"
echo "the minute's run nightly-$(date -u -d "$last" +%Y%m%d%H%M) came after $((SECONDS - t1))s"
k -n "$NS" get dbsnapshot manual >/dev/null || fail "the manual DBSnapshot is gone"
broken_reported() { [ "$(dbi_cond broken Degraded reason)" = BackupFailed ]; }
wait_for 150 "Degraded BackupFailed on broken" broken_reported
[[ $(dbi_cond broken Degraded message) == *nope* ]] ||
    fail "the BackupFailed message does not give the snapshot's reason: $(dbi_cond broken Degraded message)"
dbi_ready broken || fail "broken is not Ready: a failed backup must not take the database's Ready"
echo "a failing schedule is Degraded BackupFailed at $((SECONDS - t0))s"

# A zone the image does not have: Degraded InvalidSpec naming the field, the database Ready,
# no nextBackup; removing spec.backup leaves lastBackup and no nextBackup.
k -n "$NS" patch dbinstance nightly --type=merge -p '{"spec":{"backup":{"timeZone":"Mars/Olympus_Mons"}}}' >/dev/null
wait_for 30 "Degraded InvalidSpec for the zone" test "$(dbi_cond nightly Degraded reason)" = InvalidSpec
[[ $(dbi_cond nightly Degraded message) == *spec.backup.timeZone* ]] ||
    fail "the Degraded message does not name spec.backup.timeZone: $(dbi_cond nightly Degraded message)"
dbi_ready nightly || fail "nightly is not Ready with a bad backup zone"
expect_eq "$(dbi_field nightly '{.status.nextBackup}')" "" "nextBackup with a bad zone"
k -n "$NS" patch dbinstance nightly --type=json -p '[{"op":"remove","path":"/spec/backup"}]' >/dev/null
wait_for 30 "Degraded to clear" test "$(dbi_cond nightly Degraded status)" = False
[ -n "$(dbi_field nightly '{.status.lastBackup}')" ] || fail "lastBackup dropped with spec.backup"
echo "ok in $((SECONDS - t0))s"
