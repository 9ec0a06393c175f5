# Pod Security (issue 13): in a namespace labelled pod-security.kubernetes.io/enforce=
# restricted, the API server admits the pods of every engine's StatefulSet (the images do not
# run here: admission is the subject), with the images' uid 999 and with spec.securityContext
# set for an image that runs as another user. A pod that breaks the profile is refused in the
# same namespace, so the admission really is enforced. Then the Secrets: labelled, not
# immutable (rotation and renewal rewrite them).
. "$ROOT/test/integration/lib.sh"

k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/enforce-version=latest >/dev/null
started=$SECONDS
# The control: a pod that runs as root with privilege escalation is refused.
if out=$(k -n "$NS" run not-restricted --image=busybox --restart=Never 2>&1); then
    fail "a pod breaking the restricted profile was admitted: the namespace does not enforce it"
fi
grep -q 'violates PodSecurity "restricted' <<<"$out" || fail "the control pod was refused for another reason: $out"

with_operator
for e in postgresql:16 mysql:8.4 mariadb:11.4; do
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: p-%s}\nspec: {engine: %s, version: "%s", database: shop}\n' \
        "${e%%:*}" "${e%%:*}" "${e#*:}" | k -n "$NS" apply -f - >/dev/null
done
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: p-custom}\nspec: {engine: postgresql, version: "16", database: shop, image: "postgres:16-alpine", securityContext: {runAsUser: 70, runAsGroup: 70, fsGroup: 70}}\n' |
    k -n "$NS" apply -f - >/dev/null
pod_uid() { k -n "$NS" get pod "$1-0" -o jsonpath='{.metadata.uid}'; }
for n in p-postgresql p-mysql p-mariadb p-custom; do
    wait_for 90 "pod $n-0 to be admitted" pod_uid "$n"
done
failed=$(k -n "$NS" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')
[ -z "$failed" ] || fail "the StatefulSet controller could not create a pod: $failed"
expect_eq "$(k -n "$NS" get pod p-custom-0 -o jsonpath='{.spec.containers[0].securityContext.runAsUser}/{.spec.securityContext.fsGroup}')" \
    "70/70" "p-custom's user and fsGroup"
expect_eq "$(k -n "$NS" get pod p-mysql-0 -o jsonpath='{.spec.containers[0].securityContext.runAsUser}/{.spec.securityContext.fsGroup}')" \
    "999/999" "p-mysql's user and fsGroup"

# root is refused by the schema before the operator sees it
if out=$(printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: p-root}\nspec: {engine: postgresql, version: "16", database: shop, securityContext: {runAsUser: 0}}\n' |
    k -n "$NS" apply -f - 2>&1); then
    fail "runAsUser 0 was accepted"
fi
grep -q 'spec.securityContext.runAsUser' <<<"$out" || fail "runAsUser 0 refused for another reason: $out"

# The Secrets: labelled ours, not immutable.
for s in p-postgresql-credentials p-postgresql-tls; do
    wait_for 30 "Secret $s" k -n "$NS" get secret "$s"
    expect_eq "$(k -n "$NS" get secret "$s" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}/{.immutable}')" \
        "dbaas-operator/" "$s's label and immutable"
done
stop_operator
echo "four StatefulSets' pods admitted under restricted in $((SECONDS - started)) s"
