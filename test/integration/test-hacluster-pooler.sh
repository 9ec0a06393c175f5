# HACluster with the pooler: the postgresql object asks Zalando for both poolers; under kwok
# Zalando never makes them (it first needs a live database), so the test makes the Services
# <name>-pooler and <name>-pooler-repl as Zalando would, and the pooler endpoints appear in
# the Secret and in status. Turning the pooler off takes the flags out again.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
H=pooled
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "16", replicas: 2, database: app, pooler: {enabled: true, replicas: 2}}\n' $H |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "the postgresql object" k -n "$NS" get postgresql $H
expect_eq "$(k -n "$NS" get postgresql $H -o jsonpath='{.spec.enableConnectionPooler},{.spec.enableReplicaConnectionPooler},{.spec.connectionPooler.mode}')" \
    "true,true,transaction" "the pooler flags"
wait_for 120 "the Secret" k -n "$NS" get secret $H-credentials
[ -z "$(secret_key $H-credentials pooler-host)" ] || fail "pooler-host before the pooler Service exists"
for svc in $H-pooler $H-pooler-repl; do
    k -n "$NS" create service clusterip "$svc" --tcp=5432:5432 >/dev/null
done
wait_for 60 "pooler-host" bash -c "[ \"\$('$KUBECTL' -n '$NS' get secret $H-credentials -o jsonpath='{.data.pooler-host}' | base64 -d)\" = $H-pooler.$NS.svc.cluster.local ]"
expect_eq "$(secret_key $H-credentials pooler-read-host)" "$H-pooler-repl.$NS.svc.cluster.local" "pooler-read-host"
secret_key $H-credentials pooler-uri | grep -q "^postgresql://app:.*@$H-pooler.$NS.svc.cluster.local:5432/app$" || fail "pooler-uri"
wait_for 60 "status.poolerEndpoint" hac_is $H '{.status.poolerEndpoint}' "$H-pooler.$NS.svc.cluster.local:5432"
k -n "$NS" patch hac $H --type merge -p '{"spec":{"pooler":{"enabled":false}}}' >/dev/null
wait_for 60 "the pooler flag off" bash -c "[ -z \"\$('$KUBECTL' -n '$NS' get postgresql $H -o jsonpath='{.spec.enableConnectionPooler}')\" ]"
stop_operator
