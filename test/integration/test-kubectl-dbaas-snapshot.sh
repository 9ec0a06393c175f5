# kubectl dbaas snapshot and restore on the CSI stack (hack/csi.sh; started here when it is
# not running): `snapshot --wait` follows a DBSnapshot to Ready with progress lines on
# stderr; one the driver holds back fails `--wait --timeout` with exit 1 naming it; `restore
# --wait` makes a DBInstance that becomes Ready with the snapshot's engine, version,
# database, user and size and the source's storage class; `status` and `list` show the
# snapshot; `snapshot` without --name gets a generated name.
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
expect_rc 0 "$P" -n "$NS" list
grep -Eq '^DBSnapshot +s1 +postgresql +[^ ]+ +True +<none> +instance/orders ' <<<"$out" ||
    fail "list has no ready row for s1: $out"
expect_rc 0 "$P" -n "$NS" snapshot orders
[[ $out =~ ^dbsnapshot.dbaas.dev/orders-[a-z0-9]{5}\ created$ ]] || fail "a generated name: $out"
echo "ok in $((SECONDS - t0))s"
