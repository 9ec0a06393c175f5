# Least privilege (issue 16, section 5): the operator's Secret cache holds only the Secrets
# labelled as its own plus those its objects name (credentialsSecretRef, watched by name),
# while 50 unrelated Secrets (some with labels much like ours) sit in the same namespace. The
# cache size is the operator's dbaas_informer_objects{resource="secrets"}.
# It runs in namespaced mode (issue 14, section 2) with exactly the permissions of the
# namespaced install, deploy/overlays/namespaced: its ServiceAccount and Role (no ClusterRole),
# a TokenRequest token, in-cluster configuration (the binary chrooted in hack/image-rootfs.sh's
# root filesystem as uid 65532) and the Deployment's arguments but --leader-elect, --namespace
# from the pod's namespace; no request it makes is refused (no 403). test-rbac.sh checks for wildcards.
. "$ROOT/test/integration/lib.sh"
. "$ROOT/test/integration/pod-lib.sh"

for i in $(seq 1 50); do
    case $((i % 3)) in
    0) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    1) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s, labels: {app.kubernetes.io/managed-by: helm, app.kubernetes.io/instance: orders}}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    2) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s, labels: {app.kubernetes.io/name: postgresql}}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    esac
    echo ---
done | k -n "$NS" apply -f - >/dev/null
k -n "$NS" create secret generic given-pw --from-literal=password=a-given-password >/dev/null

tmp=$(mktemp -d)
OP_PID=
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; deploy_cleanup; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
install_crds
deploy_render "$ROOT/deploy/overlays/namespaced"
grep -qE '^kind: Cluster' "$tmp/rendered.yaml" && fail "the namespaced overlay holds a ClusterRole or ClusterRoleBinding"
deploy_apply ServiceAccount Role RoleBinding
# The kubelet expands $(POD_NAMESPACE) from the downward API. Without --leader-elect: the
# Lease's renewals would be writes that never settle (test-rbac.sh runs leader election).
mapfile -t args < <(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        print("\n".join(d["spec"]["template"]["spec"]["containers"][0].get("args", [])))' "$tmp/rendered.yaml" |
    sed "s/\$(POD_NAMESPACE)/$NS/" | grep -vx -- --leader-elect)
[[ " ${args[*]} " == *" --namespace=$NS "* ]] || fail "the namespaced Deployment does not pass --namespace: ${args[*]}"
pod_rootfs "$tmp/pod"
pod_start "$tmp/pod" "$tmp/op.log" "${args[@]}"
k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: given}\nspec: {engine: postgresql, version: "16", database: shop, credentialsSecretRef: {name: given-pw}}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 90 "orders to be Ready" dbi_ready orders
wait_for 90 "given to be Ready" dbi_ready given
settle_writes op_writes

cached() {
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" |
        awk '/^dbaas_informer_objects\{resource="secrets"\}/ {print $NF + 0}'
}
ours=$(k -n "$NS" get secrets -l app.kubernetes.io/managed-by=dbaas-operator -o name | wc -l)
[ "$ours" -ge 2 ] || fail "want at least the two credentials Secrets labelled as ours, got $ours"
all=$(k -n "$NS" get secrets -o name | wc -l)
# Ours plus the one named by credentialsSecretRef; none of the 50.
expect_eq "$(cached)" "$((ours + 1))" "Secrets in the operator's cache (of $all in the namespace)"
echo "cache: $(cached) Secrets of $all in the namespace ($ours labelled as ours, 1 named)"
no_forbidden "$tmp/op.log"

# What the README says of a Role alone (no deploy/overlays/namespaced/cluster-scoped.yaml): the
# operator cannot read the DBInstance CRD before a deletion, so it keeps the data whatever
# deletionPolicy says, and keeping it needs the volume, which it cannot read: the deletion
# waits, Stalled VolumeNotRetained. Once a cluster admin applies cluster-scoped.yaml, the
# deletion completes as its policy (Delete, the default) says.
t1=$SECONDS
k -n "$NS" delete dbinstance orders --wait=false >/dev/null
stalled() { [ "$(dbi_field orders '{.status.conditions[?(@.type=="Stalled")].reason}')" = VolumeNotRetained ]; }
wait_for 60 "orders' deletion to be Stalled VolumeNotRetained" stalled
k -n "$NS" get pvc data-orders-0 >/dev/null || fail "the claim of orders went although the CRD could not be read"
python3 - "$ROOT/deploy/overlays/namespaced/cluster-scoped.yaml" "$NS" "$SA" "$tmp/cluster-scoped" >"$tmp/cs.yaml" <<'PY'
import sys, yaml
path, ns, sa, track = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
with open(track, "a") as f:
    for d in docs:
        d["metadata"]["name"] += "-" + ns
        f.write("%s/%s\n" % (d["kind"].lower(), d["metadata"]["name"]))
        if d["kind"] == "ClusterRoleBinding":
            d["roleRef"]["name"] += "-" + ns
            d["subjects"] = [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
PY
k apply --server-side -f "$tmp/cs.yaml" >/dev/null
gone() { ! k -n "$NS" get dbinstance orders >/dev/null 2>&1; }
wait_for 90 "orders to be deleted once cluster-scoped.yaml is applied" gone
wait_for 60 "orders' claim to go (Delete)" bash -c "! '$KUBECTL' -n '$NS' get pvc data-orders-0 >/dev/null 2>&1"
echo "a Role alone: the deletion waited (Stalled VolumeNotRetained); with cluster-scoped.yaml it completed ($((SECONDS - t1))s)"
