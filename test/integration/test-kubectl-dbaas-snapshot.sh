# kubectl dbaas snapshot and restore on the CSI stack (hack/csi.sh; started here when it is
# not running): `snapshot --wait` follows a DBSnapshot to Ready with progress lines on
# stderr; one the driver holds back fails `--wait --timeout` with exit 1 naming it; `restore
# --wait` makes a DBInstance that becomes Ready with the snapshot's engine, version,
# database, user and size and the source's storage class (from the snapshot's status, also
# once the source is gone); `status` and `list` show the
# snapshot; `status SNAP` shows it in depth, `status dbsnapshot/NAME` picks it over a
# DBInstance of the same name, `status -o json|yaml` parse back; `snapshot` without --name gets a generated name.
# tools: csi
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
with_operator
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; sed -i "\|^$NS/|d" "$HOLD" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
P=$ROOT/bin/kubectl-dbaas

instance orders
wait_for 120 "orders to be Ready" dbi_ready orders
expect_rc 0 "$P" -n "$NS" snapshot orders --name s1 --wait --timeout 120
expect_eq "$out" "dbsnapshot.dbaas.dev/s1 created" "snapshot's output"
grep -q "^DBSnapshot/s1: Ready (.*), [0-9]*s$" <<<"$err" || fail "no progress line saying Ready: $err"
snap_ready s1 || fail "snapshot --wait returned before s1 was Ready"
echo "snapshot --wait done at $((SECONDS - t0))s"

echo "$NS/held" >>"$HOLD"
expect_rc 1 "$P" -n "$NS" snapshot orders --name held --wait --timeout 4
[[ $(tail -n 1 <<<"$err") == "error: DBSnapshot \"held\" was not ready after 4 s: "* ]] ||
    fail "a held snapshot: $err"
sed -i "\|^$NS/held\$|d" "$HOLD"

# A snapshot the driver cannot take (the local-path volume has no CSI driver) ends --wait at
# once with the reason, not after --timeout (a new user's trial waited out 600 s).
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: plain}
spec: {engine: postgresql, version: "16", database: orders}
YAML
wait_for 120 "plain to be Ready" dbi_ready plain
expect_rc 1 "$P" -n "$NS" snapshot plain --name nocsi --wait --timeout 600
[[ $(tail -n 1 <<<"$err") == "error: DBSnapshot \"nocsi\" failed: "* ]] || fail "a failed snapshot: $err"
echo "a failed snapshot ended --wait: $(tail -n 1 <<<"$err" | cut -c1-120)"
# Failed (Degraded) is told as a Warning Event, not a Normal one.
warned() { [ -n "$(k -n "$NS" get events --field-selector "involvedObject.name=nocsi,type=Warning,reason=$1" -o name)" ]; }
wait_for 30 "a Warning Event for nocsi's failure" warned "$(snap_field nocsi '{.status.conditions[?(@.type=="Ready")].reason}')"
k -n "$NS" delete dbsnapshot nocsi --wait=false >/dev/null

expect_rc 0 "$P" -n "$NS" restore s1 --to orders2 --wait --timeout 180
expect_eq "$out" "dbinstance.dbaas.dev/orders2 created from dbsnapshot s1" "restore's output"
dbi_ready orders2 || fail "restore --wait returned before orders2 was Ready"
expect_eq "$(dbi_field orders2 '{.spec.engine}/{.spec.version}/{.spec.database}/{.spec.username}/{.spec.storage.storageClassName}/{.spec.restoreFrom.snapshot}')" \
    "postgresql/$(snap_field s1 '{.status.source.version}')/orders/$(snap_field s1 '{.status.source.username}')/csi-mock/s1" \
    "orders2's spec"
expect_eq "$(k -n "$NS" get pvc data-orders2-0 -o jsonpath='{.spec.dataSource.name}')" s1 "orders2's volume source"
echo "restore --wait done at $((SECONDS - t0))s"
expect_rc 1 "$P" -n "$NS" restore s1 --to orders2
[[ $err == *"already exists"* ]] || fail "restore onto an existing name: $err"

