# The data claim is annotated with what it holds even while a resize of it is refused (issue
# 10, section 2; issue 18). Its dbaas.dev/source-uid is what says it holds data initialised
# with the Secret's password. A claim made by an operator older than those annotations
# (played here by removing them, and the dbaas.dev/initialized mark of the operators that
# wrote one) on a StorageClass that cannot grow, with spec.storage.size raised: the refused
# resize must not keep the annotations off, or a deleted Secret would get a new password
# over initialised data.
. "$ROOT/test/integration/lib.sh"

sc="it-noexpand-$NS"
pv="it-marked-$RANDOM"
tmp=$(mktemp -d)
OP_PID=
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"
k delete pv "$pv" --wait=false >/dev/null 2>&1; k delete storageclass "$sc" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
install_crds
start_operator "$tmp/op.log"

k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $sc
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
allowVolumeExpansion: false
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $pv
spec:
  storageClassName: $sc
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/dbaas-local-pv/$pv}
  claimRef: {namespace: $NS, name: data-marked-0}
EOF
dbi() { # dbi SIZE
    k -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata:
  name: marked
spec:
  engine: postgresql
  version: "16"
  database: shop
  storage: {size: $1, storageClassName: $sc}
EOF
}
held_by() { k -n "$NS" get pvc data-marked-0 -o jsonpath='{.metadata.annotations.dbaas\.dev/source-uid}'; }
initialised() { [ "$(held_by)" = "$(dbi_field marked '{.metadata.uid}')" ]; }
degraded() { [ "$(dbi_field marked '{.status.conditions[?(@.type=="Degraded")].status}')" = True ]; }

dbi 1Gi
wait_for 90 "marked to be Ready" dbi_ready marked
initialised || fail "the data claim of a Ready instance does not say it holds its data: '$(held_by)'"

# The resize is refused by the API server (the StorageClass does not allow expansion).
dbi 2Gi
wait_for 30 "the refused resize to reach status" degraded
k -n "$NS" annotate pvc data-marked-0 dbaas.dev/initialized- dbaas.dev/source-uid- dbaas.dev/engine- \
    dbaas.dev/major-version- dbaas.dev/database- dbaas.dev/username- >/dev/null
k -n "$NS" get pvc data-marked-0 -o jsonpath='{.spec.resources.requests.storage}' | grep -qx 1Gi ||
    fail "the claim grew on a StorageClass that does not allow it"
wait_for 45 "the claim to be annotated again while its resize is refused" initialised

# So a lost Secret is CredentialsLost, not a new password.
k -n "$NS" delete secret marked-credentials >/dev/null
sleep 5
if k -n "$NS" get secret marked-credentials >/dev/null 2>&1; then
    fail "a new Secret was made over initialised data"
fi

# A claim holds data from the first start of its pod, before the pod is Ready (initdb writes
# the password first): a Secret lost while the pod has never been Ready is CredentialsLost
# too. Here the claim never binds (no volume for it on this class), so no pod ever runs.
k -n "$NS" apply -f - >/dev/null <<EOF2
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata:
  name: unbound
spec:
  engine: postgresql
  version: "16"
  database: shop
  storage: {size: 1Gi, storageClassName: $sc}
EOF2
claim_held() {
    [ "$(k -n "$NS" get pvc data-unbound-0 -o jsonpath='{.metadata.annotations.dbaas\.dev/source-uid}' 2>/dev/null)" = \
        "$(dbi_field unbound '{.metadata.uid}')" ]
}
wait_for 60 "the claim data-unbound-0 to be made from the template" claim_held
# The operator has seen the claim once status tells its wait (after DBI_CLAIM_QUIET_S, 30 s).
tells_wait() { dbi_field unbound '{.status.conditions}' | grep -q 'data-unbound-0'; }
wait_for 90 "unbound's status to tell the claim's wait" tells_wait
dbi_ready unbound && fail "unbound is Ready without a volume"
k -n "$NS" delete secret unbound-credentials >/dev/null
lost() { [ "$(dbi_field unbound '{.status.conditions[?(@.type=="Degraded")].reason}')" = CredentialsLost ]; }
wait_for 30 "unbound to say CredentialsLost" lost
if k -n "$NS" get secret unbound-credentials >/dev/null 2>&1; then
    fail "a new Secret was made over a claim made from the template"
fi
