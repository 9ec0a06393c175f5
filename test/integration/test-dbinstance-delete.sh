# Deletion that cannot lose data by accident (issue 10, section 4b), on the real apiserver:
# - retain:  deletionPolicy Retain sets the bound PV's reclaim policy to Retain and records on
#            it what it holds; back to Delete, deleting the DBInstance gives the PV back the
#            policy it had;
# - foreign: a retained volume that a new DBInstance of the same name never adopted (another
#            database) keeps its PV Retain when that DBInstance (policy Delete) is deleted;
# - refused: a PV the operator may not patch (here a ValidatingAdmissionPolicy refuses it, as
#            missing RBAC would) gives Degraded VolumeNotRetained, and spec changes still
#            reach the children;
# - protect: spec.deletionProtection makes the API server refuse the delete (the
#            ValidatingAdmissionPolicy of deploy/), with a message saying how to turn it off,
#            and a namespace deletion waits (Terminating, saying why) until it is turned off,
#            while the instance, its children gone with the namespace's content, says so in
#            status (Deleting, NamespaceTerminating) with no warning and no retry;
# - crd:     `kubectl delete crd dbinstances.dbaas.dev` with a Delete-policy instance keeps
#            its claim, Secret and PV, says so in an Event, and the CRD deletion completes.
#            The CRD is installed again at the end, whatever happens (tests share a cluster).
# - unseen:  Retain with a credentials Secret the operator's cache never saw (its labels
#            removed while the operator was stopped, as a watch outage leaves a cache behind):
#            the deletion still cuts it loose (a GET, ctrl_read), so the garbage collector
#            leaves the passwords.
# DELETE_TEST_PARTS (default "retain foreign unseen refused protect crd") picks parts.
. "$ROOT/test/integration/lib.sh"

