# Children that an admission plugin changes cost no write at rest: a MutatingAdmissionPolicy
# (built into the API server, as a service mesh's or a security tool's webhook would) adds a
# sidecar container and an env variable to every StatefulSet of this namespace. Server-side
# apply keeps them (they are another manager's), so the operator must not re-apply its
# StatefulSet at every reconcile: lists keyed by name (containers, env) are compared by name.
. "$ROOT/test/integration/lib.sh"

with_operator
policy="dbaas-it-mutated-$NS"
cleanup_policy() { k delete mutatingadmissionpolicybinding,mutatingadmissionpolicy "$policy" --ignore-not-found >/dev/null 2>&1 || true; }
trap 'cleanup_policy; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: $policy}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [statefulsets]
  failurePolicy: Fail
  reinvocationPolicy: Never
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{
          containers: [
            Object.spec.template.spec.containers{name: "mesh-proxy", image: "registry.k8s.io/pause:3.10"},
            Object.spec.template.spec.containers{name: "postgresql",
              env: [Object.spec.template.spec.containers.env{name: "MESH_INJECTED", value: "1"}]}
          ]}}}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: $policy}
spec:
  policyName: $policy
  matchResources:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: $NS}
YAML

# The policy takes effect once the API server has loaded it: probe with a scratch object.
probe() {
    k -n "$NS" apply --dry-run=server -o jsonpath='{.spec.template.spec.containers[*].name}' -f - <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: probe}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec: {containers: [{name: postgresql, image: x}]}
YAML
}
probe_mutated() { [[ $(probe) == *mesh-proxy* ]]; }
wait_for 60 "the MutatingAdmissionPolicy to take effect" probe_mutated

k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: orders}
spec: {engine: postgresql, version: "16", database: app}
YAML
wait_for 90 "orders to be Ready" dbi_ready orders
containers=$(k -n "$NS" get statefulset orders -o jsonpath='{.spec.template.spec.containers[*].name}')
[[ $containers == *mesh-proxy* ]] || fail "the policy did not add its sidecar: $containers"
env=$(k -n "$NS" get statefulset orders -o jsonpath='{.spec.template.spec.containers[?(@.name=="postgresql")].env[*].name}')
[[ $env == *MESH_INJECTED* ]] || fail "the policy did not add its env: $env"

# Each touch of the DBInstance's metadata makes a reconcile; none may write. (Argo CD's own
# annotations are not passed on to the children, so a touch with one changes nothing.)
settle_writes op_writes
before=$(op_writes)
rev=$(k -n "$NS" get statefulset orders -o jsonpath='{.metadata.resourceVersion}')
for i in 1 2 3; do
    k -n "$NS" annotate dbi orders "argocd.argoproj.io/touch=$i" --overwrite >/dev/null
    sleep 1.5
done
settle_writes op_writes
expect_eq "$(op_writes)" "$before" "writes after three reconciles of a mutated StatefulSet"
expect_eq "$(k -n "$NS" get statefulset orders -o jsonpath='{.metadata.resourceVersion}')" "$rev" \
    "the StatefulSet's resourceVersion"

# A change of ours still reaches it, beside the injected parts.
k -n "$NS" patch dbi orders --type merge -p '{"spec":{"parameters":{"work_mem":"8MB"}}}' >/dev/null
has_work_mem() { [[ $(k -n "$NS" get statefulset orders -o jsonpath='{.spec.template.spec.containers[?(@.name=="postgresql")].args}') == *work_mem* ]]; }
wait_for 30 "work_mem to reach the StatefulSet" has_work_mem
env=$(k -n "$NS" get statefulset orders -o jsonpath='{.spec.template.spec.containers[?(@.name=="postgresql")].env[*].name}')
[[ $env == *MESH_INJECTED* ]] || fail "our apply removed the injected env: $env"
echo "no writes at rest with a mutating admission policy on the StatefulSet"
