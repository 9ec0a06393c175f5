# Undoing a bad pod spec heals the instance (issue 10). A StatefulSet with the default
# OrderedReady policy waits for its broken pod to become Ready before it replaces it, so on
# its own it never rolls back ("Forced rollback" in the Kubernetes StatefulSet docs); the
# operator deletes a stuck, not-Ready pod of an older revision so that the StatefulSet makes
# it again from the current template. A pod stuck on the current template is left alone:
# replacing it would only loop. The pod states are played by the kwok Stages in
# hack/cluster/pod-stages.yaml; no node carries the label disk=ssd.
. "$ROOT/test/integration/lib.sh"

with_operator

dbi() { # dbi NAME [EXTRA_SPEC_YAML]
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s}\nspec:\n  engine: postgresql\n  version: "16"\n  database: app\n%s\n' "$1" "${2:-}"
}
cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
has_cond() { [ "$(cond "$1" "$2" status)" = "$3" ] && [ "$(cond "$1" "$2" reason)" = "$4" ]; }
uid() { k -n "$NS" get "$1" "$2" -o jsonpath='{.metadata.uid}'; }
events() { # events NAME REASON: the Events of that reason about the DBInstance NAME
    k -n "$NS" get events --field-selector "involvedObject.kind=DBInstance,involvedObject.name=$1,reason=$2" \
        -o jsonpath='{range .items[*]}{.type} {.message}{"\n"}{end}'
}
# The pod runs the template the StatefulSet wants, and is Ready.
pod_current() {
    [ "$(k -n "$NS" get pod "$1-0" -o jsonpath='{.metadata.labels.controller-revision-hash}')" = \
        "$(k -n "$NS" get statefulset "$1" -o jsonpath='{.status.updateRevision}')" ] &&
        [ "$(k -n "$NS" get pod "$1-0" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# rollback NAME BAD_SPEC REASON: a Ready instance is given BAD_SPEC, reports REASON, and is
# back on its own data and password once BAD_SPEC is taken out again.
rollback() {
    local name=$1 bad=$2 reason=$3 claim password
    dbi "$name" | k -n "$NS" apply -f - >/dev/null
    wait_for 120 "$name to be Ready" dbi_ready "$name"
    claim=$(uid pvc "data-$name-0")
    password=$(secret_key "$name-credentials" password)
    [ -z "$(events "$name" StuckPodReplaced)" ] || fail "$name: a pod was replaced before anything was stuck"

    dbi "$name" "$bad" | k -n "$NS" apply -f - >/dev/null
    wait_for 120 "$name: Degraded $reason" has_cond "$name" Degraded True "$reason"

    dbi "$name" | k -n "$NS" apply -f - >/dev/null
    wait_for 120 "$name to be Ready again once the bad spec is undone (pod $name-0 stays on the broken template)" \
        pod_current "$name"
    wait_for 60 "$name: Ready in status" dbi_ready "$name"
    expect_eq "$(uid pvc "data-$name-0")" "$claim" "$name: the data claim after the rollback"
    expect_eq "$(secret_key "$name-credentials" password)" "$password" "$name: the password after the rollback"
    wait_for 30 "$name: a Normal Event StuckPodReplaced naming $name-0" event_names "$name" "$name-0"
}
event_names() { events "$1" StuckPodReplaced | grep -q "^Normal .*$2"; }

rollback sel "  podTemplate:
    nodeSelector: {disk: ssd}" Unschedulable
rollback pull "  image: registry.invalid/dbaas-test/pull-fails:1" ImagePullBackOff
msg=$(events pull StuckPodReplaced)
grep -q 'ImagePullBackOff' <<<"$msg" || fail "pull: the Event does not say why the pod was replaced: $msg"
grep -q 'replacing a stuck pod of an older template .*pod=pull-0 reason=ImagePullBackOff' "$tmp/op.log" ||
    fail "pull: no log line about replacing pod pull-0"

# A crash loop on the current template is not a rollback: the pod stays (a new one would
# crash the same way), status says why, and no pod is replaced.
dbi crash | k -n "$NS" apply -f - >/dev/null
wait_for 120 "crash to be Ready" dbi_ready crash
dbi crash "  image: registry.invalid/dbaas-test/crashloop:1" | k -n "$NS" apply -f - >/dev/null
wait_for 120 "crash: Degraded CrashLoopBackOff" has_cond crash Degraded True CrashLoopBackOff
on_revision() { # on_revision NAME: pod NAME-0 has the StatefulSet's update revision
    [ "$(k -n "$NS" get pod "$1-0" -o jsonpath='{.metadata.labels.controller-revision-hash}')" = \
        "$(k -n "$NS" get statefulset "$1" -o jsonpath='{.status.updateRevision}')" ]
}
wait_for 60 "crash: pod crash-0 on the current template" on_revision crash
first=$(uid pod crash-0 2>/dev/null || true)
[ -n "$first" ] || fail "crash: pod crash-0 is gone while it crash-loops on the current template"
for _ in $(seq 30); do
    sleep 0.5
    now=$(uid pod crash-0 2>/dev/null || true)
    expect_eq "$now" "$first" "crash: the uid of pod crash-0 crash-looping on the current template"
done
has_cond crash Degraded True CrashLoopBackOff || fail "crash: no longer says CrashLoopBackOff: $(dbi_field crash '{.status.conditions}')"
[ -z "$(events crash StuckPodReplaced)" ] || fail "crash: a pod on the current template was replaced: $(events crash StuckPodReplaced)"
# Undoing the crash-looping image is a rollback like the others.
dbi crash | k -n "$NS" apply -f - >/dev/null
wait_for 120 "crash to be Ready again once the image is undone" pod_current crash
wait_for 60 "crash: Ready in status" dbi_ready crash

echo "a stuck pod of an older template is replaced; one of the current template is not"
