# kubectl dbaas with a HACluster through the real Zalando postgres-operator (hack/zalando.sh):
# `list` shows its READY n/m, STATUS (the phase), primary and endpoint; `status` its Zalando
# postgresql object, the pods with their Patroni roles, the claims and the Secret;
# `credentials` masks the password in uri and read-uri; `connect --read-only` forwards to the
# replicas' Service <name>-repl (--print, and the forward command's own environment), and a
# forward that dies is one error line with exit 1.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
P=$ROOT/bin/kubectl-dbaas
H=payments
t0=$SECONDS

k -n "$NS" apply -f "$ROOT/examples/hacluster.yaml" >/dev/null
wait_for 240 "HACluster $H Ready" hac_ready $H
wait_for 120 "readyText 3/3" hac_is $H '{.status.readyText}' 3/3
wait_for 120 "zalandoStatus Running" hac_is $H '{.status.zalandoStatus}' Running
echo "Ready 3/3 in $((SECONDS - t0))s"

expect_rc 0 "$P" -n "$NS" list
expect_eq "$(sed -E 's/[0-9]+[smhdy]([0-9]+[smhdy])?$/AGE/' <<<"$out" | tr -s ' ' | tail -n 1)" \
    "HACluster $H postgresql $(hac_field $H '{.status.currentVersion}') 3/3 $(hac_field $H '{.status.phase}') $(hac_field $H '{.status.primary}') $(hac_field $H '{.status.endpoint}') AGE" \
    "the HACluster's row"

expect_rc 0 "$P" -n "$NS" status $H
for re in "^HACluster $NS/$H\$" "^Primary: +$(hac_field $H '{.status.primary}')\$" "^Replicas: +3/3\$" \
    "^Read endpoint: +$H-repl\\." "^  postgresql +$H +Running\$" "^  Pod +$H-0 +Running, Ready, (master|replica)\$" \
    "^  PersistentVolumeClaim +pgdata-$H-2 +" "^  Secret +$H-credentials +present\$"; do
    grep -Eq "$re" <<<"$out" || fail "status lacks /$re/: $out"
done

password=$(secret_key $H-credentials password)
expect_rc 0 "$P" -n "$NS" credentials $H
[[ $out != *"$password"* ]] || fail "credentials shows the password"
grep -q "^read-uri: postgresql://[^:]*:\*\*\*\*\*\*\*\*@$H-repl\." <<<"$out" || fail "read-uri not masked: $out"

expect_rc 0 "$P" -n "$NS" connect $H --read-only --print
[[ $out == *"port-forward --namespace=$NS service/$H-repl "*":5432 >/dev/null &"* ]] ||
    fail "connect --read-only --print does not forward to $H-repl: $out"
# The forward command is told what to forward; one that dies is an error, not a hang.
KUBECTL_DBAAS_PORT_FORWARD="echo \"\$DBAAS_NAMESPACE \$DBAAS_SERVICE \$DBAAS_REMOTE_PORT\" >$tmp/fwd; exit 3" \
    expect_rc 1 "$P" -n "$NS" connect $H --read-only
expect_eq "$err" "error: the port-forward exited (status 3) before it listened" "a dead forward"
expect_eq "$(cat "$tmp/fwd")" "$NS $H-repl 5432" "what the forward was told"
echo "ok in $((SECONDS - t0))s"
