# A DBInstance never writes or takes an object it did not create (issue 10, sections 1 and 4):
# - an application's Service and ConfigMap of the same names (team-b's case): nothing of
#   theirs changes, nothing of ours is written while a conflict exists, ChildConflict names
#   them, a Warning Event tells, deleting the DBInstance leaves them, and their removal is
#   noticed within seconds;
# - a foreign credentials Secret: ChildConflict, and no write repeats while it stays;
# - a foreign claim data-<name>-0 (no labels, or another instance's): never mounted;
# - an ownerReference copied onto a foreign object does not make it ours;
# - a retained volume and Secret are adopted only by a DBInstance whose engine, major version,
#   database and username match what they hold.
. "$ROOT/test/integration/lib.sh"

with_operator

ready_reason() { dbi_field "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
ready_msg() { dbi_field "$1" '{.status.conditions[?(@.type=="Ready")].message}'; }
rv() { k -n "$NS" get "$1" "$2" -o jsonpath='{.metadata.resourceVersion}'; }
exists() { k -n "$NS" get "$@" >/dev/null 2>&1; }
gone() { ! exists "$@"; }
warning_event() {
    k -n "$NS" get events --field-selector "involvedObject.kind=DBInstance,involvedObject.name=$1,type=Warning,reason=$2" \
        -o name | grep -q .
}
# expect_unwritten DBI: none of the DBInstance's own children exist.
expect_unwritten() {
    local o
    for o in "secret $1-credentials" "service $1-headless" "statefulset $1"; do
        # shellcheck disable=SC2086
        gone $o || fail "$o was written while $1 is in conflict"
    done
}

# --- team-b: the application's Service and ConfigMap -------------------------------------
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: payments, labels: {app: payments}}
spec:
  selector: {app: payments}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: payments-config}
data: {FEATURE_FLAGS: "checkout=on"}
YAML
svc_rv=$(rv service payments)
svc_spec=$(k -n "$NS" get service payments -o jsonpath='{.spec.selector}{.spec.ports}')
cm_rv=$(rv configmap payments-config)
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: payments}
spec: {engine: postgresql, version: "16", database: payments}
YAML
wait_for 30 "payments' ChildConflict" dbi_reason payments ChildConflict
msg=$(ready_msg payments)
[[ $msg =~ Service\ payments($|[^-]) ]] || fail "the conflict does not name Service payments: $msg"
[[ $msg == *"ConfigMap payments-config"* ]] || fail "the conflict does not name ConfigMap payments-config: $msg"
[[ $msg == *"not created by this DBInstance"* || $msg == *"controlled by"* ]] || fail "the conflict does not say who controls it: $msg"
wait_for 30 "a Warning Event ChildConflict" warning_event payments ChildConflict
expect_eq "$(dbi_field payments '{.status.conditions[?(@.type=="Stalled")].status}')" True "Stalled on a conflict"
# Status names no endpoint or Secret while they are someone else's (their Service is port 80).
expect_eq "$(dbi_field payments '{.status.endpoint}/{.status.connectionSecret}')" "/" \
    "endpoint/connectionSecret of payments while in conflict"
sleep 6 # a retry or two
expect_eq "$(rv service payments)" "$svc_rv" "resourceVersion of the application's Service"
expect_eq "$(rv configmap payments-config)" "$cm_rv" "resourceVersion of the application's ConfigMap"
expect_eq "$(k -n "$NS" get service payments -o jsonpath='{.spec.selector}{.spec.ports}')" "$svc_spec" "the application's Service spec"
expect_unwritten payments
k -n "$NS" delete dbi payments --timeout=60s >/dev/null
sleep 3 # time for the garbage collector, were anything owned
expect_eq "$(rv service payments)" "$svc_rv" "the application's Service after deleting the DBInstance"
expect_eq "$(rv configmap payments-config)" "$cm_rv" "the application's ConfigMap after deleting the DBInstance"