parts=${DELETE_TEST_PARTS:-retain foreign unseen refused protect crd}
CRD=dbinstances.dbaas.dev
pvs=()
crd_deleted=
tmp=$(mktemp -d)
OP_PID=
OP2_PID=
cleanup() {
    local rc=$?
    set +e
    [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null
    [ -n "$OP2_PID" ] && kill -9 "$OP2_PID" 2>/dev/null
    [ -n "${DEBUG:-}" ] && cat "$tmp/op.log" "$tmp/op2.log" 2>/dev/null
    if [ -n "$crd_deleted" ]; then
        # Later tests need the CRD: wait for the deletion to end, then install it again.
        k delete crd "$CRD" --ignore-not-found --timeout=120s >/dev/null 2>&1
        install_crds || echo "WARNING: could not install the CRDs again" >&2
    fi
    for ns in "$NS" "$NS-ns"; do
        k -n "$ns" patch dbinstance guarded --type=merge -p '{"spec":{"deletionProtection":false}}' >/dev/null 2>&1
    done
    k delete namespace "$NS-ns" --ignore-not-found --wait=false >/dev/null 2>&1
    k delete validatingadmissionpolicybinding,validatingadmissionpolicy "refuse-pv-$NS" --ignore-not-found >/dev/null 2>&1
    for pv in "${pvs[@]}"; do k delete pv "$pv" --wait=false >/dev/null 2>&1; done
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
install_crds
start_operator "$tmp/op.log"

# A PersistentVolume with reclaim policy Delete (most StorageClasses' default), bound in
# advance to the claim the StatefulSet of DBInstance $1 makes.
delete_pv_for() {
    local pv="it-del-$1-$RANDOM"
    pvs+=("$pv")
    k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $pv
spec:
  storageClassName: standard
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  hostPath: {path: /tmp/dbaas-local-pv/$pv}
  claimRef: {namespace: $NS, name: data-$1-0}
EOF
    PV=$pv
}
dbi() { # dbi NAME POLICY [PROTECTED [DATABASE]]
    k -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata:
  name: $1
spec:
  engine: postgresql
  version: "16"
  database: ${4:-shop}
  username: clerk
  deletionPolicy: $2
  deletionProtection: ${3:-false}
EOF
}
pv_field() { k get pv "$1" -o jsonpath="$2" 2>/dev/null; }
pv_policy_is() { [ "$(pv_field "$1" '{.spec.persistentVolumeReclaimPolicy}')" = "$2" ]; }
claim_bound() { [ "$(k -n "$NS" get pvc "data-$1-0" -o jsonpath='{.status.phase}' 2>/dev/null)" = Bound ]; }
gone() { ! k "$@" >/dev/null 2>&1; }
ann() { pv_field "$1" "{.metadata.annotations.dbaas\.dev/$2}"; }

if [[ " $parts " == *" retain "* ]]; then
    delete_pv_for keep
    dbi keep Retain
    wait_for 90 "keep to be Ready" dbi_ready keep
    expect_eq "$(k -n "$NS" get pvc data-keep-0 -o jsonpath='{.spec.volumeName}')" "$PV" "the volume of data-keep-0"
    wait_for 30 "the PV of a Retain DBInstance to be Retain" pv_policy_is "$PV" Retain
    expect_eq "$(ann "$PV" original-reclaim-policy)" Delete "the PV's recorded reclaim policy"
    expect_eq "$(ann "$PV" instance-namespace)/$(ann "$PV" instance-name)" "$NS/keep" "the PV's instance"
    expect_eq "$(ann "$PV" engine)/$(ann "$PV" version)/$(ann "$PV" database)/$(ann "$PV" username)" \
        "postgresql/16/shop/clerk" "what the PV says it holds"
    expect_eq "$(ann "$PV" source-uid)" "$(dbi_field keep '{.metadata.uid}')" "the PV's source uid"

    # Back to Delete: the PV keeps Retain while the DBInstance lives (a namespace deletion
    # would keep the data), and gets Delete back when the DBInstance is deleted.
    k -n "$NS" patch dbinstance keep --type=merge -p '{"spec":{"deletionPolicy":"Delete"}}' >/dev/null
    sleep 2
    pv_policy_is "$PV" Retain || fail "switching to Delete changed the PV before the deletion"
    k -n "$NS" delete dbinstance keep --timeout=60s >/dev/null
    wait_for 30 "the claim of keep to go" gone -n "$NS" pvc data-keep-0
    restored() { gone pv "$PV" || { pv_policy_is "$PV" Delete && [ -z "$(ann "$PV" original-reclaim-policy)" ]; }; }
    wait_for 30 "the PV to get its reclaim policy Delete back" restored
fi

if [[ " $parts " == *" foreign "* ]]; then
    # Retained by one DBInstance; the next of that name asks for another database, so it
    # never adopts the claim (InvalidSpec); deleting it must leave the volume as it was.
    delete_pv_for kept
    dbi kept Retain
    wait_for 90 "kept to be Ready" dbi_ready kept
    wait_for 30 "the PV of kept to be Retain" pv_policy_is "$PV" Retain
    k -n "$NS" delete dbinstance kept --timeout=60s >/dev/null
    dbi kept Delete false other
    invalid() { [ "$(dbi_field kept '{.status.conditions[?(@.type=="Degraded")].reason}')" = InvalidSpec ]; }
    wait_for 30 "the new kept to refuse the retained claim" invalid
    k -n "$NS" delete dbinstance kept --timeout=60s >/dev/null
    k -n "$NS" get pvc data-kept-0 >/dev/null || fail "the claim retained by another DBInstance was deleted"
    sleep 2
    pv_policy_is "$PV" Retain ||
        fail "deleting a DBInstance that never adopted the retained claim set its PV to $(pv_field "$PV" '{.spec.persistentVolumeReclaimPolicy}')"
    k -n "$NS" delete pvc data-kept-0 --wait=false >/dev/null
fi

if [[ " $parts " == *" unseen "* ]]; then
    delete_pv_for unseen
    dbi unseen Retain
    wait_for 90 "unseen to be Ready" dbi_ready unseen
    pw=$(secret_key unseen-credentials password)
    [ -n "$(k -n "$NS" get secret unseen-credentials -o jsonpath='{.metadata.ownerReferences}')" ] ||
        fail "the credentials Secret of unseen has no ownerReference to begin with"
    stop_operator
    k -n "$NS" label secret unseen-credentials app.kubernetes.io/managed-by- app.kubernetes.io/instance- >/dev/null
    k -n "$NS" delete dbinstance unseen --wait=false >/dev/null
    start_operator "$tmp/op.log"
    wait_for 60 "unseen to be deleted" gone -n "$NS" dbinstance unseen
    k -n "$NS" get secret unseen-credentials >/dev/null || fail "the Secret the cache never saw went with unseen"
    expect_eq "$(k -n "$NS" get secret unseen-credentials -o jsonpath='{.metadata.ownerReferences}')" "" \
        "the ownerReferences of the Secret the cache never saw"
    sleep 3 # the garbage collector would have taken it by now
    expect_eq "$(secret_key unseen-credentials password)" "$pw" "the password kept for a later DBInstance"
    k -n "$NS" delete pvc data-unseen-0 --wait=false >/dev/null
fi

if [[ " $parts " == *" refused "* ]]; then
    delete_pv_for locked
    k apply -f - >/dev/null <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: refuse-pv-$NS}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [persistentvolumes]}
  validations:
  - expression: >-
      object.metadata.name != '$PV' ||
      object.spec.persistentVolumeReclaimPolicy == oldObject.spec.persistentVolumeReclaimPolicy
    message: "this test refuses changes to the reclaim policy of $PV"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: refuse-pv-$NS}
