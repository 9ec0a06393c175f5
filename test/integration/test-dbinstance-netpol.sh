# spec.networkPolicy (issue 13): every rendered NetworkPolicy of the golden cases passes the
# API server's own validation (server-side dry run); an enabled instance gets NetworkPolicy
# <name> selecting its pods, the engine's port only, from its namespace by default; a change
# of allowFrom is applied without touching the StatefulSet or its pod; disabling removes the
# policy; a peer with no selector is refused by the schema.
. "$ROOT/test/integration/lib.sh"

with_operator
started=$SECONDS
n=0
for f in "$ROOT"/test/golden/dbinstance/*/networkpolicy.json; do
    sed "s/\"namespace\": \"golden\"/\"namespace\": \"$NS\"/" "$f" |
        k -n "$NS" create --dry-run=server -f - >/dev/null || fail "the API server refused $f"
    n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n golden NetworkPolicies to validate"

printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: fenced}\nspec: {engine: postgresql, version: "16", database: shop, networkPolicy: {enabled: true}}\n' |
    k -n "$NS" apply -f - >/dev/null
np() { k -n "$NS" get networkpolicy fenced -o jsonpath="$1"; }
wait_for 60 "NetworkPolicy fenced" k -n "$NS" get networkpolicy fenced
expect_eq "$(np '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" "DBInstance/fenced" "owner"
expect_eq "$(np '{.spec.podSelector.matchLabels.app\.kubernetes\.io/instance}')" fenced "selected pods"
expect_eq "$(np '{.spec.policyTypes}')" '["Ingress"]' "policy types"
expect_eq "$(np '{.spec.ingress[0].ports[0].port}/{.spec.ingress[0].ports[0].protocol}')" "5432/TCP" "port"
expect_eq "$(np '{.spec.ingress[0].from}')" '[{"podSelector":{}}]' "default peers: this namespace"

pod_uid() { k -n "$NS" get pod fenced-0 -o jsonpath='{.metadata.uid}'; }
wait_for 60 "pod fenced-0" pod_uid
uid=$(pod_uid)
gen=$(k -n "$NS" get statefulset fenced -o jsonpath='{.metadata.generation}')
k -n "$NS" patch dbinstance fenced --type=merge -p \
    '{"spec":{"networkPolicy":{"allowFrom":[{"namespaceSelector":{"matchLabels":{"team":"shop"}},"podSelector":{"matchLabels":{"app":"web"}}}]}}}' >/dev/null
peers_are() { [ "$(np '{.spec.ingress[0].from}')" = "$1" ]; }
wait_for 30 "the new allow list" peers_are '[{"namespaceSelector":{"matchLabels":{"team":"shop"}},"podSelector":{"matchLabels":{"app":"web"}}}]'
sleep 2
expect_eq "$(k -n "$NS" get statefulset fenced -o jsonpath='{.metadata.generation}')" "$gen" "StatefulSet generation after the allow list changed"
expect_eq "$(pod_uid)" "$uid" "pod after the allow list changed"

# A peer without a selector never reaches the operator.
if out=$(k -n "$NS" patch dbinstance fenced --type=merge -p '{"spec":{"networkPolicy":{"allowFrom":[{}]}}}' 2>&1); then
    fail "a peer without a selector was accepted"
fi
grep -q 'a peer needs namespaceSelector or podSelector' <<<"$out" || fail "refused for another reason: $out"

k -n "$NS" patch dbinstance fenced --type=merge -p '{"spec":{"networkPolicy":{"enabled":false}}}' >/dev/null
gone() { ! k -n "$NS" get networkpolicy fenced >/dev/null 2>&1; }
wait_for 30 "the NetworkPolicy to be removed" gone
expect_eq "$(pod_uid)" "$uid" "pod after the policy was removed"
stop_operator
echo "NetworkPolicy: $n golden policies valid; apply, change, removal in $((SECONDS - started)) s"