# Removing the conflict is noticed by the bounded retry (the foreign objects are not watched).
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: payments}
spec: {engine: postgresql, version: "16", database: payments}
YAML
wait_for 30 "payments' ChildConflict again" dbi_reason payments ChildConflict
k -n "$NS" delete service payments >/dev/null
k -n "$NS" delete configmap payments-config >/dev/null
wait_for 30 "payments to be Ready once the conflict went away" dbi_ready payments

# --- two foreign children found by different steps: one message, in one order -----------
# A new user's trial: with a foreign Secret and a foreign ConfigMap the message named them in
# whichever order the writes came back, so every 5 s retry rewrote the status.
k -n "$NS" create secret generic shop2-credentials --from-literal=password=mine >/dev/null
k -n "$NS" create configmap shop2-config --from-literal=k=v >/dev/null
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: shop2}
spec: {engine: postgresql, version: "16", database: shop}
YAML
both() { m=$(ready_msg shop2); [[ $m == *"ConfigMap shop2-config"* && $m == *"Secret shop2-credentials"* ]]; }
wait_for 30 "shop2's ChildConflict naming both" both
[[ $(ready_msg shop2) == "ConfigMap shop2-config already exists"*"; also Secret shop2-credentials" ]] ||
    fail "the conflicts are not named in order: $(ready_msg shop2)"
status_rv=$(rv dbi shop2)
sleep 12 # two retries or more
expect_eq "$(rv dbi shop2)" "$status_rv" "shop2's resourceVersion across conflict retries (no status rewrite)"
k -n "$NS" delete dbi shop2 --timeout=60s >/dev/null
k -n "$NS" delete secret shop2-credentials >/dev/null
k -n "$NS" delete configmap shop2-config >/dev/null

# --- a copied ownerReference (as Zalando copies its owner's) is not ours -----------------
k -n "$NS" create configmap copied-config --from-literal=owner=app >/dev/null
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: copied}
spec: {engine: postgresql, version: "16", database: app}
YAML
wait_for 30 "copied's ChildConflict" dbi_reason copied ChildConflict
uid=$(dbi_field copied '{.metadata.uid}')
k -n "$NS" patch configmap copied-config --type merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\",\"name\":\"copied\",\"uid\":\"$uid\",\"controller\":true}]}}" >/dev/null
cm_rv=$(rv configmap copied-config)
sleep 7 # more than one conflict retry
expect_eq "$(rv configmap copied-config)" "$cm_rv" "resourceVersion of a ConfigMap with a copied ownerReference"
expect_eq "$(k -n "$NS" get configmap copied-config -o jsonpath='{.data.owner}')" app "data of a ConfigMap with a copied ownerReference"
expect_eq "$(ready_reason copied)" ChildConflict "Ready reason with a copied ownerReference"

# --- a foreign credentials Secret ----------------------------------------------------------
k -n "$NS" create secret generic ledger-credentials --from-literal=user=someone >/dev/null
sec_rv=$(rv secret ledger-credentials)
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: ledger}
spec: {engine: postgresql, version: "16", database: ledger}
YAML
wait_for 30 "ledger's ChildConflict" dbi_reason ledger ChildConflict
[[ $(ready_msg ledger) == *"Secret ledger-credentials"* ]] || fail "the conflict does not name the Secret: $(ready_msg ledger)"
settle_writes op_writes
before=$(op_writes)
sleep 7 # more than one conflict retry
expect_eq "$(op_writes)" "$before" "writes while the foreign Secret stays"
expect_eq "$(rv secret ledger-credentials)" "$sec_rv" "resourceVersion of the foreign Secret"
gone statefulset ledger || fail "StatefulSet ledger was written while its Secret is foreign"

# --- a foreign claim data-<name>-0: never mounted ---------------------------------------
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-inventory-0}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-stock-0
  labels: {app.kubernetes.io/name: postgresql, app.kubernetes.io/instance: other, app.kubernetes.io/managed-by: dbaas-operator}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: inventory}
spec: {engine: postgresql, version: "16", database: app}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: stock}
spec: {engine: postgresql, version: "16", database: app}
YAML
for d in inventory stock; do
    wait_for 30 "$d's ChildConflict" dbi_reason "$d" ChildConflict
    [[ $(ready_msg "$d") == *"PersistentVolumeClaim data-$d-0"* ]] || fail "the conflict does not name the claim: $(ready_msg "$d")"
