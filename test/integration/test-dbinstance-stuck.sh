# Every refused write and every stuck pod reaches status (issue 10, section 3): a request the
# API server refuses, an image that cannot be pulled, a crash loop, a pod no node can take,
# and a major upgrade on a serving instance. The pod states are played by the kwok Stages in
# hack/cluster/pod-stages.yaml, chosen by the image (registry.invalid/dbaas-test/...).
. "$ROOT/test/integration/lib.sh"

with_operator

dbi() { # dbi NAME VERSION [EXTRA_SPEC_YAML]
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s}\nspec:\n  engine: postgresql\n  version: "%s"\n  database: app\n%s\n' "$1" "$2" "${3:-}"
}
cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
has_cond() { [ "$(cond "$1" "$2" status)" = "$3" ] && [ "$(cond "$1" "$2" reason)" = "$4" ]; }

# A resource name no Pod takes is refused by the CRD at apply time, naming it.
out=$(dbi disk 16 "  resources: {requests: {disk: 1Gi}}" | k -n "$NS" apply -f - 2>&1) &&
    fail "disk: a request of 'disk' was accepted"
[[ $out == *"not disk"* ]] || fail "disk: the refusal does not name the resource: $out"
# An extended resource requested without its limit is refused by the CRD too (a CEL rule).
out=$(dbi disk 16 "  resources: {requests: {example.com/widget: 1}}" | k -n "$NS" apply -f - 2>&1) &&
    fail "disk: an extended resource without its limit was accepted"
[[ $out == *"example.com/widget"* ]] || fail "disk: the refusal does not name the resource: $out"
# One the CRD does not judge, a toleration with operator Exists and a value, is refused by
# the API server when the StatefulSet is written (422): ApplyFailed with the server's words,
# Stalled, a Warning Event; no condition says this generation was applied.
dbi disk 16 "  podTemplate: {tolerations: [{key: a, operator: Exists, value: b}]}" | k -n "$NS" apply -f - >/dev/null
wait_for 60 "disk: Degraded ApplyFailed" has_cond disk Degraded True ApplyFailed
has_cond disk Stalled True ApplyFailed || fail "disk: Stalled is not ApplyFailed: $(dbi_field disk '{.status}')"
msg=$(cond disk Degraded message)
grep -q 'StatefulSet disk was not written' <<<"$msg" || fail "disk: message does not name the StatefulSet: $msg"
grep -q 'value must be empty when' <<<"$msg" || fail "disk: message lacks the server's reason: $msg"
[ "$(cond disk Ready status)" = False ] || fail "disk: Ready without a pod"
[ "$(cond disk Progressing reason)" != Reconciled ] || fail "disk: Progressing says Reconciled"
[ -z "$(dbi_field disk '{.status.currentVersion}')" ] || fail "disk: currentVersion set without a pod"
wait_for 30 "disk: Warning Event ApplyFailed" \
    bash -c "'$KUBECTL' -n '$NS' get events --field-selector involvedObject.name=disk,reason=ApplyFailed,type=Warning -o name | grep -q ."
# Fixing the spec heals it.
dbi disk 16 "  resources: {requests: {cpu: 500m}}" | k -n "$NS" apply -f - >/dev/null
wait_for 120 "disk to recover" dbi_ready disk
has_cond disk Stalled False NotStalled || fail "disk: still Stalled after the fix"

# 256 parameters of 4096 characters would render a ConfigMap over the API server's 1 MiB:
# the CRD refuses them at apply; 256 of 1024 (the most it allows) are written and run.
params() { # params NAME LENGTH: a DBInstance with 256 parameters of LENGTH characters, as JSON
    python3 -c 'import json, sys
n, size = sys.argv[1], int(sys.argv[2])
print(json.dumps({"apiVersion": "dbaas.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": n},
    "spec": {"engine": "postgresql", "version": "16", "database": "app",
             "parameters": {"custom.p%03d" % i: "x" * size for i in range(256)}}}))' "$1" "$2"
}
params huge 4096 >"$tmp/huge.json"
if out=$(k -n "$NS" create -f "$tmp/huge.json" 2>&1); then
    fail "256 parameters of 4096 characters were accepted"
fi
grep -q 'spec.parameters.custom.p[0-9]*: Too long: may not be more than 1024' <<<"$out" ||
    fail "the refusal does not name the parameter and its limit: ${out:0:300}"
params most 1024 >"$tmp/most.json"
k -n "$NS" create -f "$tmp/most.json" >/dev/null
wait_for 120 "most: Ready with 256 parameters of 1024 characters" dbi_ready most

# An image that cannot be pulled.
dbi pull 16 "  image: registry.invalid/dbaas-test/pull-fails:1" | k -n "$NS" apply -f - >/dev/null
wait_for 90 "pull: Degraded ImagePullBackOff" has_cond pull Degraded True ImagePullBackOff
msg=$(cond pull Degraded message)
grep -q 'registry.invalid/dbaas-test/pull-fails:1' <<<"$msg" || fail "pull: message does not name the image: $msg"
[ "$(cond pull Ready status)" = False ] || fail "pull: Ready with an image that cannot be pulled"
expect_eq "$(dbi_field pull '{.status.phase}')" Degraded "pull: phase of a pod that cannot pull its image"

