# Least privilege (issue 16, section 5): deploy/rbac.yaml names every verb and resource (no
# wildcard), and the operator's Secret cache holds only the Secrets labelled as its own plus
# those its objects name (credentialsSecretRef, watched by name), while 50 unrelated Secrets
# (some with labels much like ours) sit in the same namespace. The cache size is the
# operator's dbaas_informer_objects{resource="secrets"}.
. "$ROOT/test/integration/lib.sh"

# No wildcard in any rule of the operator's RBAC.
if grep -nE '^\s*(verbs|resources|apiGroups|resourceNames):.*\*' "$ROOT/deploy/rbac.yaml"; then
    fail "deploy/rbac.yaml has a wildcard (lines above)"
fi
grep -qE '^\s*verbs:' "$ROOT/deploy/rbac.yaml" || fail "no rules found in deploy/rbac.yaml"

for i in $(seq 1 50); do
    case $((i % 3)) in
    0) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    1) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s, labels: {app.kubernetes.io/managed-by: helm, app.kubernetes.io/instance: orders}}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    2) printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: unrelated-%s, labels: {app.kubernetes.io/name: postgresql}}\nstringData: {token: t%s}\n' "$i" "$i" ;;
    esac
    echo ---
done | k -n "$NS" apply -f - >/dev/null
k -n "$NS" create secret generic given-pw --from-literal=password=a-given-password >/dev/null

with_operator
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