spec:
  policyName: refuse-pv-$NS
  validationActions: [Deny]
EOF
    refused_pv() { ! k patch pv "$PV" -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' --dry-run=server >/dev/null 2>&1; }
    wait_for 30 "the policy to refuse changes to the PV" refused_pv
    dbi locked Retain
    not_retained() { [ "$(dbi_field locked '{.status.conditions[?(@.type=="Degraded")].reason}')" = VolumeNotRetained ]; }
    wait_for 90 "locked: Degraded VolumeNotRetained" not_retained
    [[ $(dbi_field locked '{.status.conditions[?(@.type=="Degraded")].message}') == *"refuses changes"* ]] ||
        fail "locked: the message does not carry the API server's: $(dbi_field locked '{.status.conditions}')"
    k -n "$NS" patch dbinstance locked --type=merge -p '{"spec":{"parameters":{"work_mem":"8MB"}}}' >/dev/null
    has_work_mem() { [[ $(k -n "$NS" get configmap locked-config -o jsonpath='{.data.dbaas\.conf}') == *work_mem* ]]; }
    wait_for 60 "a spec change to reach the ConfigMap while the PV cannot be patched" has_work_mem
    k delete validatingadmissionpolicybinding,validatingadmissionpolicy "refuse-pv-$NS" >/dev/null
    wait_for 60 "the PV to be Retain once it may be patched" pv_policy_is "$PV" Retain
    healthy() { [ "$(dbi_field locked '{.status.conditions[?(@.type=="Degraded")].status}')" = False ]; }
    wait_for 60 "locked: Degraded False again" healthy
fi

if [[ " $parts " == *" protect "* ]]; then
    k apply --server-side -f "$ROOT/deploy/deletion-protection.yaml" >/dev/null
    dbi guarded Delete true
    # The policy takes effect once the apiserver has loaded it: a server dry run tells.
    refused() { ! k -n "$NS" delete dbinstance guarded --dry-run=server >/dev/null 2>&1; }
    wait_for 60 "the deletion protection policy to be in force" refused
    out=$(k -n "$NS" delete dbinstance guarded --wait=false 2>&1) && fail "a protected DBInstance was deleted: $out"
    [[ $out == *"deletionProtection"* && $out == *'"deletionProtection":false'* ]] ||
        fail "the refusal does not say how to turn the protection off: $out"
    k -n "$NS" get dbinstance guarded >/dev/null || fail "the protected DBInstance is gone"
    [ -z "$(dbi_field guarded '{.metadata.deletionTimestamp}')" ] || fail "the protected DBInstance is being deleted"
    k -n "$NS" patch dbinstance guarded --type=merge -p '{"spec":{"deletionProtection":false}}' >/dev/null
    k -n "$NS" delete dbinstance guarded --timeout=60s >/dev/null || fail "deletion refused after deletionProtection: false"

    # A namespace deleted with a protected DBInstance in it stays Terminating, saying why in
    # its conditions; turning the protection off lets the deletion finish. An operator of its
    # own watches that namespace (JSON log, so that its warnings can be counted).
    ns2="$NS-ns"
    k create namespace "$ns2" >/dev/null
    OP2_PORT=$(free_port)
    "${OP_BIN:-$ROOT/bin/dbaas-operator}" --kubeconfig "$KUBECONFIG" --namespace "$ns2" \
        --metrics-addr "127.0.0.1:$OP2_PORT" >>"$tmp/op2.log" 2>&1 &
    OP2_PID=$!
    wait_for 60 "the operator of $ns2 to be ready" curl -sf "http://127.0.0.1:$OP2_PORT/readyz"
    NS=$ns2 dbi guarded Delete true
    guarded_runs() { [ -n "$(NS=$ns2 dbi_field guarded '{.status.phase}')" ]; }
    wait_for 60 "the operator to report on the protected DBInstance" guarded_runs
    k delete namespace "$ns2" --wait=false >/dev/null
    ns_says() {
        k get namespace "$ns2" -o jsonpath='{.status.conditions[?(@.type=="NamespaceDeletionContentFailure")].message}' |
            grep -q 'deletionProtection":false'
    }
    wait_for 120 "the namespace to say the protected DBInstance stops its deletion" ns_says
    k -n "$ns2" get dbinstance guarded >/dev/null || fail "the namespace deletion took the protected DBInstance"
    # Its children went with the namespace's content, and cannot be made again there: status
    # says why (phase Deleting, Stalled NamespaceTerminating) and the log warns of nothing
    # (before: phase Failed, ApplyFailed, a warning per child and retries with backoff).
    says_terminating() {
        [ "$(NS=$ns2 dbi_field guarded '{.status.phase}/{.status.conditions[?(@.type=="Stalled")].reason}')" = \
            Deleting/NamespaceTerminating ]
    }
    wait_for 60 "the protected DBInstance to say its namespace is being deleted" says_terminating
    if grep '"level":"warn"' "$tmp/op2.log" | grep -q "\"key\":\"$ns2/guarded\""; then
        fail "warnings logged for the DBInstance of a namespace being deleted: $(grep '"level":"warn"' "$tmp/op2.log" | grep "$ns2/guarded" | head -3)"
    fi
    k -n "$ns2" patch dbinstance guarded --type=merge -p '{"spec":{"deletionProtection":false}}' >/dev/null
    wait_for 300 "the namespace deletion to finish once unprotected" gone namespace "$ns2"
    kill -TERM "$OP2_PID" 2>/dev/null
    wait "$OP2_PID" || fail "the operator of $ns2 did not exit 0 after SIGTERM"
    OP2_PID=
fi

if [[ " $parts " == *" crd "* ]]; then
    delete_pv_for doomed
    dbi doomed Delete
    wait_for 90 "doomed to be Ready" dbi_ready doomed
    wait_for 30 "the claim of doomed to be bound" claim_bound doomed
    uid=$(dbi_field doomed '{.metadata.uid}')
    # Every DBInstance of the cluster goes with the CRD: an operator for all namespaces lets
    # go of them all (those other tests left in namespaces being deleted too).
    stop_operator
    OP_PORT=$(free_port)
    "${OP_BIN:-$ROOT/bin/dbaas-operator}" --kubeconfig "$KUBECONFIG" --log-format text \
        --metrics-addr "127.0.0.1:$OP_PORT" >>"$tmp/op.log" 2>&1 &
    OP_PID=$!
    wait_for 60 "the operator for all namespaces to be ready" curl -sf "http://127.0.0.1:$OP_PORT/readyz"
    crd_deleted=1
    k delete crd "$CRD" --timeout=120s >/dev/null || fail "the CRD deletion did not complete"
    k -n "$NS" get pvc data-doomed-0 >/dev/null || fail "deleting the CRD deleted the claim of a Delete-policy DBInstance"
    k -n "$NS" get secret doomed-credentials >/dev/null || fail "deleting the CRD lost the credentials Secret"
    expect_eq "$(k -n "$NS" get secret doomed-credentials -o jsonpath='{.metadata.ownerReferences}')" "" \
        "owners of the Secret kept on CRD deletion"
    pv_policy_is "$PV" Retain || fail "the PV of doomed is not Retain after the CRD deletion"
    event() {
        k -n "$NS" get events --field-selector "involvedObject.uid=$uid,reason=Retained" \
            -o jsonpath='{.items[*].message}' | grep -q "CustomResourceDefinition $CRD is being deleted"
    }
    wait_for 30 "the Retained Event of doomed" event
    grep -q "deleted with its CRD: keeping the data" "$tmp/op.log" || fail "the log does not say the data was kept"
    stop_operator
fi
