# HACluster through the real Zalando postgres-operator (hack/zalando.sh; kwok's Stages in
# hack/cluster/spilo-stages.yaml label the pods as Patroni would). examples/hacluster.yaml
# becomes a postgresql object, 3 pods, Ready 3/3 with a primary and a Secret with both
# endpoints, whose uri and read-uri log in to a real PostgreSQL; `kubectl get hac` shows its
# columns. Failover (the spilo-role=master label moved, as Patroni does) updates primary,
# lastFailover and a Failover Event. A restart of our operator writes nothing and keeps the
# password. Scale 3->5->2, storage growth and a parameter change pass through; a shrink and
# an owned parameter are refused by the CRD, a downgrade by the operator (and reverting it
# heals). A major upgrade Zalando skips is UpgradeSkipped. A HACluster on PostgreSQL 14 (past
# its end of life) is Ready with the warning. The pooler stays off (each Zalando sync would try DNS for it).
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
H=payments
t0=$SECONDS
k -n "$NS" apply -f "$ROOT/examples/hacluster.yaml" >/dev/null
wait_for 240 "HACluster $H Ready" hac_ready $H
echo "Ready in $((SECONDS - t0))s"
expect_eq "$(k -n "$NS" get postgresql $H -o jsonpath='{.spec.numberOfInstances}')" 3 "numberOfInstances"
expect_eq "$(k -n "$NS" get postgresql $H -o jsonpath='{.metadata.ownerReferences[0].kind}')" HACluster "the postgresql object's owner"
wait_for 120 "readyText 3/3" hac_is $H '{.status.readyText}' 3/3
echo "3/3 in $((SECONDS - t0))s"
expect_eq "$(hac_field $H '{.status.primary}')" $H-0 "primary"
wait_for 120 "zalandoStatus Running" hac_is $H '{.status.zalandoStatus}' Running
expect_eq "$(hac_field $H '{.status.currentVersion}')" 16 "currentVersion"
expect_eq "$(hac_field $H '{.status.versionCheck.support}/{.status.versionCheck.endOfLife}')" \
    Supported/2028-11-09 "versionCheck on 16"
wait_for 60 "Degraded False" hac_is $H '{.status.conditions[?(@.type=="Degraded")].status}' False
s=$H-credentials
expect_eq "$(secret_key $s host)" "$H.$NS.svc.cluster.local" "host"
expect_eq "$(secret_key $s read-host)" "$H-repl.$NS.svc.cluster.local" "read-host"
expect_eq "$(secret_key $s jdbc-url)" "jdbc:postgresql://$H.$NS.svc.cluster.local:5432/$(secret_key $s database)?sslmode=require" "jdbc-url"
zpass=$(k -n "$NS" get secret "app.$H.credentials.postgresql.acid.zalan.do" -o jsonpath='{.data.password}' | base64 -d)
expect_eq "$(secret_key $s password)" "$zpass" "password (Zalando's)"
for key in uri read-uri; do
    bash "$ROOT/test/db/uri-check.sh" postgresql "$(secret_key $s $key)" "$(secret_key $s username)" \
        "$(secret_key $s password)" "$(secret_key $s database)" || fail "the $key did not log in"
done

# kubectl get hac: the printer columns, and the category dbaas.
cols=$(k -n "$NS" get hac | sed -n 1p | tr -s ' ')
expect_eq "$cols" "NAME VERSION READY PRIMARY STATUS AGE" "kubectl get hac columns"
row=$(k -n "$NS" get hac $H | tail -1 | awk '{print $2, $3, $4, $5}')
expect_eq "$row" "16 3/3 $H-0 Ready" "kubectl get hac row"
wide=$(k -n "$NS" get hac -o wide | sed -n 1p | tr -s ' ')
expect_eq "$wide" "NAME VERSION READY PRIMARY STATUS AGE ENDPOINT READ-ENDPOINT" "kubectl get hac -o wide columns"
k -n "$NS" get dbaas 2>/dev/null | grep "hacluster.dbaas.dev/$H" >/dev/null || fail "kubectl get dbaas does not list the HACluster"

# Failover: Patroni moves the role label; status and an Event follow.
t0=$SECONDS
k -n "$NS" label pod $H-0 spilo-role=replica --overwrite >/dev/null
k -n "$NS" label pod $H-1 spilo-role=master --overwrite >/dev/null
wait_for 60 "primary $H-1" hac_is $H '{.status.primary}' $H-1
expect_eq "$(hac_field $H '{.status.lastFailover.from}')->$(hac_field $H '{.status.lastFailover.to}')" "$H-0->$H-1" "lastFailover"
wait_for 30 "the Failover Event" bash -c "'$KUBECTL' -n '$NS' get events --field-selector reason=Failover,involvedObject.name=$H -o name | grep -q ."
echo "failover seen in $((SECONDS - t0))s"
expect_eq "$(secret_key $s host)" "$H.$NS.svc.cluster.local" "host after failover"
wait_for 60 "Ready after failover" hac_ready $H

# A restart writes nothing and keeps the password.
settle_writes op_writes
stop_operator
start_operator "$tmp/op.log"
sleep 5
settle_writes op_writes
w0=$(op_writes)
sleep 10
expect_eq "$(op_writes)" "$w0" "writes in 10 s after a restart"
expect_eq "$(secret_key $s password)" "$zpass" "password after a restart"