done
sleep 3
for d in inventory stock; do
    expect_unwritten "$d"
done
k -n "$NS" delete dbi stock --timeout=60s >/dev/null
exists pvc data-stock-0 || fail "deleting DBInstance stock deleted another instance's claim"
k -n "$NS" delete pvc data-inventory-0 --wait=true --timeout=60s >/dev/null
wait_for 30 "inventory to be Ready once the foreign claim went away" dbi_ready inventory

# --- a retained volume and Secret are adopted only when they match ------------------------
hist() {
    k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: hist}
spec: {engine: postgresql, version: "$1", database: $2, username: $3, deletionPolicy: Retain}
YAML
}
ann() { k -n "$NS" get "$1" "$2" -o jsonpath="{.metadata.annotations.dbaas\.dev/$3}"; }
hist 15 ledger keeper
wait_for 90 "hist (15) to be Ready" dbi_ready hist
password=$(secret_key hist-credentials password)
hist_uid=$(dbi_field hist '{.metadata.uid}')
claim_uid=$(k -n "$NS" get pvc data-hist-0 -o jsonpath='{.metadata.uid}')
claim_held() { [ "$(ann pvc data-hist-0 database)/$(ann pvc data-hist-0 username)/$(ann pvc data-hist-0 major-version)/$(ann pvc data-hist-0 engine)/$(ann pvc data-hist-0 source-uid)" = "ledger/keeper/15/postgresql/$hist_uid" ]; }
wait_for 30 "the claim to say what it holds" claim_held
expect_eq "$(ann secret hist-credentials database)/$(ann secret hist-credentials username)/$(ann secret hist-credentials major-version)/$(ann secret hist-credentials source-uid)" \
    "ledger/keeper/15/$hist_uid" "what the Secret says it holds"
k -n "$NS" delete dbi hist --timeout=60s >/dev/null
wait_for 30 "StatefulSet hist to be collected" gone statefulset hist

hist 17 other someone
invalid() { [ "$(dbi_field hist '{.status.conditions[?(@.type=="Stalled")].reason}')" = InvalidSpec ]; }
wait_for 30 "InvalidSpec for a retained volume of another database" invalid
msg=$(dbi_field hist '{.status.conditions[?(@.type=="Stalled")].message}')
for want in data-hist-0 '"ledger"' '"keeper"' '"15"' delete; do
    [[ $msg == *"$want"* ]] || fail "the mismatch message lacks $want: $msg"
done
sleep 3
gone statefulset hist || fail "a StatefulSet was written over a retained volume that does not match"
expect_eq "$(secret_key hist-credentials password)" "$password" "the retained password after a mismatch"
expect_eq "$(ann secret hist-credentials database)" ledger "the retained Secret's database after a mismatch"
k -n "$NS" delete dbi hist --timeout=60s >/dev/null

hist 17 ledger keeper
wait_for 30 "InvalidSpec for a retained volume of another major version" invalid
[[ $(dbi_field hist '{.status.conditions[?(@.type=="Stalled")].message}') == *'"15"'* ]] ||
    fail "the major version mismatch is not named: $(dbi_field hist '{.status.conditions[?(@.type=="Stalled")].message}')"
k -n "$NS" delete dbi hist --timeout=60s >/dev/null

hist 15 ledger keeper
wait_for 90 "hist to be Ready on the retained volume" dbi_ready hist
expect_eq "$(k -n "$NS" get pvc data-hist-0 -o jsonpath='{.metadata.uid}')" "$claim_uid" "the claim after adoption"
expect_eq "$(secret_key hist-credentials password)" "$password" "the password after adoption"
new_uid=$(dbi_field hist '{.metadata.uid}')
adopted() { [ "$(ann pvc data-hist-0 source-uid)" = "$new_uid" ] && [ "$(ann secret hist-credentials source-uid)" = "$new_uid" ]; }
wait_for 30 "the adopted claim and Secret to name their new DBInstance" adopted
stop_operator
