# The Helm chart (deploy/helm/dbaas-operator, issue 14) with Helm 3 (hack/build-helm.sh):
# lint and the values schema; the chart's image and RBAC equal deploy/'s; `helm template`
# (every optional object on, cluster-wide and namespaced) through a server-side dry run; then
# `helm install --wait` into a namespace that enforces Pod Security "restricted" (kwok makes
# the operator's pods Ready), every rendered object created and its RBAC granting exactly the
# rules of deploy/rbac.yaml; the CRD upgrade path (Helm never upgrades crds/: the chart's
# CRDs applied server-side before `helm upgrade`); `helm upgrade` with a changed value; and
# `helm uninstall`, which removes every object but leaves the CRDs and the DBInstances.
# tools: helm
. "$ROOT/test/integration/lib.sh"

t_start=$SECONDS
HELM=$(bash "$ROOT/hack/build-helm.sh" path 3)
chart=$ROOT/deploy/helm/dbaas-operator
here=$ROOT/test/integration/helm
check() { python3 "$here/check.py" "$@"; }
tmp=$(mktemp -d)
# Helm's own state (repositories, cache) stays in the scratch folder.
export HELM_CACHE_HOME=$tmp/helm/cache HELM_CONFIG_HOME=$tmp/helm/config HELM_DATA_HOME=$tmp/helm/data
rel=dbo${NS##*-} # a release of its own: its ClusterRoles and policy do not meet another's
full=$rel-dbaas-operator
watched=$NS-watched
pc=$NS-pc
cleanup() {
    "$HELM" uninstall "$rel" -n "$NS" >/dev/null 2>&1 || true
    "$HELM" uninstall "${rel}n" -n "$NS" >/dev/null 2>&1 || true
    k delete namespace "$watched" --wait=false >/dev/null 2>&1 || true
    k delete priorityclass "$pc" >/dev/null 2>&1 || true
    # The CRDs as crds/ has them, whatever the upgrade-path step left.
    install_crds >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
h() { "$HELM" "$@"; }
step() { echo "== $* ($((SECONDS - t_start)) s)"; }

step "lint"
h lint --strict "$chart" || fail "helm lint"
h lint --strict "$chart" --set watchNamespace=apps --set rbac.clusterScopedRules=false || fail "helm lint (namespaced)"

step "the values schema and the chart refuse bad values, naming them"
refused() { # refused WHAT TEXT ARGS...: helm template must fail and say TEXT
    local what=$1 text=$2 out
    shift 2
    out=$(h template x "$chart" "$@" 2>&1) && fail "$what: rendered, want a refusal"
    [[ $out == *"$text"* ]] || fail "$what: the refusal does not say \"$text\": $out"
}
refused "an unknown log level" logLevel --set logLevel=verbose
refused "a misspelt key" imagee --set imagee.tag=1
refused "a string for replicas" replicas --set-string replicas=two
refused "two replicas without a Lease" "needs leaderElection.enabled" --set replicas=2 --set leaderElection.enabled=false
refused "a ServiceMonitor without its Service" "needs metrics.service.enabled" \
    --set serviceMonitor.enabled=true --set metrics.service.enabled=false

step "image: deploy/'s repository, tagged with the operator's version"
h template "$rel" "$chart" -n "$NS" >"$tmp/default.yaml"
image=$(python3 -c 'import sys,yaml; print([d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"]=="Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["image"])' "$tmp/default.yaml")
deploy_image=$(sed -n 's/^ *image: *\([^ ]*\).*/\1/p' "$ROOT/deploy/deployment.yaml")
# The tag is the operator's version, as make image tags it (test-image.sh holds deploy/ to it).
expect_eq "${image%:*}" "${deploy_image%:*}" "the chart's default image repository against deploy/deployment.yaml's"
version=$("$ROOT/bin/dbaas-operator" --version | awk '{print $2}')
expect_eq "${image##*:}" "$version" "the chart's image tag against bin/dbaas-operator --version"
h template "$rel" "$chart" --set image.repository=registry.example.com/dbaas-operator --set image.tag=9.9.9 \
    >"$tmp/image.yaml"
grep -q 'image: registry.example.com/dbaas-operator:9.9.9$' "$tmp/image.yaml" ||
    fail "image.repository and image.tag are not used"

step "RBAC: the rendered roles hold deploy/rbac.yaml's rules, cluster-wide and namespaced"
check rbac "$tmp/default.yaml" "$ROOT/deploy/rbac.yaml" "$full" "$NS" || fail "RBAC (cluster-wide)"
h template "$rel" "$chart" -n "$NS" --set watchNamespace="$watched" >"$tmp/namespaced.yaml"
check rbac "$tmp/namespaced.yaml" "$ROOT/deploy/rbac.yaml" "$full" "$NS" "$watched" ||
    fail "RBAC (namespaced)"
grep -q -- "- --namespace" "$tmp/namespaced.yaml" || fail "watchNamespace does not reach --namespace"
h template "$rel" "$chart" -n "$NS" --set watchNamespace="$watched" --set rbac.clusterScopedRules=false \
    >"$tmp/nocluster.yaml"
check rbac "$tmp/nocluster.yaml" "$ROOT/deploy/rbac.yaml" "$full" "$NS" "$watched" nocluster ||
    fail "RBAC (namespaced, no ClusterRole)"
! grep -q '^kind: ClusterRole' "$tmp/nocluster.yaml" || fail "rbac.clusterScopedRules=false still renders a ClusterRole"
# The check itself catches a rule the chart lost.
sed '0,/- get$/s//- getx/' "$tmp/default.yaml" >"$tmp/broken.yaml"
if check rbac "$tmp/broken.yaml" "$ROOT/deploy/rbac.yaml" "$full" "$NS" >/dev/null 2>&1; then
    fail "the RBAC check passed a manifest with a changed verb"
fi

step "the ServiceMonitor CRD (prometheus-operator, from the Go module cache)"
sm_crd=$(bash "$ROOT/hack/build-helm.sh" servicemonitor-crd)
k apply --server-side --force-conflicts -f "$sm_crd" >/dev/null
k wait --for=condition=Established --timeout=60s crd/servicemonitors.monitoring.coreos.com >/dev/null
k create priorityclass "$pc" --value=1000 >/dev/null
k create namespace "$watched" >/dev/null
all=(-f "$here/values-all.yaml" --set priorityClassName="$pc")

step "helm template | kubectl apply --server-side --dry-run=server (everything on; then namespaced)"
h template "$rel" "$chart" -n "$NS" --include-crds "${all[@]}" >"$tmp/all.yaml"
k apply --server-side --dry-run=server -f "$tmp/all.yaml" >"$tmp/dry.log" 2>&1 ||
    { cat "$tmp/dry.log"; fail "the server refused the rendered chart"; }
echo "server-side dry run: $(grep -c . "$tmp/dry.log") objects accepted"
h template "$rel" "$chart" -n "$NS" "${all[@]}" --set watchNamespace="$watched" |
    k apply --server-side --dry-run=server -f - >"$tmp/dry.log" 2>&1 ||
    { cat "$tmp/dry.log"; fail "the server refused the rendered chart (namespaced)"; }

step "the cluster holds an older chart's CRDs (the Endpoint column missing)"
old=$tmp/old-crds
mkdir -p "$old"
cp "$chart"/crds/*.yaml "$old/"
python3 - "$old/dbaas.dev_dbinstances.yaml" <<'EOF'
import sys, yaml
path = sys.argv[1]
crd = yaml.safe_load(open(path))
for v in crd["spec"]["versions"]:
    v["additionalPrinterColumns"] = [c for c in v["additionalPrinterColumns"] if c["name"] != "Endpoint"]
yaml.safe_dump(crd, open(path, "w"))
EOF
k apply --server-side --force-conflicts -f "$old/" >/dev/null
columns() { k get crd dbinstances.dbaas.dev -o jsonpath='{.spec.versions[0].additionalPrinterColumns[*].name}'; }
[[ " $(columns) " != *" Endpoint "* ]] || fail "the older CRD still has the Endpoint column: $(columns)"

step "helm install --wait (Pod Security restricted enforced in the namespace)"
k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted >/dev/null
t0=$SECONDS
h install "$rel" "$chart" -n "$NS" "${all[@]}" --wait --timeout 180s >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "helm install"; }
echo "helm install --wait took $((SECONDS - t0)) s"
! grep -i 'PodSecurity' "$tmp/install.log" || fail "the API server warns that the pods break Pod Security restricted"
h get manifest "$rel" -n "$NS" >"$tmp/manifest.yaml"
check objects "$tmp/manifest.yaml" >"$tmp/objects"
for kind in Deployment ServiceAccount Service ServiceMonitor PodDisruptionBudget ClusterRole \
    ClusterRoleBinding Role RoleBinding ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding; do
    grep -q " $kind " "$tmp/objects" || fail "the release has no $kind: $(cat "$tmp/objects")"
done
exists() { # exists APIVERSION KIND NS NAME
    local group=${1%/*}
    [ "$group" = "$1" ] && group=
    if [ "$3" = - ]; then k get "$2${group:+.$group}" "$4" >/dev/null; else k -n "$3" get "$2${group:+.$group}" "$4" >/dev/null; fi
}
absent() { ! exists "$@"; }
while read -r api kind ns name; do
    exists "$api" "$kind" "$ns" "$name" || fail "$kind $ns/$name of the release is not in the cluster"
done <"$tmp/objects"
echo "release: $(wc -l <"$tmp/objects") objects, each in the cluster"
for f in "$chart"/crds/*.yaml; do
    k wait --for=condition=Established --timeout=30s -f "$f" >/dev/null || fail "CRD of $f not Established"
done
ready=$(k -n "$NS" get deployment "$full" -o jsonpath='{.status.readyReplicas}')
expect_eq "$ready" 2 "ready operator pods"
pod=$(k -n "$NS" get pods -l app.kubernetes.io/instance="$rel" -o jsonpath='{.items[0].metadata.name}')
expect_eq "$(k -n "$NS" get pod "$pod" -o jsonpath='{.spec.priorityClassName}')" "$pc" "the pod's priorityClassName"
expect_eq "$(k -n "$NS" get pod "$pod" -o jsonpath='{.spec.nodeName}')" kwok-node-0 "the pod's node"
[[ $(columns) != *Endpoint* ]] || fail "helm install changed the existing CRD; Helm never does"

step "RBAC as the API server decides it (SubjectAccessReviews for the ServiceAccount)"
check sar "$ROOT/deploy/rbac.yaml" "$NS" "$full" "$NS" | k create -o json -f - | check sar-result true ||
    fail "a rule of deploy/rbac.yaml is not granted"
check sar-denied "$NS" "$full" "$NS" | k create -o json -f - | check sar-result false ||
    fail "the ServiceAccount may do more than deploy/rbac.yaml says"
# deploy/rbac.yaml's rules in a namespace the release was not installed in (cluster-wide).
check sar-elsewhere "$ROOT/deploy/rbac.yaml" "$NS" "$full" "$watched" | k create -o json -f - |
    check sar-result true || fail "the cluster-wide install does not reach other namespaces"

step "a namespaced install beside it (watchNamespace): its rules there, none elsewhere"
h install "${rel}n" "$chart" -n "$NS" --set watchNamespace="$watched" --wait --timeout 180s \
    >"$tmp/installn.log" 2>&1 || { cat "$tmp/installn.log"; fail "helm install (namespaced)"; }
check sar "$ROOT/deploy/rbac.yaml" "$NS" "${full/$rel/${rel}n}" "$NS" "$watched" | k create -o json -f - |
    check sar-result true || fail "a rule of deploy/rbac.yaml is not granted in the watched namespace"
check sar-elsewhere "$ROOT/deploy/rbac.yaml" "$NS" "${full/$rel/${rel}n}" default | k create -o json -f - |
    check sar-result false || fail "the namespaced install reaches namespace default"
h uninstall "${rel}n" -n "$NS" --wait --timeout 120s >/dev/null || fail "helm uninstall (namespaced)"

step "the CRD upgrade path: helm upgrade alone leaves the CRDs as they are"
h upgrade "$rel" "$chart" -n "$NS" --reuse-values --wait --timeout 180s >"$tmp/up.log" 2>&1 ||
    { cat "$tmp/up.log"; fail "helm upgrade"; }
[[ " $(columns) " != *" Endpoint "* ]] || fail "helm upgrade changed a CRD of crds/ (Helm never does)"
# README.md's documented step: the chart's CRDs, server-side, before helm upgrade.
k apply --server-side --force-conflicts -f "$chart/crds/" >/dev/null || fail "kubectl apply of the chart's CRDs"
[[ " $(columns) " == *" Endpoint "* ]] || fail "the chart's CRDs did not reach the cluster: $(columns)"
for f in "$chart"/crds/*.yaml; do
    k wait --for=condition=Established --timeout=30s -f "$f" >/dev/null || fail "CRD of $f not Established"
done

step "a DBInstance made while the release is installed (it must outlive the release)"
k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null

step "helm upgrade with a changed value (logLevel debug) rolls the operator"
t0=$SECONDS
h upgrade "$rel" "$chart" -n "$NS" --reuse-values --set logLevel=debug --wait --timeout 180s >"$tmp/up.log" 2>&1 ||
    { cat "$tmp/up.log"; fail "helm upgrade --set logLevel=debug"; }
echo "helm upgrade --wait took $((SECONDS - t0)) s"
args=$(k -n "$NS" get deployment "$full" -o jsonpath='{.spec.template.spec.containers[0].args}')
[[ $args == *'"--log-level","debug"'* ]] || fail "the upgrade did not reach the Deployment: $args"
expect_eq "$(k -n "$NS" get deployment "$full" -o jsonpath='{.status.updatedReplicas}/{.status.readyReplicas}')" \
    2/2 "updated/ready replicas after the upgrade"
expect_eq "$(h history "$rel" -n "$NS" -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    3 "revisions"

step "helm uninstall: every object goes, the CRDs and the DBInstance stay"
h uninstall "$rel" -n "$NS" --wait --timeout 120s >/dev/null || fail "helm uninstall"
while read -r api kind ns name; do
    wait_for 60 "$kind $ns/$name to go" absent "$api" "$kind" "$ns" "$name"
done <"$tmp/objects"
for f in "$chart"/crds/*.yaml; do
    k get -f "$f" >/dev/null || fail "helm uninstall removed the CRD of $f"
done
k -n "$NS" get dbinstance orders >/dev/null || fail "the DBInstance went with the release"
echo "test-helm took $((SECONDS - t_start)) s"