# Scale 3 -> 5 -> 2.
for n in 5 2; do
    t0=$SECONDS
    k -n "$NS" patch hac $H --type merge -p "{\"spec\":{\"replicas\":$n}}" >/dev/null
    wait_for 240 "$n/$n ready" hac_is $H '{.status.readyText}' "$n/$n"
    wait_for 120 "Progressing False at $n" hac_is $H '{.status.conditions[?(@.type=="Progressing")].status}' False
    expect_eq "$(k -n "$NS" get postgresql $H -o jsonpath='{.spec.numberOfInstances}')" $n "numberOfInstances"
    echo "scaled to $n in $((SECONDS - t0))s"
done
hac_ready $H || fail "not Ready at 2 replicas"

# A parameter passes through.
k -n "$NS" patch hac $H --type merge -p '{"spec":{"parameters":{"max_connections":"200"}}}' >/dev/null
wait_for 60 "max_connections in the postgresql object" bash -c \
    "[ \"\$('$KUBECTL' -n '$NS' get postgresql $H -o jsonpath='{.spec.postgresql.parameters.max_connections}')\" = 200 ]"

# Refused by the CRD: a shrink, an owned parameter.
out=$(k -n "$NS" patch hac $H --type merge -p '{"spec":{"storage":{"size":"1Gi"}}}' 2>&1) && fail "a shrink was accepted"
grep -q "may not shrink" <<<"$out" || fail "shrink refused without the reason: $out"
out=$(k -n "$NS" patch hac $H --type merge -p '{"spec":{"parameters":{"hot_standby":"off"}}}' 2>&1) && fail "an owned parameter was accepted"
grep -q "set by Patroni" <<<"$out" || fail "owned parameter refused without the reason: $out"

# A downgrade is refused by the operator against the running version; reverting heals.
k -n "$NS" patch hac $H --type merge -p '{"spec":{"version":"15"}}' >/dev/null
wait_for 60 "VersionDowngrade" hac_is $H '{.status.conditions[?(@.type=="Stalled")].reason}' VersionDowngrade
expect_eq "$(k -n "$NS" get postgresql $H -o jsonpath='{.spec.postgresql.version}')" 16 "version after a refused downgrade"
k -n "$NS" patch hac $H --type merge -p '{"spec":{"version":"16"}}' >/dev/null
wait_for 60 "Stalled False after the revert" hac_is $H '{.status.conditions[?(@.type=="Stalled")].status}' False
hac_ready $H || fail "not Ready after the revert"

# Storage grows: Zalando resizes and its StatefulSet asks for the new size.
t0=$SECONDS
k -n "$NS" patch hac $H --type merge -p '{"spec":{"storage":{"size":"6Gi"}}}' >/dev/null
wait_for 240 "the StatefulSet at 6Gi" bash -c \
    "[ \"\$('$KUBECTL' -n '$NS' get sts $H -o jsonpath='{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}')\" = 6Gi ]"
wait_for 120 "Progressing False at 6Gi" hac_is $H '{.status.conditions[?(@.type=="Progressing")].status}' False
echo "storage grown in $((SECONDS - t0))s"

# A major upgrade the Zalando operator skips (its major_version_upgrade_mode is manual by
# default): the version running stays 16, status says UpgradeSkipped, and a Warning Event.
k -n "$NS" patch hac $H --type merge -p '{"spec":{"version":"17"}}' >/dev/null
wait_for 120 "UpgradeSkipped" hac_is $H '{.status.conditions[?(@.type=="Degraded")].reason}' UpgradeSkipped
expect_eq "$(hac_field $H '{.status.currentVersion}')" 16 "currentVersion after a skipped upgrade"
hac_cond $H Degraded message | grep -q major_version_upgrade_mode || fail "UpgradeSkipped does not say why"
skipped_event() { [ -n "$(k -n "$NS" get events --field-selector "involvedObject.name=$H,type=Warning,reason=UpgradeSkipped" -o name)" ]; }
wait_for 30 "a Warning Event UpgradeSkipped" skipped_event

# A version past its end of life in the engines' table (PostgreSQL 14's ended 2026-11-12, the
# same row a DBInstance is judged by) runs, with versionCheck, the warning in Ready's message
# and one EndOfLife Event.
L=legacy
t0=$SECONDS
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "14", replicas: 1, database: app}\n' $L |
    k -n "$NS" apply -f - >/dev/null
wait_for 240 "HACluster $L Ready" hac_ready $L
expect_eq "$(hac_field $L '{.status.versionCheck.support}/{.status.versionCheck.endOfLife}')" \
    EndOfLife/2026-11-12 "versionCheck on 14"
hac_cond $L Ready message | grep -q "postgresql 14 reached its end of life on 2026-11-12" ||
    fail "Ready's message does not warn of 14's end of life: $(hac_cond $L Ready message)"
eol_events() { k -n "$NS" get events --field-selector involvedObject.name=$L,reason=EndOfLife -o jsonpath='{range .items[*]}{.type}/{.count}{"\n"}{end}'; }
has_eol_event() { [ -n "$(eol_events)" ]; }
wait_for 30 "the EndOfLife Event" has_eol_event
sleep 3
expect_eq "$(eol_events)" "Warning/1" "EndOfLife Events"
echo "PostgreSQL 14: Ready with the end-of-life warning in $((SECONDS - t0))s: $(hac_cond $L Ready message)"
stop_operator
