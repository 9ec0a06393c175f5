# The operator's own pod under Pod Security (issue 14, section 6): deploy/ as `kubectl apply
# -k deploy/` installs it (rendered by the pinned kubectl's kustomize, moved into this test's
# namespace: its Namespace object becomes $NS and every name gets -$NS) is applied to the API
# server; the namespace then enforces the restricted profile, and the Deployment's pod is
# admitted and (kwok plays the kubelet) Ready, as uid 65532 with the image deploy/ names. The
# control: a pod that breaks the profile is refused in the same namespace.
. "$ROOT/test/integration/lib.sh"
. "$ROOT/test/integration/pod-lib.sh"
tmp=$(mktemp -d)
trap 'deploy_cleanup; rm -rf "$tmp"' EXIT
t0=$SECONDS

deploy_render "$ROOT/deploy"
# shellcheck disable=SC2119 # no kinds named: every kind
deploy_apply
expect_eq "$(k get namespace "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" \
    restricted "the enforce label deploy/ puts on the operator's namespace"

if out=$(k -n "$NS" run not-restricted --image=busybox --restart=Never 2>&1); then
    fail "a pod breaking the restricted profile was admitted: the namespace does not enforce it"
fi
grep -q 'violates PodSecurity "restricted' <<<"$out" || fail "the control pod was refused for another reason: $out"

dep=dbaas-operator-$NS
available() { [ "$(k -n "$NS" get deployment "$dep" -o jsonpath='{.status.availableReplicas}')" = 1 ]; }
refusals() { k -n "$NS" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'; }
# Available, or refused by Pod Security: that refusal is final, no need to wait out the bound.
settled() { available || refusals | grep -q PodSecurity; }
if ! (wait_for 120 "Deployment $dep to have its pod available" settled) || ! available; then
    k -n "$NS" get events -o custom-columns=REASON:.reason,MESSAGE:.message >&2 || true
    fail "the operator's pod was not admitted or not Ready (Events above)"
fi
refused=$(refusals)
[ -z "$refused" ] || fail "the ReplicaSet could not create a pod: $refused"
pod=$(k -n "$NS" get pods -l app.kubernetes.io/name=dbaas-operator -o jsonpath='{.items[0].metadata.name}')
want_image=$(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        print(d["spec"]["template"]["spec"]["containers"][0]["image"])' "$tmp/rendered.yaml")
expect_eq "$(k -n "$NS" get pod "$pod" -o jsonpath='{.spec.containers[0].image}')" "$want_image" "the pod's image"
expect_eq "$(k -n "$NS" get pod "$pod" -o jsonpath='{.spec.securityContext.runAsUser}/{.spec.serviceAccountName}')" \
    "65532/dbaas-operator-$NS" "the pod's user and ServiceAccount"
expect_eq "$(k -n "$NS" get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" True "the pod Ready"
echo "the operator's pod $pod admitted under restricted and Ready in $((SECONDS - t0))s"
