# The data claim is marked initialised even while a resize of it is refused (issue 10,
# section 2). A claim made by an operator older than the mark (played here by removing the
# mark) on a StorageClass that cannot grow, with spec.storage.size raised: the refused
# resize must not keep the mark off, or a deleted Secret would get a new password over
# initialised data.
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
mark() { k -n "$NS" get pvc data-marked-0 -o jsonpath='{.metadata.annotations.dbaas\.dev/initialized}'; }
initialised() { [ "$(mark)" = true ]; }
degraded() { [ "$(dbi_field marked '{.status.conditions[?(@.type=="Degraded")].status}')" = True ]; }

dbi 1Gi
wait_for 90 "marked to be Ready" dbi_ready marked
wait_for 30 "the data claim to be marked initialised" initialised

# The resize is refused by the API server (the StorageClass does not allow expansion).
dbi 2Gi
wait_for 30 "the refused resize to reach status" degraded
k -n "$NS" annotate pvc data-marked-0 dbaas.dev/initialized- >/dev/null
k -n "$NS" get pvc data-marked-0 -o jsonpath='{.spec.resources.requests.storage}' | grep -qx 1Gi ||
    fail "the claim grew on a StorageClass that does not allow it"
wait_for 45 "the claim to be marked initialised again while its resize is refused" initialised

# So a lost Secret is CredentialsLost, not a new password.
k -n "$NS" delete secret marked-credentials >/dev/null
sleep 5
if k -n "$NS" get secret marked-credentials >/dev/null 2>&1; then
    fail "a new Secret was made over initialised data"
fi