expect_rc 0 "$P" -n "$NS" status orders
grep -Eq '^  s1 +True +' <<<"$out" || fail "status does not list s1 as ready: $out"
# status of a DBSnapshot: its instance, the VolumeSnapshot ready to use, its conditions.
expect_rc 0 "$P" -n "$NS" status s1
[[ $out == "DBSnapshot $NS/s1"* ]] || fail "status s1 is not the DBSnapshot: $out"
grep -Eq '^Instance: +orders \(present\)$' <<<"$out" || fail "status s1 has no source instance: $out"
grep -Eq '^  s1 +true +[0-9]' <<<"$out" || fail "status s1 has no ready VolumeSnapshot with a size: $out"
grep -Eq '^  Ready +True +SnapshotReady ' <<<"$out" || fail "status s1 has no Ready condition: $out"
# A DBSnapshot sharing its instance's name: NAME is the DBInstance, dbsnapshot/NAME the snapshot.
expect_rc 0 "$P" -n "$NS" snapshot orders --name orders
expect_rc 0 "$P" -n "$NS" status orders
[[ $out == "DBInstance $NS/orders"* ]] || fail "status orders is not the DBInstance: $out"
expect_rc 0 "$P" -n "$NS" status dbsnapshot/orders
[[ $out == "DBSnapshot $NS/orders"* ]] || fail "status dbsnapshot/orders is not the DBSnapshot: $out"
# Completion of status's NAME offers snapshots too.
expect_rc 0 "$P" __complete -n "$NS" status s
expect_eq "$out" $'s1\n:4' "completion of status's NAME with a snapshot"
expect_rc 2 "$P" -n "$NS" status pod/orders-0
[[ $err == *'"pod" is not a kind of kubectl dbaas'* ]] || fail "status pod/...: $err"
# -o json|yaml: the object and its children as one List, parsed back; never the Secret.
expect_rc 0 "$P" -n "$NS" status s1 -o json
python3 -c 'import json,sys; l=json.load(sys.stdin); k=[o["kind"] for o in l["items"]]
assert l["kind"] == "List" and k[0] == "DBSnapshot" and l["items"][0]["metadata"]["name"] == "s1", k
v=[o for o in l["items"] if o["kind"] == "VolumeSnapshot"]
assert v and v[0]["status"]["readyToUse"] is True, k' <<<"$out" || fail "status s1 -o json: $out"
expect_rc 0 "$P" -n "$NS" status orders -o yaml
python3 -c 'import yaml,sys; l=yaml.safe_load(sys.stdin); k=[o["kind"] for o in l["items"]]
assert k[0] == "DBInstance" and "StatefulSet" in k and "Pod" in k and "PersistentVolumeClaim" in k, k
assert "DBSnapshot" in k and "Secret" not in k, k' <<<"$out" || fail "status orders -o yaml: $out"
expect_rc 0 "$P" -n "$NS" list
grep -Eq '^DBSnapshot +s1 +postgresql +[^ ]+ +True +Ready +<none> +instance/orders ' <<<"$out" ||
    fail "list has no ready row for s1: $out"
expect_rc 0 "$P" -n "$NS" snapshot orders
[[ $out =~ ^dbsnapshot.dbaas.dev/orders-[a-z0-9]{5}\ created$ ]] || fail "a generated name: $out"
# The source gone: the class comes from the snapshot's status.source (a restore on another
# class would bind an empty volume, and the operator refuses it).
k -n "$NS" delete dbinstance orders --wait=false >/dev/null
wait_for 60 "orders to be gone" absent dbinstance orders
expect_rc 0 "$P" -n "$NS" restore s1 --to orders3
expect_eq "$(dbi_field orders3 '{.spec.storage.storageClassName}')" csi-mock "orders3's class with its source gone"
echo "ok in $((SECONDS - t0))s"
