# DBInstance end to end with the operator: each engine's example becomes Ready with its
# Secret, Services and StatefulSet; changes roll or are refused; drift is put back; an
# operator restart rewrites nothing; deletion honours the deletion policy.
. "$ROOT/test/integration/lib.sh"

with_operator

for f in postgresql mysql mariadb; do k -n "$NS" apply -f "$ROOT/examples/$f.yaml" >/dev/null; done
names=$(k -n "$NS" get dbinstances -o jsonpath='{.items[*].metadata.name}')
[ "$(wc -w <<<"$names")" -eq 3 ] || fail "want three DBInstances from the examples, got: $names"
for n in $names; do wait_for 90 "$n to be Ready" dbi_ready "$n"; done

# The Secret, the Service and the columns, for the PostgreSQL one.
pg=$(k -n "$NS" get dbinstances -o jsonpath='{.items[?(@.spec.engine=="postgresql")].metadata.name}')
for key in username password superuser-password host port database uri jdbc-url; do
    [ -n "$(secret_key "$pg-credentials" "$key")" ] || fail "the Secret lacks $key"
done
expect_eq "$(secret_key "$pg-credentials" host)" "$pg.$NS.svc.cluster.local" "host"
expect_eq "$(secret_key "$pg-credentials" port)" "5432" "port"
[ "$(secret_key "$pg-credentials" password | wc -c)" -ge 24 ] || fail "password shorter than 24"
expect_eq "$(dbi_field "$pg" '{.status.endpoint}')" "$pg.$NS.svc.cluster.local:5432" "endpoint"
expect_eq "$(dbi_field "$pg" '{.status.phase}')" "Ready" "phase"
selector=$(k -n "$NS" get service "$pg" -o jsonpath='{.spec.selector}' | tr -d '{}"' | tr ':' '=')
pods=$(k -n "$NS" get pods -l "$selector" -o jsonpath='{.items[*].metadata.name}')
expect_eq "$pods" "$pg-0" "pods the Service selects"
listing=$(k -n "$NS" get dbinstances)
header=$(head -n 1 <<<"$listing" | tr -s ' ')
expect_eq "$header" "NAME ENGINE VERSION STATUS READY AGE" "kubectl get dbinstances columns"
wide=$(k -n "$NS" get dbi -o wide)
grep -q ENDPOINT <<<"$wide" || fail "no ENDPOINT in -o wide"
row=$(k -n "$NS" get dbi "$pg" --no-headers)
grep -q 'postgresql.*Ready.*True' <<<"$row" || fail "row: $row"

# Nothing changes: no writes.
settle_writes op_writes
before=$(op_writes)
sleep 5
expect_eq "$(op_writes)" "$before" "writes while nothing changes"

# Operator restart: same password, no child rewritten, no write.
password=$(secret_key "$pg-credentials" password)
rvs() { k -n "$NS" get secrets,configmaps,services,statefulsets,dbinstances -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}' | sort; }
before_rvs=$(rvs)
stop_operator
start_operator "$tmp/op.log"
# The operator says when the first pass over every object is over (`make bench` times it),
# a line per controller (the HACluster and DBSnapshot ones, with nothing to do here, may end
# after the DBInstance one): the DBInstance controller's, once before and once after.
idle_line='initial reconcile done controller=dbinstance '
idle_lines() { [ "$(grep -c "$idle_line" "$tmp/op.log")" -ge 2 ]; }
wait_for 30 "\"initial reconcile done\" after the restart" idle_lines
grep "$idle_line" "$tmp/op.log" | tail -1 | grep -q 'reconciles=[1-9]' ||
    fail "the initial reconcile line counts no reconcile: $(grep "$idle_line" "$tmp/op.log" | tail -1)"
sleep 3
expect_eq "$(op_writes)" "0" "writes after a restart over unchanged objects"
expect_eq "$(rvs)" "$before_rvs" "resourceVersions after a restart"
expect_eq "$(secret_key "$pg-credentials" password)" "$password" "password after a restart"

# Minor version: the pod rolls to the new image and status follows.
image_is() { [ "$(k -n "$NS" get statefulset "$pg" -o jsonpath='{.spec.template.spec.containers[0].image}')" = "$1" ]; }
version_is() { [ "$(dbi_field "$pg" '{.status.currentVersion}')" = "$1" ]; }
k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"version":"16.4"}}' >/dev/null
wait_for 60 "the new image" image_is postgres:16.4
wait_for 60 "currentVersion 16.4" version_is 16.4
wait_for 60 "Ready after the roll" dbi_ready "$pg"

