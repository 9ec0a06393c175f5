# RBAC proven by use (issue 14, section 2; the one test of deploy/rbac.yaml's permissions):
# - no Role or ClusterRole in deploy/ or its namespaced overlay has a wildcard (apiGroups,
#   resources, verbs, resourceNames, nonResourceURLs);
# - the namespaced overlay's files are what hack/gen-namespaced-rbac.sh writes from deploy/,
#   its Role names only namespaced resources (as the API server lists them), and it passes a
#   server-side dry run;
# - the ServiceAccount may list and watch every kind the operator watches in all namespaces
#   (kubectl auth can-i, a SubjectAccessReview);
# - the operator, with exactly the ServiceAccount of deploy/rbac.yaml (a TokenRequest token, in-cluster configuration: its binary chrooted in the root
#   filesystem hack/image-rootfs.sh assembles, as uid 65532, with the Deployment's arguments),
#   takes a DBInstance (deletionPolicy Delete), another (Retain: the volume's reclaim policy),
#   a DBSnapshot and a HACluster (through the Zalando postgres-operator) to Ready/readyToUse,
#   then through their deletion, and no API request it made was refused (no 403).
# test-least-privilege.sh runs the namespaced overlay's Role the same way.
# tools: csi zalando
. "$ROOT/test/integration/lib.sh"
t0=$SECONDS
. "$ROOT/test/integration/snap-lib.sh"
. "$ROOT/test/integration/pod-lib.sh"
tmp=$(mktemp -d)
OP_PID=
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; deploy_cleanup; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

# No wildcard anywhere in the operator's RBAC.
overlay=$ROOT/deploy/overlays/namespaced
k kustomize "$ROOT/deploy" >"$tmp/deploy.yaml"
k kustomize "$overlay" >"$tmp/overlay.yaml"
python3 - "$tmp/deploy.yaml" "$tmp/overlay.yaml" "$overlay/cluster-scoped.yaml" <<'PY' || fail "wildcards in the RBAC (above)"
import sys, yaml
bad, rules = [], 0
for path in sys.argv[1:]:
    for d in yaml.safe_load_all(open(path)):
        if not d or d["kind"] not in ("Role", "ClusterRole"):
            continue
        if d.get("aggregationRule"):
            bad.append("%s %s aggregates other roles" % (d["kind"], d["metadata"]["name"]))
        for r in d.get("rules") or []:
            rules += 1
            for key in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                for v in r.get(key) or []:
                    if "*" in v:
                        bad.append("%s %s: %s %r" % (d["kind"], d["metadata"]["name"], key, v))
if rules < 10:
    bad.append("only %d rules found: not the operator's RBAC?" % rules)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

# The overlay's copies and Role are what the generator makes of deploy/ today.
bash "$ROOT/hack/gen-namespaced-rbac.sh" "$tmp/gen" >/dev/null
for f in namespace.yaml deployment.yaml rbac.yaml cluster-scoped.yaml; do
    diff -u "$overlay/$f" "$tmp/gen/$f" >&2 ||
        fail "deploy/overlays/namespaced/$f is not what hack/gen-namespaced-rbac.sh writes: run it"
done
namespaced=$(k api-resources --namespaced=true --no-headers -o name)
for r in $(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Role" and d["metadata"]["name"] == "dbaas-operator":
        for r in d["rules"]:
            for g in r["apiGroups"]:
                for x in r["resources"]:
                    print(x.split("/")[0] + ("." + g if g else ""))' "$overlay/rbac.yaml" | sort -u); do
    grep -qx -- "$r" <<<"$namespaced" || [[ $r == postgresqls.acid.zalan.do || $r == volumesnapshots.snapshot.storage.k8s.io ]] ||
        fail "the namespaced Role names $r, which is not a namespaced resource of this API server"
done
deploy_render "$overlay"
k apply --server-side --dry-run=server -f "$tmp/rendered.yaml" >"$tmp/dry.log" 2>&1 ||
    fail "the namespaced overlay failed a server-side dry run: $(cat "$tmp/dry.log")"
echo "RBAC: no wildcard; the namespaced overlay is current and passes a server dry run ($((SECONDS - t0))s)"

# The operator with deploy/'s ServiceAccount and nothing else.
install_crds
deploy_render "$ROOT/deploy"
deploy_apply ServiceAccount Role RoleBinding ClusterRole ClusterRoleBinding
mapfile -t args < <(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        print("\n".join(d["spec"]["template"]["spec"]["containers"][0].get("args", [])))' "$tmp/rendered.yaml")
start_zalando # its CRD, for the checks below
for r in dbinstances.dbaas.dev haclusters.dbaas.dev dbsnapshots.dbaas.dev secrets configmaps services \
    persistentvolumeclaims statefulsets.apps networkpolicies.networking.k8s.io pods events \
    postgresqls.acid.zalan.do volumesnapshots.snapshot.storage.k8s.io; do
    for v in list watch; do
        [ "$(k auth can-i "$v" "$r" --all-namespaces --as="system:serviceaccount:$NS:$SA")" = yes ] ||
            fail "deploy/'s ServiceAccount may not $v $r in all namespaces"
    done
done
pod_rootfs "$tmp/pod"
# --namespace: earlier tests' namespaces, still terminating with their DBInstances, are not
# this operator's business (the ClusterRoleBinding grants the same in every namespace).
pod_start "$tmp/pod" "$tmp/op.log" "${args[@]}" --namespace "$NS"
t1=$SECONDS
instance orders 16.4 postgresql 1Gi "" Delete
instance kept 16.4 postgresql 1Gi "" Retain
k -n "$NS" apply -f "$ROOT/examples/hacluster.yaml" >/dev/null
wait_for 120 "orders to be Ready" dbi_ready orders
wait_for 120 "kept to be Ready" dbi_ready kept
pv=$(k -n "$NS" get pvc data-kept-0 -o jsonpath='{.spec.volumeName}')
retained() { [ "$(k get pv "$pv" -o jsonpath='{.spec.persistentVolumeReclaimPolicy}')" = Retain ]; }
wait_for 60 "kept's volume $pv to be Retain" retained
dbsnap before orders
wait_for 120 "DBSnapshot before to be readyToUse" snap_ready before
expect_eq "$(snap_field before '{.status.readyToUse}')" true "status.readyToUse"
wait_for 240 "HACluster payments Ready" hac_ready payments
echo "DBInstances, DBSnapshot and HACluster Ready in $((SECONDS - t1))s"
no_forbidden "$tmp/op.log"

t1=$SECONDS
k -n "$NS" delete dbsnapshot before --wait=true --timeout=120s >/dev/null || fail "DBSnapshot before was not deleted"
k -n "$NS" delete hacluster payments --wait=true --timeout=120s >/dev/null || fail "HACluster payments was not deleted"
k -n "$NS" delete dbinstance orders kept --wait=true --timeout=120s >/dev/null || fail "the DBInstances were not deleted"
wait_for 60 "the postgresql object payments to go" absent postgresql payments
wait_for 60 "orders' claim to go (Delete)" absent pvc data-orders-0
k -n "$NS" get pvc data-kept-0 >/dev/null 2>&1 || fail "kept's claim went despite Retain"
echo "deleted in $((SECONDS - t1))s"
no_forbidden "$tmp/op.log"
stop_operator # SIGTERM; fails unless it exits 0
echo "ok in $((SECONDS - t0))s"
