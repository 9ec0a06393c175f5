# What the controller toolkit (pkg-c/ctrl) guarantees, seen through DBInstance:
# - a field removed from the spec is removed from the children (the applied checksum), and
#   an edit by someone else is still put back;
# - kstatus' Reconciling and Stalled follow the conditions (Helm 4 and Flux read them);
# - an existing object the DBInstance does not control is never written: ChildConflict;
# - a write the API server refuses reaches status: ApplyFailed.
. "$ROOT/test/integration/lib.sh"

with_operator

cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].status}"; }
cond_is() { [ "$(cond "$1" "$2")" = "$3" ]; }
sts() { k -n "$NS" get statefulset "$1" -o jsonpath="$2"; }
res_of() { sts orders '{.spec.template.spec.containers[0].resources}'; }
res_has() { [[ $(res_of) == *"$1"* ]]; }
res_lacks() { [[ $(res_of) != *"$1"* ]]; }

k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: orders}
spec:
  engine: postgresql
  version: "16"
  database: app
  storage: {size: 1Gi}
  resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 512Mi}}
  parameters: {max_connections: "150", work_mem: "8MB"}
  service: {type: NodePort}
YAML
wait_for 90 "orders to be Ready" dbi_ready orders
expect_eq "$(cond orders Reconciling)/$(cond orders Stalled)" "False/False" "Reconciling/Stalled when Ready"
res_has '"limits"' || fail "no limits on the StatefulSet: $(res_of)"

# Removed fields reach the children.
gen_done() { [ "$(dbi_field orders '{.status.observedGeneration}')" = "$(dbi_field orders '{.metadata.generation}')" ] && dbi_ready orders; }
k -n "$NS" patch dbi orders --type json -p '[{"op":"remove","path":"/spec/resources/limits"}]' >/dev/null
wait_for 30 "limits to be removed from the StatefulSet" res_lacks '"limits"'
res_has '"cpu":"100m"' || fail "requests went with the limits: $(res_of)"
k -n "$NS" patch dbi orders --type json -p '[{"op":"remove","path":"/spec/resources/requests/memory"}]' >/dev/null
wait_for 30 "requests.memory to be removed" res_lacks '"memory"'
res_has '"cpu":"100m"' || fail "requests.cpu went with requests.memory: $(res_of)"
svc_type_is() { [ "$(k -n "$NS" get service orders -o jsonpath='{.spec.type}')" = "$1" ]; }
svc_type_is NodePort || fail "the Service is not a NodePort"
k -n "$NS" patch dbi orders --type json -p '[{"op":"remove","path":"/spec/service"}]' >/dev/null
wait_for 30 "the Service to go back to ClusterIP" svc_type_is ClusterIP
config() { k -n "$NS" get configmap orders-config -o jsonpath='{.data.dbaas\.conf}'; }
config_lacks() { [[ $(config) != *"$1"* ]]; }
args_lack() { [[ $(sts orders '{.spec.template.spec.containers[0].args}') != *"$1"* ]]; }
k -n "$NS" patch dbi orders --type json -p '[{"op":"remove","path":"/spec/parameters/work_mem"}]' >/dev/null
wait_for 30 "work_mem to leave the ConfigMap" config_lacks work_mem
wait_for 30 "work_mem to leave the server's arguments" args_lack work_mem
[[ $(config) == *max_connections* ]] || fail "max_connections went with work_mem: $(config)"
wait_for 60 "the last generation to be Ready" gen_done
# The parameter change rolled the pod; Ready can be True before the old pod goes (it serves
# meanwhile), and the roll's status changes are writes: let it end before "at rest".
rolled() {
    [ "$(sts orders '{.status.currentRevision}')" = "$(sts orders '{.status.updateRevision}')" ] &&
        [ "$(sts orders '{.status.updatedReplicas}')" = 1 ] && [ "$(sts orders '{.status.readyReplicas}')" = 1 ]
}
wait_for 90 "the StatefulSet's roll to end" rolled
settled() { gen_done && [ "$(cond orders Progressing)" = False ]; }
wait_for 60 "the DBInstance to say the roll is over (Progressing False)" settled

# An edit by someone else to a field we set is still put back; one to a field we do not set
# is left alone.
k -n "$NS" label service orders app.kubernetes.io/managed-by=someone-else --overwrite >/dev/null
managed_by() { [ "$(k -n "$NS" get service orders -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" = "$1" ]; }
wait_for 30 "our label to be put back" managed_by dbaas-operator
k -n "$NS" annotate service orders team.example.com/owner=payments >/dev/null
settle_writes op_writes
before=$(op_writes)
sleep 4
expect_eq "$(op_writes)" "$before" "writes at rest after the changes"
expect_eq "$(k -n "$NS" get service orders -o jsonpath='{.metadata.annotations.team\.example\.com/owner}')" \
    payments "someone else's annotation"

# A refused spec: Stalled True (kstatus Failed), Reconciling False.
k -n "$NS" patch dbi orders --type merge -p '{"spec":{"version":"17"}}' >/dev/null
wait_for 30 "Stalled" cond_is orders Stalled True
expect_eq "$(cond orders Reconciling)" False "Reconciling on a refused spec"
expect_eq "$(dbi_field orders '{.status.conditions[?(@.type=="Stalled")].reason}')" UnsupportedUpgrade "Stalled reason"
k -n "$NS" patch dbi orders --type merge -p '{"spec":{"version":"16"}}' >/dev/null
wait_for 30 "Stalled to clear" cond_is orders Stalled False
wait_for 60 "Ready again" gen_done

# Someone else's Service or ConfigMap of a child's name: test-dbinstance-ownership.sh.

# Deleting a DBInstance (deletionPolicy Delete) removes only claims that are its own: an
# application's claim that happens to be called data-<name>-0 stays.
k -n "$NS" create service clusterip web --tcp=80:8080 >/dev/null
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-web-0}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: web}
spec: {engine: mysql, version: "8.4", database: web, deletionPolicy: Delete}
YAML
wait_for 30 "web's ChildConflict" dbi_reason web ChildConflict
k -n "$NS" delete dbi web --timeout=60s >/dev/null
k -n "$NS" get pvc data-web-0 >/dev/null 2>&1 || fail "deleting DBInstance web deleted the application's claim data-web-0"

# A write the API server refuses reaches status with the server's message (ApplyFailed),
# quietly retried with backoff; fixing the spec recovers.
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: disk}
spec: {engine: postgresql, version: "16", database: app, podTemplate: {tolerations: [{key: a, operator: Exists, value: b}]}}
YAML
stalled_reason() { [ "$(dbi_field disk '{.status.conditions[?(@.type=="Stalled")].reason}')" = "$1" ]; }
wait_for 30 "ApplyFailed" stalled_reason ApplyFailed
msg=$(dbi_field disk '{.status.conditions[?(@.type=="Stalled")].message}')
[[ $msg == *"StatefulSet disk was not written: HTTP 422"* ]] || fail "the refusal lacks the server's answer: $msg"
expect_eq "$(dbi_field disk '{.status.phase}')" Failed "phase of a DBInstance whose StatefulSet was refused"
refusals() { grep -c 'refused.*key='"$NS"'/disk' "$tmp/op.log" || true; }
sleep 3
[ "$(refusals)" -le 2 ] || fail "the same refusal was logged $(refusals) times"
k -n "$NS" patch dbi disk --type json -p '[{"op":"remove","path":"/spec/podTemplate"}]' >/dev/null
wait_for 60 "disk to be Ready once fixed" dbi_ready disk
stop_operator