# Major version: refused, nothing touched, the old pod serves on (Ready stays True).
degraded_reason() { [ "$(dbi_field "$1" '{.status.conditions[?(@.type=="Degraded")].reason}')" = "$2" ]; }
k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"version":"17"}}' >/dev/null
wait_for 30 "UnsupportedUpgrade" degraded_reason "$pg" UnsupportedUpgrade
image_is postgres:16.4 || fail "the StatefulSet changed on a refused major upgrade"
dbi_ready "$pg" || fail "Ready is not True while the old pod serves"
msg=$(dbi_field "$pg" '{.status.conditions[?(@.type=="Degraded")].message}')
[[ $msg == *spec.version* ]] || fail "the refusal does not name spec.version: $msg"
k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"version":"16.4"}}' >/dev/null
wait_for 30 "Degraded to clear after going back" degraded_reason "$pg" Healthy

# Parameters roll the pod through the checksum annotation.
sum() { k -n "$NS" get statefulset "$pg" -o jsonpath='{.spec.template.metadata.annotations.dbaas\.dev/config-checksum}'; }
old_sum=$(sum)
gen=$(k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"parameters":{"max_connections":"150"}}}' \
    -o jsonpath='{.metadata.generation}')
# Status may say the new generation is rolled out (phase Ready, Progressing False) only once
# the pod with the new configuration is ready: polled closely, since a stale StatefulSet in
# the cache would make it say so within milliseconds of the change.
rolled_out() {
    [ "$(dbi_field "$pg" '{.status.observedGeneration}/{.status.phase}/{.status.conditions[?(@.type=="Progressing")].status}')" = "$gen/Ready/False" ]
}
deadline=$((SECONDS + 30))
until rolled_out; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for generation $gen to be rolled out"
    sleep 0.05
done
expect_eq "$(k -n "$NS" get pod "$pg-0" -o jsonpath='{.metadata.annotations.dbaas\.dev/config-checksum}')" \
    "$(sum)" "the pod's config checksum once status says generation $gen is rolled out"
[ "$(sum)" != "$old_sum" ] || fail "the config checksum did not change"

# Storage grows (the claim is patched); shrinking is refused by the server.
size=$(dbi_field "$pg" '{.spec.storage.size}')
k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"storage":{"size":"5Gi"}}}' >/dev/null
claim_is() { [ "$(k -n "$NS" get pvc "data-$pg-0" -o jsonpath='{.spec.resources.requests.storage}')" = "$1" ]; }
wait_for 30 "the claim to grow" claim_is 5Gi
out=$(k -n "$NS" patch dbinstance "$pg" --type=merge -p "{\"spec\":{\"storage\":{\"size\":\"$size\"}}}" 2>&1) &&
    fail "shrinking was accepted"
grep -q 'may not shrink' <<<"$out" || fail "shrink refusal: $out"

# Drift is put back.
k -n "$NS" delete service "$pg" >/dev/null
wait_for 30 "the Service to come back" k -n "$NS" get service "$pg"
k -n "$NS" set image "statefulset/$pg" "postgresql=evil:1" >/dev/null 2>&1 ||
    k -n "$NS" patch statefulset "$pg" --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"evil:1"}]' >/dev/null
wait_for 30 "the image to be put back" image_is postgres:16.4

# Deletion with Retain keeps the claim and the Secret, and a new DBInstance adopts them.
k -n "$NS" patch dbinstance "$pg" --type=merge -p '{"spec":{"deletionPolicy":"Retain"}}' >/dev/null
k -n "$NS" delete dbinstance "$pg" --timeout=60s >/dev/null
gone() { ! k -n "$NS" get "$@" >/dev/null 2>&1; }
wait_for 30 "the StatefulSet to be collected" gone statefulset "$pg"
k -n "$NS" get pvc "data-$pg-0" >/dev/null || fail "Retain lost the claim"
k -n "$NS" get secret "$pg-credentials" >/dev/null || fail "Retain lost the Secret"
expect_eq "$(k -n "$NS" get secret "$pg-credentials" -o jsonpath='{.metadata.ownerReferences}')" "" "owners of the kept Secret"
k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null
wait_for 90 "the re-created $pg to be Ready" dbi_ready "$pg"
expect_eq "$(secret_key "$pg-credentials" password)" "$password" "password after re-creation"
expect_eq "$(k -n "$NS" get secret "$pg-credentials" -o jsonpath='{.metadata.ownerReferences[0].kind}')" DBInstance \
    "owner of the adopted Secret"

# Deletion with Delete removes everything, the claim included.
k -n "$NS" delete dbinstance "$pg" --timeout=60s >/dev/null
wait_for 30 "the claim to go" gone pvc "data-$pg-0"
wait_for 30 "the Secret to go" gone secret "$pg-credentials"
stop_operator