# A crash loop: the last exit code and reason.
dbi crash 16 "  image: registry.invalid/dbaas-test/crashloop:1" | k -n "$NS" apply -f - >/dev/null
wait_for 90 "crash: Degraded CrashLoopBackOff" has_cond crash Degraded True CrashLoopBackOff
msg=$(cond crash Degraded message)
grep -q 'exit code 1 (Error)' <<<"$msg" || fail "crash: message lacks the last exit code: $msg"

# More CPU than any node has: the scheduler's message.
dbi big 16 "  resources: {requests: {cpu: 1000}}" | k -n "$NS" apply -f - >/dev/null
wait_for 90 "big: Degraded Unschedulable" has_cond big Degraded True Unschedulable
msg=$(cond big Degraded message)
grep -q 'Insufficient cpu' <<<"$msg" || fail "big: message is not the scheduler's: $msg"

# A pod the StatefulSet cannot create (kube-apiserver's Priority admission plugin refuses a
# PriorityClass that does not exist): the statefulset controller says so only in a
# FailedCreate Event on the StatefulSet, which the operator watches. Degraded PodCreateFailed
# naming the field; made Ready by creating the class (the controller retries with backoff).
prio=dbaas-test-$NS
k delete priorityclass "$prio" --ignore-not-found >/dev/null
dbi prio 16 "  podTemplate: {priorityClassName: $prio}" | k -n "$NS" apply -f - >/dev/null
wait_for 90 "prio: Degraded PodCreateFailed" has_cond prio Degraded True PodCreateFailed
msg=$(cond prio Degraded message)
grep -q 'check spec.podTemplate.priorityClassName' <<<"$msg" || fail "prio: message does not name the field: $msg"
grep -q "no PriorityClass with name $prio was found" <<<"$msg" || fail "prio: message lacks the server's words: $msg"
[ "$(cond prio Ready status)" = False ] || fail "prio: Ready without a pod"
t0=$SECONDS
printf 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: %s}\nvalue: 1000\n' "$prio" |
    k apply -f - >/dev/null
wait_for 300 "prio: Ready once the PriorityClass exists" dbi_ready prio
has_cond prio Degraded False Healthy || fail "prio: still Degraded: $(dbi_field prio '{.status.conditions}')"
echo "prio: Ready $((SECONDS - t0)) s after the PriorityClass was made (the StatefulSet controller's backoff)"
# The FailedCreate Event outlives its cause (an hour): a rolling update afterwards (the pod
# deleted, then made again) must not bring PodCreateFailed back (a new user's trial saw it).
warned() { k -n "$NS" get events --field-selector involvedObject.name=prio,reason=PodCreateFailed \
    -o jsonpath='{range .items[*]}{.count}{"\n"}{end}' | awk '{n += $1} END {print n + 0}'; }
before=$(warned)
dbi prio 16 "  podTemplate: {priorityClassName: $prio}
  resources: {requests: {cpu: 300m}}" | k -n "$NS" apply -f - >/dev/null
wait_for 120 "prio: rolled to the new spec" bash -c "[ \"\$('$KUBECTL' -n '$NS' get pod prio-0 -o jsonpath='{.spec.containers[0].resources.requests.cpu}')\" = 300m ]"
wait_for 120 "prio: Ready after the roll" dbi_ready prio
[ "$(warned)" = "$before" ] || fail "prio: PodCreateFailed again during a rolling update ($before -> $(warned) Events)"
k -n "$NS" delete dbinstance prio --wait=false >/dev/null
k delete priorityclass "$prio" >/dev/null

# A major version change on a serving instance: Ready stays True (the old pod serves),
# Degraded and Stalled say why, the phase is Degraded (not Failed, not Updating).
dbi up 16 | k -n "$NS" apply -f - >/dev/null
wait_for 120 "up to be ready" dbi_ready up
dbi up 17 | k -n "$NS" apply -f - >/dev/null
wait_for 60 "up: Degraded UnsupportedUpgrade" has_cond up Degraded True UnsupportedUpgrade
has_cond up Ready True DatabaseReady || fail "up: Ready is not True while the old pod serves: $(dbi_field up '{.status.conditions}')"
has_cond up Stalled True UnsupportedUpgrade || fail "up: not Stalled"
expect_eq "$(dbi_field up '{.status.phase}')" Degraded "up: phase while the old pod serves a refused spec"
expect_eq "$(dbi_field up '{.status.currentVersion}')" 16 "up: currentVersion"
expect_eq "$(dbi_field up '{.status.observedGeneration}')" "$(dbi_field up '{.metadata.generation}')" "up: observedGeneration"
stop_operator
